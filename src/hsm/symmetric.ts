import * as pkcs11 from 'pkcs11js';
import { toHsmError } from './errors';
import { secretKeyTemplate, type NewKeyOptions } from './keys';
import { describeObject, toHsmKey, toIdBuffer, type HsmKey } from './objects';
import { randomBytes } from 'node:crypto';

/**
 * AES-CBC (no padding) and AES-CMAC with keys in the token, and AES keys imported once at personalisation.
 * SIM OTA security (TS 102 225: KIc ciphers with CBC and a zero IV, KID makes a CMAC) runs on these, on the
 * platform HSM and in each simulated SIM's token alike. Inputs are a few hundred octets: every call is
 * synchronous and takes tens of microseconds on SoftHSM2, less than a hand-off to a libuv thread.
 */

export type AesKeyUsage = 'cipher' | 'mac';

export interface ImportAesKeyOptions extends NewKeyOptions {
  /** 'cipher': encrypt/decrypt only (a KIc); 'mac': sign/verify (CMAC) only (a KID). One key, one job. */
  readonly usage: AesKeyUsage;
  /**
   * CKA_PRIVATE; default true. False lets a session that is not logged in use the key: a SIM's OTA keys
   * belong to the card, not to the cardholder's PIN (the card must open a command before any PIN is asked).
   */
  readonly private?: boolean;
}

export const AES_BLOCK = 16;
const CMAC_MECHANISM: pkcs11.Mechanism = { mechanism: pkcs11.CKM_AES_CMAC };

/** The template of an AES key for one job (cipher or CMAC), sensitive and never extractable. */
export function usageTemplate(options: ImportAesKeyOptions, id: Buffer): pkcs11.Template {
  const mac = options.usage === 'mac';
  const base = secretKeyTemplate(options, id).filter(
    (a) => ![pkcs11.CKA_ENCRYPT, pkcs11.CKA_DECRYPT, pkcs11.CKA_SIGN, pkcs11.CKA_VERIFY, pkcs11.CKA_PRIVATE].includes(a.type),
  );
  return [
    ...base,
    { type: pkcs11.CKA_PRIVATE, value: options.private ?? true },
    { type: pkcs11.CKA_ENCRYPT, value: !mac },
    { type: pkcs11.CKA_DECRYPT, value: !mac },
    { type: pkcs11.CKA_SIGN, value: mac },
    { type: pkcs11.CKA_VERIFY, value: mac },
  ];
}

/**
 * Imports key octets as a sensitive, never-extractable AES key (C_CreateObject). Only for personalisation:
 * the same OTA keys must reach the SIM and the platform HSM, as a card vendor's output file brings them.
 */
export function importAesKey(p11: pkcs11.PKCS11, session: Buffer, value: Uint8Array, options: ImportAesKeyOptions): HsmKey {
  if (![16, 24, 32].includes(value.length)) throw new RangeError(`AES keys are 16, 24 or 32 octets, not ${value.length}`);
  const id = options.id === undefined ? randomBytes(16) : toIdBuffer(options.id);
  let handle: Buffer;
  try {
    handle = p11.C_CreateObject(session, [...usageTemplate(options, id), { type: pkcs11.CKA_VALUE, value: Buffer.from(value) }]);
  } catch (err) {
    throw toHsmError(err, 'C_CreateObject');
  }
  const key = toHsmKey(describeObject(p11, session, handle));
  if (key === undefined) throw new Error('the token did not keep the imported AES key');
  return key;
}

/** AES-CBC without padding: `data` is a multiple of 16 octets (the OTA codec pads and counts). */
export function aesCbc(p11: pkcs11.PKCS11, session: Buffer, key: HsmKey, direction: 'encrypt' | 'decrypt', iv: Uint8Array, data: Uint8Array): Buffer {
  if (iv.length !== AES_BLOCK || data.length % AES_BLOCK !== 0) throw new RangeError('AES-CBC input must be block aligned with a 16-octet IV');
  const mechanism: pkcs11.Mechanism = { mechanism: pkcs11.CKM_AES_CBC, parameter: Buffer.from(iv) };
  const input = Buffer.from(data);
  try {
    if (direction === 'encrypt') {
      p11.C_EncryptInit(session, mechanism, key.handle);
      return Buffer.from(p11.C_Encrypt(session, input, Buffer.alloc(input.length)));
    }
    p11.C_DecryptInit(session, mechanism, key.handle);
    return Buffer.from(p11.C_Decrypt(session, input, Buffer.alloc(input.length)));
  } catch (err) {
    throw toHsmError(err, direction === 'encrypt' ? 'C_Encrypt' : 'C_Decrypt');
  }
}

/** The full 16-octet AES-CMAC (NIST SP 800-38B) of `data`; callers truncate (TS 102 225 uses 8). */
export function aesCmac(p11: pkcs11.PKCS11, session: Buffer, key: HsmKey, data: Uint8Array): Buffer {
  try {
    p11.C_SignInit(session, CMAC_MECHANISM, key.handle);
    return Buffer.from(p11.C_Sign(session, Buffer.from(data), Buffer.alloc(AES_BLOCK)));
  } catch (err) {
    throw toHsmError(err, 'C_Sign');
  }
}

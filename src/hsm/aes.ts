import * as pkcs11 from 'pkcs11js';
import {
  AES_GCM,
  AES_KEY_BITS,
  CKZ_DATA_SPECIFIED,
  HASHES,
  KEY_TRANSPORT_ALGORITHMS,
  type AesKeyBits,
  type KeyTransportAlgorithmName,
} from './algorithms';
import { DecryptionFailedError, KeyUnsuitableError, UnsupportedError, ckrName, returnValueOf, toHsmError } from './errors';
import { lengthClass } from './inline-policy';
import { secretKeyTemplate, type NewKeyOptions } from './keys';
import { describeObject, toHsmKey, toIdBuffer, type HsmKey } from './objects';
import { retain, runSingleShot, type OperationContext, type SingleShot } from './operation';
import { usageTemplate, type AesKeyUsage } from './symmetric';
import { asBuffer } from './sign';

export interface AesGcmSealed {
  /** 96-bit IV, random per message. */
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  /** 128-bit authentication tag. */
  readonly tag: Buffer;
}

export interface AesGcmOpenInput {
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
  readonly aad?: Uint8Array;
}

export interface UnwrapOptions extends Partial<NewKeyOptions> {
  /** The OAEP variant the sender used; 'RSA-OAEP' (SHA-1) by default, the only one SoftHSM2 2.6.1 accepts. */
  readonly algorithm?: KeyTransportAlgorithmName;
  /** The AES key size the protocol expects; a key of another size is destroyed and refused. Default 256. */
  readonly bits?: AesKeyBits;
  /**
   * One job for the new key: 'cipher' (encrypt/decrypt: a SIM's KIc) or 'mac' (CMAC sign/verify: its KID).
   * Unset: encrypt/decrypt, as a level-3 session key (AES-GCM) needs.
   */
  readonly usage?: AesKeyUsage;
}

function gcmMechanism(iv: Buffer, aad: Buffer | undefined): pkcs11.Mechanism {
  const parameter = { type: AES_GCM.paramsType, iv, ivBits: iv.length * 8, tagBits: AES_GCM.tagBytes * 8, ...(aad ? { aad } : {}) };
  return { mechanism: AES_GCM.ckm, parameter: parameter as pkcs11.GcmParams };
}

function checkAesKey(key: HsmKey): void {
  if (key.class !== 'secretKey' || key.keyType !== 'AES') {
    throw new KeyUnsuitableError(`AES-GCM needs an AES secret key; "${key.label}" is an ${key.keyType} ${key.class}`);
  }
}

/** Identities under which the inline policy times each direction. */
const ENCRYPT_TIMER = Object.freeze({});
const DECRYPT_TIMER = Object.freeze({});

class GcmOperation implements SingleShot<Buffer> {
  constructor(
    private readonly direction: 'encrypt' | 'decrypt',
    private readonly key: HsmKey,
    private readonly mechanism: pkcs11.Mechanism,
    private readonly input: Buffer,
    private readonly outLength: number,
  ) {}

  init(p11: pkcs11.PKCS11, session: Buffer): void {
    if (this.direction === 'encrypt') p11.C_EncryptInit(session, this.mechanism, this.key.handle);
    else p11.C_DecryptInit(session, this.mechanism, this.key.handle);
  }

  callSync(p11: pkcs11.PKCS11, session: Buffer): Buffer {
    const out = Buffer.alloc(this.outLength);
    return this.direction === 'encrypt' ? p11.C_Encrypt(session, this.input, out) : p11.C_Decrypt(session, this.input, out);
  }

  callAsync(p11: pkcs11.PKCS11, session: Buffer, done: (err: Error | null, value: Buffer) => void): void {
    const out = Buffer.alloc(this.outLength);
    if (this.direction === 'encrypt') p11.C_Encrypt(session, this.input, out, done);
    else p11.C_Decrypt(session, this.input, out, done);
  }

  answer(): undefined {
    return undefined;
  }

  failure(err: unknown, step: 'init' | 'call'): Error {
    if (this.direction === 'encrypt') return toHsmError(err, step === 'init' ? 'C_EncryptInit' : 'C_Encrypt');
    return step === 'init' ? toHsmError(err, 'C_DecryptInit') : decryptionError(err);
  }
}

/**
 * A failed GCM tag check is CKR_ENCRYPTED_DATA_INVALID in PKCS#11 v2.40, but SoftHSM2 2.6.1 returns
 * CKR_GENERAL_ERROR for it (tested in spec/hsm/aes.spec.ts); in C_Decrypt with AES-GCM both mean the
 * message did not authenticate.
 */
function decryptionError(err: unknown): Error {
  const rv = returnValueOf(err);
  if (
    rv === pkcs11.CKR_ENCRYPTED_DATA_INVALID ||
    rv === pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE ||
    rv === pkcs11.CKR_GENERAL_ERROR ||
    rv === pkcs11.CKR_FUNCTION_FAILED
  ) {
    return new DecryptionFailedError(ckrName(rv), rv, 'C_Decrypt', 'AES-GCM authentication failed: the message, tag, IV or associated data was altered, or the key is not the one that encrypted it', { cause: err });
  }
  return toHsmError(err, 'C_Decrypt');
}

/** AES-GCM in the token with a caller-chosen IV. Returns ciphertext‖tag, as PKCS#11 and WebCrypto do. */
export function gcmEncrypt(ctx: OperationContext, key: HsmKey, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
  checkAesKey(key);
  const ivBuffer = asBuffer(iv);
  if (ivBuffer.length === 0 || ivBuffer.length > 128) throw new UnsupportedError(`AES-GCM IVs are 1 to 128 bytes (12 recommended), not ${ivBuffer.length}`);
  const input = asBuffer(plaintext);
  // pkcs11js passes an empty buffer as a NULL pointer, which tokens refuse (CKR_ARGUMENTS_BAD).
  if (input.length === 0) throw new UnsupportedError('AES-GCM here needs at least one byte of plaintext');
  const op = new GcmOperation('encrypt', key, gcmMechanism(ivBuffer, aad && asBuffer(aad)), input, input.length + AES_GCM.tagBytes);
  return runSingleShot(ctx, op, ctx.inline.timer(ENCRYPT_TIMER, lengthClass(input.length)));
}

/** AES-GCM decryption of ciphertext‖tag in the token. */
export function gcmDecrypt(ctx: OperationContext, key: HsmKey, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Buffer> {
  checkAesKey(key);
  const input = asBuffer(sealed);
  if (input.length < AES_GCM.tagBytes) {
    return Promise.reject(new DecryptionFailedError('CKR_ENCRYPTED_DATA_LEN_RANGE', pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE, 'C_Decrypt', 'AES-GCM input is shorter than its tag'));
  }
  // SoftHSM2 wants room for the whole input, tag included, before it checks the tag.
  const op = new GcmOperation('decrypt', key, gcmMechanism(asBuffer(iv), aad && asBuffer(aad)), input, input.length);
  return runSingleShot(ctx, op, ctx.inline.timer(DECRYPT_TIMER, lengthClass(input.length)));
}

/**
 * C_UnwrapKey with RSA-OAEP: the AES key arrives encrypted under the token's RSA public key and is
 * decrypted straight into a new sensitive, non-extractable key object; its value never reaches us.
 * Session object by default: a level-3 session key lives as long as this Hsm (or until destroyed).
 */
export function unwrapAesKey(ctx: OperationContext, unwrappingKey: HsmKey, wrapped: Uint8Array, options: UnwrapOptions = {}): Promise<HsmKey> {
  const algorithm = KEY_TRANSPORT_ALGORITHMS[options.algorithm ?? 'RSA-OAEP'];
  if (algorithm === undefined) throw new UnsupportedError(`unknown key transport ${String(options.algorithm)}`);
  const bits = options.bits ?? 256;
  if (!(AES_KEY_BITS as readonly number[]).includes(bits)) throw new UnsupportedError(`AES keys are ${AES_KEY_BITS.join(', ')} bits, not ${bits}`);
  if (unwrappingKey.class !== 'privateKey' || unwrappingKey.keyType !== 'RSA') {
    throw new KeyUnsuitableError(`RSA-OAEP unwrapping needs an RSA private key; "${unwrappingKey.label}" is an ${unwrappingKey.keyType} ${unwrappingKey.class}`);
  }
  if (unwrappingKey.bits < algorithm.minKeyBits) {
    throw new KeyUnsuitableError(`RSA-OAEP needs a key of at least ${algorithm.minKeyBits} bits; "${unwrappingKey.label}" has ${unwrappingKey.bits}`);
  }
  const hash = HASHES[algorithm.hash];
  const mechanism: pkcs11.Mechanism = {
    mechanism: algorithm.ckm,
    parameter: { type: pkcs11.CK_PARAMS_RSA_OAEP, hashAlg: hash.ckm, mgf: hash.mgf, source: CKZ_DATA_SPECIFIED } as pkcs11.RsaOAEP,
  };
  const id = options.id !== undefined ? toIdBuffer(options.id) : Buffer.alloc(0);
  const newKey = { label: options.label ?? 'unwrapped-aes', token: options.token ?? false };
  const template = options.usage === undefined ? secretKeyTemplate(newKey, id) : usageTemplate({ ...newKey, usage: options.usage }, id);
  const input = asBuffer(wrapped);
  const { p11, pool } = ctx;
  const run = (session: Buffer): Promise<HsmKey> =>
    new Promise<HsmKey>((resolve, reject) => {
      try {
        p11.C_UnwrapKey(session, mechanism, unwrappingKey.handle, input, template, (err, handle) => {
          retain(input);
          if (err) {
            pool.release(session);
            reject(toHsmError(err, 'C_UnwrapKey'));
            return;
          }
          let key: HsmKey;
          try {
            key = checkUnwrapped(p11, session, handle, bits, options.usage === 'mac');
          } catch (e) {
            // A failed single-part C_Encrypt ends its operation, so the session is clean; and it must not be
            // closed: session keys live and die with the session that made them.
            pool.release(session);
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          pool.release(session);
          resolve(key);
        });
      } catch (err) {
        pool.release(session);
        reject(toHsmError(err, 'C_UnwrapKey'));
      }
    });
  const session = pool.tryAcquire();
  return session !== undefined ? run(session) : pool.acquire().then(run);
}

/**
 * Makes sure the new key is what the protocol promised. SoftHSM2 2.6.1 neither checks the unwrapped
 * length against the key type nor records CKA_VALUE_LEN (it reads 0), and refuses CKA_VALUE_LEN in the
 * template (CKR_ATTRIBUTE_READ_ONLY). So: a recorded length must equal `bits`; with none recorded, a
 * trial AES-GCM encryption rejects lengths that are not AES lengths at all (SoftHSM2 then cannot tell
 * AES-128 from AES-256; a production HSM records the length).
 */
function checkUnwrapped(p11: pkcs11.PKCS11, session: Buffer, handle: Buffer, bits: number, macOnly: boolean): HsmKey {
  const destroy = (): void => {
    try {
      p11.C_DestroyObject(session, handle);
    } catch {
      // Already gone.
    }
  };
  try {
    const record = describeObject(p11, session, handle);
    const key = toHsmKey(record);
    if (key === undefined || key.keyType !== 'AES' || !record.sensitive || record.extractable) {
      throw new KeyUnsuitableError('the token did not make the unwrapped key a sensitive, non-extractable AES key');
    }
    if (record.bits !== 0 && record.bits !== bits) throw new KeyUnsuitableError(`the unwrapped key has ${record.bits} bits, not ${bits}`);
    if (record.bits === 0) {
      try {
        if (macOnly) {
          // A CMAC-only key cannot encrypt: the trial is a CMAC, whose output also stays here.
          p11.C_SignInit(session, { mechanism: pkcs11.CKM_AES_CMAC }, handle);
          p11.C_Sign(session, Buffer.alloc(16), Buffer.alloc(16));
        } else {
          // The trial's output never leaves this function, so its fixed IV reveals nothing.
          p11.C_EncryptInit(session, gcmMechanism(Buffer.alloc(AES_GCM.ivBytes), undefined), handle);
          p11.C_Encrypt(session, Buffer.alloc(1), Buffer.alloc(1 + AES_GCM.tagBytes));
        }
      } catch (err) {
        throw new KeyUnsuitableError('the unwrapped value is not an AES key (wrong length)', { cause: err });
      }
    }
    return key;
  } catch (err) {
    destroy();
    throw err;
  }
}

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { aesCmac } from './cmac';
import { OTA_CHECKSUMS, OTA_CIPHERS, type CipherDirection, type OtaCrypto, type OtaKeyRef } from './crypto';
import { OtaError } from './errors';
import type { CcAlgorithm, CipherAlgorithm } from './spi';

/**
 * SOFTWARE KEYS: FOR TESTS ONLY.
 *
 * `softwareOtaCrypto` holds OTA keys in process memory. It exists for unit tests, the fuzz target, and for
 * cross-checking the HSM implementation (same inputs, same outputs). A deployment must never use it: on the
 * platform the KIc/KID of every SIM are non-extractable AES keys in the HSM (DESIGN.md, "Keys never leave a
 * token"), and each simulated SIM keeps its keys in its own PKCS#11 token.
 */

export interface SoftwareOtaKey {
  readonly ref: OtaKeyRef;
  /** Raw key octets. Named `secret` so the logger's redaction list covers it should it ever be logged. */
  readonly secret: Uint8Array;
}

function refId(ref: OtaKeyRef): string {
  return `${ref.sim}\u0000${ref.key}\u0000${ref.version}`;
}

const NODE_CIPHER: Readonly<Record<CipherAlgorithm, (keyLength: number) => string>> = {
  'AES-CBC': (n) => `aes-${n * 8}-cbc`,
  // OpenSSL's des-ede-cbc is two-key EDE (K1 K2 K1) in outer CBC, the mode TS 102 225 names.
  '3DES-2KEY-CBC': () => 'des-ede-cbc',
  '3DES-3KEY-CBC': () => 'des-ede3-cbc',
};

const MAC_CIPHER: Readonly<Record<Exclude<CcAlgorithm, 'AES-CMAC'>, CipherAlgorithm>> = {
  '3DES-2KEY-MAC': '3DES-2KEY-CBC',
  '3DES-3KEY-MAC': '3DES-3KEY-CBC',
};

function cbc(algorithm: CipherAlgorithm, key: Uint8Array, direction: CipherDirection, iv: Uint8Array, data: Uint8Array): Buffer {
  const name = NODE_CIPHER[algorithm](key.length);
  const c = direction === 'encrypt' ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export function softwareOtaCrypto(keys: readonly SoftwareOtaKey[]): OtaCrypto {
  const store = new Map<string, Buffer>();
  for (const k of keys) store.set(refId(k.ref), Buffer.from(k.secret));

  const lookup = (ref: OtaKeyRef, lengths: readonly number[]): Buffer => {
    const key = store.get(refId(ref));
    if (key === undefined) throw new OtaError('KEY_UNAVAILABLE', 'no such OTA key', { key: ref.key, version: ref.version });
    if (!lengths.includes(key.length)) throw new OtaError('KEY_UNAVAILABLE', 'OTA key does not fit the algorithm', { key: ref.key, version: ref.version, length: key.length });
    return key;
  };

  return {
    async cipher(ref, direction, algorithm, iv, data) {
      const def = OTA_CIPHERS[algorithm];
      const key = lookup(ref, def.keyLengths);
      if (data.length % def.blockSize !== 0 || iv.length !== def.blockSize) {
        throw new OtaError('INVALID_ARGUMENT', 'cipher input is not block aligned', { length: data.length, blockSize: def.blockSize });
      }
      return cbc(algorithm, key, direction, iv, data);
    },
    async checksum(ref, algorithm, data, length) {
      const def = OTA_CHECKSUMS[algorithm];
      const key = lookup(ref, def.keyLengths);
      if (!Number.isInteger(length) || length < 1 || length > def.blockSize) {
        throw new OtaError('INVALID_ARGUMENT', 'checksum length out of range', { length });
      }
      if (algorithm === 'AES-CMAC') return aesCmac(key, data).subarray(0, length);
      // TS 102 225 §5.1.3.1: DES-family CC is the last block of CBC (IV zero) over the data padded with '00'
      // to a block multiple; the padding is for the computation only and never transmitted.
      const padded = Buffer.concat([data, Buffer.alloc((def.blockSize - (data.length % def.blockSize)) % def.blockSize)]);
      const chain = cbc(MAC_CIPHER[algorithm], key, 'encrypt', Buffer.alloc(def.blockSize), padded.length === 0 ? Buffer.alloc(def.blockSize) : padded);
      return chain.subarray(chain.length - def.blockSize, chain.length - def.blockSize + length);
    },
  };
}

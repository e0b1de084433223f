import type { CcAlgorithm, CipherAlgorithm } from './spi';

/**
 * Key operations are injected (STYLE.md examples 5 and 6): src/channel never holds OTA keys. The platform
 * implements `OtaCrypto` with AES keys in the HSM (each SIM's KIc/KID as PKCS#11 objects, used in place);
 * a simulated SIM implements it with its own token; `softwareOtaCrypto` (software-crypto.ts) is for tests
 * and for cross-checking those implementations.
 */

/** One key of one SIM: the KIc or the KID of a key version (b8-b5 of the KIc/KID octet). */
export interface OtaKeyRef {
  /** Whatever names the SIM to the key store (ICCID, subscriber id); opaque to the codec. */
  readonly sim: string;
  readonly key: 'KIc' | 'KID';
  readonly version: number;
}

export type CipherDirection = 'encrypt' | 'decrypt';

export interface OtaCrypto {
  /**
   * CBC with the given IV and no padding: `data` is already a multiple of the block size (the codec pads
   * and counts the padding in PCNTR). TS 102 225 uses a zero IV; it is passed so the contract is explicit.
   */
  cipher(key: OtaKeyRef, direction: CipherDirection, algorithm: CipherAlgorithm, iv: Uint8Array, data: Uint8Array): Promise<Buffer>;
  /**
   * The cryptographic checksum of `data` (not padded by the caller), truncated to its leftmost `length` octets:
   * AES-CMAC per NIST SP 800-38B; 3DES-MAC as TS 102 225 §5.1.3.1 has it (triple-DES outer-CBC, IV zero,
   * data padded with '00' to a multiple of 8 for the computation only, the final block is the MAC).
   */
  checksum(key: OtaKeyRef, algorithm: CcAlgorithm, data: Uint8Array, length: number): Promise<Buffer>;
}

interface CipherDefinition {
  readonly blockSize: number;
  /** Key lengths in octets the algorithm accepts. */
  readonly keyLengths: readonly number[];
  /** The PKCS#11 mechanism an HSM implementation uses (key type follows from the key object). */
  readonly pkcs11: string;
}

interface ChecksumDefinition {
  readonly blockSize: number;
  readonly keyLengths: readonly number[];
  /** CC lengths (octets) we accept for this algorithm; the CHL of a packet must give one of these. */
  readonly ccLengths: readonly number[];
  readonly pkcs11: string;
}

/** One table for the algorithms (STYLE.md example 5): block sizes drive padding, key lengths drive checks. */
export const OTA_CIPHERS = {
  'AES-CBC': { blockSize: 16, keyLengths: [16, 24, 32], pkcs11: 'CKM_AES_CBC' },
  '3DES-2KEY-CBC': { blockSize: 8, keyLengths: [16], pkcs11: 'CKM_DES3_CBC (CKK_DES2 key)' },
  '3DES-3KEY-CBC': { blockSize: 8, keyLengths: [24], pkcs11: 'CKM_DES3_CBC (CKK_DES3 key)' },
} as const satisfies Record<CipherAlgorithm, CipherDefinition>;

export const OTA_CHECKSUMS = {
  // TS 102 225 lets an AES CC be shorter; we send and accept 8 octets only, the length real cards use.
  'AES-CMAC': { blockSize: 16, keyLengths: [16, 24, 32], ccLengths: [8], pkcs11: 'CKM_AES_CMAC_GENERAL (length 8)' },
  '3DES-2KEY-MAC': { blockSize: 8, keyLengths: [16], ccLengths: [8], pkcs11: 'CKM_DES3_CBC over zero-padded data, last block (CKK_DES2 key)' },
  '3DES-3KEY-MAC': { blockSize: 8, keyLengths: [24], ccLengths: [8], pkcs11: 'CKM_DES3_CBC over zero-padded data, last block (CKK_DES3 key)' },
} as const satisfies Record<CcAlgorithm, ChecksumDefinition>;

/** TS 102 225: ciphering and the DES MAC start from an all-zero initial chaining value. */
export function zeroIv(algorithm: CipherAlgorithm): Buffer {
  return Buffer.alloc(OTA_CIPHERS[algorithm].blockSize);
}

import { RC_LENGTH, redundancyCheck } from './crc';
import { OTA_CHECKSUMS, OTA_CIPHERS, zeroIv, type CipherDirection, type OtaCrypto, type OtaKeyRef } from './crypto';
import { OtaError, isOtaError } from './errors';
import {
  decodeKic,
  decodeKid,
  isCcAlgorithm,
  isCipherAlgorithm,
  isRcAlgorithm,
  type CcAlgorithm,
  type ChecksumKind,
  type CipherAlgorithm,
  type RcAlgorithm,
  type Spi,
} from './spi';

/**
 * What the SPI/KIc/KID of one command packet mean in keys and algorithms, for the command and for its PoR
 * (the PoR reuses the command's KIc/KID, TS 102 225 §5.4). The single place the codec calls OtaCrypto.
 */

export interface CipherSpec {
  readonly algorithm: CipherAlgorithm;
  readonly key: OtaKeyRef;
}

export type CheckSpec =
  | { readonly kind: 'rc'; readonly algorithm: RcAlgorithm }
  | { readonly kind: 'cc'; readonly algorithm: CcAlgorithm; readonly key: OtaKeyRef; readonly length: number };

export interface PacketSecurity {
  readonly cipher: CipherSpec | undefined;
  readonly check: CheckSpec | undefined;
  readonly porCipher: CipherSpec | undefined;
  readonly porCheck: CheckSpec | undefined;
}

function cipherSpec(sim: string, kicByte: number): CipherSpec {
  const kic = decodeKic(kicByte);
  if (!isCipherAlgorithm(kic.algorithm)) {
    throw new OtaError('UNSUPPORTED_SECURITY', 'KIc names a cipher we do not implement', { algorithm: kic.algorithm });
  }
  return { algorithm: kic.algorithm, key: { sim, key: 'KIc', version: kic.keyVersion } };
}

/** `ccLength`: the CC length the packet carries (parsing), or undefined to use the algorithm's default (building). */
function checkSpec(sim: string, kind: ChecksumKind, kidByte: number, ccLength: number | undefined): CheckSpec | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'ds') throw new OtaError('UNSUPPORTED_SECURITY', 'digital signatures (DS) are refused: no SIM profile of ours uses them');
  const kid = decodeKid(kidByte, kind);
  if (kind === 'rc') {
    if (!isRcAlgorithm(kid.algorithm)) throw new OtaError('UNSUPPORTED_SECURITY', 'KID names a redundancy check we do not implement', { algorithm: kid.algorithm });
    return { kind, algorithm: kid.algorithm };
  }
  if (!isCcAlgorithm(kid.algorithm)) throw new OtaError('UNSUPPORTED_SECURITY', 'KID names a checksum we do not implement', { algorithm: kid.algorithm });
  const allowed: readonly number[] = OTA_CHECKSUMS[kid.algorithm].ccLengths;
  const length = ccLength ?? allowed[0] ?? 8;
  if (!allowed.includes(length)) throw new OtaError('MALFORMED', 'RC/CC/DS length does not fit the KID algorithm', { length });
  return { kind, algorithm: kid.algorithm, key: { sim, key: 'KID', version: kid.keyVersion }, length };
}

export function checkLength(spec: CheckSpec | undefined): number {
  if (spec === undefined) return 0;
  return spec.kind === 'rc' ? RC_LENGTH[spec.algorithm] : spec.length;
}

/**
 * Resolves everything the SPI asks for. `commandCheckLength` is the RC/CC length found in a received packet
 * (CHL - 13); building passes undefined. Throws RESERVED_CODING / UNSUPPORTED_SECURITY / MALFORMED.
 */
export function resolveSecurity(sim: string, spi: Spi, kicByte: number, kidByte: number, commandCheckLength?: number): PacketSecurity {
  const cipher = spi.ciphered ? cipherSpec(sim, kicByte) : undefined;
  const porCipher = spi.porCiphered ? cipherSpec(sim, kicByte) : undefined;
  const check = checkSpec(sim, spi.checksum, kidByte, commandCheckLength);
  if (spi.checksum === 'none' && commandCheckLength !== undefined && commandCheckLength !== 0) {
    throw new OtaError('MALFORMED', 'CHL leaves room for an RC/CC/DS the SPI does not ask for', { length: commandCheckLength });
  }
  if (check?.kind === 'rc' && commandCheckLength !== undefined && commandCheckLength !== RC_LENGTH[check.algorithm]) {
    throw new OtaError('MALFORMED', 'RC length does not fit the KID algorithm', { length: commandCheckLength });
  }
  const porCheck = checkSpec(sim, spi.porChecksum, kidByte, undefined);
  return { cipher, check, porCipher, porCheck };
}

export function blockSize(spec: CipherSpec): number {
  return OTA_CIPHERS[spec.algorithm].blockSize;
}

/** Octets of padding that bring `length` to a block multiple; counted in PCNTR. */
export function paddingFor(spec: CipherSpec | undefined, length: number): number {
  if (spec === undefined) return 0;
  const bs = blockSize(spec);
  return (bs - (length % bs)) % bs;
}

/** Keeps a key provider's failure (absent key, HSM error) a typed OtaError, without its message reaching a peer. */
function providerFailure(err: unknown, what: string): OtaError {
  if (isOtaError(err)) return err;
  return new OtaError('KEY_UNAVAILABLE', `key provider failed to ${what}`, undefined, { cause: err });
}

export async function runCipher(crypto: OtaCrypto, spec: CipherSpec, direction: CipherDirection, data: Buffer): Promise<Buffer> {
  let out: Buffer;
  try {
    out = await crypto.cipher(spec.key, direction, spec.algorithm, zeroIv(spec.algorithm), data);
  } catch (err) {
    throw providerFailure(err, direction);
  }
  if (!Buffer.isBuffer(out) || out.length !== data.length) throw new OtaError('KEY_UNAVAILABLE', 'key provider returned a cipher output of the wrong length');
  return out;
}

export async function computeCheck(crypto: OtaCrypto, spec: CheckSpec, data: Buffer): Promise<Buffer> {
  if (spec.kind === 'rc') return redundancyCheck(spec.algorithm, data);
  let out: Buffer;
  try {
    out = await crypto.checksum(spec.key, spec.algorithm, data, spec.length);
  } catch (err) {
    throw providerFailure(err, 'compute a checksum');
  }
  if (!Buffer.isBuffer(out) || out.length !== spec.length) throw new OtaError('KEY_UNAVAILABLE', 'key provider returned a checksum of the wrong length');
  return out;
}

import { OtaError } from './errors';

/**
 * The Security Parameter Indicator and the KIc/KID octets of a command packet, typed.
 *
 * SPI first octet (ETSI TS 102 225 §5.1.1):
 *   b2b1  00 no RC/CC/DS, 01 RC, 10 CC, 11 DS
 *   b3    0 no ciphering, 1 ciphering
 *   b5b4  00 no counter available; 01 counter available, no replay or sequence checking;
 *         10 process if and only if counter higher than the RE's; 11 process if and only if exactly one higher
 *   b8-b6 reserved: set to zero on sending, ignored on receipt
 * SPI second octet (TS 102 225 §5.1.1; b6 from 3GPP TS 31.115 §4.2 for SMS):
 *   b2b1  00 no PoR, 01 PoR required, 10 PoR required only when an error has occurred, 11 reserved
 *   b4b3  PoR RC/CC/DS: same coding as b2b1 of the first octet
 *   b5    PoR not ciphered (0) / ciphered (1)
 *   b6    PoR via SMS-DELIVER-REPORT (0) / via SMS-SUBMIT (1)
 *   b8b7  reserved
 * KIc (§5.1.2): b8-b5 key version; b2b1 00 implicit, 01 DES, 10 AES, 11 proprietary;
 *   b4b3 for DES: 00 DES-CBC, 01 3DES outer-CBC two keys, 10 3DES outer-CBC three keys, 11 DES-ECB;
 *   b4b3 for AES: 00 AES-CBC, other values reserved.
 * KID for a CC (§5.1.3.1): as KIc, but b4b3 for DES 11 is reserved and for AES 00 means CMAC.
 * KID for an RC (§5.1.3.2): b2b1 00 implicit, 01 CRC, 10 reserved, 11 proprietary; b4b3 for CRC 00 CRC16, 01 CRC32.
 * Cross-checked with osmocom pySim (pySim/ota.py) and onomondo-uicc (uicc_remote_cmd.c), which decode the
 * same bits against real cards.
 */

export type ChecksumKind = 'none' | 'rc' | 'cc' | 'ds';
export type CounterMode = 'none' | 'no-check' | 'higher' | 'one-higher';
export type PorRequest = 'none' | 'always' | 'on-error';
export type PorTransport = 'sms-deliver-report' | 'sms-submit';

export interface Spi {
  readonly checksum: ChecksumKind;
  readonly ciphered: boolean;
  readonly counter: CounterMode;
  readonly por: PorRequest;
  readonly porChecksum: ChecksumKind;
  readonly porCiphered: boolean;
  readonly porTransport: PorTransport;
}

const CHECKSUM_KINDS: readonly ChecksumKind[] = ['none', 'rc', 'cc', 'ds'];
const COUNTER_MODES: readonly CounterMode[] = ['none', 'no-check', 'higher', 'one-higher'];
const POR_REQUESTS: readonly (PorRequest | undefined)[] = ['none', 'always', 'on-error', undefined];

export function encodeSpi(spi: Spi): Buffer {
  const first = CHECKSUM_KINDS.indexOf(spi.checksum) | (spi.ciphered ? 0x04 : 0) | (COUNTER_MODES.indexOf(spi.counter) << 3);
  const second =
    POR_REQUESTS.indexOf(spi.por) |
    (CHECKSUM_KINDS.indexOf(spi.porChecksum) << 2) |
    (spi.porCiphered ? 0x10 : 0) |
    (spi.porTransport === 'sms-submit' ? 0x20 : 0);
  return Buffer.from([first, second]);
}

export function decodeSpi(first: number, second: number): Spi {
  const por = POR_REQUESTS[second & 0x03];
  if (por === undefined) throw new OtaError('RESERVED_CODING', 'SPI asks for a reserved PoR mode', { field: 'SPI2.b2b1' });
  return {
    checksum: CHECKSUM_KINDS[first & 0x03] ?? 'none',
    ciphered: (first & 0x04) !== 0,
    counter: COUNTER_MODES[(first >> 3) & 0x03] ?? 'none',
    por,
    porChecksum: CHECKSUM_KINDS[(second >> 2) & 0x03] ?? 'none',
    porCiphered: (second & 0x10) !== 0,
    porTransport: (second & 0x20) !== 0 ? 'sms-submit' : 'sms-deliver-report',
  };
}

/** Ciphers we implement; the key length (AES-128/192/256) is the key's, as TS 102 225 leaves it implicit. */
export type CipherAlgorithm = 'AES-CBC' | '3DES-2KEY-CBC' | '3DES-3KEY-CBC';
export type KicAlgorithm = CipherAlgorithm | 'DES-CBC' | 'DES-ECB' | 'implicit' | 'proprietary';
/** Cryptographic checksums we implement. */
export type CcAlgorithm = 'AES-CMAC' | '3DES-2KEY-MAC' | '3DES-3KEY-MAC';
/** Redundancy checks (not keyed). */
export type RcAlgorithm = 'CRC16' | 'CRC32';
export type KidAlgorithm = CcAlgorithm | RcAlgorithm | 'DES-MAC' | 'implicit' | 'proprietary';

export interface Kic {
  readonly algorithm: KicAlgorithm;
  /** Key version number 0-15 (b8-b5). */
  readonly keyVersion: number;
}

export interface Kid {
  readonly algorithm: KidAlgorithm;
  readonly keyVersion: number;
}

const KIC_BITS: Readonly<Record<KicAlgorithm, number>> = {
  implicit: 0x00,
  'DES-CBC': 0x01,
  '3DES-2KEY-CBC': 0x05,
  '3DES-3KEY-CBC': 0x09,
  'DES-ECB': 0x0d,
  'AES-CBC': 0x02,
  proprietary: 0x03,
};

const KID_BITS: Readonly<Record<KidAlgorithm, number>> = {
  implicit: 0x00,
  'DES-MAC': 0x01,
  '3DES-2KEY-MAC': 0x05,
  '3DES-3KEY-MAC': 0x09,
  'AES-CMAC': 0x02,
  CRC16: 0x01,
  CRC32: 0x05,
  proprietary: 0x03,
};

function checkVersion(keyVersion: number): void {
  if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 15) {
    throw new OtaError('INVALID_ARGUMENT', 'key version must be 0-15', { keyVersion: String(keyVersion) });
  }
}

export function encodeKic(kic: Kic): number {
  checkVersion(kic.keyVersion);
  return (kic.keyVersion << 4) | KIC_BITS[kic.algorithm];
}

export function decodeKic(byte: number): Kic {
  const keyVersion = (byte >> 4) & 0x0f;
  const low = byte & 0x0f;
  const family = low & 0x03;
  if (family === 0x00) return { algorithm: 'implicit', keyVersion };
  if (family === 0x03) return { algorithm: 'proprietary', keyVersion };
  const found = (Object.keys(KIC_BITS) as KicAlgorithm[]).find((a) => KIC_BITS[a] === low);
  if (found === undefined) throw new OtaError('RESERVED_CODING', 'KIc uses a reserved algorithm coding', { kic: byte });
  return { algorithm: found, keyVersion };
}

export function encodeKid(kid: Kid): number {
  checkVersion(kid.keyVersion);
  return (kid.keyVersion << 4) | KID_BITS[kid.algorithm];
}

/** The KID octet means different things for an RC and for a CC, so the SPI's checksum kind decides. */
export function decodeKid(byte: number, kind: 'rc' | 'cc'): Kid {
  const keyVersion = (byte >> 4) & 0x0f;
  const low = byte & 0x0f;
  const family = low & 0x03;
  if (family === 0x00) return { algorithm: 'implicit', keyVersion };
  if (family === 0x03) return { algorithm: 'proprietary', keyVersion };
  const table: readonly KidAlgorithm[] = kind === 'cc' ? ['DES-MAC', '3DES-2KEY-MAC', '3DES-3KEY-MAC', 'AES-CMAC'] : ['CRC16', 'CRC32'];
  const found = table.find((a) => KID_BITS[a] === low);
  if (found === undefined) throw new OtaError('RESERVED_CODING', 'KID uses a reserved algorithm coding', { kid: byte, kind });
  return { algorithm: found, keyVersion };
}

export function isCipherAlgorithm(a: KicAlgorithm): a is CipherAlgorithm {
  return a === 'AES-CBC' || a === '3DES-2KEY-CBC' || a === '3DES-3KEY-CBC';
}

export function isCcAlgorithm(a: KidAlgorithm): a is CcAlgorithm {
  return a === 'AES-CMAC' || a === '3DES-2KEY-MAC' || a === '3DES-3KEY-MAC';
}

export function isRcAlgorithm(a: KidAlgorithm): a is RcAlgorithm {
  return a === 'CRC16' || a === 'CRC32';
}

/**
 * Minimum Security Level of an application (TS 102 226 §8.2.1.3.2.4.2): coded like the SPI's first octet;
 * a command is processed only if each of its SPI components is at least the MSL's.
 */
export interface MinimumSecurityLevel {
  readonly checksum: ChecksumKind;
  readonly ciphered: boolean;
  readonly counter: CounterMode;
}

export function encodeMsl(msl: MinimumSecurityLevel): number {
  return CHECKSUM_KINDS.indexOf(msl.checksum) | (msl.ciphered ? 0x04 : 0) | (COUNTER_MODES.indexOf(msl.counter) << 3);
}

export function decodeMsl(byte: number): MinimumSecurityLevel {
  return {
    checksum: CHECKSUM_KINDS[byte & 0x03] ?? 'none',
    ciphered: (byte & 0x04) !== 0,
    counter: COUNTER_MODES[(byte >> 3) & 0x03] ?? 'none',
  };
}

/** none < RC < CC < DS and none < no-check < higher < one-higher: the order of the codings is the order of strength. */
export function meetsMinimumSecurity(spi: Pick<Spi, 'checksum' | 'ciphered' | 'counter'>, msl: MinimumSecurityLevel): boolean {
  return (
    CHECKSUM_KINDS.indexOf(spi.checksum) >= CHECKSUM_KINDS.indexOf(msl.checksum) &&
    (spi.ciphered || !msl.ciphered) &&
    COUNTER_MODES.indexOf(spi.counter) >= COUNTER_MODES.indexOf(msl.counter)
  );
}

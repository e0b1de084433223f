import type { PorStatusName } from './status';

/**
 * Every way the OTA codec refuses bytes or arguments: one table of codes, each with the PoR status a SIM
 * answers with when it meets the failure (STYLE.md examples 1 and 3). Messages are fixed per site and never
 * carry key material or payload bytes; details go in `detail` (safe to log) and `cause`.
 */
export const OTA_ERRORS = {
  /** The bytes are not a command/response packet: short, lengths disagree, no IEI 0x70/0x71, bad segments. */
  MALFORMED: { porStatus: 'unidentified-security-error' },
  /** A reserved code point in SPI, KIc or KID. */
  RESERVED_CODING: { porStatus: 'unidentified-security-error' },
  /** A coding we deliberately do not implement: DS, single DES, implicit or proprietary algorithms. */
  UNSUPPORTED_SECURITY: { porStatus: 'unidentified-security-error' },
  /** The key provider could not use the key (absent key version, wrong key type, provider failure). */
  KEY_UNAVAILABLE: { porStatus: 'unidentified-security-error' },
  /** The packet is larger than we ever process (bounded memory). */
  TOO_LARGE: { porStatus: 'insufficient-memory' },
  /** No application for this TAR. */
  TAR_UNKNOWN: { porStatus: 'tar-unknown' },
  /** The SPI asks for less than the TAR's minimum security level. */
  INSUFFICIENT_SECURITY: { porStatus: 'insufficient-security-level' },
  /** The secured data cannot be deciphered consistently. */
  CIPHERING_ERROR: { porStatus: 'ciphering-error' },
  /** RC/CC did not verify. */
  CHECKSUM_FAILED: { porStatus: 'rc-cc-ds-failed' },
  COUNTER_LOW: { porStatus: 'cntr-low' },
  COUNTER_HIGH: { porStatus: 'cntr-high' },
  COUNTER_BLOCKED: { porStatus: 'cntr-blocked' },
  /** Platform side: a PoR that does not answer the command we sent (TAR, counter, or security downgrade). */
  POR_MISMATCH: { porStatus: 'unidentified-security-error' },
  /** A caller passed arguments the builder cannot honour (counter out of range, payload too large, ...). */
  INVALID_ARGUMENT: { porStatus: 'unidentified-security-error' },
} as const satisfies Record<string, { porStatus: PorStatusName }>;

export type OtaErrorCode = keyof typeof OTA_ERRORS;

export class OtaError extends Error {
  override readonly name = 'OtaError';

  constructor(
    readonly code: OtaErrorCode,
    message: string,
    /** Loggable specifics (lengths, field names); never key material or payload. */
    readonly detail?: Readonly<Record<string, string | number | boolean>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The PoR status a receiving entity answers with for this failure. */
  get porStatus(): PorStatusName {
    return OTA_ERRORS[this.code].porStatus;
  }
}

export function isOtaError(err: unknown, code?: OtaErrorCode): err is OtaError {
  return err instanceof OtaError && (code === undefined || err.code === code);
}

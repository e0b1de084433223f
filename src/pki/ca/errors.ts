/**
 * Failures of the CA, CRL and certificate-status operations: a closed set of codes so that the CLI and the
 * API can switch on them, with messages meant for an operator (never key material or PINs).
 */
export const CA_ERROR_CODES = [
  /** `mssp ca init` has not been run: no root or issuing CA in the store. */
  'NOT_INITIALISED',
  /** `mssp ca init` refuses to make a second root. */
  'ALREADY_INITIALISED',
  /** A CA key is missing from the token, of the wrong type, or not the key of the CA certificate. */
  'KEY_PROBLEM',
  /** The request does not fit the profile (key type, names, validity). */
  'PROFILE_VIOLATION',
  /** No CA by that name. */
  'UNKNOWN_CA',
  /** No certificate with that serial number (for that CA). */
  'CERTIFICATE_NOT_FOUND',
  /** A status change that the lifecycle does not allow (reinstating a revoked certificate). */
  'INVALID_TRANSITION',
  /** An argument out of range (a date in the future for invalidityDate, an unknown reason). */
  'BAD_INPUT',
] as const;

export type CaErrorCode = (typeof CA_ERROR_CODES)[number];

export class CaError extends Error {
  override readonly name = 'CaError';

  constructor(
    readonly code: CaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCaError(err: unknown, code?: CaErrorCode): err is CaError {
  return err instanceof CaError && (code === undefined || err.code === code);
}

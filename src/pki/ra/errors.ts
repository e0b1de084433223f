/**
 * Failures of the registration authority, as a closed set of codes for the CLI (and later the operator
 * console and its REST API) to switch on. Messages are for the registration officer: they name the field
 * or the rule, never a key or a PIN.
 */
export const RA_ERROR_CODES = [
  /** Not an E.164 number with '+' and 8 to 15 digits. */
  'INVALID_MSISDN',
  /** Name, national identifier, date of birth, label, officer or mode missing or out of range. */
  'INVALID_IDENTITY',
  /** The PKCS#10 request is not well-formed DER (or PEM around it). */
  'INVALID_CSR',
  /** The PKCS#10 signature does not verify with the key it carries: no proof of possession. */
  'PROOF_OF_POSSESSION',
  /** The key is of a type or size the profile does not accept, or is the same for authentication and signature. */
  'KEY_NOT_ALLOWED',
  /** The key is already certified for another mobile ID. */
  'KEY_IN_USE',
  /** No mobile ID with that identifier (or bound to that MSISDN). */
  'MID_NOT_FOUND',
  /** Several mobile IDs match and the request does not say which. */
  'MID_AMBIGUOUS',
  /** The lifecycle does not allow it (reinstating a revoked mID, suspending a suspended one). */
  'INVALID_TRANSITION',
] as const;

export type RaErrorCode = (typeof RA_ERROR_CODES)[number];

export class RaError extends Error {
  override readonly name = 'RaError';

  constructor(
    readonly code: RaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRaError(err: unknown, code?: RaErrorCode): err is RaError {
  return err instanceof RaError && (code === undefined || err.code === code);
}

/**
 * The audit module's failures: one table of codes (HTTP status, whether the message may be shown to a caller),
 * one error class carrying the code, so `switch (err.code)` narrows and api/ maps them in one place.
 */
export const AUDIT_ERRORS = {
  /** An entry the log refuses: bad shape, unknown actor type, over-long field. */
  BAD_ENTRY: { status: 400, expose: true },
  /** details carries a key named like a PIN, password or secret: those never enter the log. */
  SECRET_FIELD: { status: 400, expose: true },
  /** A card number or national identifier under a key that names it, not masked with masking.ts. */
  UNMASKED_VALUE: { status: 400, expose: true },
  /** A proof asked for an entry or tree size the log or checkpoint does not have, or a malformed number. */
  OUT_OF_RANGE: { status: 400, expose: true },
  /** No checkpoint of that size, or none at all yet. */
  NOT_FOUND: { status: 404, expose: true },
  /** The stored entries no longer match a signed checkpoint: the log refuses to sign on top of them. */
  INCONSISTENT_LOG: { status: 500, expose: false },
  /** Time-stamps are required and the TSA gave none (or none is configured). */
  TIMESTAMP_FAILED: { status: 503, expose: false },
  /** A time-stamp token that is not a well-formed RFC 3161 token for the expected data. */
  BAD_TIMESTAMP: { status: 500, expose: false },
  /** The audit key is missing, ambiguous or produced a signature that does not verify. */
  KEY_PROBLEM: { status: 500, expose: false },
  /** A witness did not take a checkpoint (kept and retried). */
  WITNESS_FAILED: { status: 502, expose: false },
} as const satisfies Record<string, { status: number; expose: boolean }>;

export type AuditErrorCode = keyof typeof AUDIT_ERRORS;

export class AuditError extends Error {
  override readonly name = 'AuditError';

  constructor(
    readonly code: AuditErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get httpStatus(): number {
    return AUDIT_ERRORS[this.code].status;
  }

  /** Whether the message may go to an HTTP caller (otherwise only to the log). */
  get expose(): boolean {
    return AUDIT_ERRORS[this.code].expose;
  }
}

export function isAuditError(err: unknown, code?: AuditErrorCode): err is AuditError {
  return err instanceof AuditError && (code === undefined || err.code === code);
}

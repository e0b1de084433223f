/**
 * Payment failures as one typed table (STYLE.md examples 1-3): code → HTTP status of the REST binding's
 * problem+json → fixed text. Details travel in the message and `cause`; the text is what a merchant may be shown.
 */
export const MPS_ERRORS = {
  INVALID_REQUEST: { http: 400, text: 'The request is malformed.' },
  INVALID_AMOUNT: { http: 400, text: 'The amount must be a positive integer in minor units.' },
  AMOUNT_OUT_OF_RANGE: { http: 400, text: 'The amount does not fit in a signed 64-bit integer.' },
  UNKNOWN_CURRENCY: { http: 400, text: 'The currency is not an ISO 4217 code.' },
  CURRENCY_MISMATCH: { http: 422, text: 'The account holds another currency.' },
  UNKNOWN_ACCOUNT: { http: 404, text: 'The account is unknown.' },
  UNKNOWN_PARTICIPANT: { http: 404, text: 'The participant is unknown.' },
  SAME_ACCOUNT: { http: 422, text: 'A transfer needs two different accounts.' },
  INSUFFICIENT_FUNDS: { http: 422, text: 'The balance would fall below the account limit.' },
  BALANCE_OVERFLOW: { http: 422, text: 'The balance would leave the 64-bit range.' },
  NET_DEBIT_CAP_EXCEEDED: { http: 422, text: "The bank's net debit cap would be exceeded." },
  IDEMPOTENCY_CONFLICT: { http: 409, text: 'The id was used before with a different request.' },
  DUPLICATE_IN_BATCH: { http: 409, text: 'The id appears twice in one batch.' },
  UNKNOWN_TRANSFER: { http: 404, text: 'The transfer is unknown.' },
  TRANSFER_NOT_PENDING: { http: 409, text: 'The transfer is not a pending reservation.' },
  RESERVATION_EXPIRED: { http: 409, text: 'The reservation expired before it was committed.' },
  BAD_LINK: { http: 422, text: 'A refund or reversal must reverse a committed transfer between the same accounts.' },
  REFUND_EXCEEDS_ORIGINAL: { http: 422, text: 'Refunds would exceed the original amount.' },
  BATCH_TOO_LARGE: { http: 413, text: 'The batch holds too many operations.' },
  WINDOW_STATE: { http: 409, text: 'The settlement window is not in the state this step needs.' },
  UNKNOWN_WINDOW: { http: 404, text: 'The settlement window is unknown.' },
  UNKNOWN_CLIENT: { http: 404, text: 'No client with a payment account is known by that phone number.' },
  TICKET_UNKNOWN: { http: 404, text: 'No live one-time ticket has that code.' },
  TICKET_INVALID: { http: 422, text: "The ticket is not one the issuer signed." },
  TICKET_EXPIRED: { http: 410, text: 'The one-time ticket expired.' },
  TICKET_USED: { http: 409, text: 'The one-time ticket was used already.' },
  UNKNOWN_OFFER: { http: 404, text: 'The payment offer is unknown.' },
  OFFER_STATE: { http: 409, text: 'The payment offer is not in the state this step needs.' },
  OFFER_EXPIRED: { http: 410, text: 'The payment offer expired.' },
  SIGNATURE_INVALID: { http: 422, text: "The client's signature does not verify over the offer." },
  APPROVAL_CANCELLED: { http: 409, text: 'The client cancelled.' },
  APPROVAL_WRONG_PIN: { http: 409, text: 'The client could not give the right PIN.' },
  APPROVAL_TIMEOUT: { http: 408, text: 'The client did not answer in time.' },
  APPROVAL_FAILED: { http: 502, text: 'The approval could not be obtained.' },
  AMOUNT_OVER_LEVEL_LIMIT: { http: 422, text: "The amount is above what the merchant's agreement allows at the security level of the approval." },
  UNAUTHENTICATED: { http: 401, text: 'A valid API key is needed.' },
  FORBIDDEN: { http: 403, text: 'This API key may not do this.' },
  NOT_FOUND: { http: 404, text: 'There is no such resource.' },
  IDEMPOTENCY_KEY_REQUIRED: { http: 400, text: 'Every POST needs an Idempotency-Key header.' },
  CONTENT_TOO_LARGE: { http: 413, text: 'The request body is too large.' },
  INTERNAL_ERROR: { http: 500, text: 'The request could not be handled.' },
  UNKNOWN_INSTRUMENT: { http: 404, text: 'The payment instrument is unknown.' },
  INSTRUMENT_NOT_OWNED: { http: 403, text: 'The payment instrument belongs to another client.' },
  INSTRUMENT_STATE: { http: 409, text: 'The payment instrument is not active.' },
  CARD_NUMBER_REFUSED: { http: 400, text: "A card is enrolled by the issuer's token and the last four digits, never the full number." },
  UNKNOWN_PAYEE: { http: 404, text: 'No payee with a payment account in that currency is known by that number.' },
} as const satisfies Record<string, { http: number; text: string }>;

export type MpsErrorCode = keyof typeof MPS_ERRORS;

export class MpsError extends Error {
  override readonly name = 'MpsError';
  readonly code: MpsErrorCode;
  readonly http: number;

  constructor(code: MpsErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? MPS_ERRORS[code].text, options);
    this.code = code;
    this.http = MPS_ERRORS[code].http;
  }
}

export function isMpsError(err: unknown, code?: MpsErrorCode): err is MpsError {
  return err instanceof MpsError && (code === undefined || err.code === code);
}

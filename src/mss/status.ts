/**
 * ETSI TS 102 204 status codes, one typed table (STYLE.md examples 1-3), with the FiCom guideline 2.1
 * Appendix C split between SOAP faults (env:Sender / env:Receiver) and statuses carried in responses.
 * The REST binding's HTTP status per code is our design: the SOAP binding always answers 500 for a fault.
 */

export type StatusKind =
  /** Returned in the Status element of a response (MSS_SignatureResp, MSS_StatusResp, MSS_ReceiptResp). */
  | 'status'
  /** A SOAP fault whose cause is the AP's request (env:Sender). */
  | 'sender-fault'
  /** A SOAP fault whose cause is on our side or the user's (env:Receiver). */
  | 'receiver-fault';

interface StatusDefinition {
  readonly name: string;
  readonly kind: StatusKind;
  /** HTTP status of the REST binding's problem+json for faults; 200 (or 202 while pending) for statuses. */
  readonly http: number;
  readonly text: string;
}

export const STATUS_CODES = {
  100: { name: 'REQUEST_OK', kind: 'status', http: 202, text: 'Request accepted.' },
  101: { name: 'WRONG_PARAM', kind: 'sender-fault', http: 400, text: 'One or more of the request parameters is invalid.' },
  102: { name: 'MISSING_PARAM', kind: 'sender-fault', http: 400, text: 'A required request parameter is missing.' },
  103: { name: 'WRONG_DATA_LENGTH', kind: 'sender-fault', http: 400, text: 'DataToBeSigned is shorter or longer than permitted.' },
  104: { name: 'UNAUTHORIZED_ACCESS', kind: 'sender-fault', http: 403, text: 'The AP is unknown, its credentials are wrong, or it may not use what it asked for.' },
  105: { name: 'UNKNOWN_CLIENT', kind: 'sender-fault', http: 404, text: 'The user the request concerns is unknown.' },
  107: { name: 'INAPPROPRIATE_DATA', kind: 'sender-fault', http: 415, text: 'A MIME type or encoding of the data is not supported.' },
  108: { name: 'INCOMPATIBLE_INTERFACE', kind: 'sender-fault', http: 400, text: 'The interface version given by the AP is not supported.' },
  109: { name: 'UNSUPPORTED_PROFILE', kind: 'receiver-fault', http: 422, text: 'The signature profile is not supported.' },
  208: { name: 'EXPIRED_TRANSACTION', kind: 'receiver-fault', http: 408, text: 'The time limit of the transaction has been exceeded.' },
  209: { name: 'OTA_ERROR', kind: 'receiver-fault', http: 502, text: 'The user could not be reached over the air.' },
  401: { name: 'USER_CANCEL', kind: 'receiver-fault', http: 409, text: 'The user cancelled.' },
  402: { name: 'PIN_NR_BLOCKED', kind: 'receiver-fault', http: 409, text: 'The signature PIN is blocked.' },
  403: { name: 'CARD_BLOCKED', kind: 'receiver-fault', http: 409, text: 'The SIM card is blocked.' },
  404: { name: 'NO_KEY_FOUND', kind: 'receiver-fault', http: 409, text: 'The requested key was not found on the SIM.' },
  405: { name: 'NO_URL_FOUND', kind: 'receiver-fault', http: 502, text: 'No URL was found for the request.' },
  406: { name: 'PB_SIGNATURE_PROCESS', kind: 'receiver-fault', http: 502, text: 'The signature process on the handset failed.' },
  407: { name: 'REGISTRATION_NOK', kind: 'receiver-fault', http: 502, text: 'The registration failed.' },
  422: { name: 'NO_CERT_FOUND', kind: 'receiver-fault', http: 502, text: "The user's certificate could not be found." },
  423: { name: 'CRL_PB', kind: 'receiver-fault', http: 502, text: 'The revocation status could not be obtained.' },
  424: { name: 'CRL_EXPIRED', kind: 'receiver-fault', http: 502, text: 'The revocation information has expired and could not be renewed.' },
  425: { name: 'ERROR_CERTIFICATE', kind: 'receiver-fault', http: 502, text: "The user's certificate is invalid." },
  500: { name: 'SIGNATURE', kind: 'status', http: 200, text: 'The signature has been made; it has not been validated.' },
  501: { name: 'REVOKED_CERTIFICATE', kind: 'status', http: 200, text: "The signature has been made but the user's certificate is revoked." },
  502: { name: 'VALID_SIGNATURE', kind: 'status', http: 200, text: 'The signature has been made and found valid.' },
  503: { name: 'INVALID_SIGNATURE', kind: 'status', http: 200, text: 'The signature has been made but found invalid, or the certificate has expired.' },
  504: { name: 'OUTSTANDING_TRANSACTION', kind: 'status', http: 202, text: 'The signature response is not yet complete.' },
  505: { name: 'CONSTRAINT_MISMATCH', kind: 'status', http: 200, text: "The user's certificate does not meet the profile's additional conditions." },
  900: { name: 'INTERNAL_ERROR', kind: 'receiver-fault', http: 500, text: 'Internal error of the MSSP.' },
} as const satisfies Record<number, StatusDefinition>;

export type StatusCode = keyof typeof STATUS_CODES;
export type StatusName = (typeof STATUS_CODES)[StatusCode]['name'];
export type FaultCode = { [C in StatusCode]: (typeof STATUS_CODES)[C]['kind'] extends 'status' ? never : C }[StatusCode];

export function isStatusCode(n: number): n is StatusCode {
  return Object.prototype.hasOwnProperty.call(STATUS_CODES, n);
}

export function statusName(code: StatusCode): StatusName {
  return STATUS_CODES[code].name;
}

/**
 * A failure with a TS 102 204 fault code. `detail` may be shown to the AP only when `expose` is true;
 * anything else reaches the log and the audit trail, never the wire.
 */
export class MssFault<C extends FaultCode = FaultCode> extends Error {
  override readonly name = 'MssFault';
  readonly statusName: StatusName;
  constructor(
    readonly code: C,
    readonly detail?: string,
    readonly expose = true,
    options?: { cause?: unknown },
  ) {
    super(`${code} ${STATUS_CODES[code].name}${detail ? `: ${detail}` : ''}`, options);
    this.statusName = STATUS_CODES[code].name;
  }
}

/**
 * What a handset's outcome means to the AP (issue 5): cancel → 401, PIN blocked → 402, card blocked → 403,
 * no key → 404, timeout → 208, bad signature → 503.
 */
export const HANDSET_OUTCOME_STATUS = {
  'user-cancelled': 401,
  'pin-blocked': 402,
  'card-blocked': 403,
  'no-key': 404,
  timeout: 208,
  'bad-signature': 503,
} as const satisfies Record<string, StatusCode>;

import { statusName, statusValue, type CommandStatusName } from './status';

/**
 * Every failure of the SMPP channel is one of these classes. `code` is a closed union so `switch (err.code)`
 * narrows; `status` is the SMPP command_status the failure maps to on the wire (what we answer a peer
 * with, or what a peer answered us with). Messages are fixed per class; details go in fields.
 */
export type SmppErrorCode =
  | 'COMMAND_STATUS'
  | 'RESPONSE_TIMEOUT'
  | 'CONNECTION_LOST'
  | 'MALFORMED_PDU'
  | 'INVALID_ARGUMENT'
  | 'CLIENT_CLOSED'
  | 'BIND_REFUSED'
  | 'QUEUE_FULL'
  | 'MALFORMED_UDH'
  | 'MALFORMED_RECEIPT';

export abstract class SmppError extends Error {
  abstract readonly code: SmppErrorCode;
  /** command_status this failure corresponds to on the wire. */
  abstract readonly status: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  get statusName(): string {
    return statusName(this.status);
  }
}

/** The peer answered a request with a non-zero command_status (or a generic_nack). */
export class SmppCommandStatusError extends SmppError {
  readonly code = 'COMMAND_STATUS' as const;
  constructor(
    readonly status: number,
    /** The request that was refused, e.g. 'submit_sm'. */
    readonly command: string,
    /** The command that carried the refusal: the matching _resp, or 'generic_nack'. */
    readonly answeredWith: string,
  ) {
    super(`${command} refused: ${statusName(status)}`);
  }
}

/** No response within the response timeout: the request's outcome at the peer is unknown. */
export class SmppResponseTimeoutError extends SmppError {
  readonly code = 'RESPONSE_TIMEOUT' as const;
  readonly status = statusValue('ESME_RUNKNOWNERR');
  constructor(
    readonly command: string,
    readonly sequenceNumber: number,
    readonly timeoutMs: number,
  ) {
    super(`no response to ${command} within ${timeoutMs} ms`);
  }
}

/** The connection closed while the request waited: `sent` says whether it reached the socket. */
export class SmppConnectionLostError extends SmppError {
  readonly code = 'CONNECTION_LOST' as const;
  readonly status = statusValue('ESME_RUNKNOWNERR');
  constructor(
    readonly command: string,
    readonly sent: boolean,
  ) {
    super(`connection lost before the response to ${command}`);
  }
}

/** A PDU we cannot accept: the status is what we answer (generic_nack or the command's _resp). */
export class SmppMalformedPduError extends SmppError {
  readonly code = 'MALFORMED_PDU' as const;
  readonly status: number;
  constructor(
    statusName: CommandStatusName,
    readonly reason: string,
    readonly commandId?: number,
    readonly sequenceNumber?: number,
  ) {
    super(`malformed PDU: ${reason}`);
    this.status = statusValue(statusName);
  }
}

/** Our caller asked for something SMPP cannot carry (field too long, short_message over 254 octets...). */
export class SmppInvalidArgumentError extends SmppError {
  readonly code = 'INVALID_ARGUMENT' as const;
  readonly status: number;
  constructor(
    readonly field: string,
    readonly reason: string,
    statusName: CommandStatusName = 'ESME_RSYSERR',
  ) {
    super(`invalid ${field}: ${reason}`);
    this.status = statusValue(statusName);
  }
}

/** The client or pool was closed: queued messages are not sent. */
export class SmppClientClosedError extends SmppError {
  readonly code = 'CLIENT_CLOSED' as const;
  readonly status = statusValue('ESME_RUNKNOWNERR');
  constructor() {
    super('SMPP client closed');
  }
}

/** The SMSC refused our bind with a status that will not change by retrying (password, system_id, IP). */
export class SmppBindRefusedError extends SmppError {
  readonly code = 'BIND_REFUSED' as const;
  constructor(
    readonly status: number,
    readonly systemId: string,
  ) {
    super(`bind refused: ${statusName(status)}`);
  }
}

/** The outbound queue is at its limit: the caller must slow down. */
export class SmppQueueFullError extends SmppError {
  readonly code = 'QUEUE_FULL' as const;
  readonly status = statusValue('ESME_RMSGQFUL');
  constructor(readonly limit: number) {
    super(`outbound queue full (${limit} messages)`);
  }
}

/** A User Data Header that does not fit its message or whose elements overrun it (3GPP TS 23.040 §9.2.3.24). */
export class SmppUdhError extends SmppError {
  readonly code = 'MALFORMED_UDH' as const;
  readonly status = statusValue('ESME_RX_P_APPN');
  constructor(readonly reason: string) {
    super(`malformed user data header: ${reason}`);
  }
}

/** A delivery receipt with neither usable TLVs nor the text format of SMPP 3.4 Appendix B. */
export class SmppReceiptError extends SmppError {
  readonly code = 'MALFORMED_RECEIPT' as const;
  readonly status = statusValue('ESME_RX_P_APPN');
  constructor(readonly reason: string) {
    super(`malformed delivery receipt: ${reason}`);
  }
}

export type AnySmppError =
  | SmppCommandStatusError
  | SmppResponseTimeoutError
  | SmppConnectionLostError
  | SmppMalformedPduError
  | SmppInvalidArgumentError
  | SmppClientClosedError
  | SmppBindRefusedError
  | SmppQueueFullError
  | SmppUdhError
  | SmppReceiptError;

export function isSmppError(value: unknown): value is AnySmppError {
  return value instanceof SmppError;
}

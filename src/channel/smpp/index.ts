/**
 * The SMPP 3.4 part of the mobile channel: the platform's ESME (and a pool of binds), the session and
 * codec it is built on (shared with the SMSC simulator in hsm-sim/smsc), concatenated SMS and delivery
 * receipts. See README.md in this folder for what is implemented and the decisions behind it.
 */
export { EsmeClient } from './esme-client';
export type { EsmeEvents, EsmeState, EsmeStats, InboundMessage, OutboundMessage, ReceiptEvent, SubmitResult } from './esme-client';
export { EsmePool } from './esme-pool';
export { ESME_OPTION_DOCS, OPTIONS_TABLE_BEGIN, OPTIONS_TABLE_END, esmeOptionsMarkdown, resolveEsmeOptions } from './options';
export type { EsmeClientOptions, OptionDoc, ResolvedEsmeOptions } from './options';
export { SmppSession, socket4 } from './session';
export type { SessionOptions, SessionState } from './session';
export { decodePdu, encodePdu, readHeader, responseCommandFor, PACKAGE_MAX_FRAME } from './codec';
export { FrameGuard, DEFAULT_SKIP_LIMIT, HEADER_OCTETS } from './frame-guard';
export type { FrameEvent, FrameGuardOptions, InvalidFrameReason } from './frame-guard';
export {
  COMMAND_ID,
  ESM_CLASS,
  MAX_SHORT_MESSAGE_OCTETS,
  REGISTERED_DELIVERY,
  SMPP_VERSION_34,
  commandName,
  isRequestPdu,
  isResponseId,
} from './pdu';
export type {
  BindCommand,
  BindPdu,
  BindRespCommand,
  BindRespPdu,
  CommandName,
  EmptyCommand,
  EmptyPdu,
  MessageIdRespCommand,
  MessageIdRespPdu,
  Pdu,
  PduHeader,
  PduInput,
  RawTlv,
  SmCommand,
  SmPdu,
  SmTlvs,
  UnsupportedPdu,
} from './pdu';
export { COMMAND_STATUS, isBackoffStatus, isKnownStatus, statusName, statusValue } from './status';
export type { CommandStatusName } from './status';
export {
  SmppBindRefusedError,
  SmppClientClosedError,
  SmppCommandStatusError,
  SmppConnectionLostError,
  SmppError,
  SmppInvalidArgumentError,
  SmppMalformedPduError,
  SmppQueueFullError,
  SmppReceiptError,
  SmppResponseTimeoutError,
  SmppUdhError,
  isSmppError,
} from './errors';
export type { AnySmppError, SmppErrorCode } from './errors';
export { IEI, USER_DATA_OCTETS, concatElement, concatInfo, encodeUdh, parseUserData } from './udh';
export type { ConcatInfo, InformationElement, UserData } from './udh';
export { Reassembler, alphabetOf, capacity, splitMessage } from './concat';
export type { Alphabet, Assembled, ReassemblerOptions, SplitInput, SplitResult } from './concat';
export {
  MESSAGE_STATE,
  formatReceiptText,
  isDeliveryReceipt,
  messageIdVariants,
  messageStateOf,
  parseDeliveryReceipt,
  parseReceiptText,
  receiptDate,
} from './delivery-receipt';
export type { DeliveryReceipt, MessageState, ReceiptText, ReceiptTextInput } from './delivery-receipt';
export { TokenBucket, backoffDelay } from './rate';
export type { BackoffPolicy } from './rate';

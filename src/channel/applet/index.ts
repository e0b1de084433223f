/**
 * The signature applet's message format, v1: FORMAT.md in this folder is the reference.
 */
export { APPLET_ERRORS, AppletError, isAppletError } from './errors';
export type { AppletErrorCode } from './errors';
export {
  GSM7_ESCAPE,
  canEncodeGsm7,
  decodeGsm7,
  encodeGsm7,
  gsm7Septets,
  packSeptets,
  septetsToText,
  unpackSeptets,
} from './gsm7';
export { MAX_DISPLAY, decodeDisplayText, encodeDisplayText } from './text';
export type { DisplayLimits, TextCoding } from './text';
export { FORMAT_VERSION, MESSAGE_TYPE } from './tlv';
export type { MessageType } from './tlv';
export {
  HASH_ALGORITHMS,
  KEY_REFERENCES,
  LIMITS,
  MAX_REQUEST_OCTETS,
  OPERATIONS,
  REQUEST_TAG,
  SIGNATURE_ALGORITHMS,
  SIGNATURE_FORMATS,
  decodeRequest,
  encodeRequest,
} from './request';
export type {
  AppletRequest,
  CodecOptions,
  HashAlgorithm,
  KeyReference,
  Operation,
  ReceiptRequest,
  SignatureAlgorithm,
  SignatureFormat,
  SigningOperation,
  SigningRequest,
  ToBeSigned,
} from './request';
export {
  CERTIFICATE_REF_KINDS,
  MAX_RESPONSE_OCTETS,
  MAX_SIGNATURE_OCTETS,
  OUTCOMES,
  RESPONSE_TAG,
  checkResponseMatches,
  decodeResponse,
  encodeResponse,
} from './response';
export type { AppletResponse, Outcome } from './response';
export { MAX_ORDER_MESSAGE_OCTETS, MAX_ORDER_OCTETS, ORDER_TAG, decodeClientOrder, encodeClientOrder } from './order';
export type { ClientOrder } from './order';

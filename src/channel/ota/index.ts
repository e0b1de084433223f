/**
 * SIM OTA secured packets for SMS-PP: ETSI TS 102 225 + 3GPP TS 31.115. See README.md in this folder for
 * what is implemented, the sources of each layout, and what is left open.
 */
export { buildCommandPacket, checkCounter, openCommandPacket, receiveCommand, MAX_COUNTER } from './command-packet';
export type { BuiltCommandPacket, CommandHeader, CommandOutcome, CommandPacketInput, SimOtaContext, SimTarProfile } from './command-packet';
export { answerCommand, buildResponsePacket, openResponse, parseResponsePacket } from './response-packet';
export type { AnswerOptions, BuiltResponsePacket, PorExpectation, PorMessage, ProofOfReceipt, ResponsePacketInput } from './response-packet';
export { OTA_CHECKSUMS, OTA_CIPHERS, zeroIv } from './crypto';
export type { CipherDirection, OtaCrypto, OtaKeyRef } from './crypto';
export { softwareOtaCrypto } from './software-crypto';
export type { SoftwareOtaKey } from './software-crypto';
export { aesCmac, cmacSubkeys } from './cmac';
export { crc16x25, crc32, redundancyCheck } from './crc';
export { OTA_ERRORS, OtaError, isOtaError } from './errors';
export type { OtaErrorCode } from './errors';
export { POR_STATUS, isPorStatusCode, porStatusCode, porStatusName } from './status';
export type { PorStatusCategory, PorStatusCode, PorStatusName } from './status';
export {
  decodeKic,
  decodeKid,
  decodeMsl,
  decodeSpi,
  encodeKic,
  encodeKid,
  encodeMsl,
  encodeSpi,
  meetsMinimumSecurity,
} from './spi';
export type {
  CcAlgorithm,
  ChecksumKind,
  CipherAlgorithm,
  CounterMode,
  Kic,
  KicAlgorithm,
  Kid,
  KidAlgorithm,
  MinimumSecurityLevel,
  PorRequest,
  PorTransport,
  RcAlgorithm,
  Spi,
} from './spi';
export { resolveSecurity } from './security';
export type { CheckSpec, CipherSpec, PacketSecurity } from './security';
export {
  IEI_COMMAND_PACKET,
  IEI_RESPONSE_PACKET,
  OTA_MAX_PACKET_OCTETS,
  OTA_SMS_DCS,
  OTA_SMS_PID,
  SM_USER_DATA_OCTETS,
  packetToUserData,
  parseUserDataHeader,
  userDataToPacket,
} from './sms';
export type { PacketIei, UserDataHeader } from './sms';

/**
 * The PDUs the channel speaks, as typed values (SMPP v3.4 §4). Field names are the spec's, in camelCase.
 * Octet fields (short_message, message_payload, network_error_code) stay Buffers: binary SIM OTA packets
 * must pass through untouched, so nothing here converts text.
 */

/** command_id values of SMPP v3.4 §5.1.2.1. */
export const COMMAND_ID = {
  generic_nack: 0x80000000,
  bind_receiver: 0x00000001,
  bind_receiver_resp: 0x80000001,
  bind_transmitter: 0x00000002,
  bind_transmitter_resp: 0x80000002,
  query_sm: 0x00000003,
  query_sm_resp: 0x80000003,
  submit_sm: 0x00000004,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  deliver_sm_resp: 0x80000005,
  unbind: 0x00000006,
  unbind_resp: 0x80000006,
  replace_sm: 0x00000007,
  replace_sm_resp: 0x80000007,
  cancel_sm: 0x00000008,
  cancel_sm_resp: 0x80000008,
  bind_transceiver: 0x00000009,
  bind_transceiver_resp: 0x80000009,
  outbind: 0x0000000b,
  enquire_link: 0x00000015,
  enquire_link_resp: 0x80000015,
  submit_multi: 0x00000021,
  submit_multi_resp: 0x80000021,
  alert_notification: 0x00000102,
  data_sm: 0x00000103,
  data_sm_resp: 0x80000103,
} as const;

export type CommandName = keyof typeof COMMAND_ID;

const NAME_BY_ID: ReadonlyMap<number, CommandName> = new Map(
  (Object.keys(COMMAND_ID) as CommandName[]).map((name) => [COMMAND_ID[name], name]),
);

export function commandName(id: number): CommandName | undefined {
  return NAME_BY_ID.get(id >>> 0);
}

export function isResponseId(id: number): boolean {
  return (id & 0x80000000) !== 0;
}

/** interface_version we bind with and announce: SMPP 3.4 (§5.2.4). */
export const SMPP_VERSION_34 = 0x34;

/** esm_class bits (§5.2.12). */
export const ESM_CLASS = {
  /** bits 5-2: message type. */
  TYPE_MASK: 0x3c,
  TYPE_DEFAULT: 0x00,
  TYPE_DELIVERY_RECEIPT: 0x04,
  TYPE_DELIVERY_ACK: 0x08,
  TYPE_USER_ACK: 0x10,
  TYPE_CONVERSATION_ABORT: 0x18,
  TYPE_INTERMEDIATE_NOTIFICATION: 0x20,
  /** bit 6: short_message starts with a User Data Header. */
  UDHI: 0x40,
  REPLY_PATH: 0x80,
} as const;

/** registered_delivery bits 1-0 (§5.2.17): which final outcomes produce an SMSC delivery receipt. */
export const REGISTERED_DELIVERY = {
  NONE: 0x00,
  ON_SUCCESS_OR_FAILURE: 0x01,
  ON_FAILURE: 0x02,
} as const;

/** Largest sm_length (§5.2.21): longer content goes in message_payload or is split. */
export const MAX_SHORT_MESSAGE_OCTETS = 254;

export interface PduHeader {
  readonly commandStatus: number;
  readonly sequenceNumber: number;
}

export type BindCommand = 'bind_transceiver' | 'bind_transmitter' | 'bind_receiver';
export type BindRespCommand = `${BindCommand}_resp`;

export interface BindPdu extends PduHeader {
  readonly command: BindCommand;
  readonly systemId: string;
  readonly password: string;
  readonly systemType: string;
  readonly interfaceVersion: number;
  readonly addrTon: number;
  readonly addrNpi: number;
  readonly addressRange: string;
}

export interface BindRespPdu extends PduHeader {
  readonly command: BindRespCommand;
  readonly systemId: string;
  /** sc_interface_version TLV (§5.3.2.25): the SMSC's SMPP version, when it says. */
  readonly scInterfaceVersion?: number;
}

/** The optional parameters (§5.3.2) the channel reads and writes on submit_sm / deliver_sm. */
export interface SmTlvs {
  readonly messagePayload?: Buffer;
  readonly receiptedMessageId?: string;
  readonly messageState?: number;
  readonly networkErrorCode?: Buffer;
  readonly userMessageReference?: number;
  readonly sarMsgRefNum?: number;
  readonly sarTotalSegments?: number;
  readonly sarSegmentSeqnum?: number;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
  readonly payloadType?: number;
  readonly moreMessagesToSend?: number;
}

/** A TLV we do not model: kept so nothing a peer sends is silently invisible. */
export interface RawTlv {
  readonly tag: number;
  readonly value: Buffer;
}

export type SmCommand = 'submit_sm' | 'deliver_sm';

export interface SmPdu extends PduHeader {
  readonly command: SmCommand;
  readonly serviceType: string;
  readonly sourceAddrTon: number;
  readonly sourceAddrNpi: number;
  readonly sourceAddr: string;
  readonly destAddrTon: number;
  readonly destAddrNpi: number;
  readonly destinationAddr: string;
  readonly esmClass: number;
  readonly protocolId: number;
  readonly priorityFlag: number;
  readonly scheduleDeliveryTime: string;
  readonly validityPeriod: string;
  readonly registeredDelivery: number;
  readonly replaceIfPresentFlag: number;
  readonly dataCoding: number;
  readonly smDefaultMsgId: number;
  /** The octets of short_message exactly as on the wire (UDH included when esm_class has UDHI). */
  readonly shortMessage: Buffer;
  readonly tlvs: SmTlvs;
  /** On decode only: TLVs outside SmTlvs. */
  readonly otherTlvs?: readonly RawTlv[];
}

export type MessageIdRespCommand = 'submit_sm_resp' | 'deliver_sm_resp' | 'data_sm_resp';

export interface MessageIdRespPdu extends PduHeader {
  readonly command: MessageIdRespCommand;
  readonly messageId: string;
}

export type EmptyCommand = 'enquire_link' | 'enquire_link_resp' | 'unbind' | 'unbind_resp' | 'generic_nack';

export interface EmptyPdu extends PduHeader {
  readonly command: EmptyCommand;
}

/** A well-formed PDU of a command the channel does not serve (query_sm, cancel_sm, data_sm, ...). */
export interface UnsupportedPdu extends PduHeader {
  readonly command: 'unsupported';
  readonly commandId: number;
  readonly name: CommandName | undefined;
}

export type Pdu = BindPdu | BindRespPdu | SmPdu | MessageIdRespPdu | EmptyPdu | UnsupportedPdu;

/** A PDU to encode: status and sequence are set by the session; everything optional has the spec's default. */
export type PduInput =
  | (Partial<Omit<BindPdu, 'command' | 'systemId'>> & Pick<BindPdu, 'command' | 'systemId'>)
  | (Partial<Omit<BindRespPdu, 'command'>> & Pick<BindRespPdu, 'command'>)
  | (Partial<Omit<SmPdu, 'command' | 'destinationAddr' | 'otherTlvs'>> & Pick<SmPdu, 'command' | 'destinationAddr'>)
  | (Partial<Omit<MessageIdRespPdu, 'command'>> & Pick<MessageIdRespPdu, 'command'>)
  | (Partial<PduHeader> & { readonly command: EmptyCommand });

export function isRequestPdu(pdu: Pdu): boolean {
  if (pdu.command === 'unsupported') return !isResponseId(pdu.commandId);
  return !isResponseId(COMMAND_ID[pdu.command]);
}

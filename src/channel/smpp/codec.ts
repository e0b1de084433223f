import * as smpp from 'smpp';
import {
  SmppInvalidArgumentError,
  SmppMalformedPduError,
} from './errors';
import {
  COMMAND_ID,
  MAX_SHORT_MESSAGE_OCTETS,
  commandName,
  isResponseId,
  type CommandName,
  type Pdu,
  type PduInput,
  type RawTlv,
  type SmTlvs,
} from './pdu';
import type { CommandStatusName } from './status';

/**
 * PDU encode/decode, with the `smpp` package doing the field-table work and us guarding it.
 *
 * Decision (see README.md): we own the socket and the framing, and use the package only as a codec.
 * Its Session reads straight from the socket and, after one malformed PDU, throws inside its read loop and
 * never reads again; it has no response timeouts, window or throttle; and its read filters turn octets
 * into text by data_coding and strip the UDH length byte. Wrapping its socket would leave all of that in
 * the path of every byte. So:
 *   1. frame-guard.ts cuts the byte stream into frames by command_length (rejecting < 16 and > max);
 *   2. checkStructure() below walks each frame against the package's own parameter table with bounds
 *      checks, so the package's reader is only ever handed a frame whose every field lies inside it;
 *   3. the package decodes the mandatory parameters with its text/UDH filters switched off (raw octets);
 *   4. TLVs come from our walk: the package's C-octet-string TLV reader runs past the TLV's own length.
 * Encoding goes through the package's PDU.toBuffer after we check every value, because its writer throws
 * on a short_message over 255 octets and would silently truncate non-ASCII strings.
 */

const HEADER_LENGTH = 16;

/** Largest frame the package's parser accepts; our own maximum must not exceed it. */
export const PACKAGE_MAX_FRAME = smpp.PDU.maxLength;

/** C-Octet String sizes including the NUL (SMPP v3.4 §4 tables), with the status a too-long value earns. */
const CSTRING_LIMITS: Readonly<Record<string, { readonly max: number; readonly status: CommandStatusName }>> = {
  system_id: { max: 16, status: 'ESME_RINVSYSID' },
  password: { max: 9, status: 'ESME_RINVPASWD' },
  system_type: { max: 13, status: 'ESME_RINVSYSTYP' },
  address_range: { max: 41, status: 'ESME_RINVPARLEN' },
  service_type: { max: 6, status: 'ESME_RINVSERTYP' },
  source_addr: { max: 21, status: 'ESME_RINVSRCADR' },
  destination_addr: { max: 21, status: 'ESME_RINVDSTADR' },
  schedule_delivery_time: { max: 17, status: 'ESME_RINVSCHED' },
  validity_period: { max: 17, status: 'ESME_RINVEXPIRY' },
  message_id: { max: 65, status: 'ESME_RINVMSGID' },
  final_date: { max: 17, status: 'ESME_RINVPARLEN' },
  esme_addr: { max: 65, status: 'ESME_RINVPARLEN' },
};

/** TLV tags of §5.3.2 that SmTlvs models, with their fixed value size (undefined: variable). */
const TLV = {
  messagePayload: { tag: 0x0424, size: undefined, name: 'message_payload' },
  receiptedMessageId: { tag: 0x001e, size: undefined, name: 'receipted_message_id' },
  messageState: { tag: 0x0427, size: 1, name: 'message_state' },
  networkErrorCode: { tag: 0x0423, size: 3, name: 'network_error_code' },
  userMessageReference: { tag: 0x0204, size: 2, name: 'user_message_reference' },
  sarMsgRefNum: { tag: 0x020c, size: 2, name: 'sar_msg_ref_num' },
  sarTotalSegments: { tag: 0x020e, size: 1, name: 'sar_total_segments' },
  sarSegmentSeqnum: { tag: 0x020f, size: 1, name: 'sar_segment_seqnum' },
  sourcePort: { tag: 0x020a, size: 2, name: 'source_port' },
  destinationPort: { tag: 0x020b, size: 2, name: 'dest_port' },
  payloadType: { tag: 0x0019, size: 1, name: 'payload_type' },
  moreMessagesToSend: { tag: 0x0426, size: 1, name: 'more_messages_to_send' },
} as const satisfies Record<keyof SmTlvs, { tag: number; size: number | undefined; name: string }>;

const TLV_KEYS = Object.keys(TLV) as (keyof SmTlvs)[];
const TLV_BY_TAG: ReadonlyMap<number, keyof SmTlvs> = new Map(TLV_KEYS.map((k) => [TLV[k].tag, k]));
const TAG_SC_INTERFACE_VERSION = 0x0210;
/** Largest TLV value we write (a u16 length field). */
const MAX_TLV_VALUE = 0xffff;

interface Header {
  readonly commandLength: number;
  readonly commandId: number;
  readonly commandStatus: number;
  readonly sequenceNumber: number;
}

export function readHeader(frame: Buffer): Header {
  return {
    commandLength: frame.readUInt32BE(0),
    commandId: frame.readUInt32BE(4),
    commandStatus: frame.readUInt32BE(8),
    sequenceNumber: frame.readUInt32BE(12),
  };
}

/** Walks the mandatory parameters and TLVs of a frame within its bounds; returns the TLVs seen. */
function checkStructure(frame: Buffer, header: Header, definition: smpp.CommandDefinition): RawTlv[] {
  const fail = (status: CommandStatusName, reason: string): never => {
    throw new SmppMalformedPduError(status, reason, header.commandId, header.sequenceNumber);
  };
  const end = frame.length;
  let at = HEADER_LENGTH;
  const params = definition.params ?? {};
  const names = Object.keys(params);
  // A request with status 0 must carry every mandatory parameter; responses (and error responses) may
  // stop early, as several SMSCs send deliver_sm_resp / bind_resp with an empty body.
  const mustBeComplete = !isResponseId(header.commandId) && header.commandStatus === 0;
  for (const name of names) {
    if (at >= end) {
      if (mustBeComplete) fail('ESME_RINVCMDLEN', `${definition.command}: ${name} missing`);
      return [];
    }
    const type = params[name]?.type;
    if (type === smpp.types.int8) at += 1;
    else if (type === smpp.types.int16) at += 2;
    else if (type === smpp.types.int32) at += 4;
    else if (type === smpp.types.cstring) {
      const nul = frame.indexOf(0, at);
      if (nul < 0) fail('ESME_RINVCMDLEN', `${definition.command}: ${name} not NUL-terminated`);
      const limit = CSTRING_LIMITS[name];
      if (limit !== undefined && nul - at + 1 > limit.max) fail(limit.status, `${definition.command}: ${name} longer than ${limit.max - 1}`);
      at = nul + 1;
    } else if (type === smpp.types.buffer || type === smpp.types.string) {
      const length = frame[at];
      if (length === undefined || at + 1 + length > end) fail('ESME_RINVCMDLEN', `${definition.command}: ${name} overruns the PDU`);
      at += 1 + (length ?? 0);
    } else if (type === smpp.types.dest_address_array || type === smpp.types.unsuccess_sme_array) {
      at = walkAddressArray(frame, at, type === smpp.types.unsuccess_sme_array, fail);
    } else {
      fail('ESME_RSYSERR', `${definition.command}: unknown field type for ${name}`);
    }
    if (at > end) fail('ESME_RINVCMDLEN', `${definition.command}: ${name} overruns the PDU`);
  }
  const tlvs: RawTlv[] = [];
  while (at < end) {
    if (at + 4 > end) fail('ESME_RINVOPTPARSTREAM', `${definition.command}: ${end - at} stray octets after the TLVs`);
    const tag = frame.readUInt16BE(at);
    const length = frame.readUInt16BE(at + 2);
    if (at + 4 + length > end) fail('ESME_RINVOPTPARSTREAM', `${definition.command}: TLV 0x${tag.toString(16)} overruns the PDU`);
    const key = TLV_BY_TAG.get(tag);
    const size = key === undefined ? (tag === TAG_SC_INTERFACE_VERSION ? 1 : undefined) : TLV[key].size;
    if (size !== undefined && length !== size) fail('ESME_RINVPARLEN', `${definition.command}: TLV 0x${tag.toString(16)} has length ${length}, not ${size}`);
    tlvs.push({ tag, value: Buffer.from(frame.subarray(at + 4, at + 4 + length)) });
    at += 4 + length;
  }
  return tlvs;
}

function walkAddressArray(frame: Buffer, start: number, unsuccess: boolean, fail: (s: CommandStatusName, r: string) => never): number {
  let at = start;
  const count = frame[at];
  if (count === undefined) return fail('ESME_RINVCMDLEN', 'address list overruns the PDU');
  at += 1;
  for (let i = 0; i < count; i += 1) {
    const flag = unsuccess ? 1 : frame[at++];
    if (flag === undefined) return fail('ESME_RINVCMDLEN', 'address list overruns the PDU');
    if (flag === 1) at += 2;
    const nul = frame.indexOf(0, at);
    if (nul < 0) return fail('ESME_RINVCMDLEN', 'address not NUL-terminated');
    at = nul + 1 + (unsuccess ? 4 : 0);
    if (at > frame.length) return fail('ESME_RINVCMDLEN', 'address list overruns the PDU');
  }
  return at;
}

function cstringTlv(value: Buffer): string {
  const nul = value.indexOf(0);
  return value.subarray(0, nul < 0 ? value.length : nul).toString('latin1');
}

function decodeTlvs(raw: readonly RawTlv[]): { tlvs: SmTlvs; other: RawTlv[]; scInterfaceVersion?: number } {
  const tlvs: { -readonly [K in keyof SmTlvs]: SmTlvs[K] } = {};
  const other: RawTlv[] = [];
  let scInterfaceVersion: number | undefined;
  for (const t of raw) {
    const key = TLV_BY_TAG.get(t.tag);
    if (t.tag === TAG_SC_INTERFACE_VERSION) scInterfaceVersion = t.value[0];
    switch (key) {
      case 'messagePayload':
      case 'networkErrorCode':
        tlvs[key] = t.value;
        break;
      case 'receiptedMessageId':
        tlvs.receiptedMessageId = cstringTlv(t.value);
        break;
      case 'messageState':
      case 'sarTotalSegments':
      case 'sarSegmentSeqnum':
      case 'payloadType':
      case 'moreMessagesToSend':
        tlvs[key] = t.value.readUInt8(0);
        break;
      case 'userMessageReference':
      case 'sarMsgRefNum':
      case 'sourcePort':
      case 'destinationPort':
        tlvs[key] = t.value.readUInt16BE(0);
        break;
      case undefined:
        if (t.tag !== TAG_SC_INTERFACE_VERSION) other.push(t);
        break;
    }
  }
  return scInterfaceVersion === undefined ? { tlvs, other } : { tlvs, other, scInterfaceVersion };
}

/** Runs the package's decoder with its filters off: octets stay octets, UDH stays in short_message. */
function packageDecode(frame: Buffer): smpp.PDU {
  const pdu = Object.create(smpp.PDU.prototype) as smpp.PDU;
  Object.defineProperty(pdu, '_filter', { value: () => undefined, enumerable: false });
  pdu.fromBuffer(frame);
  return pdu;
}

function str(pdu: smpp.PDU, key: string): string {
  const v = pdu[key];
  return typeof v === 'string' ? v : '';
}

function u8(pdu: smpp.PDU, key: string): number {
  const v = pdu[key];
  return typeof v === 'number' ? v : 0;
}

function octets(pdu: smpp.PDU, key: string): Buffer {
  const v = pdu[key];
  return Buffer.isBuffer(v) ? Buffer.from(v) : Buffer.alloc(0);
}

/**
 * Decodes one frame (exactly command_length octets, as frame-guard.ts delivers them).
 * Throws only SmppMalformedPduError, whose status is what the peer should be answered with.
 */
export function decodePdu(frame: Buffer): Pdu {
  if (frame.length < HEADER_LENGTH) throw new SmppMalformedPduError('ESME_RINVCMDLEN', `frame of ${frame.length} octets`);
  const header = readHeader(frame);
  if (header.commandLength !== frame.length) {
    throw new SmppMalformedPduError('ESME_RINVCMDLEN', 'command_length differs from the frame', header.commandId, header.sequenceNumber);
  }
  if (header.commandLength > PACKAGE_MAX_FRAME) {
    throw new SmppMalformedPduError('ESME_RINVCMDLEN', 'frame over the codec maximum', header.commandId, header.sequenceNumber);
  }
  const name = commandName(header.commandId);
  const definition = smpp.commandsById[header.commandId];
  if (name === undefined || definition === undefined) {
    throw new SmppMalformedPduError('ESME_RINVCMDID', `unknown command_id 0x${header.commandId.toString(16)}`, header.commandId, header.sequenceNumber);
  }
  const rawTlvs = checkStructure(frame, header, definition);
  let pdu: smpp.PDU;
  try {
    pdu = packageDecode(frame);
  } catch (cause) {
    // checkStructure should make this unreachable; if the package still throws, the peer gets a nack, not us a crash.
    throw new SmppMalformedPduError('ESME_RINVCMDLEN', `undecodable ${name}: ${String(cause)}`, header.commandId, header.sequenceNumber);
  }
  const base = { commandStatus: header.commandStatus, sequenceNumber: header.sequenceNumber };
  switch (name) {
    case 'bind_transceiver':
    case 'bind_transmitter':
    case 'bind_receiver':
      return {
        ...base,
        command: name,
        systemId: str(pdu, 'system_id'),
        password: str(pdu, 'password'),
        systemType: str(pdu, 'system_type'),
        interfaceVersion: u8(pdu, 'interface_version'),
        addrTon: u8(pdu, 'addr_ton'),
        addrNpi: u8(pdu, 'addr_npi'),
        addressRange: str(pdu, 'address_range'),
      };
    case 'bind_transceiver_resp':
    case 'bind_transmitter_resp':
    case 'bind_receiver_resp': {
      const { scInterfaceVersion } = decodeTlvs(rawTlvs);
      return scInterfaceVersion === undefined
        ? { ...base, command: name, systemId: str(pdu, 'system_id') }
        : { ...base, command: name, systemId: str(pdu, 'system_id'), scInterfaceVersion };
    }
    case 'submit_sm':
    case 'deliver_sm': {
      const { tlvs, other } = decodeTlvs(rawTlvs);
      return {
        ...base,
        command: name,
        serviceType: str(pdu, 'service_type'),
        sourceAddrTon: u8(pdu, 'source_addr_ton'),
        sourceAddrNpi: u8(pdu, 'source_addr_npi'),
        sourceAddr: str(pdu, 'source_addr'),
        destAddrTon: u8(pdu, 'dest_addr_ton'),
        destAddrNpi: u8(pdu, 'dest_addr_npi'),
        destinationAddr: str(pdu, 'destination_addr'),
        esmClass: u8(pdu, 'esm_class'),
        protocolId: u8(pdu, 'protocol_id'),
        priorityFlag: u8(pdu, 'priority_flag'),
        scheduleDeliveryTime: str(pdu, 'schedule_delivery_time'),
        validityPeriod: str(pdu, 'validity_period'),
        registeredDelivery: u8(pdu, 'registered_delivery'),
        replaceIfPresentFlag: u8(pdu, 'replace_if_present_flag'),
        dataCoding: u8(pdu, 'data_coding'),
        smDefaultMsgId: u8(pdu, 'sm_default_msg_id'),
        shortMessage: octets(pdu, 'short_message'),
        tlvs,
        otherTlvs: other,
      };
    }
    case 'submit_sm_resp':
    case 'deliver_sm_resp':
    case 'data_sm_resp':
      return { ...base, command: name, messageId: str(pdu, 'message_id') };
    case 'enquire_link':
    case 'enquire_link_resp':
    case 'unbind':
    case 'unbind_resp':
    case 'generic_nack':
      return { ...base, command: name };
    default:
      return { ...base, command: 'unsupported', commandId: header.commandId, name };
  }
}

// ---- encoding -------------------------------------------------------------------------------------------

function checkCString(field: string, value: string | undefined, fallback = ''): string {
  const v = value ?? fallback;
  const limit = CSTRING_LIMITS[field];
  // Printable ASCII only: the package writes strings as 'ascii' and would silently mangle anything else.
  if (!/^[\x20-\x7e]*$/.test(v)) throw new SmppInvalidArgumentError(field, 'must be printable ASCII', limit?.status);
  if (limit !== undefined && v.length > limit.max - 1) {
    throw new SmppInvalidArgumentError(field, `longer than ${limit.max - 1} characters`, limit.status);
  }
  return v;
}

function checkInt(field: string, value: number | undefined, max: number, fallback = 0): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new SmppInvalidArgumentError(field, `must be an integer 0..${max}`);
  return v;
}

function checkOctets(field: string, value: Buffer | undefined, max: number): Buffer {
  const v = value ?? Buffer.alloc(0);
  if (!Buffer.isBuffer(v)) throw new SmppInvalidArgumentError(field, 'must be a Buffer');
  if (v.length > max) throw new SmppInvalidArgumentError(field, `longer than ${max} octets`, 'ESME_RINVMSGLEN');
  return v;
}

function tlvOptions(tlvs: SmTlvs | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (tlvs === undefined) return out;
  for (const key of TLV_KEYS) {
    const value = tlvs[key];
    if (value === undefined) continue;
    const def = TLV[key];
    if (key === 'receiptedMessageId') out[def.name] = checkCString('message_id', value as string);
    else if (key === 'messagePayload') out[def.name] = checkOctets('message_payload', value as Buffer, MAX_TLV_VALUE);
    else if (key === 'networkErrorCode') {
      const b = checkOctets('network_error_code', value as Buffer, 3);
      if (b.length !== 3) throw new SmppInvalidArgumentError('network_error_code', 'must be 3 octets');
      out[def.name] = b;
    } else out[def.name] = checkInt(def.name, value as number, def.size === 2 ? 0xffff : 0xff);
  }
  return out;
}

/** The package's option object for one PDU: every value checked against what SMPP can carry. */
function packageOptions(input: PduInput): Record<string, unknown> {
  switch (input.command) {
    case 'bind_transceiver':
    case 'bind_transmitter':
    case 'bind_receiver':
      return {
        system_id: checkCString('system_id', input.systemId),
        password: checkCString('password', input.password),
        system_type: checkCString('system_type', input.systemType),
        interface_version: checkInt('interface_version', input.interfaceVersion, 0xff, 0x34),
        addr_ton: checkInt('addr_ton', input.addrTon, 0xff),
        addr_npi: checkInt('addr_npi', input.addrNpi, 0xff),
        address_range: checkCString('address_range', input.addressRange),
      };
    case 'bind_transceiver_resp':
    case 'bind_transmitter_resp':
    case 'bind_receiver_resp': {
      const out: Record<string, unknown> = { system_id: checkCString('system_id', input.systemId) };
      if (input.scInterfaceVersion !== undefined) out.sc_interface_version = checkInt('sc_interface_version', input.scInterfaceVersion, 0xff);
      return out;
    }
    case 'submit_sm':
    case 'deliver_sm':
      return {
        service_type: checkCString('service_type', input.serviceType),
        source_addr_ton: checkInt('source_addr_ton', input.sourceAddrTon, 0xff),
        source_addr_npi: checkInt('source_addr_npi', input.sourceAddrNpi, 0xff),
        source_addr: checkCString('source_addr', input.sourceAddr),
        dest_addr_ton: checkInt('dest_addr_ton', input.destAddrTon, 0xff),
        dest_addr_npi: checkInt('dest_addr_npi', input.destAddrNpi, 0xff),
        destination_addr: checkCString('destination_addr', input.destinationAddr),
        esm_class: checkInt('esm_class', input.esmClass, 0xff),
        protocol_id: checkInt('protocol_id', input.protocolId, 0xff),
        priority_flag: checkInt('priority_flag', input.priorityFlag, 3),
        schedule_delivery_time: checkCString('schedule_delivery_time', input.scheduleDeliveryTime),
        validity_period: checkCString('validity_period', input.validityPeriod),
        registered_delivery: checkInt('registered_delivery', input.registeredDelivery, 0xff),
        replace_if_present_flag: checkInt('replace_if_present_flag', input.replaceIfPresentFlag, 1),
        data_coding: checkInt('data_coding', input.dataCoding, 0xff),
        sm_default_msg_id: checkInt('sm_default_msg_id', input.smDefaultMsgId, 0xfe),
        short_message: checkOctets('short_message', input.shortMessage, MAX_SHORT_MESSAGE_OCTETS),
        ...tlvOptions(input.tlvs),
      };
    case 'submit_sm_resp':
    case 'deliver_sm_resp':
    case 'data_sm_resp':
      return { message_id: checkCString('message_id', input.messageId) };
    case 'enquire_link':
    case 'enquire_link_resp':
    case 'unbind':
    case 'unbind_resp':
    case 'generic_nack':
      return {};
  }
}

/**
 * Encodes one PDU. Throws SmppInvalidArgumentError when a value cannot be carried (never a package error):
 * a short_message over 254 octets must be split (concat.ts) before it gets here.
 */
export function encodePdu(input: PduInput, sequenceNumber: number, commandStatus = 0): Buffer {
  checkInt('sequence_number', sequenceNumber, 0xffffffff);
  checkInt('command_status', commandStatus, 0xffffffff);
  const options = commandStatus === 0 ? packageOptions(input) : {};
  const pdu = new smpp.PDU(input.command, { ...options, sequence_number: sequenceNumber, command_status: commandStatus });
  // The package's encode filters would re-code a string short_message and OR bits into esm_class; ours are octets already.
  Object.defineProperty(pdu, '_filter', { value: () => undefined, enumerable: false });
  // sequence_number 0 is falsy to the package's constructor, which then leaves it unset; set it explicitly.
  pdu.sequence_number = sequenceNumber;
  return pdu.toBuffer();
}

/** Names the commands whose requests have a _resp of their own (for answering with an error status). */
export function responseCommandFor(requestId: number): CommandName | undefined {
  const name = commandName(requestId);
  if (name === undefined || isResponseId(requestId)) return undefined;
  const resp = `${name}_resp`;
  return resp in COMMAND_ID ? (resp as CommandName) : undefined;
}

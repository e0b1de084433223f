import { SmppUdhError } from './errors';

/**
 * The User Data Header of TP-User-Data (3GPP TS 23.040 §9.2.3.24): UDHL, then information elements
 * IEI | IEIDL | IED. In SMPP it sits at the start of short_message when esm_class has UDHI (0x40).
 * Kept as raw elements: the channel must carry SIM OTA headers (IEI 0x70 / 0x71, 3GPP TS 31.115) untouched.
 */

export interface InformationElement {
  readonly iei: number;
  readonly data: Buffer;
}

export const IEI = {
  /** Concatenated short messages, 8-bit reference (§9.2.3.24.1): ref, total, seq. */
  CONCAT_8: 0x00,
  /** Application port addressing, 8-bit (§9.2.3.24.3). */
  PORT_8: 0x04,
  /** Application port addressing, 16-bit (§9.2.3.24.4). */
  PORT_16: 0x05,
  /** Concatenated short messages, 16-bit reference (§9.2.3.24.8): ref(2), total, seq. */
  CONCAT_16: 0x08,
  /** National language single / locking shift (§9.2.3.24.15-16). */
  LANGUAGE_SINGLE_SHIFT: 0x24,
  LANGUAGE_LOCKING_SHIFT: 0x25,
  /** (U)SIM toolkit security headers (TS 31.115 §4.2, §4.4): command packet, response packet. */
  COMMAND_PACKET: 0x70,
  RESPONSE_PACKET: 0x71,
} as const;

/** TP-User-Data of one SM: 140 octets (TS 23.040 §9.2.3.16). */
export const USER_DATA_OCTETS = 140;

export interface UserData {
  readonly ies: readonly InformationElement[];
  /** Octets of the header, UDHL included (0 when there is none). */
  readonly headerOctets: number;
  readonly payload: Buffer;
}

/** Splits short_message into its UDH elements and the rest. Throws SmppUdhError when the header overruns. */
export function parseUserData(shortMessage: Buffer): UserData {
  const udhl = shortMessage[0];
  if (udhl === undefined) throw new SmppUdhError('UDHI set on an empty short_message');
  if (1 + udhl > shortMessage.length) throw new SmppUdhError(`UDHL ${udhl} exceeds the ${shortMessage.length - 1} octets that follow`);
  const ies: InformationElement[] = [];
  let at = 1;
  const end = 1 + udhl;
  while (at < end) {
    const iei = shortMessage[at];
    const length = shortMessage[at + 1];
    if (iei === undefined || length === undefined || at + 2 + length > end) {
      throw new SmppUdhError(`information element at octet ${at} overruns the header`);
    }
    ies.push({ iei, data: Buffer.from(shortMessage.subarray(at + 2, at + 2 + length)) });
    at += 2 + length;
  }
  return { ies, headerOctets: end, payload: Buffer.from(shortMessage.subarray(end)) };
}

/** UDHL + elements. An empty list gives an empty Buffer (no header at all). */
export function encodeUdh(ies: readonly InformationElement[]): Buffer {
  if (ies.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let length = 0;
  for (const ie of ies) {
    if (!Number.isInteger(ie.iei) || ie.iei < 0 || ie.iei > 0xff) throw new SmppUdhError(`IEI ${ie.iei} out of range`);
    if (ie.data.length > 0xff) throw new SmppUdhError(`IE 0x${ie.iei.toString(16)} longer than 255 octets`);
    parts.push(Buffer.from([ie.iei, ie.data.length]), ie.data);
    length += 2 + ie.data.length;
  }
  if (length > USER_DATA_OCTETS - 1) throw new SmppUdhError(`header of ${length} octets does not fit one SM`);
  return Buffer.concat([Buffer.from([length]), ...parts]);
}

export interface ConcatInfo {
  readonly referenceBits: 8 | 16;
  readonly reference: number;
  readonly total: number;
  readonly sequence: number;
}

/**
 * The concatenation IE, if valid. TS 23.040 §9.2.3.24.1: a total or sequence of 0, or a sequence above the
 * total, means the receiver "shall ignore the entire information element": the SM is then taken alone.
 */
export function concatInfo(ies: readonly InformationElement[]): ConcatInfo | undefined {
  for (const ie of ies) {
    if (ie.iei === IEI.CONCAT_8 && ie.data.length === 3) {
      return valid({ referenceBits: 8, reference: ie.data.readUInt8(0), total: ie.data.readUInt8(1), sequence: ie.data.readUInt8(2) });
    }
    if (ie.iei === IEI.CONCAT_16 && ie.data.length === 4) {
      return valid({ referenceBits: 16, reference: ie.data.readUInt16BE(0), total: ie.data.readUInt8(2), sequence: ie.data.readUInt8(3) });
    }
  }
  return undefined;
}

function valid(info: ConcatInfo): ConcatInfo | undefined {
  return info.total === 0 || info.sequence === 0 || info.sequence > info.total ? undefined : info;
}

export function concatElement(referenceBits: 8 | 16, reference: number, total: number, sequence: number): InformationElement {
  if (referenceBits === 8) return { iei: IEI.CONCAT_8, data: Buffer.from([reference & 0xff, total, sequence]) };
  const data = Buffer.alloc(4);
  data.writeUInt16BE(reference & 0xffff, 0);
  data[2] = total;
  data[3] = sequence;
  return { iei: IEI.CONCAT_16, data };
}

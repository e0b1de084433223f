import { ByteReader } from './bytes';
import { OtaError } from './errors';

/**
 * Secured packets in SMS-PP TP-User-Data (3GPP TS 31.115 §4.2-4.4, TS 23.040 §9.2.3.24):
 * a single SM carries UDHL='02', IEI '70' (command packet) or '71' (response packet), IEIDL='00', then the packet.
 * A longer packet is split over concatenated SMs (TS 23.040 §9.2.3.24.1, 8-bit reference): the first carries
 * UDHL='07', the concatenation IE '00 03 ref total 01', then '70 00' (or '71 00'); the others only the
 * concatenation IE. The checksums do not depend on this split (see command-packet.ts, response-packet.ts).
 */

export const IEI_COMMAND_PACKET = 0x70;
export const IEI_RESPONSE_PACKET = 0x71;
const IEI_CONCAT_8 = 0x00;
const IEI_CONCAT_16 = 0x08;

/** TP-User-Data of one SM with 8-bit data (TS 23.040 §9.2.3.16: 140 octets). */
export const SM_USER_DATA_OCTETS = 140;
/** Largest secured packet we build or accept, in octets: bounds memory and the number of SMs (≤ 32). */
export const OTA_MAX_PACKET_OCTETS = 4096;
/** TP-PID '7F' (U)SIM data download and TP-DCS 'F6' (class 2, 8-bit): how an OTA SM reaches the SIM, as in the pySim vectors. */
export const OTA_SMS_PID = 0x7f;
export const OTA_SMS_DCS = 0xf6;

export type PacketIei = typeof IEI_COMMAND_PACKET | typeof IEI_RESPONSE_PACKET;

export interface UserDataHeader {
  /** Whether the IE of a secured packet ('70' or '71', IEIDL '00') is present, and which. */
  readonly packetIei: PacketIei | undefined;
  readonly concat: { readonly ref: number; readonly total: number; readonly seq: number } | undefined;
  /** Octets of TP-UD taken by the UDH (UDHL included). */
  readonly length: number;
}

/** Reads the UDH at the start of TP-UD (TP-UDHI set). Unknown IEs are skipped, as TS 23.040 §9.2.3.24 requires. */
export function parseUserDataHeader(userData: Uint8Array): UserDataHeader {
  if (userData.length > SM_USER_DATA_OCTETS) throw new OtaError('MALFORMED', 'TP-UD longer than one SM', { length: userData.length });
  const r = new ByteReader(userData, 'UDH');
  const udhl = r.u8('UDHL');
  const ies = new ByteReader(r.take(udhl, 'UDH'), 'UDH');
  let packetIei: PacketIei | undefined;
  let concat: UserDataHeader['concat'];
  while (ies.remaining > 0) {
    const iei = ies.u8('IEI');
    const value = ies.take(ies.u8('IEIDL'), 'IED');
    if (iei === IEI_COMMAND_PACKET || iei === IEI_RESPONSE_PACKET) {
      if (packetIei !== undefined || value.length !== 0) throw new OtaError('MALFORMED', 'packet identifier IE repeated or not empty', { iei });
      packetIei = iei;
    } else if (iei === IEI_CONCAT_8 || iei === IEI_CONCAT_16) {
      const expected = iei === IEI_CONCAT_8 ? 3 : 4;
      if (concat !== undefined || value.length !== expected) throw new OtaError('MALFORMED', 'concatenation IE repeated or of wrong length', { iei });
      const ref = iei === IEI_CONCAT_8 ? (value[0] ?? 0) : value.readUInt16BE(0);
      const total = value[expected - 2] ?? 0;
      const seq = value[expected - 1] ?? 0;
      if (total === 0 || seq === 0 || seq > total) throw new OtaError('MALFORMED', 'concatenation IE numbering out of range', { total, seq });
      concat = { ref, total, seq };
    }
  }
  return { packetIei, concat, length: 1 + udhl };
}

/** Splits a secured packet into the TP-UD of one or more SMs (TP-UDHI set on each). */
export function packetToUserData(iei: PacketIei, packet: Uint8Array, concatRef = 0): Buffer[] {
  if (packet.length > OTA_MAX_PACKET_OCTETS) throw new OtaError('TOO_LARGE', 'secured packet too large', { length: packet.length });
  if (3 + packet.length <= SM_USER_DATA_OCTETS) return [Buffer.concat([Buffer.from([0x02, iei, 0x00]), packet])];
  if (!Number.isInteger(concatRef) || concatRef < 0 || concatRef > 0xff) throw new OtaError('INVALID_ARGUMENT', 'concatenation reference must be 0-255');
  const first = SM_USER_DATA_OCTETS - 8;
  const next = SM_USER_DATA_OCTETS - 6;
  const total = 1 + Math.ceil((packet.length - first) / next);
  const out: Buffer[] = [Buffer.concat([Buffer.from([0x07, IEI_CONCAT_8, 0x03, concatRef, total, 1, iei, 0x00]), packet.subarray(0, first)])];
  for (let seq = 2, at = first; seq <= total; seq += 1, at += next) {
    out.push(Buffer.concat([Buffer.from([0x05, IEI_CONCAT_8, 0x03, concatRef, total, seq]), packet.subarray(at, at + next)]));
  }
  return out;
}

/** Reassembles the secured packet from the TP-UD of its SMs (any order); refuses gaps, duplicates, mixed references. */
export function userDataToPacket(iei: PacketIei, segments: readonly Uint8Array[]): Buffer {
  if (segments.length === 0) throw new OtaError('MALFORMED', 'no user data');
  const maxSegments = Math.ceil(OTA_MAX_PACKET_OCTETS / (SM_USER_DATA_OCTETS - 8)) + 1;
  if (segments.length > maxSegments) throw new OtaError('TOO_LARGE', 'too many segments', { segments: segments.length });
  const parsed = segments.map((ud) => ({ ud, h: parseUserDataHeader(ud) }));
  const only = parsed[0];
  if (parsed.length === 1 && only !== undefined && only.h.concat === undefined) {
    if (only.h.packetIei !== iei) throw new OtaError('MALFORMED', 'user data does not carry the expected packet identifier', { iei });
    return Buffer.from(only.ud.subarray(only.h.length));
  }
  const ordered: Buffer[] = new Array<Buffer>(parsed.length);
  const head = parsed[0]?.h.concat;
  for (const { ud, h } of parsed) {
    const c = h.concat;
    if (c === undefined || head === undefined || c.ref !== head.ref || c.total !== parsed.length) {
      throw new OtaError('MALFORMED', 'segments do not form one concatenated message', { segments: parsed.length });
    }
    if ((c.seq === 1) !== (h.packetIei === iei) || (c.seq !== 1 && h.packetIei !== undefined)) {
      throw new OtaError('MALFORMED', 'packet identifier must be in the first segment only', { seq: c.seq });
    }
    if (ordered[c.seq - 1] !== undefined) throw new OtaError('MALFORMED', 'duplicate segment', { seq: c.seq });
    ordered[c.seq - 1] = Buffer.from(ud.subarray(h.length));
  }
  const packet = Buffer.concat(ordered);
  if (packet.length > OTA_MAX_PACKET_OCTETS) throw new OtaError('TOO_LARGE', 'secured packet too large', { length: packet.length });
  return packet;
}

import { AppletError } from './errors';

/**
 * The framing of FORMAT.md: version octet, message type octet, then TLVs with one-octet tags in strictly
 * ascending order and BER-style definite lengths in their minimal form ('00'-'7F'; '81 nn' for 128-255;
 * '82 nnnn' for 256-65535). One encoding per message, so a message can be compared and hashed as bytes.
 */

export const FORMAT_VERSION = 1;
export const MESSAGE_TYPE = { request: 0x01, response: 0x02, order: 0x03 } as const;
export type MessageType = keyof typeof MESSAGE_TYPE;

export interface Field {
  readonly tag: number;
  readonly value: Buffer;
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n <= 0xff) return Buffer.from([0x81, n]);
  if (n <= 0xffff) return Buffer.from([0x82, n >> 8, n & 0xff]);
  throw new AppletError('TOO_LARGE', { length: n });
}

export function encodeMessage(type: MessageType, fields: readonly Field[], maxOctets: number): Buffer {
  const parts: Buffer[] = [Buffer.from([FORMAT_VERSION, MESSAGE_TYPE[type]])];
  let last = 0;
  for (const f of fields) {
    // Encoders list fields in tag order; a slip here would produce bytes our own decoder refuses.
    if (f.tag <= last) throw new AppletError('TAG_ORDER', { tag: f.tag });
    last = f.tag;
    parts.push(Buffer.from([f.tag]), encodeLength(f.value.length), f.value);
  }
  const out = Buffer.concat(parts);
  if (out.length > maxOctets) throw new AppletError('TOO_LARGE', { length: out.length, max: maxOctets });
  return out;
}

/** Splits a message into its fields; checks version, type, order, minimal lengths and the size bound. */
export function decodeMessage(bytes: Uint8Array, type: MessageType, knownTags: ReadonlySet<number>, maxOctets: number): Map<number, Buffer> {
  if (bytes.length > maxOctets) throw new AppletError('TOO_LARGE', { length: bytes.length, max: maxOctets });
  if (bytes.length < 2) throw new AppletError('TRUNCATED', { field: 'header' });
  if (bytes[0] !== FORMAT_VERSION) throw new AppletError('BAD_VERSION', { version: bytes[0] ?? -1 });
  if (bytes[1] !== MESSAGE_TYPE[type]) throw new AppletError('BAD_TYPE', { type: bytes[1] ?? -1 });
  const fields = new Map<number, Buffer>();
  let at = 2;
  let last = 0;
  const octet = (field: string): number => {
    const v = bytes[at];
    if (v === undefined) throw new AppletError('TRUNCATED', { field, at });
    at += 1;
    return v;
  };
  while (at < bytes.length) {
    const tag = octet('tag');
    if (!knownTags.has(tag)) throw new AppletError('UNKNOWN_TAG', { tag });
    if (tag <= last) throw new AppletError('TAG_ORDER', { tag });
    last = tag;
    let length = octet('length');
    if (length === 0x81) {
      length = octet('length');
      if (length < 0x80) throw new AppletError('BAD_LENGTH', { tag });
    } else if (length === 0x82) {
      length = (octet('length') << 8) | octet('length');
      if (length < 0x100) throw new AppletError('BAD_LENGTH', { tag });
    } else if (length >= 0x80) {
      throw new AppletError('BAD_LENGTH', { tag });
    }
    if (at + length > bytes.length) throw new AppletError('TRUNCATED', { tag, length });
    fields.set(tag, Buffer.from(bytes.subarray(at, at + length)));
    at += length;
  }
  return fields;
}

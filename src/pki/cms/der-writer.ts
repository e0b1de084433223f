/**
 * A small DER writer (X.690 §10) for the structures we sign: CMS SignedData, ESS attributes, TSTInfo and
 * TimeStampResp. Only what those need, and always the one DER form: minimal lengths and INTEGERs, DEFAULT
 * values left out by the callers, SET OF sorted. Reading stays with ../der/reader.ts.
 */

export function encodeLength(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad DER length ${n}`);
  if (n < 0x80) return Buffer.from([n]);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

/** One TLV with a single-octet identifier (every tag we write is below 31). */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) throw new RangeError(`tag 0x${tag.toString(16)} needs the high-tag-number form`);
  const body = contents.length === 1 ? (contents[0] as Uint8Array) : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export const sequence = (...contents: readonly Uint8Array[]): Buffer => tlv(0x30, ...contents);

/** X.690 §11.6: SET OF components in ascending order of their encodings, the shorter one padded with zero octets. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

/** SET OF with DER ordering; `tag` lets [0] IMPLICIT SET OF (signedAttrs, certificates) use the same rule. */
export function setOf(elements: readonly Uint8Array[], tag = 0x31): Buffer {
  return tlv(tag, ...[...elements].sort(compareDer));
}

/** [n] EXPLICIT: a constructed context tag around one complete encoding. */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);

const oidCache = new Map<string, Buffer>();

export function oid(dotted: string): Buffer {
  const hit = oidCache.get(dotted);
  if (hit) return hit;
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`not an OBJECT IDENTIFIER: ${dotted}`);
  const arcs = dotted.split('.').map(BigInt);
  const [a, b] = arcs as [bigint, bigint];
  if (a < 2n && b > 39n) throw new RangeError(`not an OBJECT IDENTIFIER: ${dotted}`);
  const body: number[] = [];
  for (const arc of [a * 40n + b, ...arcs.slice(2)]) {
    const chunk = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    body.push(...chunk);
  }
  const der = tlv(0x06, Buffer.from(body));
  oidCache.set(dotted, der);
  return der;
}

/** Minimal two's-complement content octets of an integer. */
export function integerContent(n: bigint): Buffer {
  let hex = (n < 0n ? -n : n).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (n >= 0n) {
    if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return bytes;
  }
  // Negative: two's complement over enough octets, then drop redundant leading 0xff octets.
  const width = bytes.length + 1;
  let v = (1n << BigInt(8 * width)) + n;
  const out = Buffer.alloc(width);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  let start = 0;
  while (start < out.length - 1 && out[start] === 0xff && ((out[start + 1] as number) & 0x80) !== 0) start++;
  return out.subarray(start);
}

export const integer = (n: bigint | number): Buffer => tlv(0x02, integerContent(BigInt(n)));

/** An INTEGER whose content octets are already known to be minimal (a serial number copied from a certificate). */
export const integerFromContent = (content: Uint8Array): Buffer => tlv(0x02, content);

export const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
export const boolean = (value: boolean): Buffer => Buffer.from([0x01, 0x01, value ? 0xff : 0x00]);
export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * GeneralizedTime in the DER form (X.690 §11.7): UTC, 'Z', seconds always present, a fraction only when
 * non-zero and without trailing zeros. `fractionDigits` is how much of the milliseconds to keep.
 */
export function generalizedTime(date: Date, fractionDigits: 0 | 1 | 2 | 3 = 0): Buffer {
  const t = date.getTime();
  if (!Number.isFinite(t)) throw new RangeError('invalid date');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} does not fit GeneralizedTime`);
  let s = `${pad(year, 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}`;
  const fraction = pad(date.getUTCMilliseconds(), 3).slice(0, fractionDigits).replace(/0+$/, '');
  if (fraction !== '') s += `.${fraction}`;
  return tlv(0x18, Buffer.from(`${s}Z`, 'latin1'));
}

/** UTCTime YYMMDDHHMMSSZ; only for years 1950 to 2049. */
export function utcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`year ${year} does not fit UTCTime`);
  const s = `${pad(year % 100, 2)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}Z`;
  return tlv(0x17, Buffer.from(s, 'latin1'));
}

/** RFC 5652 §11.3 / RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds. */
export function pkixTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date, 0);
}

/**
 * A BIT STRING of named bits (X.690 §11.2.2): trailing zero bits are removed, so the encoding ends at the
 * last bit set, with the unused-bits count saying how many bits of the last octet are padding.
 */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return tlv(0x03, Buffer.from([0]));
  const highest = Math.max(...bits);
  const octets = Buffer.alloc((highest >> 3) + 1);
  for (const b of bits) octets[b >> 3] = (octets[b >> 3] as number) | (0x80 >> (b & 7));
  const unused = 7 - (highest & 7);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), octets]));
}

/** Replaces the identifier octet of a complete encoding (IMPLICIT tagging, or [0] → SET for signed attributes). */
export function retag(der: Uint8Array, tag: number): Buffer {
  const out = Buffer.from(der);
  out[0] = tag;
  return out;
}

import { PkiParseError } from '../errors';

/**
 * A strict DER reader (X.690 §10): definite lengths only, minimal length octets, minimal high tag numbers,
 * every byte accounted for. Our signature checks depend on exact DER, and a reader that refuses ambiguity
 * once keeps every structure above it honest.
 */

/** Universal tags used by the PKIX structures we read. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  NumericString: 0x12,
  PrintableString: 0x13,
  TeletexString: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag byte: [n] primitive (IMPLICIT of a primitive type). */
export function ctx(n: number): number {
  return 0x80 | n;
}

/** Context-specific tag byte: [n] constructed (EXPLICIT, or IMPLICIT of a constructed type). */
export function ctxCons(n: number): number {
  return 0xa0 | n;
}

export interface Tlv {
  /**
   * For tag numbers below 31 this is the identifier octet itself (0x30 for SEQUENCE, 0xa0 for [0] constructed),
   * so it compares directly with the constants above. High tag numbers get a value above 0xff that no
   * single-octet constant can equal.
   */
  readonly tag: number;
  readonly constructed: boolean;
  /** The buffer the TLV lives in; offsets below are into it. */
  readonly buf: Uint8Array;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** The value octets of a TLV. */
export function valueOf(tlv: Tlv): Uint8Array {
  return tlv.buf.subarray(tlv.valueStart, tlv.end);
}

/** The whole encoding (tag, length, value) of a TLV. */
export function rawOf(tlv: Tlv): Uint8Array {
  return tlv.buf.subarray(tlv.start, tlv.end);
}

function fail(what: string, message: string, offset: number): never {
  throw new PkiParseError(`${what}: ${message}`, offset);
}

/** Reads one TLV at `pos`, not beyond `limit`. */
export function readTlv(buf: Uint8Array, pos: number, limit: number, what: string): Tlv {
  const start = pos;
  if (pos >= limit) fail(what, 'unexpected end of data', pos);
  const first = buf[pos++] as number;
  const constructed = (first & 0x20) !== 0;
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    // High tag number form: base-128, no leading 0x80 octet, and only for numbers that need it.
    let number = 0;
    let octets = 0;
    for (;;) {
      if (pos >= limit) fail(what, 'truncated tag', start);
      const b = buf[pos++] as number;
      if (octets === 0 && b === 0x80) fail(what, 'non-minimal tag number', start);
      number = number * 128 + (b & 0x7f);
      octets++;
      if (octets > 4) fail(what, 'tag number too large', start);
      if ((b & 0x80) === 0) break;
    }
    if (number < 31) fail(what, 'high tag number form used for a low tag number', start);
    tag = ((first & 0xe0) | 0x1f) + 256 * number;
  }
  if (pos >= limit) fail(what, 'truncated length', start);
  const lenByte = buf[pos++] as number;
  let length: number;
  if (lenByte < 0x80) {
    length = lenByte;
  } else if (lenByte === 0x80) {
    fail(what, 'indefinite length is not DER', start);
  } else {
    const count = lenByte & 0x7f;
    // Four length octets address 4 GiB, far beyond anything we accept; more is garbage.
    if (count > 4) fail(what, 'length too large', start);
    if (pos + count > limit) fail(what, 'truncated length', start);
    if (buf[pos] === 0) fail(what, 'non-minimal length (leading zero octet)', start);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[pos++] as number);
    if (length < 0x80) fail(what, 'non-minimal length (long form for a short length)', start);
  }
  const valueStart = pos;
  if (length > limit - valueStart) fail(what, 'length runs past the end of the data', start);
  return { tag, constructed, buf, start, valueStart, end: valueStart + length };
}

/** Sequential reader over the contents of one constructed value (or a whole buffer). */
export class DerReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly limit: number,
    private readonly what: string,
  ) {
    this.pos = start;
  }

  /** A reader over a whole buffer that must hold exactly one TLV: returns it, refusing trailing bytes. */
  static single(bytes: Uint8Array, what: string): Tlv {
    const tlv = readTlv(bytes, 0, bytes.length, what);
    if (tlv.end !== bytes.length) fail(what, 'trailing bytes after the value', tlv.end);
    return tlv;
  }

  /** A reader over the contents of a constructed TLV. */
  static inside(tlv: Tlv, what: string): DerReader {
    if (!tlv.constructed) fail(what, 'expected a constructed value', tlv.start);
    return new DerReader(tlv.buf, tlv.valueStart, tlv.end, what);
  }

  atEnd(): boolean {
    return this.pos >= this.limit;
  }

  /** The tag of the next TLV, or undefined at the end. Does not consume. */
  peekTag(): number | undefined {
    if (this.atEnd()) return undefined;
    return readTlv(this.buf, this.pos, this.limit, this.what).tag;
  }

  next(): Tlv {
    const tlv = readTlv(this.buf, this.pos, this.limit, this.what);
    this.pos = tlv.end;
    return tlv;
  }

  /** Reads the next TLV and checks its tag. */
  expect(tag: number, name: string): Tlv {
    if (this.atEnd()) fail(this.what, `missing ${name}`, this.pos);
    const tlv = this.next();
    if (tlv.tag !== tag) fail(this.what, `${name}: expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`, tlv.start);
    return tlv;
  }

  /** Reads the next TLV if it has this tag; otherwise consumes nothing. */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.next() : undefined;
  }

  /** Fails unless every byte has been read. */
  end(): void {
    if (!this.atEnd()) fail(this.what, 'unexpected extra data', this.pos);
  }
}

/** INTEGER as a bigint; the encoding must be minimal two's complement. */
export function readBigInt(tlv: Tlv, what: string): bigint {
  const v = integerContent(tlv, what);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if ((v[0] as number) & 0x80) n -= 1n << BigInt(8 * v.length);
  return n;
}

/** The content octets of an INTEGER (or ENUMERATED), checked for minimal encoding. */
export function integerContent(tlv: Tlv, what: string): Uint8Array {
  if (tlv.tag !== Tag.INTEGER && tlv.tag !== Tag.ENUMERATED && (tlv.tag & 0xe0) !== 0x80) {
    fail(what, 'expected an INTEGER', tlv.start);
  }
  const v = valueOf(tlv);
  if (v.length === 0) fail(what, 'empty INTEGER', tlv.start);
  if (v.length > 1) {
    const a = v[0] as number;
    const b = v[1] as number;
    if ((a === 0x00 && b < 0x80) || (a === 0xff && b >= 0x80)) fail(what, 'non-minimal INTEGER encoding', tlv.start);
  }
  return v;
}

/**
 * A non-negative INTEGER used as a count (pathLenConstraint, SkipCerts). Values beyond 2^31 mean
 * "no limit" in practice, so they are clamped rather than refused.
 */
export function readCount(tlv: Tlv, what: string): number {
  const n = readBigInt(tlv, what);
  if (n < 0n) fail(what, 'negative value', tlv.start);
  return n > 0x7fffffffn ? 0x7fffffff : Number(n);
}

export function readBoolean(tlv: Tlv, what: string): boolean {
  const v = valueOf(tlv);
  if (v.length !== 1) fail(what, 'BOOLEAN must be one octet', tlv.start);
  // DER says TRUE is 0xff. Some deployed CAs wrote 0x01; we read any non-zero octet as TRUE, as X.690 BER does.
  return v[0] !== 0;
}

export function readNull(tlv: Tlv, what: string): void {
  if (tlv.tag !== Tag.NULL || tlv.end !== tlv.valueStart) fail(what, 'expected NULL', tlv.start);
}

/** OBJECT IDENTIFIER in dotted form; subidentifiers must be minimal and the last one complete. */
export function readOid(tlv: Tlv, what: string): string {
  if (tlv.tag !== Tag.OID) fail(what, 'expected an OBJECT IDENTIFIER', tlv.start);
  const v = valueOf(tlv);
  if (v.length === 0) fail(what, 'empty OBJECT IDENTIFIER', tlv.start);
  const arcs: string[] = [];
  let value = 0n;
  let fresh = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i] as number;
    if (fresh && b === 0x80) fail(what, 'non-minimal OID subidentifier', tlv.start);
    fresh = false;
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        // The first subidentifier packs the first two arcs (X.690 §8.19.4).
        if (value < 40n) arcs.push('0', value.toString());
        else if (value < 80n) arcs.push('1', (value - 40n).toString());
        else arcs.push('2', (value - 80n).toString());
      } else {
        arcs.push(value.toString());
      }
      value = 0n;
      fresh = true;
    }
  }
  if (!fresh) fail(what, 'truncated OID subidentifier', tlv.start);
  return arcs.join('.');
}

export interface BitString {
  readonly unusedBits: number;
  readonly bytes: Uint8Array;
}

export function readBitString(tlv: Tlv, what: string): BitString {
  const v = valueOf(tlv);
  if (v.length === 0) fail(what, 'empty BIT STRING', tlv.start);
  const unusedBits = v[0] as number;
  if (unusedBits > 7) fail(what, 'BIT STRING with more than 7 unused bits', tlv.start);
  if (v.length === 1 && unusedBits !== 0) fail(what, 'empty BIT STRING with unused bits', tlv.start);
  return { unusedBits, bytes: v.subarray(1) };
}

/** Whether named bit `n` (0 = most significant bit of the first octet) is set. */
export function bitIsSet(bits: BitString, n: number): boolean {
  const byte = bits.bytes[n >> 3];
  if (byte === undefined) return false;
  const inLastByte = n >> 3 === bits.bytes.length - 1;
  if (inLastByte && 7 - (n & 7) < bits.unusedBits) return false;
  return (byte & (0x80 >> (n & 7))) !== 0;
}

/** A BIT STRING that carries whole octets (keys, signatures). */
export function readOctetAlignedBits(tlv: Tlv, what: string): Uint8Array {
  const bits = readBitString(tlv, what);
  if (bits.unusedBits !== 0) fail(what, 'BIT STRING is not octet-aligned', tlv.start);
  return bits.bytes;
}

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Time ::= UTCTime | GeneralizedTime, in the forms RFC 5280 §4.1.2.5 allows: Zulu, seconds present,
 * no fractions. Returns milliseconds since the epoch.
 */
export function readTime(tlv: Tlv, what: string): number {
  const v = valueOf(tlv);
  let s = '';
  for (const b of v) s += String.fromCharCode(b);
  let year: number;
  let rest: number;
  if (tlv.tag === Tag.UTCTime) {
    if (s.length !== 13 || s[12] !== 'Z') fail(what, 'UTCTime must be YYMMDDHHMMSSZ', tlv.start);
    const yy = digits(s, 0, 2);
    // RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = 2;
  } else if (tlv.tag === Tag.GeneralizedTime) {
    if (s.length !== 15 || s[14] !== 'Z') fail(what, 'GeneralizedTime must be YYYYMMDDHHMMSSZ', tlv.start);
    year = digits(s, 0, 4);
    rest = 4;
  } else {
    fail(what, 'expected UTCTime or GeneralizedTime', tlv.start);
  }
  const month = digits(s, rest, 2);
  const day = digits(s, rest + 2, 2);
  const hour = digits(s, rest + 4, 2);
  const minute = digits(s, rest + 6, 2);
  const second = digits(s, rest + 8, 2);
  if (![year, month, day, hour, minute, second].every(Number.isFinite)) fail(what, 'time has a non-digit', tlv.start);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    fail(what, 'time out of range', tlv.start);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes the character string types found in names. Returns undefined when the bytes are not valid
 * for the type; such values are then compared as binary.
 */
export function decodeString(tag: number, v: Uint8Array): string | undefined {
  switch (tag) {
    case Tag.UTF8String:
      try {
        return utf8.decode(v);
      } catch {
        return undefined;
      }
    case Tag.PrintableString:
    case Tag.IA5String:
    case Tag.VisibleString:
    case Tag.NumericString: {
      let s = '';
      for (const b of v) {
        if (b > 0x7f) return undefined;
        s += String.fromCharCode(b);
      }
      return s;
    }
    case Tag.TeletexString: {
      // T.61 proper is a shifting code; in practice TeletexString carries Latin-1, which is how we read it.
      let s = '';
      for (const b of v) s += String.fromCharCode(b);
      return s;
    }
    case Tag.BMPString: {
      if (v.length % 2 !== 0) return undefined;
      let s = '';
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode(((v[i] as number) << 8) | (v[i + 1] as number));
      return s;
    }
    case Tag.UniversalString: {
      if (v.length % 4 !== 0) return undefined;
      let s = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = (((v[i] as number) << 24) | ((v[i + 1] as number) << 16) | ((v[i + 2] as number) << 8) | (v[i + 3] as number)) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return undefined;
  }
}

/** IA5String content (rfc822Name, dNSName, URI): 7-bit only. */
export function readIa5(tlv: Tlv, what: string): string {
  const s = decodeString(Tag.IA5String, valueOf(tlv));
  if (s === undefined) fail(what, 'IA5String has a non-ASCII octet', tlv.start);
  return s;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

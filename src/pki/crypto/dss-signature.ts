import { PkiParseError } from '../errors';
import { DerReader, Tag, readBigInt } from '../der/reader';

/**
 * ECDSA and DSA signature values: Ecdsa-Sig-Value / Dss-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 * (RFC 3279 §2.2.2, §2.2.3). We accept exactly one encoding per signature: DER, minimal INTEGERs, both
 * positive, nothing after the SEQUENCE. A verifier that accepts several encodings of one signature makes
 * signatures malleable (a second, different byte string that still verifies), which breaks anything that
 * identifies a signed object by its bytes.
 */
export interface DssSignature {
  readonly r: bigint;
  readonly s: bigint;
}

export function parseDssSignature(der: Uint8Array): DssSignature {
  const what = 'signature value';
  const seq = DerReader.single(der, what);
  if (seq.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: expected a SEQUENCE`, seq.start);
  const inner = DerReader.inside(seq, what);
  const r = readBigInt(inner.expect(Tag.INTEGER, 'r'), `${what} r`);
  const s = readBigInt(inner.expect(Tag.INTEGER, 's'), `${what} s`);
  inner.end();
  if (r <= 0n) throw new PkiParseError(`${what}: r is not positive`, seq.start);
  if (s <= 0n) throw new PkiParseError(`${what}: s is not positive`, seq.start);
  return { r, s };
}

/** Fixed-width big-endian bytes of a non-negative integer; undefined if it does not fit. */
export function toFixedBytes(n: bigint, width: number): Uint8Array | undefined {
  if (n < 0n) return undefined;
  const out = new Uint8Array(width);
  let v = n;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return v === 0n ? out : undefined;
}

/** r‖s, each `width` octets: the IEEE P1363 form node:crypto takes with dsaEncoding 'ieee-p1363'. */
export function toP1363(sig: DssSignature, width: number): Uint8Array | undefined {
  const r = toFixedBytes(sig.r, width);
  const s = toFixedBytes(sig.s, width);
  if (r === undefined || s === undefined) return undefined;
  const out = new Uint8Array(2 * width);
  out.set(r, 0);
  out.set(s, width);
  return out;
}

function encodeInteger(n: bigint): number[] {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Array.from(Buffer.from(hex, 'hex'));
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return [Tag.INTEGER, ...encodeLength(bytes.length), ...bytes];
}

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** The DER encoding of a positive (r, s): used by tests and by anything that signs with a raw r‖s token. */
export function encodeDssSignature(sig: DssSignature): Uint8Array {
  if (sig.r <= 0n || sig.s <= 0n) throw new RangeError('r and s must be positive');
  const body = [...encodeInteger(sig.r), ...encodeInteger(sig.s)];
  return Uint8Array.from([Tag.SEQUENCE, ...encodeLength(body.length), ...body]);
}

import { SignatureEncodingError } from './errors';

/**
 * ECDSA signatures: PKCS#11 (and WebCrypto) give r‖s as two fixed-size big-endian integers; X.509, CMS
 * and OpenSSL want Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in DER (RFC 3279 §2.2.3).
 * Both directions are strict: pkijs accepts non-DER encodings, which would let one signature have many
 * encodings (malleability), so we write and read exactly one.
 */

/** Minimal two's-complement content of a non-negative big-endian integer: no leading zeros, a 0x00 only to keep the sign. */
function integerContent(bytes: Uint8Array, start: number, end: number): { readonly from: number; readonly pad: number } {
  let from = start;
  while (from < end - 1 && bytes[from] === 0) from += 1;
  const pad = ((bytes[from] ?? 0) & 0x80) !== 0 ? 1 : 0;
  return { from, pad };
}

/** r‖s (each half the same length) → DER Ecdsa-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 2 * 66) {
    throw new SignatureEncodingError(`an ECDSA r‖s signature has an even length up to 132 bytes, not ${raw.length}`);
  }
  const half = raw.length / 2;
  const r = integerContent(raw, 0, half);
  const s = integerContent(raw, half, raw.length);
  const rLen = half - (r.from - 0) + r.pad;
  const sLen = raw.length - s.from + s.pad;
  const bodyLen = 2 + rLen + 2 + sLen;
  const lenBytes = bodyLen < 0x80 ? 1 : 2;
  const out = Buffer.allocUnsafe(1 + lenBytes + bodyLen);
  let o = 0;
  out[o++] = 0x30;
  if (lenBytes === 2) out[o++] = 0x81;
  out[o++] = bodyLen;
  out[o++] = 0x02;
  out[o++] = rLen;
  if (r.pad) out[o++] = 0;
  for (let i = r.from; i < half; i += 1) out[o++] = raw[i] ?? 0;
  out[o++] = 0x02;
  out[o++] = sLen;
  if (s.pad) out[o++] = 0;
  for (let i = s.from; i < raw.length; i += 1) out[o++] = raw[i] ?? 0;
  return out;
}

function fail(reason: string): never {
  throw new SignatureEncodingError(`not a strict DER ECDSA signature: ${reason}`);
}

/** Reads one definite length at `at`; returns [length, next offset]. Long form only where short form cannot hold it. */
function readLength(der: Uint8Array, at: number): [number, number] {
  const first = der[at];
  if (first === undefined) fail('truncated length');
  if (first < 0x80) return [first, at + 1];
  if (first === 0x80) fail('indefinite length');
  if (first !== 0x81) fail('length longer than any ECDSA signature');
  const value = der[at + 1];
  if (value === undefined) fail('truncated length');
  if (value < 0x80) fail('long-form length where the short form fits');
  return [value, at + 2];
}

/** Reads one INTEGER into `out` (right-aligned in `fieldBytes`); returns the next offset. */
function readInteger(der: Uint8Array, at: number, end: number, fieldBytes: number, out: Buffer, outAt: number, which: string): number {
  if (der[at] !== 0x02) fail(`${which} is not an INTEGER`);
  const [len, start] = readLength(der, at + 1);
  const stop = start + len;
  if (stop > end) fail(`${which} runs past the SEQUENCE`);
  if (len === 0) fail(`${which} is empty`);
  const b0 = der[start] ?? 0;
  if (b0 & 0x80) fail(`${which} is negative`);
  let from = start;
  if (b0 === 0 && len > 1) {
    if (((der[start + 1] ?? 0) & 0x80) === 0) fail(`${which} has a non-minimal leading zero`);
    from = start + 1;
  }
  const size = stop - from;
  if (size > fieldBytes) fail(`${which} is longer than the curve order`);
  let zero = true;
  for (let i = from; i < stop; i += 1) if (der[i] !== 0) zero = false;
  if (zero) fail(`${which} is zero`);
  out.set(der.subarray(from, stop), outAt + fieldBytes - size);
  return stop;
}

/** DER Ecdsa-Sig-Value → r‖s with each half `fieldBytes` long (32 for P-256, 48 for P-384, 66 for P-521). */
export function ecdsaDerToRaw(der: Uint8Array, fieldBytes: number): Buffer {
  if (der[0] !== 0x30) fail('not a SEQUENCE');
  const [len, start] = readLength(der, 1);
  const end = start + len;
  if (end > der.length) fail('truncated');
  if (end < der.length) fail('trailing bytes after the SEQUENCE');
  const out = Buffer.alloc(2 * fieldBytes);
  const afterR = readInteger(der, start, end, fieldBytes, out, 0, 'r');
  const afterS = readInteger(der, afterR, end, fieldBytes, out, fieldBytes, 's');
  if (afterS !== end) fail('extra content inside the SEQUENCE');
  return out;
}

/**
 * A tiny DER writer for building test inputs by hand (names, signature values, extensions). Test-only: the
 * point is to write exactly the bytes a vector needs, including wrong ones.
 */
export function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...parts: Array<number[] | Uint8Array>): Uint8Array {
  const body = parts.flatMap((p) => Array.from(p));
  return Uint8Array.from([tag, ...len(body.length), ...body]);
}

export const seq = (...parts: Array<number[] | Uint8Array>): Uint8Array => tlv(0x30, ...parts);
export const set = (...parts: Array<number[] | Uint8Array>): Uint8Array => tlv(0x31, ...parts);

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const first = (arcs[0] as bigint) * 40n + (arcs[1] as bigint);
  const body: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    body.push(...chunk);
  }
  return tlv(0x06, body);
}

export const utf8 = (s: string): Uint8Array => tlv(0x0c, Array.from(Buffer.from(s, 'utf8')));
export const printable = (s: string): Uint8Array => tlv(0x13, Array.from(Buffer.from(s, 'latin1')));
export const ia5 = (s: string): Uint8Array => tlv(0x16, Array.from(Buffer.from(s, 'latin1')));
export const bmp = (s: string): Uint8Array => tlv(0x1e, Array.from(Buffer.from(s, 'utf16le').swap16()));

export const CN = '2.5.4.3';
export const O = '2.5.4.10';
export const OU = '2.5.4.11';
export const C = '2.5.4.6';

/** One attribute: [type, encoded value]. */
export type Atv = readonly [string, Uint8Array];

/** A Name from RDNs, each a list of attributes (more than one makes a multi-valued RDN). */
export function name(...rdns: ReadonlyArray<readonly Atv[]>): Uint8Array {
  return seq(...rdns.map((rdn) => set(...rdn.map(([type, value]) => seq(oid(type), value)))));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function unhex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}

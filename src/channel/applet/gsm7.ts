import { AppletError } from './errors';

/**
 * The GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1) with its extension table (§6.2.1.1, reached through
 * the escape septet '1B'), and the packing of septets into octets (§6.1.2.1.1: the first septet in the low
 * bits of the first octet). Checked against published packing examples and Perl's Encode::GSM0338
 * (fixtures/ota/gsm7-vectors.json). Decoding is strict, because both ends are ours: an escape followed by an
 * undefined extension code, a trailing escape, or non-zero spare bits are errors rather than best-effort text.
 */

/** Index = septet value. '\u001b' at 0x1B is the escape, not a character. */
const DEFAULT_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Extension table: septet after the escape → character. */
const EXTENSION: ReadonlyArray<readonly [number, string]> = [
  [0x0a, '\f'],
  [0x14, '^'],
  [0x28, '{'],
  [0x29, '}'],
  [0x2f, '\\'],
  [0x3c, '['],
  [0x3d, '~'],
  [0x3e, ']'],
  [0x40, '|'],
  [0x65, '€'],
];

export const GSM7_ESCAPE = 0x1b;

const CHAR_TO_SEPTET = new Map<string, number>();
for (let i = 0; i < DEFAULT_TABLE.length; i += 1) {
  const ch = DEFAULT_TABLE[i];
  if (ch !== undefined && i !== GSM7_ESCAPE) CHAR_TO_SEPTET.set(ch, i);
}
const CHAR_TO_EXTENSION = new Map<string, number>(EXTENSION.map(([code, ch]) => [ch, code] as const));
const EXTENSION_TO_CHAR = new Map<number, string>(EXTENSION);

/** The septets of `text` (escapes included), or undefined if a character is in neither table. */
export function gsm7Septets(text: string): number[] | undefined {
  const out: number[] = [];
  for (const ch of text) {
    const base = CHAR_TO_SEPTET.get(ch);
    if (base !== undefined) {
      out.push(base);
      continue;
    }
    const ext = CHAR_TO_EXTENSION.get(ch);
    if (ext === undefined) return undefined;
    out.push(GSM7_ESCAPE, ext);
  }
  return out;
}

export function canEncodeGsm7(text: string): boolean {
  return gsm7Septets(text) !== undefined;
}

/** Packs septets (values 0-127), first septet in the low-order bits of the first octet. */
export function packSeptets(septets: readonly number[]): Buffer {
  const out = Buffer.alloc(Math.ceil((septets.length * 7) / 8));
  let bit = 0;
  for (const s of septets) {
    if (!Number.isInteger(s) || s < 0 || s > 0x7f) throw new AppletError('BAD_VALUE', { field: 'septet', value: s });
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte] = ((out[byte] ?? 0) | (s << shift)) & 0xff;
    if (shift > 1) out[byte + 1] = (out[byte + 1] ?? 0) | (s >> (8 - shift));
    bit += 7;
  }
  return out;
}

/** Unpacks `count` septets; the octet count must be exactly what `count` needs and the spare bits zero. */
export function unpackSeptets(packed: Uint8Array, count: number): number[] {
  if (!Number.isInteger(count) || count < 0 || Math.ceil((count * 7) / 8) !== packed.length) {
    throw new AppletError('BAD_LENGTH', { field: 'septets', count, octets: packed.length });
  }
  const out: number[] = [];
  for (let i = 0, bit = 0; i < count; i += 1, bit += 7) {
    const byte = bit >> 3;
    const shift = bit & 7;
    const word = (packed[byte] ?? 0) | ((packed[byte + 1] ?? 0) << 8);
    out.push((word >> shift) & 0x7f);
  }
  const used = count * 7;
  const spare = packed.length * 8 - used;
  if (spare > 0 && ((packed[packed.length - 1] ?? 0) >> (8 - spare)) !== 0) throw new AppletError('BAD_VALUE', { field: 'spare bits' });
  return out;
}

export function septetsToText(septets: readonly number[]): string {
  let text = '';
  for (let i = 0; i < septets.length; i += 1) {
    const s = septets[i] ?? 0;
    const ch = Number.isInteger(s) && s !== GSM7_ESCAPE ? DEFAULT_TABLE[s] : undefined;
    if (ch !== undefined) {
      text += ch;
      continue;
    }
    if (s !== GSM7_ESCAPE) throw new AppletError('BAD_VALUE', { field: 'septet', value: s });
    const next = septets[i + 1];
    const ext = next === undefined ? undefined : EXTENSION_TO_CHAR.get(next);
    if (ext === undefined) throw new AppletError('UNENCODABLE_TEXT', { field: 'escape', at: i });
    text += ext;
    i += 1;
  }
  return text;
}

/** Text → packed octets and the septet count (which the octets alone cannot tell: 7 and 8 septets both fill 7 octets). */
export function encodeGsm7(text: string): { readonly septets: number; readonly packed: Buffer } {
  const septets = gsm7Septets(text);
  if (septets === undefined) throw new AppletError('UNENCODABLE_TEXT', { alphabet: 'gsm7' });
  return { septets: septets.length, packed: packSeptets(septets) };
}

export function decodeGsm7(packed: Uint8Array, septets: number): string {
  return septetsToText(unpackSeptets(packed, septets));
}

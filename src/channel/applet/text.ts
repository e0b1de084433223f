import { AppletError } from './errors';
import { canEncodeGsm7, decodeGsm7, encodeGsm7 } from './gsm7';

/**
 * The text the SIM shows the citizen (FORMAT.md, tag '03'): coding octet ('00' GSM 7-bit packed, '08' UCS-2,
 * the TS 23.038 data coding scheme values), a count octet (septets, or UCS-2 characters), then the octets.
 * What is shown is what is signed over, so the text must not be able to hide anything: control characters
 * other than line breaks, and the Unicode bidirectional and zero-width controls, are refused outright.
 */

export type TextCoding = 'gsm7' | 'ucs2';

export interface DisplayLimits {
  /** Septets (an extension-table character counts two). */
  readonly gsm7Septets: number;
  readonly ucs2Chars: number;
}

/**
 * The most v1 allows: one SM's worth (TS 23.038: 160 septets or 70 UCS-2 characters in 140 octets), which is
 * also what the common handsets show in one DISPLAY TEXT. A SIM profile may set lower limits, never higher.
 */
export const MAX_DISPLAY: DisplayLimits = { gsm7Septets: 160, ucs2Chars: 70 };

const CODING_OCTET: Readonly<Record<TextCoding, number>> = { gsm7: 0x00, ucs2: 0x08 };

// C0 controls but LF and CR, DEL and C1, the zero-width and directional marks, bidi embeddings/overrides/isolates.
const HIDING = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

function checkLimits(limits: DisplayLimits): void {
  if (limits.gsm7Septets > MAX_DISPLAY.gsm7Septets || limits.ucs2Chars > MAX_DISPLAY.ucs2Chars) {
    throw new AppletError('BAD_VALUE', { field: 'display limits' });
  }
}

function checkVisible(text: string): void {
  if (text.length === 0) throw new AppletError('BAD_VALUE', { field: 'display text', reason: 'empty' });
  if (HIDING.test(text)) throw new AppletError('UNENCODABLE_TEXT', { field: 'display text', reason: 'control character' });
}

export function encodeDisplayText(text: string, coding: TextCoding | undefined, limits: DisplayLimits = MAX_DISPLAY): Buffer {
  checkLimits(limits);
  checkVisible(text);
  const chosen = coding ?? (canEncodeGsm7(text) ? 'gsm7' : 'ucs2');
  if (chosen === 'gsm7') {
    const { septets, packed } = encodeGsm7(text);
    if (septets > limits.gsm7Septets) throw new AppletError('TEXT_TOO_LONG', { coding: chosen, count: septets, limit: limits.gsm7Septets });
    return Buffer.concat([Buffer.from([CODING_OCTET.gsm7, septets]), packed]);
  }
  // UCS-2 is the BMP without surrogates: a character outside it has no UCS-2 code.
  if (/[\ud800-\udfff]/.test(text)) throw new AppletError('UNENCODABLE_TEXT', { alphabet: 'ucs2' });
  if (text.length > limits.ucs2Chars) throw new AppletError('TEXT_TOO_LONG', { coding: chosen, count: text.length, limit: limits.ucs2Chars });
  const le = Buffer.from(text, 'utf16le');
  return Buffer.concat([Buffer.from([CODING_OCTET.ucs2, text.length]), le.swap16()]);
}

export function decodeDisplayText(value: Buffer, limits: DisplayLimits = MAX_DISPLAY): { readonly text: string; readonly coding: TextCoding } {
  checkLimits(limits);
  if (value.length < 2) throw new AppletError('TRUNCATED', { field: 'display text' });
  const codingOctet = value[0];
  const count = value[1] ?? 0;
  const body = value.subarray(2);
  let text: string;
  let coding: TextCoding;
  if (codingOctet === CODING_OCTET.gsm7) {
    coding = 'gsm7';
    if (count > limits.gsm7Septets) throw new AppletError('TEXT_TOO_LONG', { coding, count, limit: limits.gsm7Septets });
    text = decodeGsm7(body, count);
  } else if (codingOctet === CODING_OCTET.ucs2) {
    coding = 'ucs2';
    if (count > limits.ucs2Chars) throw new AppletError('TEXT_TOO_LONG', { coding, count, limit: limits.ucs2Chars });
    if (body.length !== count * 2) throw new AppletError('BAD_LENGTH', { field: 'display text', count, octets: body.length });
    text = Buffer.from(body).swap16().toString('utf16le');
    if (/[\ud800-\udfff]/.test(text)) throw new AppletError('UNENCODABLE_TEXT', { alphabet: 'ucs2' });
  } else {
    throw new AppletError('BAD_VALUE', { field: 'text coding', value: codingOctet ?? -1 });
  }
  checkVisible(text);
  return { text, coding };
}

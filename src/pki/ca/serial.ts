import { randomBytes } from 'node:crypto';

/** Octets of serial numbers we issue: 16, i.e. 127 random bits (CA/Browser Forum BR §7.1 asks for at least 64). */
export const SERIAL_BYTES = 16;

/**
 * A fresh certificate serial number as lower-case hex of its DER INTEGER content: positive (top bit clear),
 * minimal (first octet non-zero) and exactly SERIAL_BYTES long, so that the hex, the DER content octets and
 * what @peculiar/x509 writes are the same bytes, and CRL entries match certificates byte for byte.
 */
export function randomSerialHex(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const bytes = random(SERIAL_BYTES);
    bytes[0] = (bytes[0] as number) & 0x7f;
    if (bytes[0] !== 0) return bytes.toString('hex');
  }
}

/** Canonical form of a serial number an operator types: lower-case hex of the DER content octets. */
export function normaliseSerialHex(input: string): string | undefined {
  const hex = input.trim().toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,40}$/.test(hex)) return undefined;
  let even = hex.length % 2 === 1 ? `0${hex}` : hex;
  // Drop redundant leading zero octets; keep one when the next octet has its top bit set (positive INTEGER).
  while (even.length > 2 && even.startsWith('00') && parseInt(even.slice(2, 4), 16) < 0x80) even = even.slice(2);
  if (parseInt(even.slice(0, 2), 16) >= 0x80) even = `00${even}`;
  return even;
}

import type { RcAlgorithm } from './spi';

/**
 * Redundancy checks of TS 102 225 §5.1.3.2: the CRCs of ISO/IEC 13239, reflected, initial register all ones,
 * final XOR all ones (CRC-16/X-25 with polynomial x^16+x^12+x^5+1, and the common CRC-32). The result goes on
 * the wire most significant octet first: the spec's own examples give '22 EC' (CRC16) and '47 0B 99 F4' (CRC32)
 * for the input '01 02 03 04 05' (fixtures/ota/rc-vectors.json).
 */

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

// Reflected forms of 0x1021 and 0x04C11DB7.
const CRC16_TABLE = table(0x8408);
const CRC32_TABLE = table(0xedb88320);

function run(t: Uint32Array, init: number, data: Uint8Array): number {
  let c = init;
  for (const b of data) c = ((t[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8)) >>> 0;
  return c;
}

export function crc16x25(data: Uint8Array): number {
  return (run(CRC16_TABLE, 0xffff, data) ^ 0xffff) & 0xffff;
}

export function crc32(data: Uint8Array): number {
  return (run(CRC32_TABLE, 0xffffffff, data) ^ 0xffffffff) >>> 0;
}

export const RC_LENGTH: Readonly<Record<RcAlgorithm, number>> = { CRC16: 2, CRC32: 4 };

export function redundancyCheck(algorithm: RcAlgorithm, data: Uint8Array): Buffer {
  const out = Buffer.alloc(RC_LENGTH[algorithm]);
  if (algorithm === 'CRC16') out.writeUInt16BE(crc16x25(data));
  else out.writeUInt32BE(crc32(data));
  return out;
}

import { OtaError } from './errors';

/**
 * A bounds-checked cursor over untrusted bytes: every read past the end becomes OtaError MALFORMED, so the
 * parsers never index out of range (noUncheckedIndexedAccess would make each such read `number | undefined`).
 */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** Names the structure in error details ("command packet", "UDH"). */
    private readonly what: string,
  ) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(field: string): number {
    const v = this.bytes[this.offset];
    if (v === undefined) throw this.short(field, 1);
    this.offset += 1;
    return v;
  }

  u16(field: string): number {
    const hi = this.bytes[this.offset];
    const lo = this.bytes[this.offset + 1];
    if (hi === undefined || lo === undefined) throw this.short(field, 2);
    this.offset += 2;
    return (hi << 8) | lo;
  }

  take(length: number, field: string): Buffer {
    if (length < 0 || this.offset + length > this.bytes.length) throw this.short(field, length);
    const out = Buffer.from(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return out;
  }

  rest(): Buffer {
    return this.take(this.remaining, 'rest');
  }

  private short(field: string, wanted: number): OtaError {
    return new OtaError('MALFORMED', `${this.what} is truncated`, { field, wanted, at: this.offset, length: this.bytes.length });
  }
}

/** Big-endian unsigned integer of `length` octets (CNTR is 5 octets, beyond 32-bit arithmetic). */
export function uintBE(value: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  let v = value;
  for (let i = length - 1; i >= 0; i -= 1) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function readUintBE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Constant-time comparison of checksums: the receiving side must not leak how many leading octets matched. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

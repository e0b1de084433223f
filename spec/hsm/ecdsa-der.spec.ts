import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ecdsaDerToRaw, ecdsaRawToDer, SignatureEncodingError } from '../../src/hsm';
import generated from './vectors/ecdsa-der-generated.json';
import strict from './vectors/ecdsa-der-strict.json';

const FIELD_BYTES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('ECDSA signature encoding (strict DER, RFC 3279 §2.2.3)', () => {
  describe('signatures made by OpenSSL', () => {
    it.each(generated.map((v) => [`${v.curve}: ${v.name}`, v] as const))('%s', (_name, v) => {
      const fieldBytes = FIELD_BYTES[v.curve] ?? 0;
      const key = createPublicKey({ key: Buffer.from(v.spki, 'base64'), format: 'der', type: 'spki' });
      const raw = ecdsaDerToRaw(hex(v.der), fieldBytes);
      expect(raw.toString('hex')).toBe(v.raw);
      // The decoded r‖s verifies as IEEE P1363 and re-encodes to OpenSSL's exact bytes.
      expect(verify(v.hash.replace('-', '').toLowerCase(), Buffer.from(v.message), { key, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
      expect(ecdsaRawToDer(raw).toString('hex')).toBe(v.der);
    });
  });

  describe('hand-made valid encodings', () => {
    it.each(strict.valid.map((v) => [v.name, v] as const))('%s', (_name, v) => {
      expect(ecdsaDerToRaw(hex(v.der), v.fieldBytes).toString('hex')).toBe(v.raw);
      expect(ecdsaRawToDer(hex(v.raw)).toString('hex')).toBe(v.der);
    });
  });

  describe('encodings that are refused', () => {
    it.each(strict.invalid.map((v) => [`${v.name}${v.source ? ` (${v.source})` : ''}`, v] as const))('%s', (_name, v) => {
      let caught: unknown;
      try {
        ecdsaDerToRaw(hex(v.der), v.fieldBytes);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(SignatureEncodingError);
      expect((caught as SignatureEncodingError).code).toBe('ERR_HSM_SIGNATURE_ENCODING');
      expect((caught as Error).message).toContain(v.reason);
    });
  });

  it('refuses r‖s of odd or impossible length', () => {
    expect(() => ecdsaRawToDer(Buffer.alloc(63, 1))).toThrow(SignatureEncodingError);
    expect(() => ecdsaRawToDer(Buffer.alloc(0))).toThrow(SignatureEncodingError);
    expect(() => ecdsaRawToDer(Buffer.alloc(134, 1))).toThrow(SignatureEncodingError);
  });

  describe('properties over random r and s', () => {
    const scalar = (fieldBytes: number): fc.Arbitrary<Uint8Array> =>
      fc
        .uint8Array({ minLength: fieldBytes, maxLength: fieldBytes })
        // Mostly leading zero bytes and high bits, where encoders go wrong.
        .chain((bytes) => fc.nat({ max: fieldBytes - 1 }).map((zeros) => (zeros % 3 === 0 ? bytes.map((b, i) => (i < zeros % 5 ? 0 : b)) : bytes)))
        .filter((bytes) => bytes.some((b) => b !== 0));

    it.each([32, 48, 66])('decode(encode(r‖s)) = r‖s (field %i bytes)', (fieldBytes) => {
      fc.assert(
        fc.property(scalar(fieldBytes), scalar(fieldBytes), (r, s) => {
          const raw = Buffer.concat([r, s]);
          expect(ecdsaDerToRaw(ecdsaRawToDer(raw), fieldBytes).equals(raw)).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it.each([32, 48, 66])('OpenSSL reads the same integers, each in its minimal length (field %i bytes)', (fieldBytes) => {
      // asn1js 4 (pkijs's) is ESM-only and Jest on Node 20 cannot load it; OpenSSL is the independent reader.
      const pairs = fc.sample(fc.tuple(scalar(fieldBytes), scalar(fieldBytes)), { numRuns: 200, seed: fieldBytes });
      const ders = pairs.map(([r, s]) => ecdsaRawToDer(Buffer.concat([r, s])));
      const file = join(mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'der-')), 'sigs.der');
      writeFileSync(file, Buffer.concat(ders));
      const lines = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file], { encoding: 'utf8' }).trim().split('\n');
      expect(lines).toHaveLength(3 * pairs.length);
      const minimalLength = (v: bigint): number => Math.floor(v.toString(2).length / 8) + 1;
      let offset = 0;
      pairs.forEach(([r, s], i) => {
        const [seq, ri, si] = lines.slice(3 * i, 3 * i + 3).map((l) => /^\s*(\d+):d=(\d) +hl=(\d) l= *(\d+) (?:cons|prim): (\w+)\s*:?([0-9A-F]*)/.exec(l));
        const der = ders[i] ?? Buffer.alloc(0);
        expect(Number(seq?.[1])).toBe(offset);
        expect(seq?.[5]).toBe('SEQUENCE');
        expect(Number(seq?.[3])).toBe(der.length - 2 < 128 ? 2 : 3);
        for (const [int, value] of [[ri, r], [si, s]] as const) {
          const v = BigInt(`0x${Buffer.from(value).toString('hex')}`);
          expect(int?.[5]).toBe('INTEGER');
          expect(BigInt(`0x${int?.[6] ?? ''}`)).toBe(v);
          expect(Number(int?.[4])).toBe(minimalLength(v));
        }
        offset += der.length;
      });
    });

    it('any single-byte change of a valid encoding is refused or decodes to other values', () => {
      fc.assert(
        fc.property(scalar(32), scalar(32), fc.nat(), fc.integer({ min: 1, max: 255 }), (r, s, at, flip) => {
          const raw = Buffer.concat([r, s]);
          const der = ecdsaRawToDer(raw);
          const changed = Buffer.from(der);
          const index = at % der.length;
          changed[index] = (changed[index] ?? 0) ^ flip;
          let decoded: Buffer | undefined;
          try {
            decoded = ecdsaDerToRaw(changed, 32);
          } catch (err) {
            expect(err).toBeInstanceOf(SignatureEncodingError);
            return;
          }
          // Malleability check: a different encoding never yields the same signature.
          expect(decoded.equals(raw)).toBe(false);
        }),
        { numRuns: 500 },
      );
    });
  });
});

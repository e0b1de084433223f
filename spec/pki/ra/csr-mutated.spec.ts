import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { PkiParseError, RaError, checkProofOfPossession, parsePkcs10, readCertificationRequest } from '../../../src/pki';
import { openPkiTokens, simRequest, type PkiTokens } from '../ca/support/pki-fixture';
import { mutate, mutations } from '../ocsp/support/mutation';

/**
 * Property: whatever bytes arrive as a PKCS#10 request, the parser returns a request or throws PkiParseError,
 * and the RA's reader turns every failure into RaError INVALID_CSR or PROOF_OF_POSSESSION (a mutated body
 * that still parses must not pass the signature check). Seeds: requests made in a SIM token (P-256, P-384,
 * RSA-2048) and by `openssl req`.
 */
let tokens: PkiTokens;
const seeds: Uint8Array[] = [];

beforeAll(async () => {
  tokens = await openPkiTokens('csr-mutated');
  seeds.push(await simRequest(tokens.sim), await simRequest(tokens.sim, { type: 'EC', curve: 'P-384' }), await simRequest(tokens.sim, { type: 'RSA', modulusBits: 2048 }));
  const out = join(tokens.dir, 'openssl.csr');
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tokens.dir, 'k.pem'), '-subj', '/CN=openssl', '-addext', 'subjectAltName=URI:tel:+37255512345', '-outform', 'DER', '-out', out], { stdio: 'pipe' });
  seeds.push(readFileSync(out));
  for (const seed of seeds) checkProofOfPossession(parsePkcs10(seed));
});
afterAll(async () => {
  await tokens?.close();
});

describe('PKCS#10 parser under mutation', () => {
  it('returns a request or throws PkiParseError for 10,000 mutated requests; only intact ones prove possession', () => {
    let proven = 0;
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), mutations, (pick, ms) => {
        const seed = seeds[pick % seeds.length] as Uint8Array;
        const input = mutate(seed, ms);
        try {
          readCertificationRequest(input);
          proven += 1;
          // A request that still proves possession must carry the same signed content (a mutation in unused bits aside).
          expect(Buffer.from(parsePkcs10(input).info)).toEqual(Buffer.from(parsePkcs10(seed).info));
        } catch (err) {
          if (!(err instanceof RaError)) throw err;
          expect(['INVALID_CSR', 'PROOF_OF_POSSESSION']).toContain(err.code);
          if (err.code === 'INVALID_CSR') expect(err.cause).toBeInstanceOf(PkiParseError);
        }
      }),
      { numRuns: 10_000 },
    );
    expect(proven).toBeLessThan(500);
  });

  it.each([
    ['truncated', (s: Uint8Array) => s.subarray(0, s.length - 1), /runs past the end/],
    ['trailing garbage', (s: Uint8Array) => Buffer.concat([s, Buffer.from([0x05, 0x00])]), /trailing bytes/],
    ['wrongly tagged', (s: Uint8Array) => Buffer.concat([Buffer.from([0xa0]), s.subarray(1)]), /expected a SEQUENCE/],
    ['oversized', () => Buffer.alloc(20_000, 0x30), /larger than 16384 bytes/],
  ] as const)('refuses a %s request with a clear error', (_name, make, message) => {
    const input = make(seeds[0] as Uint8Array);
    expect(() => parsePkcs10(input)).toThrow(PkiParseError);
    expect(() => parsePkcs10(input)).toThrow(message);
    expect(() => readCertificationRequest(input)).toThrow(RaError);
  });

  it('reads PEM as well as DER, and refuses PEM without a request in it', () => {
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(seeds[0] as Uint8Array).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(readCertificationRequest(Buffer.from(pem)).subjectPublicKeyInfo.der).toEqual(parsePkcs10(seeds[0] as Uint8Array).subjectPublicKeyInfo.der);
    expect(() => readCertificationRequest(Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'))).toThrow(/no CERTIFICATE REQUEST block/);
  });
});

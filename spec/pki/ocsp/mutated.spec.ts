import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  PkiParseError,
  encodeCertId,
  encodeOcspRequest,
  parseCertificate,
  parseOcspRequest,
  parseOcspResponse,
  startPkiRuntime,
  type PkiRuntime,
} from '../../../src/pki';
import { sqliteEngine, type StoreFixture } from '../../store/engines';
import { initTestPki, openPkiTokens, simRequest, writePem, type PkiTokens, type TestPki } from '../ca/support/pki-fixture';
import { mutate, mutations } from './support/mutation';
import { boolean, octetString, oid, sequence, tlv } from '../../../src/pki/cms/der-writer';

/**
 * Property: whatever bytes arrive as an OCSPRequest, the parser returns a request or throws PkiParseError, and
 * the responder answers every one with a well-formed OCSPResponse (successful, malformedRequest or
 * unauthorized), never throwing, never hanging. Seeds are requests from `openssl ocsp -reqout` (with and
 * without nonce, SHA-1 and SHA-256 CertIDs) and our own multi-certificate requests.
 */
let tokens: PkiTokens;
let fx: StoreFixture;
let pki: TestPki;
let runtime: PkiRuntime;
const seeds: Uint8Array[] = [];

beforeAll(async () => {
  tokens = await openPkiTokens('ocsp-mutated');
  fx = await sqliteEngine.fresh();
  pki = await initTestPki(tokens.platform, fx.store);
  runtime = await startPkiRuntime({ hsm: tokens.platform, store: fx.store, pollMs: 60_000 });
  const reg = await runtime.ra.register({
    identity: { givenName: 'Fuzz', familyName: 'Seed', nationalId: 'F1', birthDate: '2000-01-01' },
    msisdn: '+37255530001',
    label: 'government',
    mode: 'remote',
    officer: 'fuzz',
    authenticationRequest: await simRequest(tokens.sim),
    signatureRequest: await simRequest(tokens.sim),
  });
  const issuingPem = writePem(tokens.dir, 'issuing.pem', pki.init.issuing.certificate);
  const leafPem = writePem(tokens.dir, 'leaf.pem', reg.signature.der);
  for (const args of [[], ['-no_nonce'], ['-sha256'], ['-sha256', '-no_nonce']]) {
    const out = join(tokens.dir, `seed-${seeds.length}.der`);
    execFileSync('openssl', ['ocsp', ...args, '-issuer', issuingPem, '-cert', leafPem, '-reqout', out], { stdio: 'pipe' });
    seeds.push(readFileSync(out));
  }
  const issuing = parseCertificate(pki.init.issuing.certificate);
  const leaf = parseCertificate(reg.authentication.der);
  const id = (hash: 'sha1' | 'sha256' | 'sha512') => encodeCertId({ issuerName: leaf.issuer, issuerKey: issuing.subjectPublicKeyInfo, serialNumber: leaf.serialNumber }, hash);
  seeds.push(encodeOcspRequest([id('sha1'), id('sha256'), id('sha512')], Buffer.alloc(32, 7)));
  for (const seed of seeds) parseOcspRequest(seed);
});
afterAll(async () => {
  await runtime?.stop();
  await fx?.close();
  await tokens?.close();
});

describe('OCSP request parser under mutation', () => {
  it('returns a request or throws PkiParseError for 10,000 mutated requests', () => {
    let parsed = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), mutations, (pick, ms) => {
        const input = mutate(seeds[pick % seeds.length] as Uint8Array, ms);
        try {
          const r = parseOcspRequest(input);
          expect(r.certIds.length).toBeGreaterThan(0);
          parsed += 1;
        } catch (err) {
          if (!(err instanceof PkiParseError)) throw err;
          expect(err.message).toMatch(/^OCSP request: |^(OCSPRequest|TBSRequest|CertID|Request|requestList|[a-zA-Z]+)/);
          refused += 1;
        }
      }),
      { numRuns: 10_000 },
    );
    expect(parsed + refused).toBe(10_000);
    expect(refused).toBeGreaterThan(1000);
  });

  it('answers every mutated request with a well-formed OCSPResponse, never throwing', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1000 }), mutations, async (pick, ms) => {
        const reply = await runtime.responder.respond(mutate(seeds[pick % seeds.length] as Uint8Array, ms));
        expect(['successful', 'malformedRequest', 'unauthorized']).toContain(reply.status);
        expect(parseOcspResponse(reply.der).status).toBe(reply.status);
        seen.set(reply.status, (seen.get(reply.status) ?? 0) + 1);
      }),
      { numRuns: 1500 },
    );
    expect(seen.get('malformedRequest')).toBeGreaterThan(0);
  });

  it.each([
    ['truncated', (s: Uint8Array) => s.subarray(0, s.length - 3), /runs past the end|unexpected end/],
    ['trailing garbage', (s: Uint8Array) => Buffer.concat([s, Buffer.from([0, 0])]), /trailing bytes/],
    ['wrongly tagged', (s: Uint8Array) => Buffer.concat([Buffer.from([0x31]), s.subarray(1)]), /expected a SEQUENCE/],
    ['oversized', () => Buffer.concat([Buffer.from([0x30, 0x82, 0x27, 0x10]), Buffer.alloc(10_000)]), /larger than 8192 bytes/],
    ['indefinite length', (s: Uint8Array) => Buffer.concat([Buffer.from([0x30, 0x80]), s.subarray(2), Buffer.from([0, 0])]), /indefinite length/],
    ['empty', () => Buffer.alloc(0), /unexpected end/],
  ] as const)('refuses a %s request with a clear PkiParseError and malformedRequest', async (_name, make, message) => {
    const input = make(seeds[0] as Uint8Array);
    expect(() => parseOcspRequest(input)).toThrow(PkiParseError);
    expect(() => parseOcspRequest(input)).toThrow(message);
    const reply = await runtime.responder.respond(input);
    expect(reply.status).toBe('malformedRequest');
    expect(reply.der).toEqual(Buffer.from('30030a0101', 'hex'));
  });

  it('refuses a nonce over 32 octets and unknown critical extensions (RFC 8954, RFC 6960 §4.4)', () => {
    const issuing = parseCertificate(pki.init.issuing.certificate);
    const id = encodeCertId({ issuerName: issuing.subject, issuerKey: issuing.subjectPublicKeyInfo, serialNumber: Buffer.from([1]) });
    expect(() => parseOcspRequest(encodeOcspRequest([id], Buffer.alloc(33)))).toThrow(/nonce must be 1 to 32 octets/);
    expect(() => parseOcspRequest(encodeOcspRequest([id], Buffer.alloc(32)))).not.toThrow();
    const many = encodeOcspRequest(Array.from({ length: 33 }, () => id));
    expect(() => parseOcspRequest(many)).toThrow(/more than 32 certificates/);
    const extension = (critical: boolean): Buffer => tlv(0xa2, sequence(sequence(oid('1.2.3.4'), ...(critical ? [boolean(true)] : []), octetString(Buffer.from([5, 0])))));
    const withExtension = (critical: boolean): Buffer => sequence(sequence(sequence(sequence(id)), extension(critical)));
    expect(() => parseOcspRequest(withExtension(true))).toThrow(/unsupported critical request extension 1\.2\.3\.4/);
    expect(parseOcspRequest(withExtension(false)).certIds).toHaveLength(1);
  });
});

import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CMS_RULES,
  CertificateCache,
  CmsError,
  createSignedData,
  hsmSigner,
  parseCertificate,
  parseSignedData,
  trustAnchorFromCertificate,
  verifySignedData,
  type TrustAnchor,
} from '../../../src/pki';
import { openTestToken, type TestToken } from '../../hsm/support';
import { makeOpensslChain, readBytes, runOpenssl } from '../support/openssl-pki';
import { makeTokenChain } from '../support/token-pki';

/**
 * Property: whatever bytes arrive, parseSignedData returns a value or throws CmsError, and verifySignedData
 * always returns a result (never throws, never hangs) whose failure names a rule of CMS_RULES. Inputs are
 * real SignedData (ours with P-256 and RSA-PSS, attached and detached, and one made by openssl) with bytes
 * changed, inserted, deleted or cut off.
 */
type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
);

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Array.from(seed);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'set') bytes[at] = m.value;
    else if (m.kind === 'insert') bytes.splice(at, 0, ...m.bytes);
    else if (m.kind === 'delete') bytes.splice(at, m.count);
    else bytes = bytes.slice(0, at);
  }
  return Uint8Array.from(bytes);
}

interface Seed {
  readonly der: Uint8Array;
  readonly detached?: Uint8Array;
  readonly anchors: readonly TrustAnchor[];
}

let t: TestToken;
const seeds: Seed[] = [];

beforeAll(async () => {
  t = await openTestToken('cms-mutated');
  const ec = await makeTokenChain(t.hsm, { label: 'mut-ec' });
  const rsa = await makeTokenChain(t.hsm, { label: 'mut-rsa', caAlgorithm: 'RS256', leafAlgorithm: 'PS256' });
  const content = Buffer.from('mutated inputs: the signed content');
  const ecSigner = hsmSigner(t.hsm, ec.leaf.pair.privateKey, { algorithm: 'ES256', certificate: ec.leaf.der, chain: [ec.issuing.der] });
  const rsaSigner = hsmSigner(t.hsm, rsa.leaf.pair.privateKey, { algorithm: 'PS256', certificate: rsa.leaf.der, chain: [rsa.issuing.der] });
  const ecAnchors = [trustAnchorFromCertificate(parseCertificate(ec.root.der))];
  seeds.push({ der: await createSignedData({ content, signer: ecSigner }), anchors: ecAnchors });
  seeds.push({ der: await createSignedData({ content, signer: ecSigner, detached: true, signerIdentifier: 'subjectKeyIdentifier' }), detached: content, anchors: ecAnchors });
  seeds.push({ der: await createSignedData({ content, signer: rsaSigner }), anchors: [trustAnchorFromCertificate(parseCertificate(rsa.root.der))] });
  const osl = makeOpensslChain(t.dir, 'mut', 'ec-p256');
  const data = join(t.dir, 'mut.bin');
  writeFileSync(data, randomBytes(64));
  const out = join(t.dir, 'mut.der');
  expect(runOpenssl(['cms', '-sign', '-binary', '-nodetach', '-in', data, '-signer', osl.leaf, '-inkey', osl.leafKey, '-certfile', osl.issuing, '-outform', 'DER', '-out', out]).status).toBe(0);
  seeds.push({ der: readBytes(out), anchors: [trustAnchorFromCertificate(parseCertificate(osl.rootDer))] });
  for (const s of seeds) expect(await verifySignedData(s.der, { ...(s.detached ? { detachedContent: s.detached } : {}), trustAnchors: s.anchors, revocation: { mode: 'off' } })).toMatchObject({ valid: true });
});

afterAll(async () => {
  await t?.hsm.close();
});

const RUNS = 10_000;
const PER_INPUT_BUDGET_MS = 1_000;

test(`${RUNS} mutated SignedData: typed errors only, always a result naming a rule, never a hang`, async () => {
  const tally = { parsed: 0, refused: 0, valid: 0, slowest: 0, rules: new Map<string, number>() };
  const cache = new CertificateCache(256);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 1000 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (pick, mutations) => {
      const seed = seeds[pick % seeds.length] as Seed;
      const der = mutate(seed.der, mutations);
      try {
        parseSignedData(der);
        tally.parsed += 1;
      } catch (err) {
        if (!(err instanceof CmsError)) throw err;
        expect(CMS_RULES).toContain(err.rule);
        tally.refused += 1;
      }
      const started = performance.now();
      const result = await verifySignedData(der, {
        ...(seed.detached ? { detachedContent: seed.detached } : {}),
        trustAnchors: seed.anchors,
        revocation: { mode: 'required', ocsp: async () => 'good' },
        certificateCache: cache,
      });
      tally.slowest = Math.max(tally.slowest, performance.now() - started);
      if (result.valid) tally.valid += 1;
      else {
        expect(CMS_RULES).toContain(result.rule);
        expect(typeof result.message).toBe('string');
        tally.rules.set(result.rule, (tally.rules.get(result.rule) ?? 0) + 1);
      }
      expect(performance.now() - started).toBeLessThan(PER_INPUT_BUDGET_MS);
    }),
    { numRuns: RUNS },
  );
  // Nearly every mutation must be caught. The few that pass change nothing signed: a 'set' to the byte already
  // there, or the digestAlgorithms collection, which RFC 5652 §5.1 leaves to the signer (any number of entries).
  expect(tally.parsed + tally.refused).toBe(RUNS);
  expect(tally.valid).toBeLessThan(RUNS * 0.05);
  expect(tally.rules.get('malformed')).toBeGreaterThan(RUNS / 4);
}, 120_000);

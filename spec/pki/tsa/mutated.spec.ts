import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TSA_FAILURE_NAMES, TimeStampAuthority, TsaError, hsmSigner, parseTimeStampQuery, parseTimeStampResponse } from '../../../src/pki';
import { openTestToken, type TestToken } from '../../hsm/support';
import { readBytes, runOpenssl } from '../support/openssl-pki';
import { makeTokenChain } from '../support/token-pki';
import { TIME_STAMPING, TSA_POLICY, memoryLogger } from './support';

/**
 * Property: whatever bytes arrive as a TimeStampReq, the parser returns a query or throws TsaError, and the TSA
 * answers with a DER TimeStampResp: granted, or a rejection whose failInfo is a client's fault. systemFailure
 * would mean an unexpected exception escaped the parser, so it must never appear. Seeds are queries from
 * `openssl ts -query` and the well-formed vectors of fixtures/pki/tsa/queries.json.
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

let t: TestToken;
let tsa: TimeStampAuthority;
const seeds: Uint8Array[] = [];

beforeAll(async () => {
  t = await openTestToken('tsq-mutated');
  const chain = await makeTokenChain(t.hsm, { label: 'tsq-mutated', leaf: { extendedKeyUsage: { usages: [TIME_STAMPING], critical: true } } });
  let n = 0n;
  tsa = new TimeStampAuthority({
    signer: hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der }),
    serials: { next: async () => (n += 1n) },
    policyOid: TSA_POLICY,
    logger: memoryLogger().logger,
  });
  const vectors = (JSON.parse(readFileSync(resolve(__dirname, '../../../fixtures/pki/tsa/queries.json'), 'utf8')) as { vectors: Array<{ hex: string; expect: string }> }).vectors;
  for (const v of vectors) if (v.expect === 'granted') seeds.push(Buffer.from(v.hex, 'hex'));
  for (const args of [['-sha256', '-cert'], ['-sha512', '-no_nonce'], ['-sha384', '-tspolicy', TSA_POLICY]]) {
    const out = join(t.dir, `seed-${seeds.length}.tsq`);
    expect(runOpenssl(['ts', '-query', '-digest', 'ab'.repeat(args[0] === '-sha256' ? 32 : args[0] === '-sha384' ? 48 : 64), ...args, '-out', out]).status).toBe(0);
    seeds.push(readBytes(out));
  }
});

afterAll(async () => {
  await t?.hsm.close();
});

const RUNS = 10_000;

test(`${RUNS} mutated TimeStampReqs: TsaError only, always a TimeStampResp, never systemFailure, never a hang`, async () => {
  const tally = { granted: 0, rejected: 0, slowest: 0 };
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 1000 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (pick, mutations) => {
      const der = mutate(seeds[pick % seeds.length] as Uint8Array, mutations);
      let parsed = false;
      try {
        parseTimeStampQuery(der);
        parsed = true;
      } catch (err) {
        if (!(err instanceof TsaError)) throw err;
        expect(TSA_FAILURE_NAMES).toContain(err.failure);
      }
      const started = performance.now();
      const reply = await tsa.respond(der);
      tally.slowest = Math.max(tally.slowest, performance.now() - started);
      const resp = parseTimeStampResponse(reply.der);
      if (resp.status === 0) {
        expect(parsed).toBe(true);
        expect(resp.token).toBeDefined();
        tally.granted += 1;
      } else {
        expect(resp.status).toBe(2);
        expect(resp.failures).toHaveLength(1);
        expect(resp.failures[0]).not.toBe('systemFailure');
        tally.rejected += 1;
      }
      expect(performance.now() - started).toBeLessThan(1_000);
    }),
    { numRuns: RUNS },
  );
  expect(tally.granted + tally.rejected).toBe(RUNS);
  expect(tally.rejected).toBeGreaterThan(RUNS / 2);
}, 120_000);

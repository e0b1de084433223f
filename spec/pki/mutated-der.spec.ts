import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import {
  type Certificate,
  type Crl,
  PATH_RULES,
  PkiParseError,
  parseCertificate,
  parseCrl,
  trustAnchorFromCertificate,
  validateCertificate,
} from '../../src/pki';

/**
 * Property: whatever bytes arrive, the certificate and CRL parsers either return a value or throw our
 * PkiParseError, and path validation on whatever parsed returns a result; nothing else is ever thrown and
 * nothing hangs. Inputs are PKITS certificates and CRLs with bytes changed, inserted, deleted or cut off.
 */
const PKITS_DIR = resolve(__dirname, '../../../shared/pkits');
const certDer = (n: string): Uint8Array => Uint8Array.from(readFileSync(resolve(PKITS_DIR, 'certs', `${n}.crt`)));
const crlDer = (n: string): Uint8Array => Uint8Array.from(readFileSync(resolve(PKITS_DIR, 'crls', `${n}.crl`)));

const anchor = trustAnchorFromCertificate(parseCertificate(certDer('TrustAnchorRootCertificate')));
const goodCa = parseCertificate(certDer('GoodCACert'));
const rootCrl = parseCrl(crlDer('TrustAnchorRootCRL'));
const goodCaCrl = parseCrl(crlDer('GoodCACRL'));

/** Seeds chosen to cover every extension the validator decodes. */
const TARGET_SEEDS = [
  'ValidCertificatePathTest1EE',
  'ValidDNandRFC822nameConstraintsTest27EE',
  'ValidonlySomeReasonsTest19EE',
  'ValidDSAParameterInheritanceTest5EE',
  'UserNoticeQualifierTest16EE',
  'ValidURInameConstraintsTest34EE',
].map(certDer);
const CA_SEEDS = ['GoodCACert', 'nameConstraintsDN1subCA3Cert', 'P12Mapping1to3CACert', 'requireExplicitPolicy2CACert', 'inhibitAnyPolicy1CACert', 'indirectCRLCA5Cert'].map(certDer);
const CRL_SEEDS = ['GoodCACRL', 'indirectCRLCA5CRL', 'deltaCRLCA1deltaCRL', 'onlySomeReasonsCA4compromiseCRL'].map(crlDer);

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

/** Parses, and requires that the only thing ever thrown is PkiParseError. */
function parseOrUndefined<T>(parse: (d: Uint8Array) => T, der: Uint8Array): T | undefined {
  try {
    return parse(der);
  } catch (err) {
    if (err instanceof PkiParseError) return undefined;
    throw err;
  }
}

const RUNS = 10_000;
const PER_INPUT_BUDGET_MS = 2_000;

test(`${RUNS} mutated certificates and CRLs: only typed parse errors, always a validation result, never a hang`, async () => {
  const tally = { parsed: 0, rejected: 0, validated: 0, slowest: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('target', 'ca', 'crl'),
      fc.nat(),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      async (role, seedIndex, mutations) => {
        const seeds = role === 'target' ? TARGET_SEEDS : role === 'ca' ? CA_SEEDS : CRL_SEEDS;
        const der = mutate(seeds[seedIndex % seeds.length] as Uint8Array, mutations);
        const started = performance.now();
        let target: Certificate | undefined = parseCertificate(certDer('ValidCertificatePathTest1EE'));
        let ca: Certificate | undefined = goodCa;
        let crl: Crl | undefined = goodCaCrl;
        if (role === 'target') target = parseOrUndefined(parseCertificate, der);
        else if (role === 'ca') ca = parseOrUndefined(parseCertificate, der);
        else crl = parseOrUndefined(parseCrl, der);
        if (!target || !ca || !crl) {
          tally.rejected++;
          return;
        }
        tally.parsed++;
        const result = await validateCertificate({
          target,
          intermediates: [ca, goodCa],
          trustAnchors: [anchor],
          time: new Date(Date.UTC(2011, 3, 15)),
          revocation: { mode: 'required', crls: [rootCrl, crl] },
        });
        if (result.valid) tally.validated++;
        else expect(PATH_RULES).toContain(result.rule);
        const took = performance.now() - started;
        tally.slowest = Math.max(tally.slowest, took);
        expect(took).toBeLessThan(PER_INPUT_BUDGET_MS);
      },
    ),
    { numRuns: RUNS },
  );
  // Both branches were exercised: some mutations broke the DER, others produced parseable inputs to validate.
  expect(tally.rejected).toBeGreaterThan(RUNS / 10);
  expect(tally.parsed).toBeGreaterThan(RUNS / 10);
  expect(tally.validated).toBeGreaterThan(0);
}, 300_000);

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type Certificate,
  type Crl,
  type PathValidationResult,
  isPkiParseError,
  parseCertificate,
  parseCrl,
  trustAnchorFromCertificate,
  validateCertificate,
} from '../src/pki';

/**
 * NIST PKITS 1.0.1 run through our RFC 5280 validator. One case per PKITS test (and per subpart where the
 * test has several policy settings); cases.json lists, for each, the certificates from the trust anchor to
 * the end entity (with any helper certificates such as CRL signers in between), the CRLs, and whether the
 * path must validate. PKITS's own defaults apply where a case is silent.
 */

/** Where the shared data lives relative to this repository: `../shared/pkits`. */
export const DEFAULT_PKITS_DIR = resolve(__dirname, '..', '..', 'shared', 'pkits');

/** PKITS's validation time where a case gives none: the data was generated to be valid on this day. */
export const PKITS_TIME = new Date(Date.UTC(2011, 3, 15));

/**
 * Cases we do not run, by name, with the reason. Empty: DSA (4.1.4–4.1.6), including parameter
 * inheritance, is verified like every other algorithm.
 */
export const PKITS_SKIPS: Readonly<Record<string, string>> = {};

export interface PkitsCase {
  readonly number: string;
  readonly name: string;
  readonly certs: readonly string[];
  readonly crls: readonly string[];
  readonly should_validate: boolean;
  readonly InitialPolicySet?: readonly string[];
  readonly InitialExplicitPolicy?: boolean;
  readonly InitialPolicyMappingInhibit?: boolean;
  readonly InitialInhibitAnyPolicy?: boolean;
  /** The user-constrained-policy-set PKITS expects on success, where it states one. */
  readonly UserConstrainedPolicySet?: readonly string[];
}

export type PkitsOutcome = 'pass' | 'fail' | 'skip';

export interface PkitsCaseResult {
  readonly number: string;
  readonly name: string;
  readonly outcome: PkitsOutcome;
  readonly shouldValidate: boolean;
  /** Absent for skipped cases. */
  readonly result?: PathValidationResult;
  /** Why it failed, or why it was skipped; for a pass, how the path was rejected when it had to be. */
  readonly detail: string;
}

export interface PkitsRun {
  readonly results: readonly PkitsCaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface PkitsOptions {
  /** The folder holding cases.json, certs/ and crls/; default DEFAULT_PKITS_DIR. */
  readonly dir?: string;
  /** Only run cases for which this is true (tests use it to run one section). */
  readonly filter?: (c: PkitsCase) => boolean;
}

export function loadPkitsCases(dir: string): PkitsCase[] {
  return JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as PkitsCase[];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function describe(result: PathValidationResult): string {
  if (result.valid) return 'valid';
  return `invalid: rule=${result.rule} at certificate ${result.certIndex} (${result.subject}): ${result.message}`;
}

export async function runPkitsCase(c: PkitsCase, load: { cert(name: string): Certificate; crl(name: string): Crl }): Promise<PkitsCaseResult> {
  const base = { number: c.number, name: c.name, shouldValidate: c.should_validate };
  const skip = PKITS_SKIPS[c.name];
  if (skip !== undefined) return { ...base, outcome: 'skip', detail: skip };
  const [anchorName, ...rest] = c.certs;
  const targetName = rest.pop();
  if (anchorName === undefined || targetName === undefined) return { ...base, outcome: 'fail', detail: 'case lists fewer than two certificates' };
  let result: PathValidationResult;
  try {
    result = await validateCertificate({
    target: load.cert(targetName),
    intermediates: rest.map((n) => load.cert(n)),
    trustAnchors: [trustAnchorFromCertificate(load.cert(anchorName))],
    time: PKITS_TIME,
    initialPolicySet: c.InitialPolicySet,
    initialExplicitPolicy: c.InitialExplicitPolicy,
    initialPolicyMappingInhibit: c.InitialPolicyMappingInhibit,
    initialAnyPolicyInhibit: c.InitialInhibitAnyPolicy,
    revocation: { mode: 'required', crls: c.crls.map((n) => load.crl(n)) },
    });
  } catch (err) {
    // A certificate or CRL of the case that does not parse is a rejection of the path, not a crash of the run.
    if (!isPkiParseError(err)) throw err;
    result = { valid: false, rule: 'malformed', certIndex: 0, subject: '', message: err.message, path: [] };
  }
  if (result.valid !== c.should_validate) {
    return { ...base, outcome: 'fail', result, detail: `expected ${c.should_validate ? 'valid' : 'invalid'}, got ${describe(result)}` };
  }
  if (result.valid && c.UserConstrainedPolicySet && !sameSet(result.userConstrainedPolicySet, c.UserConstrainedPolicySet)) {
    return {
      ...base,
      outcome: 'fail',
      result,
      detail: `expected user-constrained-policy-set {${c.UserConstrainedPolicySet.join(', ')}}, got {${result.userConstrainedPolicySet.join(', ')}}`,
    };
  }
  return { ...base, outcome: 'pass', result, detail: result.valid ? '' : `rejected: ${result.rule} at certificate ${result.certIndex}` };
}

/** Runs every PKITS case (or those the filter keeps) and counts. */
export async function runPkits(options: PkitsOptions = {}): Promise<PkitsRun> {
  const dir = options.dir ?? DEFAULT_PKITS_DIR;
  const certs = new Map<string, Certificate>();
  const crls = new Map<string, Crl>();
  const load = {
    cert(name: string): Certificate {
      let c = certs.get(name);
      if (!c) certs.set(name, (c = parseCertificate(readFileSync(join(dir, 'certs', `${name}.crt`)))));
      return c;
    },
    crl(name: string): Crl {
      let c = crls.get(name);
      if (!c) crls.set(name, (c = parseCrl(readFileSync(join(dir, 'crls', `${name}.crl`)))));
      return c;
    },
  };
  const results: PkitsCaseResult[] = [];
  for (const c of loadPkitsCases(dir)) {
    if (options.filter && !options.filter(c)) continue;
    results.push(await runPkitsCase(c, load));
  }
  const count = (o: PkitsOutcome): number => results.filter((r) => r.outcome === o).length;
  return { results, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}

/** `PASS 4.1.1 Section1ValidSignaturesTest1`, `FAIL 4.1.2 ... expected invalid, got valid`, `SKIP ... reason`. */
export function formatPkitsLine(r: PkitsCaseResult): string {
  const label = r.outcome === 'pass' ? 'PASS' : r.outcome === 'fail' ? 'FAIL' : 'SKIP';
  return `${label} ${r.number} ${r.name}${r.detail ? ` ${r.outcome === 'pass' ? `(${r.detail})` : r.detail}` : ''}`;
}

export function formatPkitsSummary(run: PkitsRun): string {
  return `${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped`;
}

/**
 * `conformance/pkits.ts [--dir DIR]`: one line per case, then the totals. Resolves to the process exit
 * code: 0 when nothing failed, 1 otherwise, 2 for a usage error.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let dir: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k] as string;
    if (arg === '--dir') dir = argv[++k];
    else if (arg.startsWith('--dir=')) dir = arg.slice('--dir='.length);
    else {
      write(`usage: pkits [--dir ${DEFAULT_PKITS_DIR}]`);
      return 2;
    }
  }
  if (argv.includes('--dir') && !dir) {
    write('pkits: --dir needs a folder');
    return 2;
  }
  const run = await runPkits({ dir: dir === undefined ? undefined : resolve(dir) });
  for (const r of run.results) write(formatPkitsLine(r));
  write(formatPkitsSummary(run));
  return run.failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`pkits: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CmsError,
  PkiParseError,
  TsaError,
  encodeCertId,
  encodeOcspRequest,
  parseCertificate,
  parseCrl,
  parseOcspRequest,
  parsePkcs10,
  parseSignedData,
  parseTimeStampQuery,
} from '../src/pki';
import { prng } from './lib/prng';

/**
 * Fuzz target for every PKI parser that reads what strangers send: certificates and CRLs (PKITS files), OCSP
 * requests (ours, with and without a nonce), PKCS#10 requests and CMS SignedData (made by openssl), and
 * time-stamp queries (fixtures/pki/tsa/queries.json). Each input is a seed with one to four mutations (bit
 * flips, edge bytes, DER length rewrites, truncation, insertion, deletion, splicing with another seed).
 * A crash is anything thrown that is not the parser's typed error (PkiParseError, TsaError, CmsError); a hang
 * is an input that takes longer than HANG_MS (the parsers are synchronous, so it is measured, not interrupted).
 *
 *   node -r @swc-node/register fuzz/pki-der.ts [iterations] [seed]
 *
 * prints one JSON line {"fuzz":"pki-der","iterations":…,"crashes":…,"hangs":…,"ms":…,"byParser":{…}} and exits
 * non-zero on any crash or hang.
 */
const HANG_MS = 1_000;

export interface PkiFuzzReport {
  readonly fuzz: 'pki-der';
  readonly iterations: number;
  readonly crashes: number;
  readonly hangs: number;
  readonly ms: number;
  readonly seed: number;
  /** Per parser: inputs tried, accepted, refused with its typed error. */
  readonly byParser: Readonly<Record<string, { tried: number; accepted: number; refused: number }>>;
}

export interface PkiFuzzFinding {
  readonly kind: 'crash' | 'hang';
  readonly parser: string;
  readonly input: string;
  readonly error: string;
}

interface Target {
  readonly name: string;
  readonly seeds: readonly Buffer[];
  readonly parse: (der: Uint8Array) => unknown;
  readonly typed: (err: unknown) => boolean;
}


function openssl(args: readonly string[]): Buffer {
  const r = spawnSync('openssl', [...args]);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Seeds made once per run: PKITS files, our OCSP requests, openssl's PKCS#10 and CMS, the TSA vectors. */
function makeTargets(): Target[] {
  const pkits = join(__dirname, '..', '..', 'shared', 'pkits');
  const cert = (n: string): Buffer => readFileSync(join(pkits, 'certs', `${n}.crt`));
  const crl = (n: string): Buffer => readFileSync(join(pkits, 'crls', `${n}.crl`));
  const certs = ['ValidCertificatePathTest1EE', 'GoodCACert', 'ValidDNandRFC822nameConstraintsTest27EE', 'P12Mapping1to3CACert', 'ValidDSAParameterInheritanceTest5EE'].map(cert);
  const crls = ['GoodCACRL', 'indirectCRLCA5CRL', 'deltaCRLCA1deltaCRL', 'onlySomeReasonsCA4compromiseCRL'].map(crl);

  const ca = parseCertificate(cert('GoodCACert'));
  const leaf = parseCertificate(cert('ValidCertificatePathTest1EE'));
  const id = (hash: 'sha1' | 'sha256'): Buffer => encodeCertId({ issuerName: leaf.issuer, issuerKey: ca.subjectPublicKeyInfo, serialNumber: leaf.serialNumber }, hash);
  const ocsp = [encodeOcspRequest([id('sha1')]), encodeOcspRequest([id('sha256')], Buffer.alloc(16, 7)), encodeOcspRequest([id('sha1'), id('sha256')], Buffer.alloc(32, 1))];

  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'fuzz-pki-'));
  try {
    const key = join(dir, 'k.pem');
    const crt = join(dir, 'c.pem');
    const data = join(dir, 'd.bin');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=fuzz', '-days', '1', '-keyout', key, '-out', crt]);
    const csrs = [
      openssl(['req', '-new', '-key', key, '-subj', '/CN=fuzz/O=Seed', '-outform', 'DER']),
      openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'r.pem'), '-subj', '/CN=rsa', '-outform', 'DER']),
    ];
    writeFileSync(data, 'fuzz: the signed content');
    const cms = [
      openssl(['cms', '-sign', '-binary', '-nodetach', '-in', data, '-signer', crt, '-inkey', key, '-outform', 'DER']),
      openssl(['cms', '-sign', '-binary', '-in', data, '-signer', crt, '-inkey', key, '-outform', 'DER']),
    ];
    const vectors = (JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'pki', 'tsa', 'queries.json'), 'utf8')) as { vectors: { hex: string; expect: string }[] }).vectors;
    const tsq = vectors.filter((v) => v.expect === 'granted').map((v) => Buffer.from(v.hex, 'hex'));
    const pkiError = (err: unknown): boolean => err instanceof PkiParseError;
    return [
      { name: 'certificate', seeds: certs, parse: parseCertificate, typed: pkiError },
      { name: 'crl', seeds: crls, parse: parseCrl, typed: pkiError },
      { name: 'ocsp-request', seeds: ocsp, parse: (d) => parseOcspRequest(d), typed: pkiError },
      { name: 'pkcs10', seeds: csrs, parse: (d) => parsePkcs10(d), typed: pkiError },
      { name: 'cms', seeds: cms, parse: (d) => parseSignedData(d), typed: (err) => err instanceof CmsError },
      { name: 'timestamp-query', seeds: tsq, parse: (d) => parseTimeStampQuery(d), typed: (err) => err instanceof TsaError },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One to four kinds of damage: what a network, a buggy peer or an attacker produce in DER. */
function mutate(seed: Buffer, other: Buffer, rand: () => number): Buffer {
  const at = (n: number): number => Math.floor(rand() * Math.max(1, n));
  let out = Buffer.from(seed);
  for (let r = 1 + at(4); r > 0; r -= 1) {
    switch (at(8)) {
      case 0: // flip a bit
        if (out.length > 0) {
          const i = at(out.length);
          out[i] = (out[i] ?? 0) ^ (1 << at(8));
        }
        break;
      case 1: // an edge value: tags, indefinite length, long-form length markers
        if (out.length > 0) out[at(out.length)] = [0x00, 0x01, 0x30, 0x31, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][at(10)] ?? 0;
        break;
      case 2: // a long-form length claiming far more than there is
        {
          const p = at(out.length);
          out = Buffer.concat([out.subarray(0, p), Buffer.from([0x84, 0x7f, 0xff, 0xff, at(256)]), out.subarray(p + 1)]);
        }
        break;
      case 3: // truncate
        out = out.subarray(0, at(out.length + 1));
        break;
      case 4: // insert random octets (trailing garbage when at the end)
        {
          const p = at(out.length + 1);
          out = Buffer.concat([out.subarray(0, p), Buffer.from(Array.from({ length: 1 + at(16) }, () => at(256))), out.subarray(p)]);
        }
        break;
      case 5: // delete a range
        {
          const p = at(out.length);
          out = Buffer.concat([out.subarray(0, p), out.subarray(p + 1 + at(16))]);
        }
        break;
      case 6: // splice with another seed of the same kind
        out = Buffer.concat([out.subarray(0, at(out.length + 1)), other.subarray(at(other.length))]);
        break;
      default: // set a byte at random
        if (out.length > 0) out[at(out.length)] = at(256);
    }
  }
  return Buffer.from(out);
}

export function fuzzPkiParsers(iterations: number, seed: number, findings: PkiFuzzFinding[] = []): PkiFuzzReport {
  const rand = prng(seed);
  const targets = makeTargets();
  const byParser: Record<string, { tried: number; accepted: number; refused: number }> = {};
  for (const t of targets) byParser[t.name] = { tried: 0, accepted: 0, refused: 0 };
  let crashes = 0;
  let hangs = 0;
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) {
    const target = targets[i % targets.length] as Target;
    const pick = (): Buffer => target.seeds[Math.floor(rand() * target.seeds.length)] as Buffer;
    const input = mutate(pick(), pick(), rand);
    const tally = byParser[target.name] as { tried: number; accepted: number; refused: number };
    tally.tried += 1;
    const t0 = performance.now();
    try {
      target.parse(input);
      tally.accepted += 1;
    } catch (err) {
      if (target.typed(err)) tally.refused += 1;
      else {
        crashes += 1;
        if (findings.length < 20) findings.push({ kind: 'crash', parser: target.name, input: input.toString('hex'), error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    }
    if (performance.now() - t0 > HANG_MS) {
      hangs += 1;
      if (findings.length < 20) findings.push({ kind: 'hang', parser: target.name, input: input.toString('hex'), error: `${Math.round(performance.now() - t0)} ms` });
    }
  }
  return { fuzz: 'pki-der', iterations, crashes, hangs, ms: Math.round(performance.now() - started), seed, byParser };
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 60_000);
  const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
  const findings: PkiFuzzFinding[] = [];
  const report = fuzzPkiParsers(iterations, seed, findings);
  for (const f of findings) process.stderr.write(`${f.kind} in ${f.parser}: ${f.error}\n  input ${f.input}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(report.crashes + report.hangs > 0 ? 1 : 0);
}

import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT_CA, ISSUING_CA, parseCertificate, trustAnchorFromCertificate, verifySignedData } from '../src/pki';
import { FICOM_SIGNATURE_PROFILE } from '../src/mss/profiles';
import { VALIDATE_SERVICE } from '../src/mss/validation';
import type { SimKeyType } from '../hsm-sim/handset/sim-set';
import { runFixedRequests, type FixedRequestsResult } from './lib/http-load';
import type { ChildMessage, ParentMessage } from './lib/mss-platform';

/**
 * End-to-end synchronous MSS_Signature, every part in its own OS process on this machine:
 *
 *   this process (the APs): CONCURRENCY keep-alive connections, each one AP caller waiting for its answer →
 *   platform process (bench/lib/mss-platform.ts: `mssp start`'s startPlatform on a fresh data folder, `mssp ca
 *     init`'s CA, SQLite or PostgreSQL): SOAP → MSS service → SimApprover → AppletChannel (OTA keys in the
 *     platform's SoftHSM2 token) → 2 SMPP binds over TCP →
 *   handsets process (hsm-sim/handset/main.ts): SMSC simulator → HANDSETS handsets, each SIM two SoftHSM2
 *     tokens: PIN, detached CMS signed in the SIM's token, PoR → back over SMPP →
 *   platform: PoR checked, response matched, the validation additional service (signature, path to the
 *     platform CA, CRLs from the store), audit entries with OCSP evidence and a time-stamp → 502 VALID_SIGNATURE.
 *
 * The SIMs are enrolled with each fresh platform's RA (PKCS#10 signed in the SIM tokens beforehand by
 * bench/lib/sim-requests.ts, certificates installed in the set's sims.json before the handsets start). A
 * caller never has two requests for one handset in flight: connection c uses handsets c, c+64, c+128, …
 * Every answer is checked: 502 VALID_SIGNATURE, a CMS over exactly the data sent whose signer chains to the
 * platform CA. cpuMsPerTx is the platform process's own CPU (process.cpuUsage there) over the measured requests.
 *
 *   npm run bench -- mss     MSS_BENCH_REQUESTS (default 2000) MSS_BENCH_HANDSETS (128) BENCH_ONLY=p256Sqlite,…
 *                            MSS_BENCH_PROFILE_DIR=/tmp/prof (the platform's CPU profile of the measured requests)
 *                            MSS_BENCH_PLATFORM_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (the whole process)
 *                            MSS_BENCH_CONCURRENCY (64) MSS_BENCH_KEEP_ANSWERS=DIR (every measured answer kept there)
 *
 * Ends with one JSON line: signaturesPerSec, p50Ms, p99Ms, cpuMsPerTx of P-256 on SQLite, and each case under
 * its own key (p256Sqlite, rsa2048Sqlite, p256Postgres, rsa2048Postgres).
 */

const ROOT = join(__dirname, '..');
const CACHE = process.env.MSSP_BENCH_CACHE ?? join(ROOT, 'data', 'bench-cache');
const REQUESTS = Number(process.env.MSS_BENCH_REQUESTS ?? 2_000);
const HANDSETS = Number(process.env.MSS_BENCH_HANDSETS ?? 128);
const CONCURRENCY = Number(process.env.MSS_BENCH_CONCURRENCY ?? 64);
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://mssp_test:mssp_test@127.0.0.1:5432/mssp_test';
const MSSP_BIN = join(ROOT, 'bin', 'mssp.js');
const AP_ID = 'http://bench.mssp.invalid/ap';
const AP_PASSWORD = 'bench AP password 2026';
const DATA_PREFIX = 'bench/mss document';

interface SimSet {
  readonly keyType: SimKeyType;
  readonly dir: string;
  readonly first: string;
}

const SIM_SETS: Record<SimKeyType, SimSet> = {
  'P-256': { keyType: 'P-256', dir: join(CACHE, 'mss-sims-p256'), first: '35880000000' },
  'RSA-2048': { keyType: 'RSA-2048', dir: join(CACHE, 'mss-sims-rsa2048'), first: '35870000000' },
};

interface BenchCase {
  readonly key: 'p256Sqlite' | 'rsa2048Sqlite' | 'p256Postgres' | 'rsa2048Postgres';
  readonly keyType: SimKeyType;
  readonly engine: 'sqlite' | 'postgres';
}

const CASES: readonly BenchCase[] = [
  { key: 'p256Sqlite', keyType: 'P-256', engine: 'sqlite' },
  { key: 'rsa2048Sqlite', keyType: 'RSA-2048', engine: 'sqlite' },
  { key: 'p256Postgres', keyType: 'P-256', engine: 'postgres' },
  { key: 'rsa2048Postgres', keyType: 'RSA-2048', engine: 'postgres' },
];

export interface CaseFigures {
  readonly signaturesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuMsPerTx: number;
  /** The SMSC simulator + handsets process's CPU over the same requests (from /proc, 10 ms resolution). */
  readonly handsetsCpuMsPerTx: number;
  readonly requests: number;
  readonly failures: number;
  /** Load average (1 min) of the machine when the measured run ended. */
  readonly loadAverage: number;
  readonly enrolMs: number;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function log(message: string): void {
  process.stderr.write(`bench mss: ${message}\n`);
}

/** The environment of one case's platform: its own data folder, nothing inherited that points elsewhere. */
function platformEnv(dataDir: string, engine: BenchCase['engine'], schema: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('MSSP_') && k !== 'DATABASE_URL' && k !== 'SOFTHSM2_CONF') env[k] = v;
  }
  return {
    ...env,
    MSSP_DATA_DIR: dataDir,
    MSSP_LOG_LEVEL: 'warn',
    MSSP_HTTP_HOST: '127.0.0.1',
    MSSP_HTTP_PORT: '0',
    MSSP_PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    ...(engine === 'postgres' ? { DATABASE_URL: POSTGRES_URL, MSSP_DATABASE_SCHEMA: schema } : {}),
  };
}

function mssp(args: readonly string[], env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [MSSP_BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`mssp ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return r.stdout;
}

function lineOf<T>(child: ChildProcess, accept: (msg: T) => boolean, what: string): Promise<T> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`${what} exited with ${String(code)}`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const msg = JSON.parse(line) as T;
      if (accept(msg)) {
        child.off('exit', onExit);
        resolve(msg);
      }
    });
  });
}

/** Makes the SIM set once and has every SIM sign its PKCS#10 requests (kept for later runs). */
async function prepareSims(set: SimSet): Promise<void> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'lib', 'sim-requests.ts'), '--sims', set.dir, '--first', set.first, '--count', String(HANDSETS), '--key-type', set.keyType], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await lineOf<{ requests?: string; created?: number; made?: number; ms?: number }>(child, (m) => m.requests === 'ready', 'sim-requests');
  await new Promise((r) => child.once('exit', r));
  log(`${set.keyType} SIM set ${set.dir}: ${String(ready.created)} SIMs made, ${String(ready.made)} requests signed, ${String(ready.ms)} ms`);
}

function nextMessage<T extends ChildMessage['type']>(child: ChildProcess, type: T): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`the platform process exited with ${String(code)}`));
    const listener = (message: ChildMessage): void => {
      if (message.type !== type) return;
      child.off('message', listener);
      child.off('exit', onExit);
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    child.on('message', listener);
    child.once('exit', onExit);
  });
}

function tell(child: ChildProcess, message: ParentMessage): void {
  child.send(message);
}

async function platformCpuMs(child: ChildProcess): Promise<number> {
  const reply = nextMessage(child, 'cpu');
  tell(child, { type: 'cpu' });
  const { user, system } = await reply;
  return (user + system) / 1000;
}

/** CPU time (user + system) of another process so far, from /proc (clock ticks of 10 ms): for the handsets. */
function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function msisdnOf(set: SimSet, index: number): string {
  return `+${(BigInt(set.first) + BigInt(index % HANDSETS)).toString()}`;
}

function soapRequest(apTransId: string, msisdn: string, data: string): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><MSS_Signature xmlns="">
<mss:MSS_SignatureReq xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MessagingMode="synch" TimeOut="60">
<mss:AP_Info AP_ID="${AP_ID}" AP_TransID="${apTransId}" AP_PWD="${AP_PASSWORD}" Instant="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"/>
<mss:MSSP_Info><mss:MSSP_ID><mss:URI>http://mssp.invalid</mss:URI></mss:MSSP_ID></mss:MSSP_Info>
<mss:MobileUser><mss:MSISDN>${msisdn}</mss:MSISDN></mss:MobileUser>
<mss:DataToBeSigned MimeType="text/plain" Encoding="UTF-8">${data}</mss:DataToBeSigned>
<mss:DataToBeDisplayed MimeType="text/plain" Encoding="UTF-8">Sign the benchmark document?</mss:DataToBeDisplayed>
<mss:SignatureProfile><mss:mssURI>${FICOM_SIGNATURE_PROFILE}</mss:mssURI></mss:SignatureProfile>
<mss:AdditionalServices><mss:Service><mss:Description><mss:mssURI>${VALIDATE_SERVICE}</mss:mssURI></mss:Description></mss:Service></mss:AdditionalServices>
</mss:MSS_SignatureReq></MSS_Signature></env:Body></env:Envelope>`);
}

/** `count` requests spread over the connections; connection c only asks handsets ≡ c (mod CONCURRENCY). */
function requestPlan(set: SimSet, tag: string, count: number): { bodies: Buffer[][]; data: string[][] } {
  const bodies: Buffer[][] = Array.from({ length: CONCURRENCY }, () => []);
  const data: string[][] = Array.from({ length: CONCURRENCY }, () => []);
  for (let i = 0; i < count; i += 1) {
    const c = i % CONCURRENCY;
    const k = Math.floor(i / CONCURRENCY);
    const text = `${DATA_PREFIX} ${tag}-${i}`;
    bodies[c]?.push(soapRequest(`${tag}-${process.pid}-${i}`, msisdnOf(set, c + k * CONCURRENCY), text));
    data[c]?.push(text);
  }
  return { bodies, data };
}

export interface AnswerCheck {
  readonly failures: number;
  readonly firstFailure?: string;
}

/** Every answer: HTTP 200, 502 VALID_SIGNATURE, a CMS over exactly that request's data, signer chained to the CA. */
export async function checkAnswers(result: FixedRequestsResult, data: readonly (readonly string[])[], caDir: string): Promise<AnswerCheck> {
  const anchor = trustAnchorFromCertificate(parseCertificate(readFileSync(join(caDir, 'root.der'))));
  const issuing = readFileSync(join(caDir, 'issuing.der'));
  let failures = 0;
  let firstFailure: string | undefined;
  const fail = (why: string): void => {
    failures += 1;
    firstFailure ??= why;
  };
  for (const [c, answers] of result.answers.entries()) {
    for (const [k, answer] of answers.entries()) {
      const xml = answer.body.toString('utf8');
      const status = /<mss:StatusCode Value="(\d+)"/.exec(xml)?.[1] ?? /<env:Value>mss:_(\d+)<\/env:Value>/.exec(xml)?.[1];
      const cms = /<mss:Base64Signature>([^<]+)</.exec(xml)?.[1];
      if (!answer.status.startsWith('HTTP/1.1 200') || status !== '502' || cms === undefined) {
        fail(`${answer.status} status ${String(status)}: ${xml.slice(0, 300)}`);
        continue;
      }
      const verdict = await verifySignedData(Buffer.from(cms, 'base64'), {
        trustAnchors: [anchor],
        intermediates: [issuing],
        detachedContent: Buffer.from(data[c]?.[k] ?? '', 'utf8'),
        // The platform checked revocation (CRLs) before it answered 502; here the signature and the path.
        revocation: { mode: 'off' },
      });
      if (!verdict.valid) fail(`the CMS does not verify: ${verdict.rule}: ${verdict.message}`);
      else if (Buffer.from(verdict.content).toString('utf8') !== data[c]?.[k]) fail('the CMS signs other data');
    }
  }
  return firstFailure === undefined ? { failures } : { failures, firstFailure };
}

export async function runCase(c: BenchCase, requests: number): Promise<CaseFigures> {
  const set = SIM_SETS[c.keyType];
  const dataDir = mkdtempSync(join(tmpdir(), `bench-mss-${c.key}-`));
  const schema = `bench_mss_${process.pid}_${c.key.toLowerCase()}`;
  const env = platformEnv(dataDir, c.engine, schema);
  const children: ChildProcess[] = [];
  try {
    mssp(['init'], env);
    mssp(['ca', 'init'], env);
    mssp(['ap', 'add', '--ap-id', AP_ID, '--profile', FICOM_SIGNATURE_PROFILE, '--rate', '1000000'], { ...env, MSSP_AP_PASSWORD: AP_PASSWORD });
    const caDir = join(dataDir, 'bench-ca');
    mkdirSync(caDir);
    for (const [name, file] of [
      [ROOT_CA, 'root'],
      [ISSUING_CA, 'issuing'],
    ] as const) {
      mssp(['ca', 'export', name, '--out', join(caDir, `${file}.pem`)], env);
      const der = spawnSync('openssl', ['x509', '-in', join(caDir, `${file}.pem`), '-outform', 'DER', '-out', join(caDir, `${file}.der`)]);
      if (der.status !== 0) throw new Error(`openssl x509: ${der.stderr.toString()}`);
    }

    const platform = fork(join(__dirname, 'lib', 'mss-platform.ts'), [], {
      cwd: ROOT,
      env: { ...env, MSS_BENCH_SIMS: set.dir, MSS_BENCH_FIRST: set.first, MSS_BENCH_HANDSETS: String(HANDSETS) },
      execArgv: ['-r', '@swc-node/register', ...(process.env.MSS_BENCH_PLATFORM_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')],
      // The platform's log lines go to our standard error: standard output ends with the figures alone.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    children.push(platform);
    platform.stdout?.pipe(process.stderr);
    const enrolled = await nextMessage(platform, 'enrolled');
    log(`${c.key}: ${enrolled.enrolled} SIMs enrolled with the platform RA in ${enrolled.ms} ms`);

    const handsets = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(ROOT, 'hsm-sim', 'handset', 'main.ts'), '--sims', set.dir, '--first', set.first, '--count', String(HANDSETS), '--key-type', set.keyType, '--port', '0', '--account', 'platform:secret', '--short-code', '12345', '--log-level', 'warn'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(handsets);
    const smsc = await lineOf<{ handsets?: string; port?: number }>(handsets, (m) => m.handsets === 'ready', 'the handsets process');
    const ready = nextMessage(platform, 'ready');
    tell(platform, { type: 'smsc', port: smsc.port ?? 0 });
    const { url } = await ready;
    const target = new URL(`${url}/soap/services/MSS_SignaturePort`);
    const load = (plan: { bodies: Buffer[][] }): Promise<FixedRequestsResult> =>
      runFixedRequests({ host: target.hostname, port: Number(target.port), path: target.pathname, contentType: 'application/soap+xml; charset=utf-8', perConnection: plan.bodies });

    // Warm-up: every handset signs once (its first PIN entry is a C_Login in its token), the AP's password
    // check is cached, the platform's code is compiled.
    const warm = requestPlan(set, 'warm', Math.max(HANDSETS, CONCURRENCY * 2));
    const warmCheck = await checkAnswers(await load(warm), warm.data, caDir);
    if (warmCheck.failures > 0) throw new Error(`warm-up: ${warmCheck.failures} bad answers; first: ${warmCheck.firstFailure ?? ''}`);

    const plan = requestPlan(set, 'run', requests);
    const cpu0 = await platformCpuMs(platform);
    const handsetsCpu0 = procCpuMs(handsets.pid);
    const result = await load(plan);
    const handsetsCpu1 = procCpuMs(handsets.pid);
    const cpu1 = await platformCpuMs(platform);
    const loadAverage = round(loadavg()[0] ?? Number.NaN, 2);
    const check = await checkAnswers(result, plan.data, caDir);
    if (process.env.MSS_BENCH_KEEP_ANSWERS !== undefined) keepAnswers(process.env.MSS_BENCH_KEEP_ANSWERS, c.key, result, plan.data, caDir);
    if (check.firstFailure !== undefined) log(`${c.key}: ${check.failures} bad answers; first: ${check.firstFailure}`);
    const latencies = result.answers.flat().map((a) => a.latencyMs).sort((a, b) => a - b);
    const figures: CaseFigures = {
      signaturesPerSec: Math.round(requests / result.seconds),
      p50Ms: round(percentile(latencies, 0.5)),
      p99Ms: round(percentile(latencies, 0.99)),
      cpuMsPerTx: round((cpu1 - cpu0) / requests, 2),
      handsetsCpuMsPerTx: round((handsetsCpu1 - handsetsCpu0) / requests, 2),
      requests,
      failures: check.failures,
      loadAverage,
      enrolMs: enrolled.ms,
    };
    log(`${c.key}: ${JSON.stringify(figures)}`);

    const stopped = new Promise((r) => platform.once('exit', r));
    tell(platform, { type: 'stop' });
    await stopped;
    const handsetsStopped = new Promise((r) => handsets.once('exit', r));
    handsets.kill('SIGTERM');
    await handsetsStopped;
    return figures;
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (c.engine === 'postgres') dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** For a test to check with other tools: <dir>/<case>/<n>.xml and <n>.txt (the data sent), chain.pem (root, issuing). */
function keepAnswers(dir: string, key: string, result: FixedRequestsResult, data: readonly (readonly string[])[], caDir: string): void {
  const out = join(dir, key);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'chain.pem'), `${readFileSync(join(caDir, 'root.pem'), 'utf8')}${readFileSync(join(caDir, 'issuing.pem'), 'utf8')}`);
  let n = 0;
  for (const [c, answers] of result.answers.entries()) {
    for (const [k, answer] of answers.entries()) {
      writeFileSync(join(out, `${n}.xml`), answer.body);
      writeFileSync(join(out, `${n}.txt`), data[c]?.[k] ?? '');
      n += 1;
    }
  }
}

function dropSchema(schema: string): void {
  const r = spawnSync('psql', [POSTGRES_URL, '-q', '-c', `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { encoding: 'utf8' });
  if (r.status !== 0) log(`could not drop schema ${schema}: ${r.stderr}`);
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const cases = CASES.filter((c) => only === undefined || only.includes(c.key));
  if (cases.length === 0) throw new Error(`BENCH_ONLY: pick from ${CASES.map((c) => c.key).join(', ')}`);
  for (const keyType of new Set(cases.map((c) => c.keyType))) await prepareSims(SIM_SETS[keyType]);
  const results: Partial<Record<BenchCase['key'], CaseFigures>> = {};
  for (const c of cases) results[c.key] = await runCase(c, REQUESTS);
  const headline = results.p256Sqlite;
  const failures = Object.values(results).reduce((n, r) => n + r.failures, 0);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'mss',
      case: 'P-256 SIM keys, SQLite, synch, validation',
      concurrency: CONCURRENCY,
      handsets: HANDSETS,
      requests: REQUESTS,
      failures,
      signaturesPerSec: headline?.signaturesPerSec ?? null,
      p50Ms: headline?.p50Ms ?? null,
      p99Ms: headline?.p99Ms ?? null,
      cpuMsPerTx: headline?.cpuMsPerTx ?? null,
      ...results,
    })}\n`,
  );
  if (failures > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench mss: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  });
}

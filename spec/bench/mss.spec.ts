import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * bench/mss in miniature: 20 synchronous MSS_Signature requests with the validation service, through the whole
 * chain in three processes (APs here, the platform, SMSC simulator + handsets), P-256 SIM keys, SQLite. The
 * figures line must have the shape, and every answer must be 502 VALID_SIGNATURE with a CMS that
 * openssl verifies against the platform CA over exactly the data that request sent.
 */
const ROOT = join(__dirname, '..', '..');
const REQUESTS = 20;

interface Figures {
  readonly bench: string;
  readonly failures: number;
  readonly signaturesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuMsPerTx: number;
  readonly p256Sqlite: { readonly requests: number; readonly failures: number; readonly signaturesPerSec: number };
}

let answers: string;
beforeAll(() => {
  answers = mkdtempSync(join(tmpdir(), 'bench-mss-spec-'));
});
afterAll(() => rmSync(answers, { recursive: true, force: true }));

it('runs the end-to-end chain and every answer is a validated signature that openssl verifies', async () => {
  const env = {
    ...process.env,
    BENCH_ONLY: 'p256Sqlite',
    MSS_BENCH_REQUESTS: String(REQUESTS),
    MSS_BENCH_HANDSETS: '16',
    MSS_BENCH_CONCURRENCY: '8',
    // Its own SIM set (made on the first run, then reused): the benchmark's is re-enrolled by every run.
    MSSP_BENCH_CACHE: join(ROOT, 'data', 'bench-cache', 'spec'),
    MSS_BENCH_KEEP_ANSWERS: answers,
  };
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'bench', 'mss.ts')], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`bench/mss exited ${String(code)}: ${stderr.slice(-2000)}`);

  const lines = stdout.trim().split('\n');
  const figures = JSON.parse(lines[lines.length - 1] as string) as Figures;
  expect(figures.bench).toBe('mss');
  expect(figures.failures).toBe(0);
  expect(figures.p256Sqlite.requests).toBe(REQUESTS);
  for (const k of ['signaturesPerSec', 'p50Ms', 'p99Ms', 'cpuMsPerTx'] as const) {
    expect(typeof figures[k]).toBe('number');
    expect(figures[k]).toBeGreaterThan(0);
  }
  expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms);
  expect(figures.signaturesPerSec).toBe(figures.p256Sqlite.signaturesPerSec);

  const dir = join(answers, 'p256Sqlite');
  const xmls = readdirSync(dir).filter((f) => f.endsWith('.xml'));
  expect(xmls).toHaveLength(REQUESTS);
  for (const file of xmls) {
    const xml = readFileSync(join(dir, file), 'utf8');
    expect(/<mss:StatusCode Value="(\d+)"/.exec(xml)?.[1]).toBe('502');
    const cms = /<mss:Base64Signature>([^<]+)</.exec(xml)?.[1] ?? '';
    const der = join(dir, file.replace(/\.xml$/, '.der'));
    writeFileSync(der, Buffer.from(cms, 'base64'));
    const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', der, '-content', join(dir, file.replace(/\.xml$/, '.txt')), '-CAfile', join(dir, 'chain.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/Verification successful/);
  }
}, 120_000);

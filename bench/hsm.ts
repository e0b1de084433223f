import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as pkcs11 from 'pkcs11js';
import { createSoftHsmEnvironment, ensureToken } from '../hsm-sim/softhsm';
import { openHsm, type Hsm, type HsmKey, type SignatureAlgorithmName } from '../src/hsm';

/**
 * RSA-2048 and P-256 signatures per second through src/hsm, beside a bare pkcs11js loop doing the same
 * PKCS#11 work in the same process (same mechanism, C_SignInit + C_Sign on its own session per caller,
 * hashing in software where we do, and the same call style: synchronous where src/hsm runs the operation
 * inline, the async form where it uses the thread pool), and beside `openssl speed` on the same machine.
 * The ratio ours/raw is our overhead. Each figure is the median of interleaved rounds (the machine is shared).
 * Where src/hsm signs inline (P-256 on SoftHSM2), the thread-pool path is measured too, on a second token
 * opened with inlineBelowMicros 0, and reported as "threadPool".
 *
 *   node -r @swc-node/register bench/hsm.ts        (or npx ts-node -T bench/hsm.ts)
 *   BENCH_SECONDS=2 BENCH_ROUNDS=3 OPENSSL_SECONDS=3 change the run lengths.
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OPENSSL_SECONDS = Number(process.env.OPENSSL_SECONDS ?? 3);
const CONCURRENCY = [1, 4] as const;
type Concurrency = (typeof CONCURRENCY)[number];
const MESSAGE = Buffer.from('bench/hsm: the data to be signed, about as long as a small signed attribute set');

interface Case {
  readonly key: 'rsa2048' | 'p256';
  readonly algorithm: SignatureAlgorithmName;
  readonly privateKey: HsmKey;
  /** What the raw loop passes to C_Sign, exactly what src/hsm passes for this algorithm on this token. */
  readonly rawInput: () => Buffer;
  readonly rawMechanism: pkcs11.Mechanism;
  readonly signatureBytes: number;
  readonly opensslAlgorithm: string;
  readonly opensslLine: RegExp;
}

/** Runs `callers` loops of `op` for SECONDS; operations per second. */
async function rate(op: () => Promise<unknown>, callers: number, seconds = SECONDS): Promise<number> {
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        await op();
        count += 1;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** A second, independent pkcs11js handle on the same library: the "no src/hsm" baseline. */
class RawSigner {
  private readonly p11 = new pkcs11.PKCS11();
  private readonly sessions: Buffer[] = [];

  constructor(modulePath: string, tokenLabel: string, count: number) {
    this.p11.load(modulePath);
    try {
      this.p11.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
    } catch (err) {
      // src/hsm initialised the library already; PKCS#11 state (and the login) is per process.
      if ((err as { code?: number }).code !== pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw err;
    }
    const slot = this.p11.C_GetSlotList(true).find((s) => this.p11.C_GetTokenInfo(s).label.trimEnd() === tokenLabel);
    if (slot === undefined) throw new Error(`token ${tokenLabel} not found`);
    for (let i = 0; i < count; i += 1) this.sessions.push(this.p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION));
  }

  session(i: number): Buffer {
    const s = this.sessions[i];
    if (s === undefined) throw new Error(`no session ${i}`);
    return s;
  }

  /** One signature the way a pkcs11js user would write it: SignInit, then the promise form of C_Sign. */
  sign(session: Buffer, c: Case): Promise<Buffer> {
    this.p11.C_SignInit(session, c.rawMechanism, c.privateKey.handle);
    return this.p11.C_SignAsync(session, c.rawInput(), Buffer.allocUnsafe(c.signatureBytes));
  }

  /** The same, synchronously, for comparison with operations src/hsm runs inline. */
  signInline(session: Buffer, c: Case): Promise<Buffer> {
    return Promise.resolve(this.signSync(session, c));
  }

  signSync(session: Buffer, c: Case): Buffer {
    this.p11.C_SignInit(session, c.rawMechanism, c.privateKey.handle);
    return this.p11.C_Sign(session, c.rawInput(), Buffer.allocUnsafe(c.signatureBytes));
  }

  close(): void {
    for (const s of this.sessions) this.p11.C_CloseSession(s);
  }
}

/** Raw loop with one session per caller, like the pool gives ours. */
async function rawRate(raw: RawSigner, c: Case, callers: number, mode: 'inline' | 'async'): Promise<number> {
  let count = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      const session = raw.session(i);
      while (performance.now() < end) {
        await (mode === 'inline' ? raw.signInline(session, c) : raw.sign(session, c));
        count += 1;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

function opensslSpeed(c: Case, callers: Concurrency): number | undefined {
  const args = ['speed', '-seconds', String(OPENSSL_SECONDS), ...(callers > 1 ? ['-multi', String(callers)] : []), c.opensslAlgorithm];
  try {
    const out = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    for (const line of out.split('\n')) {
      const m = c.opensslLine.exec(line);
      if (m?.[1] !== undefined) return Number(m[1]);
    }
  } catch (err) {
    process.stderr.write(`openssl ${args.join(' ')} failed: ${(err as Error).message}\n`);
  }
  return undefined;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;

interface Figures {
  oursPerSec: number;
  rawPerSec: number;
  ratio: number;
  opensslPerSec?: number;
}

/** Interleaved rounds of ours and raw at one concurrency; medians. */
async function compare(ours: () => Promise<unknown>, raw: RawSigner, c: Case, callers: number, mode: 'inline' | 'async'): Promise<Figures & { oursAll: number[]; rawAll: number[] }> {
  const oursAll: number[] = [];
  const rawAll: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    // Alternate who goes first so that drift in machine load does not favour one side.
    if (r % 2 === 0) {
      oursAll.push(await rate(ours, callers));
      rawAll.push(await rawRate(raw, c, callers, mode));
    } else {
      rawAll.push(await rawRate(raw, c, callers, mode));
      oursAll.push(await rate(ours, callers));
    }
  }
  const oursPerSec = round1(median(oursAll));
  const rawPerSec = round1(median(rawAll));
  return { oursPerSec, rawPerSec, ratio: ratio(oursPerSec, rawPerSec), oursAll, rawAll };
}

interface Setup {
  readonly hsm: Hsm;
  readonly raw: RawSigner;
  readonly cases: readonly Case[];
}

async function setUp(modulePath: string, tokenLabel: string, pin: string, inlineBelowMicros: number | undefined): Promise<Setup> {
  const hsm = await openHsm({ modulePath, tokenLabel, pin, poolSize: 4, ...(inlineBelowMicros !== undefined ? { inlineBelowMicros } : {}) });
  const mechanisms = hsm.signatureMechanisms();
  const rsa = await hsm.generateKeyPair({ type: 'RSA', modulusBits: 2048 }, { label: 'bench-rsa', token: false });
  const ec = await hsm.generateKeyPair({ type: 'EC', curve: 'P-256' }, { label: 'bench-p256', token: false });
  const ecdsaCombined = mechanisms.ES256 === 'CKM_ECDSA_SHA256';
  const cases: Case[] = [
    {
      key: 'rsa2048',
      algorithm: 'RS256',
      privateKey: rsa.privateKey,
      rawInput: () => MESSAGE,
      rawMechanism: { mechanism: pkcs11.CKM_SHA256_RSA_PKCS },
      signatureBytes: 256,
      opensslAlgorithm: 'rsa2048',
      opensslLine: /^rsa\s+2048\s+bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)/,
    },
    {
      key: 'p256',
      algorithm: 'ES256',
      privateKey: ec.privateKey,
      rawInput: ecdsaCombined ? () => MESSAGE : () => createHash('sha256').update(MESSAGE).digest(),
      rawMechanism: { mechanism: ecdsaCombined ? pkcs11.CKM_ECDSA_SHA256 : pkcs11.CKM_ECDSA },
      signatureBytes: 64,
      opensslAlgorithm: 'ecdsap256',
      opensslLine: /^\s*256\s+bits\s+ecdsa\s+\(nistp256\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)/,
    },
  ];
  return { hsm, raw: new RawSigner(modulePath, tokenLabel, 4), cases };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-hsm-'));
  const env = createSoftHsmEnvironment(dir);
  const pin = '1234';
  for (const label of ['bench', 'bench-threads']) ensureToken(env, { label, soPin: '5678', userPin: pin });
  process.env.SOFTHSM2_CONF = env.confPath;
  const setups: Setup[] = [];
  try {
    const main = await setUp(env.modulePath, 'bench', pin, undefined);
    setups.push(main);
    const threads = await setUp(env.modulePath, 'bench-threads', pin, 0);
    setups.push(threads);
    const mechanisms = main.hsm.signatureMechanisms();
    process.stdout.write(
      `bench hsm: SoftHSM2 ${env.modulePath}, ${SECONDS}s x ${ROUNDS} interleaved rounds per figure (median), openssl speed -seconds ${OPENSSL_SECONDS}\n` +
        `mechanisms: RS256 ${mechanisms.RS256 ?? '-'}, ES256 ${mechanisms.ES256 ?? '-'}` +
        `${mechanisms.ES256 === 'CKM_ECDSA' ? ' (SHA-256 and DER in software)' : ''}\n`,
    );
    const result: Record<string, unknown> = { bench: 'hsm' };
    for (const [index, c] of main.cases.entries()) {
      const hsm = main.hsm;
      const sign = (): Promise<Buffer> => hsm.sign(c.algorithm, c.privateKey, MESSAGE);
      // Warm up (JIT, SoftHSM caches, the inline policy's first timings) before anything is counted.
      await rate(sign, 4, 0.3);
      const mode = hsm.signingMode(c.algorithm, c.privateKey);
      await rawRate(main.raw, c, 4, mode);
      process.stdout.write(`${c.key}: src/hsm runs ${c.algorithm} ${mode === 'inline' ? 'inline (synchronous C_Sign)' : 'on the libuv thread pool (async C_Sign)'}; raw does the same\n`);
      const perConcurrency: Record<string, Figures> = {};
      for (const callers of CONCURRENCY) {
        const f = await compare(sign, main.raw, c, callers, mode);
        const openssl = opensslSpeed(c, callers);
        perConcurrency[String(callers)] = { oursPerSec: f.oursPerSec, rawPerSec: f.rawPerSec, ratio: f.ratio, ...(openssl !== undefined ? { opensslPerSec: openssl } : {}) };
        process.stdout.write(
          `${c.key} ${callers} caller(s): ours ${f.oursPerSec}/s [${f.oursAll.map(round1).join(', ')}], raw pkcs11js ${f.rawPerSec}/s [${f.rawAll.map(round1).join(', ')}], ` +
            `ours/raw ${f.ratio}, openssl speed${callers > 1 ? ` -multi ${callers}` : ''} ${openssl ?? 'n/a'} sign/s\n`,
        );
      }
      const four = perConcurrency['4'] ?? { oursPerSec: 0, rawPerSec: 0, ratio: 0 };
      const figures: Record<string, unknown> = {
        oursPerSec: four.oursPerSec,
        rawPerSec: four.rawPerSec,
        opensslPerSec: four.opensslPerSec ?? null,
        ratio: four.ratio,
        concurrency: perConcurrency,
      };
      const tc = threads.cases[index];
      if (mode === 'inline' && tc !== undefined) {
        const threadHsm = threads.hsm;
        const threadSign = (): Promise<Buffer> => threadHsm.sign(tc.algorithm, tc.privateKey, MESSAGE);
        await rate(threadSign, 4, 0.3);
        const threadPool: Record<string, Figures> = {};
        for (const callers of CONCURRENCY) {
          const f = await compare(threadSign, threads.raw, tc, callers, 'async');
          threadPool[String(callers)] = { oursPerSec: f.oursPerSec, rawPerSec: f.rawPerSec, ratio: f.ratio };
          process.stdout.write(
            `${c.key} ${callers} caller(s), thread pool forced (inlineBelowMicros 0): ours ${f.oursPerSec}/s, raw async C_Sign ${f.rawPerSec}/s, ours/raw ${f.ratio}\n`,
          );
        }
        figures.threadPool = threadPool;
      }
      result[c.key] = figures;
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    for (const setup of setups.reverse()) {
      setup.raw.close();
      await setup.hsm.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench hsm failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

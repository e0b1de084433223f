import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AppletChannel, ClockSeededCounters, deviceOtaCrypto, newTransactionRef } from '../src/channel/sim';
import type { SignatureAlgorithm } from '../src/channel/applet';
import { EsmePool } from '../src/channel/smpp';
import { openHsm, type Hsm } from '../src/hsm';
import { createLogger } from '../src/log';
import { importOtaKeys, simDirectory } from '../hsm-sim/handset/platform';
import { readSimRecords, type SimKeyType } from '../hsm-sim/handset/sim-set';
import { createSoftHsmEnvironment, ensureToken, SOFTHSM_MODULE_PATH } from '../hsm-sim/softhsm';

/**
 * Signature round trips per second through the whole mobile channel, with 1,000 handsets:
 *
 *   this process (the platform): AppletChannel → OTA command packet (KIc/KID in its SoftHSM2 token)
 *        → EsmePool (SMPP over TCP) →
 *   child process: SMSC simulator → 1,000 virtual handsets → SIM applet: checks the packet in the SIM's own
 *        token, PIN check, signs in the SIM's signature token, PoR → MO deliver_sm →
 *   this process: PoR checked, applet response decoded and matched, the signature verified with the SIM's
 *        certificate (node:crypto).
 *
 * A closed loop of CONCURRENCY requests, never two at once to the same handset, measured after every handset
 * has answered once (warm-up) and BENCH_WARMUP_SECONDS more. P-256 SIM keys first, then
 * RSA-2048. SIM sets are made once and kept in MSSP_BENCH_CACHE (default data/bench-cache): the first run
 * pays for 2,000 tokens per key type (provisionMs in the output), later runs reuse them.
 *
 *   npm run bench -- channel        BENCH_SECONDS=10 BENCH_CONCURRENCY=256 BENCH_HANDSETS=1000 BENCH_BINDS=2 BENCH_ONLY=P-256
 *                                   BENCH_PIN_CHECK=token-every-time
 */

const ROOT = join(__dirname, '..');
const CACHE = process.env.MSSP_BENCH_CACHE ?? join(ROOT, 'data', 'bench-cache');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const HANDSETS = Number(process.env.BENCH_HANDSETS ?? 1000);
const BINDS = Number(process.env.BENCH_BINDS ?? 2);
const SHORT_CODE = '12345';
/** 'card-session' (default) or 'token-every-time': every PIN entry goes to the token (C_Login, ~1.3 ms). */
const PIN_CHECK = process.env.BENCH_PIN_CHECK ?? 'card-session';

interface Phase {
  readonly keyType: SimKeyType;
  readonly algorithm: SignatureAlgorithm;
  readonly first: string;
  readonly dir: string;
}

const PHASES: readonly Phase[] = [
  { keyType: 'P-256', algorithm: 'ecdsa-p256-sha256', first: '35850000000', dir: join(CACHE, 'channel-sims-p256') },
  { keyType: 'RSA-2048', algorithm: 'rsa-pkcs1-sha256', first: '35860000000', dir: join(CACHE, 'channel-sims-rsa2048') },
];

interface PhaseResult {
  readonly roundTripsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly completed: number;
  readonly failed: number;
  readonly provisionMs: number;
  readonly created: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

async function startHandsets(phase: Phase): Promise<{ child: ChildProcess; port: number; provisionMs: number; created: number }> {
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''), '-r', '@swc-node/register', join(ROOT, 'hsm-sim', 'handset', 'main.ts'), '--sims', phase.dir, '--first', phase.first, '--count', String(HANDSETS), '--key-type', phase.keyType, '--port', '0', '--account', 'platform:secret', '--short-code', SHORT_CODE, '--pin-check', PIN_CHECK, '--log-level', process.env.BENCH_HANDSET_LOG ?? 'warn'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`handsets exited with ${code}`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { handsets?: string; port?: number; provisionMs?: number; created?: number };
      if (msg.handsets === 'ready') resolve({ child, port: msg.port ?? 0, provisionMs: msg.provisionMs ?? 0, created: msg.created ?? 0 });
    });
  });
}

async function runPhase(hsm: Hsm, phase: Phase): Promise<PhaseResult> {
  process.stderr.write(`== ${phase.keyType}: ${HANDSETS} handsets (SIM set ${phase.dir})\n`);
  const handsets = await startHandsets(phase);
  const records = readSimRecords(phase.dir).filter((r) => BigInt(r.msisdn) >= BigInt(phase.first) && BigInt(r.msisdn) < BigInt(phase.first) + BigInt(HANDSETS));
  const otaKeys = await importOtaKeys(hsm, records, { token: false });
  const publicKeys = new Map<string, KeyObject>(records.map((r) => [r.msisdn, createPublicKey(new X509Certificate(Buffer.from(r.certificates.sign, 'base64')).publicKey.export({ format: 'pem', type: 'spki' }))]));
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const pool = new EsmePool(
    Array.from({ length: BINDS }, () => ({
      host: '127.0.0.1',
      port: handsets.port,
      systemId: 'platform',
      password: 'secret',
      window: Math.max(10, Math.ceil(CONCURRENCY / BINDS)),
      submitsPerSecond: 100_000,
      submitBurst: CONCURRENCY,
      enquireLinkMs: 0,
      logger,
    })),
  );
  await pool.start();
  const channel = new AppletChannel({ transport: pool, crypto: deviceOtaCrypto(hsm, undefined, otaKeys), sims: simDirectory(records), counters: new ClockSeededCounters(), shortCode: SHORT_CODE, timeoutMs: 30_000, logger });
  const idle = records.map((r) => r.msisdn);
  const data = Buffer.from('bench/channel: 32 octets to sign');
  const latencies: number[] = [];
  let completed = 0;
  let failed = 0;
  let measuring = false;
  /** Handsets that answered once: their SIM has verified its PINs and looked its keys up. */
  const warmed = new Set<string>();
  let running = true;
  const worker = async (): Promise<void> => {
    while (running) {
      const msisdn = idle.shift();
      if (msisdn === undefined) throw new Error('more workers than handsets');
      const started = performance.now();
      try {
        const result = await channel.request(msisdn, {
          transactionRef: newTransactionRef(),
          operation: 'sign',
          displayText: 'Sign the benchmark message?',
          verificationCode: 'B3NC',
          toBeSigned: { kind: 'data', data },
          keyReference: 'signing',
          algorithm: phase.algorithm,
          signatureFormat: 'raw',
        });
        if (result.response.outcome !== 'signed') throw new Error(`outcome ${result.response.outcome}`);
        const key = publicKeys.get(msisdn);
        if (key === undefined || !verifySignature('sha256', data, key, result.response.signature.value)) throw new Error('signature does not verify');
        warmed.add(msisdn);
        if (measuring) {
          completed += 1;
          latencies.push(performance.now() - started);
        }
      } catch (err) {
        if (measuring) failed += 1;
        process.stderr.write(`round trip failed: ${err instanceof Error ? err.message : String(err)}\n`);
      } finally {
        idle.push(msisdn);
      }
    }
  };
  const workers = Array.from({ length: Math.min(CONCURRENCY, records.length) }, () => worker());
  // Warm-up: every handset answers once (the first request to a SIM pays its PIN's C_Login, ~1.3 ms, and
  // its key look-ups), then WARMUP_SECONDS more; the figures are the steady state after that.
  const warmStart = performance.now();
  while (warmed.size < records.length && performance.now() - warmStart < 300_000) await new Promise((r) => setTimeout(r, 50));
  process.stderr.write(`warm-up: ${warmed.size} handsets answered once in ${Math.round(performance.now() - warmStart)} ms\n`);
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  running = false;
  await Promise.all(workers);
  channel.close();
  await pool.close();
  handsets.child.kill('SIGTERM');
  await new Promise((r) => handsets.child.once('exit', r));
  latencies.sort((a, b) => a - b);
  const result: PhaseResult = {
    roundTripsPerSec: round(completed / elapsed),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    completed,
    failed,
    provisionMs: handsets.provisionMs,
    created: handsets.created,
  };
  process.stderr.write(`${phase.keyType}: ${JSON.stringify(result)}\n`);
  return result;
}

async function main(): Promise<void> {
  const platformDir = mkdtempSync(join(tmpdir(), 'bench-channel-'));
  const env = createSoftHsmEnvironment(platformDir);
  ensureToken(env, { label: 'bench-platform', soPin: '12345678', userPin: '1234' });
  process.env.SOFTHSM2_CONF = env.confPath;
  const hsm = await openHsm({ modulePath: SOFTHSM_MODULE_PATH, tokenLabel: 'bench-platform', pin: '1234', poolSize: 2 });
  try {
    // BENCH_ONLY=P-256 (or RSA-2048) runs one phase, for profiling; the JSON line then has the other's figures as null.
    const only = process.env.BENCH_ONLY;
    const skipped: PhaseResult = { roundTripsPerSec: Number.NaN, p50Ms: Number.NaN, p99Ms: Number.NaN, completed: 0, failed: 0, provisionMs: 0, created: 0 };
    const p256 = only === undefined || only === 'P-256' ? await runPhase(hsm, PHASES[0] as Phase) : skipped;
    const rsa = only === undefined || only === 'RSA-2048' ? await runPhase(hsm, PHASES[1] as Phase) : skipped;
    process.stdout.write(
      `${JSON.stringify({
        bench: 'channel',
        handsets: HANDSETS,
        concurrency: CONCURRENCY,
        binds: BINDS,
        pinCheck: PIN_CHECK,
        seconds: SECONDS,
        roundTripsPerSec: p256.roundTripsPerSec,
        roundTripsPerSecRsa2048: rsa.roundTripsPerSec,
        p50Ms: p256.p50Ms,
        p99Ms: p256.p99Ms,
        p50MsRsa2048: rsa.p50Ms,
        p99MsRsa2048: rsa.p99Ms,
        failed: p256.failed + rsa.failed,
        provisionMsP256: p256.provisionMs,
        provisionedP256: p256.created,
        provisionMsRsa2048: rsa.provisionMs,
        provisionedRsa2048: rsa.created,
      })}\n`,
    );
  } finally {
    await hsm.close();
    rmSync(platformDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench channel: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Ledger, type LedgerOperation } from '../src/mps/ledger';
import { openStore, type Store } from '../src/store';
import { openThrowawayPostgresStore } from '../src/store/testing';
import { measureE2e, type E2eResult } from './lib/mps-e2e';

const E2E_PAYMENTS = Number(process.env.MPS_E2E_PAYMENTS ?? 400);
const E2E_CONCURRENCY = Number(process.env.MPS_E2E_CONCURRENCY ?? 32);
// Approving SIMs besides the demo one: the channel serves one request at a time per phone.
const E2E_SIMS = Number(process.env.MPS_E2E_SIMS ?? 31);

/**
 * Mobile payments. Ledger part: transfers per second through the batched API (Ledger.submit), durable (each
 * batch is one committed database transaction: SQLite in WAL mode with synchronous FULL, PostgreSQL with its
 * default synchronous_commit on), on a SQLite file and on PostgreSQL. Payers are spread over CLIENTS accounts at
 * bank A, payees over MERCHANTS accounts at bank B, so every transfer also moves both banks' net positions.
 * End-to-end part (bench/lib/mps-e2e.ts): merchant offers over the REST API → SMPP → SMSC simulator → demo
 * handset and SIM → approval → ledger → signed webhook, payments per second with p50/p99, on both engines.
 *
 *   npm run bench -- mps        BENCH_SECONDS=5 BENCH_BATCH=5000 change the ledger run; MPS_E2E_PAYMENTS=400
 *                               MPS_E2E_CONCURRENCY=32 MPS_E2E_SIMS=31 the end-to-end run; DATABASE_URL picks the PostgreSQL.
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 5_000);
const CLIENTS = 1_000;
const MERCHANTS = 50;
const DATABASE_URL = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://mssp_test:mssp_test@127.0.0.1:5432/mssp_test';

async function setUp(ledger: Ledger): Promise<void> {
  await ledger.createParticipant({ id: 'bank-a', kind: 'bank', name: 'Bank A' });
  await ledger.createParticipant({ id: 'bank-b', kind: 'bank', name: 'Bank B' });
  await ledger.createAccount({ id: 'issue-a', participantId: 'bank-a', currency: 'EUR', floor: null });
  const funding: LedgerOperation[] = [];
  for (let i = 0; i < CLIENTS; i += 1) {
    await ledger.createParticipant({ id: `c${i}`, kind: 'client', name: `Client ${i}`, bankId: 'bank-a' });
    await ledger.createAccount({ id: `c${i}-EUR`, participantId: `c${i}`, currency: 'EUR' });
    funding.push({ op: 'transfer', id: `fund-${i}`, debitAccountId: 'issue-a', creditAccountId: `c${i}-EUR`, currency: 'EUR', amount: '1000000000' });
  }
  for (let i = 0; i < MERCHANTS; i += 1) {
    await ledger.createParticipant({ id: `m${i}`, kind: 'merchant', name: `Merchant ${i}`, bankId: 'bank-b' });
    await ledger.createAccount({ id: `m${i}-EUR`, participantId: `m${i}`, currency: 'EUR' });
  }
  await ledger.submit(funding);
}

async function measure(store: Store): Promise<{ perSec: number; rounds: number[]; transfers: number; batches: number }> {
  await store.migrate();
  const ledger = new Ledger({ store, maxBatch: BATCH });
  await setUp(ledger);
  const run = randomBytes(4).toString('hex');
  let n = 0;
  let batches = 0;
  const makeBatch = (): LedgerOperation[] =>
    Array.from({ length: BATCH }, () => {
      n += 1;
      return { op: 'transfer', id: `${run}-${n}`, debitAccountId: `c${n % CLIENTS}-EUR`, creditAccountId: `m${n % MERCHANTS}-EUR`, currency: 'EUR', amount: String(1 + (n % 977)), kind: 'payment' };
    });
  // One warm-up batch, not counted; then ROUNDS timed rounds, of which the median counts (the machine is shared).
  await ledger.submit(makeBatch());
  const rates: number[] = [];
  let done = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = performance.now();
    const end = start + SECONDS * 1000;
    let inRound = 0;
    while (performance.now() < end) {
      const results = await ledger.submit(makeBatch());
      const failed = results.filter((r) => !r.ok);
      if (failed.length > 0) throw new Error(`bench batch refused ${failed.length} transfers, first: ${JSON.stringify(failed[0])}`);
      inRound += results.length;
      batches += 1;
    }
    rates.push(inRound / ((performance.now() - start) / 1000));
    done += inRound;
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] ?? 0;
  const totals = await store.ledger.postingTotals();
  if ((totals.get('EUR') ?? 0n) !== 0n) throw new Error('postings do not sum to zero after the bench');
  return { perSec: Math.round(median), rounds: rates.map(Math.round), transfers: done, batches };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mps-'));
  const sqliteStore = await openStore({ sqliteFile: join(dir, 'ledger.sqlite') });
  let sqlite: Awaited<ReturnType<typeof measure>>;
  try {
    sqlite = await measure(sqliteStore);
  } finally {
    await sqliteStore.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`sqlite: median ${sqlite.perSec} transfers/s, rounds ${sqlite.rounds.join(', ')} (${sqlite.transfers} in ${sqlite.batches} batches of ${BATCH})\n`);

  let postgres: Awaited<ReturnType<typeof measure>> | undefined;
  let postgresError: string | undefined;
  try {
    const pgStore = await openThrowawayPostgresStore({ databaseUrl: DATABASE_URL });
    try {
      postgres = await measure(pgStore);
    } finally {
      await pgStore.close();
    }
    process.stdout.write(`postgres: median ${postgres.perSec} transfers/s, rounds ${postgres.rounds.join(', ')} (${postgres.transfers} in ${postgres.batches} batches of ${BATCH})\n`);
  } catch (err) {
    postgresError = String((err as Error).message).slice(0, 300);
    process.stdout.write(`postgres: not measured: ${postgresError}\n`);
  }

  const e2e: Record<string, E2eResult | string> = {};
  const e2eDir = mkdtempSync(join(tmpdir(), 'bench-mps-e2e-'));
  for (const engine of ['sqlite', 'postgres'] as const) {
    let store: Store | undefined;
    try {
      store = engine === 'sqlite' ? await openStore({ sqliteFile: join(e2eDir, 'e2e.sqlite') }) : await openThrowawayPostgresStore({ databaseUrl: DATABASE_URL });
      await store.migrate();
      const r = await measureE2e(store, { label: `bench-e2e-${engine}`, payments: E2E_PAYMENTS, concurrency: E2E_CONCURRENCY, sims: E2E_SIMS });
      e2e[engine] = r;
      process.stdout.write(`e2e ${engine}: ${r.perSec} payments/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.failures} failed of ${r.payments}, ${r.cpuMsPerPayment} ms CPU each\n`);
    } catch (err) {
      e2e[engine] = String((err as Error).message).slice(0, 300);
      process.stdout.write(`e2e ${engine}: not measured: ${e2e[engine] as string}\n`);
    } finally {
      await store?.close();
    }
  }
  rmSync(e2eDir, { recursive: true, force: true });
  const e2eSqlite = typeof e2e.sqlite === 'object' ? e2e.sqlite : undefined;
  const e2ePostgres = typeof e2e.postgres === 'object' ? e2e.postgres : undefined;

  const result = {
    bench: 'mps',
    ledgerTransfersPerSec: sqlite.perSec,
    ledgerTransfersPerSecPostgres: postgres?.perSec ?? null,
    ...(postgresError !== undefined ? { postgresError } : {}),
    batchSize: BATCH,
    accounts: CLIENTS + MERCHANTS,
    e2ePaymentsPerSec: e2eSqlite?.perSec ?? null,
    p50Ms: e2eSqlite?.p50Ms ?? null,
    p99Ms: e2eSqlite?.p99Ms ?? null,
    e2eFailures: e2eSqlite?.failures ?? null,
    e2eCpuMsPerPayment: e2eSqlite?.cpuMsPerPayment ?? null,
    e2ePaymentsPerSecPostgres: e2ePostgres?.perSec ?? null,
    p50MsPostgres: e2ePostgres?.p50Ms ?? null,
    p99MsPostgres: e2ePostgres?.p99Ms ?? null,
    e2ePayments: E2E_PAYMENTS,
    e2eConcurrency: E2E_CONCURRENCY,
    e2eSims: E2E_SIMS + 1,
    ...(typeof e2e.sqlite === 'string' ? { e2eSqliteError: e2e.sqlite } : {}),
    ...(typeof e2e.postgres === 'string' ? { e2ePostgresError: e2e.postgres } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench mps failed: ${String((err as Error).message ?? err).slice(0, 500)}\n`);
  process.exit(1);
});

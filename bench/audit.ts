import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSoftHsmEnvironment, ensureToken } from '../hsm-sim/softhsm';
import { AuditLog, openAuditSigner, verifyStoredLog, type NewAuditEntry } from '../src/audit';
import { openHsm, type Hsm } from '../src/hsm';
import { openStore, type Store } from '../src/store';
import { openThrowawayPostgresStore } from '../src/store/testing';

/**
 * The audit log's figures: durable appends per second (each append resolves only after its transaction has
 * committed; concurrent appends share a commit), the cost of one signed checkpoint (Merkle root + ES256 in
 * SoftHSM2, no time-stamp), and `verifyStoredLog` over the whole store (chain, leaf hashes, tree, checkpoint
 * signatures), on SQLite and on PostgreSQL.
 *
 *   npm run bench -- audit      BENCH_SECONDS=4 BENCH_CALLERS=256 change the append run.
 *   DATABASE_URL / TEST_DATABASE_URL pick the PostgreSQL (default: the one scripts/setup.sh makes).
 */

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 256);
const CHECKPOINT_EVERY = 10_000;
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://mssp_test:mssp_test@127.0.0.1:5432/mssp_test';

function entry(i: number): NewAuditEntry {
  return {
    actor: { type: 'ap', id: `ap-${i % 50}` },
    action: 'ap.request',
    subject: `transaction:${i.toString(16).padStart(12, '0')}`,
    outcome: i % 17 === 0 ? '401 USER_CANCEL' : '502 VALID_SIGNATURE',
    details: { operation: 'MSS_Signature', msisdn: `+35840${(1_000_000 + i).toString()}`, mode: 'synch' },
  };
}

interface EngineFigures {
  readonly appendsPerSec: number;
  readonly entries: number;
  readonly checkpointMs: number;
  readonly verifyEntriesPerSec: number;
}

async function measure(name: string, store: Store, hsm: Hsm): Promise<EngineFigures> {
  await store.migrate();
  const { signer } = await openAuditSigner(hsm, { keys: store.keys });
  const log = await AuditLog.open({ store, signer });

  // Warm-up: a second of appends so JIT, the connection and the file are warm.
  let next = 0;
  const run = async (seconds: number): Promise<number> => {
    const end = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < end) {
          await log.append(entry(next++));
          done += 1;
        }
      }),
    );
    return done;
  };
  await run(1);
  const started = performance.now();
  const appended = await run(SECONDS);
  const appendsPerSec = appended / ((performance.now() - started) / 1000);

  // Checkpoints: one after every CHECKPOINT_EVERY more entries, as a busy node would make them.
  const checkpointTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const batch: Promise<unknown>[] = [];
    for (let j = 0; j < CHECKPOINT_EVERY; j++) batch.push(log.append(entry(next++)));
    await Promise.all(batch);
    const t = performance.now();
    const outcome = await log.checkpoint();
    checkpointTimes.push(performance.now() - t);
    if (!outcome.created) throw new Error(`no checkpoint made: ${outcome.reason}`);
  }
  checkpointTimes.sort((a, b) => a - b);

  const t = performance.now();
  const verdict = await verifyStoredLog(store, { stopAtFirstProblem: true });
  const verifySeconds = (performance.now() - t) / 1000;
  if (verdict.problems.length > 0) throw new Error(`the benchmark log does not verify: ${JSON.stringify(verdict.problems[0])}`);
  const figures = {
    appendsPerSec: Math.round(appendsPerSec),
    entries: verdict.entries,
    checkpointMs: Number((checkpointTimes[2] as number).toFixed(2)),
    verifyEntriesPerSec: Math.round(verdict.entries / verifySeconds),
  };
  process.stderr.write(`${name}: ${JSON.stringify(figures)}\n`);
  return figures;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  const env = createSoftHsmEnvironment(join(dir, 'softhsm'));
  ensureToken(env, { label: 'bench-audit', soPin: '5678', userPin: '1234' });
  process.env.SOFTHSM2_CONF = env.confPath;
  const hsm = await openHsm({ modulePath: env.modulePath, tokenLabel: 'bench-audit', pin: '1234' });
  try {
    const sqlite = await openStore({ sqliteFile: join(dir, 'audit.sqlite') });
    let sqliteFigures: EngineFigures;
    try {
      sqliteFigures = await measure('sqlite', sqlite, hsm);
    } finally {
      await sqlite.close();
    }
    let postgres: EngineFigures | { error: string };
    try {
      const pg = await openThrowawayPostgresStore({ databaseUrl: POSTGRES_URL });
      try {
        postgres = await measure('postgres', pg, hsm);
      } finally {
        await pg.close();
      }
    } catch (err) {
      postgres = { error: (err as Error).message };
    }
    process.stdout.write(
      `${JSON.stringify({
        bench: 'audit',
        appendsPerSec: sqliteFigures.appendsPerSec,
        verifyEntriesPerSec: sqliteFigures.verifyEntriesPerSec,
        checkpointMs: sqliteFigures.checkpointMs,
        entries: sqliteFigures.entries,
        callers: CALLERS,
        targets: { appendsPerSec: 20_000, verifyEntriesPerSec: 200_000 },
        postgres,
      })}\n`,
    );
  } finally {
    await hsm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench audit failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

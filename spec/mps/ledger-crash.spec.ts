import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ledger } from '../../src/mps/ledger';
import { openStore, type Store, type StoreEngine } from '../../src/store';
import { openThrowawayPostgresStore, throwawaySchemaName } from '../../src/store/testing';
import { TEST_DATABASE_URL } from '../support/postgres';
import { batchOps } from './crash-worker';
import { expectBalanced } from './support';

/**
 * Crash: a child process books payments and two-phase reservations and is killed with SIGKILL at random moments,
 * then started again, CRASHES times. After every kill: the postings balance, every batch is in the ledger whole or
 * not at all, and everything the child had been told was booked is there. At the end (after one clean run) no
 * payment is lost, none is booked twice (two postings per transfer id), and no reservation is left pending.
 */
// Each life costs a process start (~2 s under swc); the 20 kills: MPS_CRASHES=20.
const CRASHES = Number(process.env.MPS_CRASHES ?? 4);
const WORKER = join(__dirname, 'crash-worker.ts');

interface Target {
  readonly store: Store;
  readonly arg: string;
}

const ENGINES: readonly (readonly [StoreEngine, () => Promise<Target>])[] = [
  [
    'sqlite',
    async () => {
      const file = join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'store', `crash-${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
      return { store: await openStore({ sqliteFile: file }), arg: file };
    },
  ],
  [
    'postgres',
    async () => {
      const schema = throwawaySchemaName();
      return { store: await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema }), arg: schema };
    },
  ],
];

/** Runs the worker from `first`; kills it `killAfterMs` after it is ready (or lets it finish when undefined). */
function runWorker(arg: string, engine: StoreEngine, first: number, last: number, killAfterMs?: number): Promise<{ acked: string[]; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', WORKER, arg, engine, String(first), String(last)], {
      env: { ...process.env, TEST_DATABASE_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let stderr = '';
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready' && killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else acked.push(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ acked, code, stderr }));
  });
}

describe.each(ENGINES)('ledger crash on %s', (engine, open) => {
  let target: Target;
  let ledger: Ledger;
  beforeAll(async () => {
    target = await open();
    await target.store.migrate();
    ledger = new Ledger({ store: target.store });
    await ledger.createParticipant({ id: 'bank', kind: 'bank', name: 'Bank' });
    await ledger.createAccount({ id: 'issue', participantId: 'bank', currency: 'EUR', floor: null });
    await ledger.createAccount({ id: 'payer', participantId: 'bank', currency: 'EUR' });
    for (let i = 0; i < 3; i += 1) await ledger.createAccount({ id: `shop${i}`, participantId: 'bank', currency: 'EUR' });
    await ledger.pay({ id: 'fund', debitAccountId: 'issue', creditAccountId: 'payer', currency: 'EUR', amount: '100000000' });
  });
  afterAll(async () => {
    await target?.store.close();
  });

  /** The highest batch with anything in the ledger, or -1. */
  async function lastBatch(): Promise<number> {
    let b = 0;
    while ((await target.store.ledger.transfers([`b${b}-0`])).size > 0) b += 1;
    return b - 1;
  }

  it(`survives ${CRASHES} kill -9 at random moments: nothing lost, nothing twice, no reservation left pending`, async () => {
    const ackedBooked = new Set<number>();
    const ackedCommitted = new Set<number>();
    for (let crash = 0; crash < CRASHES; crash += 1) {
      const start = Math.max(0, await lastBatch());
      const r = await runWorker(target.arg, engine, start, 1_000_000, 50 + Math.floor(Math.random() * 400));
      expect(r.stderr).toBe('');
      for (const line of r.acked) {
        const [what, b] = line.split(' ');
        if (what === 'booked') ackedBooked.add(Number(b));
        if (what === 'committed') ackedCommitted.add(Number(b));
      }
      await expectBalanced(target.store);
      const last = await lastBatch();
      for (let b = 0; b <= last; b += 1) {
        const ids = batchOps(b).book.map((op) => (op.op === 'transfer' ? op.id : ''));
        const found = await target.store.ledger.transfers(ids);
        // Whole or nothing: the batch's transfers were written in one transaction.
        expect([b, found.size]).toEqual([b, ids.length]);
      }
      for (const b of ackedBooked) expect(b <= last).toBe(true);
      for (const b of ackedCommitted) {
        const ids = batchOps(b).commit.map((op) => (op.op === 'commit' ? op.transferId : ''));
        for (const t of (await target.store.ledger.transfers(ids)).values()) expect([t.id, t.state]).toEqual([t.id, 'committed']);
      }
    }
    // One clean run finishes the batch the last kill interrupted.
    const last = Math.max(0, await lastBatch());
    const clean = await runWorker(target.arg, engine, last, last);
    expect(clean).toMatchObject({ code: 0, stderr: '' });

    let expectedDebit = 0n;
    for (let b = 0; b <= last; b += 1) {
      const ops = batchOps(b).book;
      const found = await target.store.ledger.transfers(ops.map((op) => (op.op === 'transfer' ? op.id : '')));
      for (const op of ops) {
        if (op.op !== 'transfer') continue;
        const t = found.get(op.id);
        expect([op.id, t?.state]).toEqual([op.id, 'committed']);
        expect(await target.store.ledger.postingsOf(op.id)).toHaveLength(2);
        expectedDebit += BigInt(op.amount);
      }
    }
    const payer = await ledger.account('payer');
    expect(payer.reserved).toBe(0n);
    expect(payer.posted).toBe(100000000n - expectedDebit);
    expect(last).toBeGreaterThan(0);
    await expectBalanced(target.store);
  }, 30_000 + CRASHES * 8_000);
});

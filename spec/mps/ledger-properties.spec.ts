import fc from 'fast-check';
import { Ledger, type LedgerOperation } from '../../src/mps/ledger';
import { INT64_MAX } from '../../src/mps/money';
import { STORE_ENGINES } from '../store/engines';
import { expectBalanced, freshLedger, type LedgerFixture } from './support';

/**
 * Property: whatever sequence of transfers, reservations, commits, voids, expiries, refunds and repeated requests
 * arrives, in whatever batches, every currency's postings sum to zero, every account stays at or above its floor,
 * reservations never go negative, and the banks' net positions in each window sum to zero. Each run uses fresh
 * participants in one database (the invariants are global, so earlier runs must keep holding too).
 */

type Step =
  | { kind: 'transfer'; from: number; to: number; amount: bigint; reserve: boolean; ttl: number; currency: number }
  | { kind: 'commit' | 'void' | 'refund' | 'repeat'; pick: number; amount: bigint }
  | { kind: 'tick'; ms: number };

const amount = fc.oneof(fc.bigInt({ min: 1n, max: 2_000n }), fc.bigInt({ min: 1n, max: INT64_MAX }), fc.constant(INT64_MAX));
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: fc.nat(5), to: fc.nat(5), amount, reserve: fc.boolean(), ttl: fc.integer({ min: 1, max: 120_000 }), currency: fc.nat(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('commit' as const, 'void' as const, 'refund' as const, 'repeat' as const), pick: fc.nat(), amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 90_000 }) }) },
);

// Six accounts per currency: 0 issuance (no floor) at bank X, 1-2 clients at bank X (one with overdraft),
// 3 issuance at bank Y, 4-5 at bank Y (a merchant and a client).
const FLOORS: readonly (bigint | null)[] = [null, 0n, -1_000n, null, 0n, 0n];
const CURRENCIES = ['EUR', 'JPY'] as const;

async function setUpRun(ledger: Ledger, run: number): Promise<void> {
  const bx = `r${run}-bx`;
  const by = `r${run}-by`;
  await ledger.createParticipant({ id: bx, kind: 'bank', name: 'X' });
  await ledger.createParticipant({ id: by, kind: 'bank', name: 'Y' });
  for (const currency of CURRENCIES) if (run % 2 === 0) await ledger.setNetDebitCap(by, currency, 5_000n);
  for (let i = 0; i < FLOORS.length; i += 1) {
    const bank = i < 3 ? bx : by;
    const owner = i === 0 || i === 3 ? bank : `r${run}-p${i}`;
    if (owner !== bank) await ledger.createParticipant({ id: owner, kind: i === 4 ? 'merchant' : 'client', name: owner, bankId: bank });
    for (const currency of CURRENCIES) await ledger.createAccount({ id: `r${run}-a${i}-${currency}`, participantId: owner, currency, floor: FLOORS[i] ?? null });
  }
}

describe.each(STORE_ENGINES)('ledger properties on %s', (_name, engine) => {
  let t: LedgerFixture;
  let run = 0;
  beforeAll(async () => {
    t = await freshLedger(engine);
  });
  afterAll(async () => {
    await t?.fx.close();
  });

  it('keeps every currency balanced and every account above its floor, for any sequence of operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }), async (steps, batchSizes) => {
        run += 1;
        await setUpRun(t.ledger, run);
        const made: LedgerOperation[] = [];
        const ops: LedgerOperation[] = [];
        const flush = async (): Promise<void> => {
          let i = 0;
          let b = 0;
          while (i < ops.length) {
            const size = batchSizes[b % batchSizes.length] ?? 1;
            await t.ledger.submit(ops.slice(i, i + size));
            i += size;
            b += 1;
          }
          ops.length = 0;
        };
        let n = 0;
        for (const s of steps) {
          n += 1;
          if (s.kind === 'tick') {
            await flush();
            t.clock.advance(s.ms);
            await t.ledger.expireDue();
            continue;
          }
          if (s.kind === 'transfer') {
            const currency = CURRENCIES[s.currency] ?? 'EUR';
            const op: LedgerOperation = {
              op: 'transfer',
              id: `r${run}-t${n}`,
              debitAccountId: `r${run}-a${s.from}-${currency}`,
              creditAccountId: `r${run}-a${s.to}-${currency}`,
              currency,
              amount: s.amount,
              ...(s.reserve ? { reserve: true, reserveUntil: new Date(t.clock.now().getTime() + s.ttl) } : {}),
            };
            made.push(op);
            ops.push(op);
            continue;
          }
          const earlier = made[s.pick % Math.max(1, made.length)];
          if (earlier === undefined || earlier.op !== 'transfer') continue;
          if (s.kind === 'repeat') ops.push(earlier);
          else if (s.kind === 'refund') {
            ops.push({ op: 'transfer', id: `r${run}-f${n}`, kind: 'refund', linkedTransferId: earlier.id, debitAccountId: earlier.creditAccountId, creditAccountId: earlier.debitAccountId, currency: earlier.currency, amount: s.amount });
          } else ops.push({ op: s.kind, transferId: earlier.id });
        }
        await flush();
        await expectBalanced(t.store);
        const window = await t.store.ledger.openWindowId();
        const net = new Map<string, bigint>();
        for (const p of await t.store.ledger.windowPositions(window)) net.set(p.currency, (net.get(p.currency) ?? 0n) + p.net);
        for (const [currency, total] of net) expect([currency, total]).toEqual([currency, 0n]);
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });
});

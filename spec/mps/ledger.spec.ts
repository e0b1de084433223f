import { isMpsError, type MpsErrorCode } from '../../src/mps/errors';
import { INT64_MAX } from '../../src/mps/money';
import { STORE_ENGINES } from '../store/engines';
import { expectBalanced, freshLedger, twoBanks, type LedgerFixture } from './support';

/**
 * The double-entry ledger on both engines: amounts as integers in minor units, postings that balance, floors,
 * two-phase transfers with deterministic expiry, idempotency by id and payload, refunds and reversals as new
 * linked transfers, and the batched API.
 */
async function refusedWith(promise: Promise<unknown>, code: MpsErrorCode): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMpsError(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

describe.each(STORE_ENGINES)('ledger on %s', (_name, engine) => {
  let t: LedgerFixture;
  beforeAll(async () => {
    t = await freshLedger(engine);
    await twoBanks(t.ledger);
    // Fund Alice with 100.00 from her bank's issuance account.
    await t.ledger.pay({ id: 'fund-alice', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: '10000' });
  });
  afterAll(async () => {
    await t?.fx.close();
  });

  it('books a transfer as two postings that sum to zero, and moves both balances', async () => {
    const done = await t.ledger.pay({ id: 'p1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: 1234n, kind: 'payment' });
    expect(done).toMatchObject({ state: 'committed', amount: 1234n, duplicate: false, windowId: 1n });
    const postings = await t.store.ledger.postingsOf('p1');
    expect(postings.map((p) => [p.accountId, p.amount])).toEqual([
      ['alice-EUR', -1234n],
      ['shop-EUR', 1234n],
    ]);
    expect((await t.ledger.account('alice-EUR')).posted).toBe(10000n - 1234n);
    expect((await t.ledger.account('shop-EUR')).posted).toBe(1234n);
    await expectBalanced(t.store);
  });

  it.each([
    ['zero', '0', 'INVALID_AMOUNT'],
    ['negative', '-5', 'INVALID_AMOUNT'],
    ['a JS number (may already be rounded or fractional)', 12.5, 'INVALID_AMOUNT'],
    ['a decimal fraction', '12.50', 'INVALID_AMOUNT'],
    ['2^63, beyond 64-bit', (2n ** 63n).toString(), 'AMOUNT_OUT_OF_RANGE'],
    ['2^64 + 1', (2n ** 64n + 1n).toString(), 'AMOUNT_OUT_OF_RANGE'],
  ] as const)('refuses an amount that is %s, booking nothing', async (_what, amount, code) => {
    const before = await t.store.ledger.postingTotals();
    await refusedWith(t.ledger.pay({ id: `bad-${code}-${String(amount).length}`, debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: amount as unknown as string }), code);
    expect(await t.store.ledger.postingTotals()).toEqual(before);
  });

  it('refuses an unknown currency, a currency the accounts do not hold, an unknown account and the same account twice', async () => {
    await refusedWith(t.ledger.pay({ id: 'cur1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'XYZ', amount: '1' }), 'UNKNOWN_CURRENCY');
    await refusedWith(t.ledger.pay({ id: 'cur2', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'USD', amount: '1' }), 'CURRENCY_MISMATCH');
    await refusedWith(t.ledger.pay({ id: 'acc1', debitAccountId: 'alice-EUR', creditAccountId: 'nobody-EUR', currency: 'EUR', amount: '1' }), 'UNKNOWN_ACCOUNT');
    await refusedWith(t.ledger.pay({ id: 'acc2', debitAccountId: 'alice-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: '1' }), 'SAME_ACCOUNT');
    await expect(t.ledger.transfer('cur2')).rejects.toMatchObject({ code: 'UNKNOWN_TRANSFER' });
  });

  it('refuses to take an account below its floor: no overdraft for Bob, 5.00 of overdraft for Alice', async () => {
    await refusedWith(t.ledger.pay({ id: 'bob-over', debitAccountId: 'bob-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '1' }), 'INSUFFICIENT_FUNDS');
    const alice = await t.ledger.account('alice-EUR');
    await refusedWith(t.ledger.pay({ id: 'alice-over', debitAccountId: 'alice-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: (alice.posted + 501n).toString() }), 'INSUFFICIENT_FUNDS');
    await t.ledger.pay({ id: 'alice-to-limit', debitAccountId: 'alice-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: (alice.posted + 500n).toString() });
    expect((await t.ledger.account('alice-EUR')).posted).toBe(-500n);
    // Put things back for the following cases.
    await t.ledger.pay({ id: 'bob-back', debitAccountId: 'bob-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: (alice.posted + 500n).toString() });
    await expectBalanced(t.store);
  });

  it('same id and same request gives the earlier result; same id with another amount is refused', async () => {
    const req = { id: 'idem-1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '100' };
    const first = await t.ledger.pay(req);
    const again = await t.ledger.pay(req);
    expect(again).toMatchObject({ id: 'idem-1', state: 'committed', duplicate: true, createdAt: first.createdAt });
    await refusedWith(t.ledger.pay({ ...req, amount: '101' }), 'IDEMPOTENCY_CONFLICT');
    await refusedWith(t.ledger.pay({ ...req, creditAccountId: 'bob-EUR' }), 'IDEMPOTENCY_CONFLICT');
    expect(await t.store.ledger.postingsOf('idem-1')).toHaveLength(2);
  });

  it('reserves, then commits: the reservation holds funds; commit books once, a second commit is the earlier result', async () => {
    const before = await t.ledger.account('alice-EUR');
    const r = await t.ledger.pay({ id: 'two-1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '700', reserve: true });
    expect(r).toMatchObject({ state: 'reserved', expiresAt: new Date(t.clock.now().getTime() + 60_000) });
    expect(await t.store.ledger.postingsOf('two-1')).toHaveLength(0);
    const held = await t.ledger.account('alice-EUR');
    expect([held.posted, held.reserved]).toEqual([before.posted, before.reserved + 700n]);
    await expect(t.ledger.commit('two-1')).resolves.toMatchObject({ state: 'committed', duplicate: false });
    await expect(t.ledger.commit('two-1')).resolves.toMatchObject({ state: 'committed', duplicate: true });
    await refusedWith(t.ledger.void('two-1'), 'TRANSFER_NOT_PENDING');
    const after = await t.ledger.account('alice-EUR');
    expect([after.posted, after.reserved]).toEqual([before.posted - 700n, before.reserved]);
    await expectBalanced(t.store);
  });

  it('a reservation counts against the floor; void releases it and books nothing', async () => {
    const a = await t.ledger.account('alice-EUR');
    const all = (a.posted - a.reserved + 500n).toString();
    await t.ledger.pay({ id: 'hold-all', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: all, reserve: true });
    await refusedWith(t.ledger.pay({ id: 'hold-more', debitAccountId: 'alice-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '1' }), 'INSUFFICIENT_FUNDS');
    await expect(t.ledger.void('hold-all')).resolves.toMatchObject({ state: 'voided' });
    await expect(t.ledger.void('hold-all')).resolves.toMatchObject({ state: 'voided', duplicate: true });
    await refusedWith(t.ledger.commit('hold-all'), 'TRANSFER_NOT_PENDING');
    expect(await t.store.ledger.postingsOf('hold-all')).toHaveLength(0);
    expect((await t.ledger.account('alice-EUR')).reserved).toBe(a.reserved);
  });

  it('a reservation lapses at its expiry, decided by the stored time: commit after it is refused, expireDue releases the rest', async () => {
    await t.ledger.pay({ id: 'lapse-1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '10', reserve: true });
    await t.ledger.pay({ id: 'lapse-2', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '20', reserve: true, reserveUntil: new Date(t.clock.now().getTime() + 30_000) });
    await t.ledger.pay({ id: 'lapse-3', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '30', reserve: true, reserveUntil: new Date(t.clock.now().getTime() + 120_000) });
    t.clock.advance(29_999);
    await expect(t.ledger.expireDue()).resolves.toBe(0);
    t.clock.advance(1);
    await expect(t.ledger.expireDue()).resolves.toBe(1);
    expect((await t.ledger.transfer('lapse-2')).state).toBe('expired');
    t.clock.advance(30_000);
    await refusedWith(t.ledger.commit('lapse-1'), 'RESERVATION_EXPIRED');
    expect((await t.ledger.transfer('lapse-1')).state).toBe('expired');
    await expect(t.ledger.commit('lapse-3')).resolves.toMatchObject({ state: 'committed' });
    await expect(t.ledger.expireDue()).resolves.toBe(0);
    await expectBalanced(t.store);
  });

  it('refunds are new transfers linked to the original, never more than it; a reversal returns all of it', async () => {
    await t.ledger.pay({ id: 'buy-1', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '1000', kind: 'payment' });
    const refund = { debitAccountId: 'shop-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', kind: 'refund' as const, linkedTransferId: 'buy-1' };
    await t.ledger.pay({ id: 'refund-1', amount: '600', ...refund });
    await refusedWith(t.ledger.pay({ id: 'refund-2', amount: '401', ...refund }), 'REFUND_EXCEEDS_ORIGINAL');
    await t.ledger.pay({ id: 'refund-3', amount: '400', ...refund });
    await refusedWith(t.ledger.pay({ id: 'refund-4', amount: '1', ...refund }), 'REFUND_EXCEEDS_ORIGINAL');
    await refusedWith(t.ledger.pay({ id: 'refund-5', amount: '1', ...refund, debitAccountId: 'bob-EUR' }), 'BAD_LINK');
    await refusedWith(t.ledger.pay({ id: 'refund-6', amount: '1', ...refund, linkedTransferId: 'no-such' }), 'BAD_LINK');
    expect((await t.ledger.transfer('buy-1')).state).toBe('committed');

    await t.ledger.pay({ id: 'buy-2', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '250', kind: 'payment' });
    await refusedWith(t.ledger.pay({ id: 'rev-0', amount: '249', ...refund, kind: 'reversal', linkedTransferId: 'buy-2' }), 'REFUND_EXCEEDS_ORIGINAL');
    await expect(t.ledger.pay({ id: 'rev-1', amount: '250', ...refund, kind: 'reversal', linkedTransferId: 'buy-2' })).resolves.toMatchObject({ kind: 'reversal', linkedTransferId: 'buy-2' });
    await refusedWith(t.ledger.pay({ id: 'rev-2', amount: '1', ...refund, linkedTransferId: 'buy-2' }), 'REFUND_EXCEEDS_ORIGINAL');
    await expectBalanced(t.store);
  });

  it('a credit that would leave the 64-bit range is refused', async () => {
    await t.ledger.pay({ id: 'huge-1', debitAccountId: 'bank-b-issuance-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: INT64_MAX.toString() });
    await refusedWith(t.ledger.pay({ id: 'huge-2', debitAccountId: 'bank-b-issuance-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '1' }), 'BALANCE_OVERFLOW');
    await t.ledger.pay({ id: 'huge-3', debitAccountId: 'bob-EUR', creditAccountId: 'bank-b-issuance-EUR', currency: 'EUR', amount: INT64_MAX.toString() });
    await expectBalanced(t.store);
  });

  it("a reservation that would take a bank's pending total beyond 64 bits is refused, not failed by the store", async () => {
    // Found by the property test: each account stayed in range, the bank's running total of reservations did not.
    await t.ledger.pay({ id: 'big-hold', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: INT64_MAX.toString(), reserve: true });
    await refusedWith(t.ledger.pay({ id: 'one-more', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '1', reserve: true }), 'BALANCE_OVERFLOW');
    await t.ledger.void('big-hold');
    await t.ledger.pay({ id: 'one-more', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '1', reserve: true });
    await expectBalanced(t.store);
  });

  it('writes a log line with the code for every refused operation', async () => {
    const { PassThrough } = await import('node:stream');
    const { createLogger } = await import('../../src/log');
    const { Ledger } = await import('../../src/mps/ledger');
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '')));
    const logged = new Ledger({ store: t.store, clock: t.clock.now, logger: createLogger({ destination: sink }) });
    await logged.submit([{ op: 'transfer', id: 'log-1', debitAccountId: 'bob-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '999999999' }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => JSON.parse(l) as { code: string; id: string })).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_FUNDS', id: 'log-1' })]);
  });

  it('the batched API applies operations in order, each with its own result, in one transaction', async () => {
    const results = await t.ledger.submit([
      { op: 'transfer', id: 'b-1', debitAccountId: 'alice-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '5' },
      { op: 'transfer', id: 'b-2', debitAccountId: 'bob-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '5', reserve: true },
      { op: 'commit', transferId: 'b-2' },
      { op: 'transfer', id: 'b-1', debitAccountId: 'alice-EUR', creditAccountId: 'bob-EUR', currency: 'EUR', amount: '5' },
      { op: 'transfer', id: 'b-3', debitAccountId: 'bob-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: '1' },
      { op: 'void', transferId: 'nope' },
    ]);
    expect(results.map((r) => (r.ok ? r.state : r.code))).toEqual(['committed', 'reserved', 'committed', 'DUPLICATE_IN_BATCH', 'INSUFFICIENT_FUNDS', 'UNKNOWN_TRANSFER']);
    await expect(t.ledger.submit(Array.from({ length: 10_001 }, (_, i) => ({ op: 'commit' as const, transferId: `x${i}` })))).rejects.toMatchObject({ code: 'BATCH_TOO_LARGE' });
    await expectBalanced(t.store);
  });
});

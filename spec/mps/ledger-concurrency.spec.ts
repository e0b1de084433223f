import { Ledger, type LedgerOperation } from '../../src/mps/ledger';
import { STORE_ENGINES } from '../store/engines';
import { expectBalanced, freshLedger, ManualClock, type LedgerFixture } from './support';

/**
 * Two nodes: two stores with their own connection pools on the same database, each with its own Ledger, taking
 * payments at once against the same accounts. No double spend: the payer's balance never goes below its floor,
 * exactly as many payments succeed as the money allows, and a transfer id sent to both nodes is booked once.
 */
describe.each(STORE_ENGINES)('two nodes on %s', (_name, engine) => {
  let t: LedgerFixture;
  let second: Ledger;
  beforeAll(async () => {
    t = await freshLedger(engine);
    const other = await t.fx.openSecond();
    second = new Ledger({ store: other, clock: new ManualClock().now, reservationMs: 60_000 });
    await t.ledger.createParticipant({ id: 'bank-a', kind: 'bank', name: 'A' });
    await t.ledger.createParticipant({ id: 'bank-b', kind: 'bank', name: 'B' });
    await t.ledger.createAccount({ id: 'issue', participantId: 'bank-a', currency: 'EUR', floor: null });
    for (const who of ['payer', 'payer2']) {
      await t.ledger.createParticipant({ id: who, kind: 'client', name: who, bankId: 'bank-a' });
      await t.ledger.createAccount({ id: `${who}-EUR`, participantId: who, currency: 'EUR' });
    }
    for (const who of ['shop1', 'shop2']) {
      await t.ledger.createParticipant({ id: who, kind: 'merchant', name: who, bankId: 'bank-b' });
      await t.ledger.createAccount({ id: `${who}-EUR`, participantId: who, currency: 'EUR' });
    }
    await t.ledger.pay({ id: 'fund', debitAccountId: 'issue', creditAccountId: 'payer-EUR', currency: 'EUR', amount: '1000' });
    await t.ledger.pay({ id: 'fund2', debitAccountId: 'issue', creditAccountId: 'payer2-EUR', currency: 'EUR', amount: '1000' });
  });
  afterAll(async () => {
    await t?.fx.close();
  });

  it('spends the same 10.00 from both nodes at once: exactly 1000 units go, never more', async () => {
    const batch = (node: string, b: number, shop: string): LedgerOperation[] =>
      Array.from({ length: 20 }, (_, i) => ({ op: 'transfer' as const, id: `${node}-${b}-${i}`, debitAccountId: 'payer-EUR', creditAccountId: `${shop}-EUR`, currency: 'EUR', amount: '7' }));
    const run = async (ledger: Ledger, node: string, shop: string): Promise<number> => {
      let ok = 0;
      for (let b = 0; b < 6; b += 1) ok += (await ledger.submit(batch(node, b, shop))).filter((r) => r.ok).length;
      return ok;
    };
    const [one, two] = await Promise.all([run(t.ledger, 'n1', 'shop1'), run(second, 'n2', 'shop2')]);
    // 240 attempts of 7 against 1000: exactly floor(1000 / 7) = 142 can succeed, whichever node gets them.
    expect(one + two).toBe(142);
    const payer = await t.ledger.account('payer-EUR');
    expect(payer.posted).toBe(1000n - 142n * 7n);
    const shops = (await t.ledger.account('shop1-EUR')).posted + (await t.ledger.account('shop2-EUR')).posted;
    expect(shops).toBe(142n * 7n);
    await expectBalanced(t.store);
  });

  it('books a transfer id sent to both nodes at once exactly once', async () => {
    const ops: LedgerOperation[] = Array.from({ length: 30 }, (_, i) => ({ op: 'transfer' as const, id: `same-${i}`, debitAccountId: 'payer2-EUR', creditAccountId: 'shop1-EUR', currency: 'EUR', amount: '10' }));
    const [a, b] = await Promise.all([t.ledger.submit(ops), second.submit(ops)]);
    for (let i = 0; i < ops.length; i += 1) {
      const pair = [a[i], b[i]];
      expect(pair.every((r) => r?.ok === true)).toBe(true);
      // One node booked it, the other answered with the earlier result.
      expect(pair.filter((r) => r?.ok === true && r.duplicate).length).toBe(1);
      expect(await t.store.ledger.postingsOf(`same-${i}`)).toHaveLength(2);
    }
    expect((await t.ledger.account('payer2-EUR')).posted).toBe(1000n - 300n);
    await expectBalanced(t.store);
  });

  it('answers a transfer id sent to both nodes at once as a duplicate even when the first booking took the last of the money', async () => {
    // Regression: the engine read stored transfers before it locked the accounts, so the node that waited for the
    // lock judged the request as new against the balance the other node had just spent, and refused it as
    // INSUFFICIENT_FUNDS instead of answering with the earlier result.
    await t.ledger.createParticipant({ id: 'tight', kind: 'client', name: 'tight', bankId: 'bank-a' });
    await t.ledger.createAccount({ id: 'tight-EUR', participantId: 'tight', currency: 'EUR' });
    await t.ledger.pay({ id: 'fund-tight', debitAccountId: 'issue', creditAccountId: 'tight-EUR', currency: 'EUR', amount: '600' });
    const ops: LedgerOperation[] = Array.from({ length: 10 }, (_, i) => ({ op: 'transfer' as const, id: `tight-${i}`, debitAccountId: 'tight-EUR', creditAccountId: 'shop1-EUR', currency: 'EUR', amount: '60' }));
    const [a, b] = await Promise.all([t.ledger.submit(ops), second.submit(ops)]);
    for (let i = 0; i < ops.length; i += 1) {
      const pair = [a[i], b[i]];
      expect([i, pair.map((r) => (r?.ok === true ? (r.duplicate ? 'duplicate' : 'booked') : r?.code)).sort()]).toEqual([i, ['booked', 'duplicate']]);
    }
    expect((await t.ledger.account('tight-EUR')).posted).toBe(0n);
    await expectBalanced(t.store);
  });

  it('commits a reservation from one node and voids it from the other at once: one wins, money moves at most once', async () => {
    for (let i = 0; i < 10; i += 1) {
      await t.ledger.pay({ id: `race-${i}`, debitAccountId: 'payer2-EUR', creditAccountId: 'shop2-EUR', currency: 'EUR', amount: '5', reserve: true });
    }
    const before = await t.ledger.account('payer2-EUR');
    const ids = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    const [c, v] = await Promise.all([t.ledger.submit(ids.map((transferId) => ({ op: 'commit' as const, transferId }))), second.submit(ids.map((transferId) => ({ op: 'void' as const, transferId })))]);
    let committed = 0;
    for (let i = 0; i < ids.length; i += 1) {
      const state = (await t.ledger.transfer(ids[i] ?? '')).state;
      expect(['committed', 'voided']).toContain(state);
      if (state === 'committed') committed += 1;
      expect(c[i]?.ok === true).toBe(state === 'committed');
      expect(v[i]?.ok === true).toBe(state === 'voided');
    }
    const after = await t.ledger.account('payer2-EUR');
    expect(after.reserved).toBe(before.reserved - 50n);
    expect(after.posted).toBe(before.posted - BigInt(committed) * 5n);
    await expectBalanced(t.store);
  });
});

import { Ledger, type LedgerOptions } from '../../src/mps/ledger';
import type { Store } from '../../src/store';
import type { StoreEngineCase, StoreFixture } from '../store/engines';

/** A clock the test moves by hand, so reservation expiry is decided by the test, not by the machine's speed. */
export class ManualClock {
  private ms: number;
  constructor(start = Date.UTC(2026, 0, 15, 9, 0, 0)) {
    this.ms = start;
  }
  readonly now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface LedgerFixture {
  readonly fx: StoreFixture;
  readonly store: Store;
  readonly clock: ManualClock;
  readonly ledger: Ledger;
}

export async function freshLedger(engine: StoreEngineCase, options: Partial<LedgerOptions> = {}): Promise<LedgerFixture> {
  const fx = await engine.fresh();
  await fx.store.migrate();
  const clock = new ManualClock();
  return { fx, store: fx.store, clock, ledger: new Ledger({ store: fx.store, clock: clock.now, reservationMs: 60_000, ...options }) };
}

/**
 * Two banks (A and B) in EUR, each with a settlement account without floor (money enters the system there), a
 * client account and a merchant account; the client at A can overdraw by 5.00.
 */
export async function twoBanks(ledger: Ledger, currency = 'EUR'): Promise<void> {
  for (const bank of ['bank-a', 'bank-b']) {
    await ledger.createParticipant({ id: bank, kind: 'bank', name: bank.toUpperCase() });
    await ledger.createAccount({ id: `${bank}-issuance-${currency}`, participantId: bank, currency, floor: null });
  }
  await ledger.createParticipant({ id: 'alice', kind: 'client', name: 'Alice', bankId: 'bank-a' });
  await ledger.createParticipant({ id: 'bob', kind: 'client', name: 'Bob', bankId: 'bank-a' });
  await ledger.createParticipant({ id: 'shop', kind: 'merchant', name: 'Shop', bankId: 'bank-b' });
  await ledger.createAccount({ id: `alice-${currency}`, participantId: 'alice', currency, floor: -500n });
  await ledger.createAccount({ id: `bob-${currency}`, participantId: 'bob', currency });
  await ledger.createAccount({ id: `shop-${currency}`, participantId: 'shop', currency });
}

/** Sum of every account's posted balance per currency must be zero; the postings must say the same. */
export async function expectBalanced(store: Store): Promise<void> {
  const totals = await store.ledger.postingTotals();
  for (const [currency, total] of totals) expect([currency, total]).toEqual([currency, 0n]);
  const byCurrency = new Map<string, bigint>();
  for (const a of await store.ledger.allAccounts()) {
    byCurrency.set(a.currency, (byCurrency.get(a.currency) ?? 0n) + a.posted);
    if (a.floor !== null) expect(a.posted - a.reserved >= a.floor).toBe(true);
    expect(a.reserved >= 0n).toBe(true);
  }
  for (const [currency, total] of byCurrency) expect([currency, total]).toEqual([currency, 0n]);
}

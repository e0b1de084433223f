import { newTransactionRef, SimInbox, type InboxRefusal } from '../../src/channel/sim';
import { appletReceipts, storeMoCounters } from '../../src/cli/mps-clients';
import { verifyStoredLog } from '../../src/audit';
import { createLogger } from '../../src/log';
import { ClientPayments, canonicalOrder, orderTransferId, parseOrder, type ClientOrderResult, type Payee } from '../../src/mps';
import { composeOrder } from '../../hsm-sim/handset/orders';
import { postgresEngine, sqliteEngine, type StoreEngineCase } from '../store/engines';
import { ALICE, BOB, demoNumber, startClientWorld, type ClientWorld } from './client-world';
import { expectBalanced } from './support';

/**
 * Issue 7 item 3: a client pays from the phone. The order (payee, amount, instrument) is composed on the demo
 * handset, shown, the PIN taken and the order's bytes signed by the SIM's signing key (its own SoftHSM2 token);
 * the handset sends it as an OTA-secured MO packet through the SMSC simulator over TCP; the platform's SimInbox
 * checks the packet with that SIM's keys and counter, and ClientPayments verifies the signature and books.
 * Receipts go back to the phones as show-receipt requests over the same channel.
 */

/** Registered with the RA but without any instrument. */
const DAVE = demoNumber(3);
const UNKNOWN = '+99900000999';

describe.each<[string, StoreEngineCase]>([
  ['sqlite', sqliteEngine],
  ['postgres', postgresEngine],
])('client payments on %s', (engineName, engine) => {
  let w: ClientWorld;
  let inbox: SimInbox;
  let payments: ClientPayments;
  const receipts: { msisdn: string; text: string }[] = [];
  const waiting = new Map<string, (r: ClientOrderResult) => void>();
  const refusals: { msisdn: string; reason: InboxRefusal }[] = [];

  beforeAll(async () => {
    w = await startClientWorld(`orders-${engineName}`, engine);
    // Bob approves in this file (he is paid, and must enrol his wallet).
    w.behaviours.set(BOB, { kind: 'approve' });
    const logger = createLogger({ level: 'silent' });
    const shown = appletReceipts(w.demo.channel, newTransactionRef, 20_000);
    payments = new ClientPayments({
      store: w.fx.store,
      ledger: w.ledger,
      directory: w.directory,
      verifier: w.verifier,
      audit: w.audit,
      logger,
      receipts: {
        send: async (msisdn, text) => {
          await shown.send(msisdn, text);
          receipts.push({ msisdn, text });
        },
      },
    });
    inbox = new SimInbox({ transport: w.demo.transport, crypto: w.demo.otaCrypto, sims: w.demo.sims, counters: storeMoCounters(w.fx.store), logger });
    inbox.onOrder(async (order, context) => {
      const result = await payments.receive(context.msisdn, { orderRef: order.orderRef, order: order.order, signature: order.signature });
      waiting.get(order.orderRef)?.(result);
    });
    inbox.on('refused', (r) => refusals.push(r));
    expect((await w.instruments.enrol({ id: 'alice-card', clientMsisdn: ALICE, kind: 'card', currency: 'EUR', ledgerAccountId: 'alice-EUR', details: { issuer: 'bank-a', token: 'tok_alice', last4: '4242' }, makeDefault: true })).state).toBe('active');
    expect((await w.instruments.enrol({ id: 'bob-wallet', clientMsisdn: BOB, kind: 'e-money', currency: 'EUR', ledgerAccountId: 'bob-EUR', details: { provider: 'PayWallet', walletId: 'w-1' }, makeDefault: true })).state).toBe('active');
  }, 180_000);
  afterAll(async () => {
    await payments?.idle();
    inbox?.close();
    await w?.close();
  });

  const balance = async (account: string): Promise<bigint> => (await w.ledger.account(account)).posted;

  /** Sends an order from the handset and waits for the platform's result. */
  async function pay(from: string, payee: Payee, amount: bigint, instrumentId: string, extra: { orderRef?: string; createdAt?: Date; signAmount?: bigint } = {}) {
    const order = composeOrder({ payer: from, payee, instrumentId, amount, currency: 'EUR', reference: 'coffee', ...extra });
    const signInstead = extra.signAmount === undefined ? undefined : canonicalOrder({ ...parseOrder(order.order), amount: extra.signAmount });
    const result = new Promise<ClientOrderResult>((resolve) => waiting.set(order.orderRef, resolve));
    const sent = await w.demo.sendOrder(from, { ...order, ...(signInstead !== undefined ? { signInstead } : {}) });
    expect(sent.outcome).toBe('ready');
    return { order, sent, result: await result };
  }

  it('a client pays a merchant from the phone: booked once, receipt on the phone', async () => {
    const [alice, shop] = [await balance('alice-EUR'), await balance('shop-EUR')];
    const { order, result } = await pay(ALICE, { kind: 'merchant', accountId: 'shop-EUR' }, 1250n, 'alice-card');
    expect(result).toEqual({ outcome: 'paid', orderRef: order.orderRef, transferId: orderTransferId(ALICE, order.orderRef), duplicate: false });
    expect(await balance('alice-EUR')).toBe(alice - 1250n);
    expect(await balance('shop-EUR')).toBe(shop + 1250n);
    const stored = await w.fx.store.instruments.order(ALICE, order.orderRef);
    expect(stored).toMatchObject({ outcome: 'paid', transferId: result.outcome === 'paid' ? result.transferId : null });
    // The stored signature verifies over the stored order bytes with Alice's registered certificate.
    expect(await w.verifier.verify((stored as { signature: Buffer }).signature, (stored as { canonical: Buffer }).canonical, ALICE)).toEqual({ valid: true });
    await payments.idle();
    expect(receipts).toContainEqual({ msisdn: ALICE, text: `Paid 12.50 EUR to shop-EUR. Ref coffee` });
    await expectBalanced(w.fx.store);
    expect((await verifyStoredLog(w.fx.store)).ok).toBe(true);
  }, 60_000);

  it('P2P: pays another demo number, known only by its phone number, into its default instrument', async () => {
    const [alice, bob] = [await balance('alice-EUR'), await balance('bob-EUR')];
    const { result } = await pay(ALICE, { kind: 'phone', msisdn: BOB }, 300n, 'alice-card');
    expect(result.outcome).toBe('paid');
    expect(await balance('alice-EUR')).toBe(alice - 300n);
    expect(await balance('bob-EUR')).toBe(bob + 300n);
    await payments.idle();
    expect(receipts).toContainEqual({ msisdn: BOB, text: `Received 3.00 EUR from ${ALICE}. Ref coffee` });
    await expectBalanced(w.fx.store);
  }, 60_000);

  it('refuses a replayed MO packet and a packet overtaken by a later one; nothing is booked twice', async () => {
    const before = await balance('alice-EUR');
    const { sent, result } = await pay(ALICE, { kind: 'merchant', accountId: 'shop-EUR' }, 100n, 'alice-card');
    expect(result.outcome).toBe('paid');
    const handled = await w.fx.store.counters.current(`ota-mo/${w.demo.sims.lookup(ALICE)?.sim ?? ''}`);
    refusals.length = 0;
    await w.demo.sendRaw(ALICE, sent.outcome === 'ready' ? sent.userData : []);
    await waitFor(() => refusals.length === 1);
    await inbox.idle();
    expect(refusals).toEqual([{ msisdn: ALICE.slice(1), reason: 'cntr-low' }]);

    // Two orders signed in order, delivered the other way round: the later one passes, the earlier is refused.
    const first = composeOrder({ payer: ALICE, payee: { kind: 'merchant', accountId: 'shop-EUR' }, instrumentId: 'alice-card', amount: 7n, currency: 'EUR', reference: 'first' });
    const second = composeOrder({ payer: ALICE, payee: { kind: 'merchant', accountId: 'shop-EUR' }, instrumentId: 'alice-card', amount: 11n, currency: 'EUR', reference: 'second' });
    const p1 = await w.demo.prepareOrder(ALICE, first);
    const p2 = await w.demo.prepareOrder(ALICE, second);
    const secondResult = new Promise<ClientOrderResult>((resolve) => waiting.set(second.orderRef, resolve));
    await w.demo.sendRaw(ALICE, p2.outcome === 'ready' ? p2.userData : []);
    expect((await secondResult).outcome).toBe('paid');
    await w.demo.sendRaw(ALICE, p1.outcome === 'ready' ? p1.userData : []);
    await waitFor(() => refusals.length === 2);
    expect(refusals[1]?.reason).toBe('cntr-low');
    expect(await balance('alice-EUR')).toBe(before - 100n - 11n);
    expect(await w.fx.store.instruments.order(ALICE, first.orderRef)).toBeUndefined();
    expect(await w.fx.store.counters.current(`ota-mo/${w.demo.sims.lookup(ALICE)?.sim ?? ''}`)).toBe((handled ?? 0n) + 2n);
    await expectBalanced(w.fx.store);
  }, 60_000);

  it('drops forged packets and packets from numbers without a SIM profile: logged, nothing booked', async () => {
    const alice = await balance('alice-EUR');
    refusals.length = 0;
    const { packetToUserData, IEI_COMMAND_PACKET } = await import('../../src/channel/ota');
    const prepared = await w.demo.prepareOrder(ALICE, composeOrder({ payer: ALICE, payee: { kind: 'merchant', accountId: 'shop-EUR' }, instrumentId: 'alice-card', amount: 5n, currency: 'EUR', reference: 'forged' }));
    expect(prepared.outcome).toBe('ready');
    const { userDataToPacket } = await import('../../src/channel/ota');
    const packet = userDataToPacket(IEI_COMMAND_PACKET, prepared.outcome === 'ready' ? prepared.userData : []);
    // One bit flipped in the ciphered part: the checksum no longer verifies.
    const forged = Buffer.from(packet);
    forged[forged.length - 3] = (forged[forged.length - 3] ?? 0) ^ 0x01;
    await w.demo.sendRaw(ALICE, packetToUserData(IEI_COMMAND_PACKET, forged, 9));
    await waitFor(() => refusals.length === 1);
    // The genuine packet sent from a number the platform has no SIM for.
    await w.demo.sendRaw(UNKNOWN, packetToUserData(IEI_COMMAND_PACKET, packet, 10));
    await waitFor(() => refusals.length === 2);
    expect(refusals).toEqual([
      { msisdn: ALICE.slice(1), reason: 'rc-cc-ds-failed' },
      { msisdn: UNKNOWN.slice(1), reason: 'unknown-sim' },
    ]);
    expect(await balance('alice-EUR')).toBe(alice);
  }, 30_000);

  it('the same order sent again (a new packet, same reference and bytes) returns the earlier result', async () => {
    const createdAt = new Date();
    const before = await balance('alice-EUR');
    const one = await pay(ALICE, { kind: 'merchant', accountId: 'shop-EUR' }, 50n, 'alice-card', { orderRef: 'retry-1', createdAt });
    const two = await pay(ALICE, { kind: 'merchant', accountId: 'shop-EUR' }, 50n, 'alice-card', { orderRef: 'retry-1', createdAt });
    expect(one.result).toMatchObject({ outcome: 'paid', duplicate: false });
    expect(two.result).toMatchObject({ outcome: 'paid', duplicate: true, transferId: one.result.outcome === 'paid' ? one.result.transferId : '' });
    expect(await balance('alice-EUR')).toBe(before - 50n);
    // Same reference, other terms: refused, and the first stands.
    const three = await pay(ALICE, { kind: 'merchant', accountId: 'shop-EUR' }, 5000n, 'alice-card', { orderRef: 'retry-1', createdAt });
    expect(three.result).toMatchObject({ outcome: 'refused', code: 'IDEMPOTENCY_CONFLICT' });
    expect(await balance('alice-EUR')).toBe(before - 50n);
  }, 60_000);

  it('refuses a signature over a different amount, and books nothing', async () => {
    const [alice, shop] = [await balance('alice-EUR'), await balance('shop-EUR')];
    const { order, result } = await pay(ALICE, { kind: 'merchant', accountId: 'shop-EUR' }, 9999n, 'alice-card', { signAmount: 100n });
    expect(result).toMatchObject({ outcome: 'refused', code: 'SIGNATURE_INVALID' });
    expect([await balance('alice-EUR'), await balance('shop-EUR')]).toEqual([alice, shop]);
    expect(await w.fx.store.instruments.order(ALICE, order.orderRef)).toBeUndefined();
    expect((await w.fx.store.ledger.transfers([orderTransferId(ALICE, order.orderRef)])).size).toBe(0);
  }, 60_000);

  it('refuses an unknown payee number, and a known number without an instrument: nothing booked', async () => {
    const alice = await balance('alice-EUR');
    const unknown = await pay(ALICE, { kind: 'phone', msisdn: UNKNOWN }, 100n, 'alice-card');
    expect(unknown.result).toMatchObject({ outcome: 'refused', code: 'UNKNOWN_PAYEE' });
    const noInstrument = await pay(ALICE, { kind: 'phone', msisdn: DAVE }, 100n, 'alice-card');
    expect(noInstrument.result).toMatchObject({ outcome: 'refused', code: 'UNKNOWN_PAYEE' });
    const notMerchant = await pay(ALICE, { kind: 'merchant', accountId: 'bob-EUR' }, 100n, 'alice-card');
    expect(notMerchant.result).toMatchObject({ outcome: 'refused', code: 'UNKNOWN_PAYEE' });
    expect(await balance('alice-EUR')).toBe(alice);
    await payments.idle();
    expect(receipts.some((r) => r.msisdn === ALICE && r.text.includes('refused (UNKNOWN_PAYEE)'))).toBe(true);
  }, 60_000);

  it("refuses paying with someone else's instrument, and an order more than the balance allows", async () => {
    const [alice, bob] = [await balance('alice-EUR'), await balance('bob-EUR')];
    const theft = await pay(ALICE, { kind: 'merchant', accountId: 'shop-EUR' }, 100n, 'bob-wallet');
    expect(theft.result).toMatchObject({ outcome: 'refused', code: 'INSTRUMENT_NOT_OWNED' });
    const tooMuch = await pay(BOB, { kind: 'phone', msisdn: ALICE }, 1_000_000n, 'bob-wallet');
    expect(tooMuch.result).toMatchObject({ outcome: 'refused', code: 'INSUFFICIENT_FUNDS' });
    expect([await balance('alice-EUR'), await balance('bob-EUR')]).toEqual([alice, bob]);
    await expectBalanced(w.fx.store);
  }, 60_000);

  it('sends nothing when the client cancels on the phone', async () => {
    const order = composeOrder({ payer: ALICE, payee: { kind: 'merchant', accountId: 'shop-EUR' }, instrumentId: 'alice-card', amount: 1n, currency: 'EUR', reference: 'cancelled' });
    const sentBefore = (await w.fx.store.counters.current(`ota-mo/${w.demo.sims.lookup(ALICE)?.sim ?? ''}`)) ?? 0n;
    expect((await w.demo.sendOrder(ALICE, order, { kind: 'cancel' })).outcome).toBe('user-cancelled');
    await inbox.idle();
    expect(await w.fx.store.counters.current(`ota-mo/${w.demo.sims.lookup(ALICE)?.sim ?? ''}`)).toBe(sentBefore);
    expect(await w.fx.store.instruments.order(ALICE, order.orderRef)).toBeUndefined();
  }, 30_000);

  it('keeps the books balanced and every booked order one transfer, whatever mix of orders arrives', async () => {
    const shapes: [Payee, bigint, string][] = [
      [{ kind: 'merchant', accountId: 'shop-EUR' }, 1n, 'alice-card'],
      [{ kind: 'phone', msisdn: BOB }, 250n, 'alice-card'],
      [{ kind: 'phone', msisdn: UNKNOWN }, 10n, 'alice-card'],
      [{ kind: 'merchant', accountId: 'shop-EUR' }, 99n, 'bob-wallet'],
      [{ kind: 'phone', msisdn: ALICE }, 12_000n, 'alice-card'],
    ];
    // A fixed pseudo-random walk (seeded), so a failure replays exactly.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const results: ClientOrderResult[] = [];
    for (let i = 0; i < 12; i += 1) {
      const [payee, amount, instrument] = shapes[next(shapes.length)] as [Payee, bigint, string];
      results.push((await pay(ALICE, payee, amount, instrument)).result);
    }
    expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['paid', 'refused']));
    for (const r of results) {
      const transfers = await w.fx.store.ledger.transfers([orderTransferId(ALICE, r.orderRef)]);
      expect([r.orderRef, transfers.size]).toEqual([r.orderRef, r.outcome === 'paid' ? 1 : 0]);
    }
    await expectBalanced(w.fx.store);
    expect((await verifyStoredLog(w.fx.store)).ok).toBe(true);
  }, 120_000);
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

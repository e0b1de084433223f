import { AuditLog, verifyStoredLog } from '../../src/audit';
import { cmsApprovalVerifier, OfferService, offerTransferId, type OfferView, type PayerDirectory } from '../../src/mps';
import { Ledger } from '../../src/mps/ledger';
import { parseCertificate, trustAnchorFromCertificate } from '../../src/pki';
import { isStoreError, type OfferStateName, type Store } from '../../src/store';
import { openTestToken, type TestToken } from '../hsm/support';
import { makeTokenChain, type TokenChain } from '../pki/support/token-pki';
import { STORE_ENGINES } from '../store/engines';
import { SimApprover } from './sim-approver';
import { expectBalanced, freshLedger, twoBanks, type LedgerFixture } from './support';

/**
 * Recovery of offers after a crash, on both engines. Each case writes the rows a crash leaves behind (the offer's
 * states up to where the process died, a reservation made but not committed, money committed but "paid" never
 * recorded), with a real SIM signature from a SoftHSM token where the offer was approved, then runs recover():
 * what was approved is booked exactly once, what lapsed is expired and its hold released, what still has time is
 * left alone. Then two nodes recover the same offers at once and book nothing twice.
 */
let token: TestToken;
let citizen: TokenChain;

beforeAll(async () => {
  token = await openTestToken('mps-recovery');
  citizen = await makeTokenChain(token.hsm, { label: 'citizen', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
});
afterAll(async () => {
  await token?.hsm.close();
});

const ALICE = '+3725550001';
const directory: PayerDirectory = { accountFor: async (msisdn, currency) => (msisdn === ALICE ? `alice-${currency}` : undefined) };

describe.each(STORE_ENGINES)('offer recovery on %s', (_name, engine) => {
  let t: LedgerFixture;
  let sim: SimApprover;
  let audit: AuditLog;
  let n = 0;

  const service = (store: Store, ledger: Ledger, log: AuditLog): OfferService =>
    new OfferService({
      audit: log,
      store,
      ledger,
      approver: sim,
      directory,
      clock: t.clock.now,
      verifier: cmsApprovalVerifier({
        trustAnchors: [trustAnchorFromCertificate(parseCertificate(citizen.root.der))],
        revocation: { mode: 'required', ocsp: async () => 'good' },
        certificateFor: async (msisdn) => (msisdn === ALICE ? citizen.leaf.der : undefined),
      }),
    });
  let offers: OfferService;

  const make = async (amount = '300', lifeMs = 120_000): Promise<OfferView> =>
    offers.create({ id: `r${(n += 1)}`, merchantId: 'shop', merchantAccountId: 'shop-EUR', clientMsisdn: ALICE, currency: 'EUR', amount, reference: `INV-${n}`, expiresAt: new Date(t.clock.now().getTime() + lifeMs) });

  const leave = async (id: string, states: readonly OfferStateName[]): Promise<void> => {
    const record = await t.store.offers.offer(id);
    if (record === undefined) throw new Error('no offer');
    for (const state of states) {
      let signature: Buffer | null = null;
      if (state === 'approved') {
        const out = await sim.approve({ msisdn: ALICE, reference: id, display: 'x', dataToBeSigned: record.canonical, verificationCode: record.verificationCode, deadline: record.expiresAt });
        if (out.status !== 'signed') throw new Error('the SIM did not sign');
        signature = Buffer.from(out.signature);
      }
      await t.store.offers.insertState({ offerId: id, state, at: t.clock.now(), transferId: null, detail: null, signature });
    }
  };

  /** The reservation book() makes, as a process killed between reserve and commit leaves it. */
  const reserveAsBook = async (o: OfferView, expiresAt: Date): Promise<void> => {
    await t.ledger.pay({ id: offerTransferId(o.id), kind: 'payment', debitAccountId: 'alice-EUR', creditAccountId: 'shop-EUR', currency: 'EUR', amount: o.amount, reserve: true, reserveUntil: expiresAt, reference: o.reference });
  };

  const auditedOutcomes = async (id: string): Promise<string[]> => (await t.store.audit.entries({ limit: 100_000 })).filter((e) => e.subject === `offer:${id}`).map((e) => e.outcome);

  beforeAll(async () => {
    t = await freshLedger(engine);
    await twoBanks(t.ledger);
    await t.ledger.pay({ id: 'fund', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: '100000' });
    sim = new SimApprover(token.hsm, citizen.leaf.pair.privateKey, citizen.leaf.der, [citizen.issuing.der]);
    audit = await AuditLog.open({ store: t.store });
    offers = service(t.store, t.ledger, audit);
  });
  afterAll(async () => {
    await t?.fx.close();
  });

  it('books an approved offer whose process died before the ledger was called, once, and audits it with the transfer', async () => {
    const o = await make();
    await leave(o.id, ['sent', 'approved']);
    const before = (await t.ledger.account('alice-EUR')).posted;
    const report = await offers.recover();
    expect(report).toMatchObject({ paid: 1, errors: 0 });
    expect(await offers.view(o.id)).toMatchObject({ state: 'paid', transferId: offerTransferId(o.id) });
    expect((await t.ledger.account('alice-EUR')).posted).toBe(before - 300n);
    expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(2);
    expect(await auditedOutcomes(o.id)).toEqual(['paid']);
    // A second pass finds nothing to do for it.
    expect((await offers.recover()).paid).toBe(0);
    expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(2);
  });

  it('commits a reservation the crash left pending, within the offer time', async () => {
    const o = await make();
    await leave(o.id, ['sent', 'approved']);
    await reserveAsBook(o, o.expiresAt);
    expect((await t.ledger.account('alice-EUR')).reserved).toBe(300n);
    await offers.recover();
    expect((await offers.view(o.id)).state).toBe('paid');
    expect((await t.ledger.transfer(offerTransferId(o.id))).state).toBe('committed');
    expect((await t.ledger.account('alice-EUR')).reserved).toBe(0n);
    expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(2);
  });

  it('records paid for money committed before the crash, without booking it again', async () => {
    const o = await make();
    await leave(o.id, ['sent', 'approved']);
    await reserveAsBook(o, o.expiresAt);
    await t.ledger.commit(offerTransferId(o.id));
    const before = (await t.ledger.account('alice-EUR')).posted;
    await offers.recover();
    expect((await offers.view(o.id)).state).toBe('paid');
    expect((await t.ledger.account('alice-EUR')).posted).toBe(before);
    expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(2);
  });

  it('expires an approved offer past its expiry and releases its reservation: nothing booked', async () => {
    const o = await make('400', 60_000);
    await leave(o.id, ['sent', 'approved']);
    await reserveAsBook(o, o.expiresAt);
    const before = await t.ledger.account('alice-EUR');
    t.clock.advance(61_000);
    await offers.recover();
    const ended = await offers.view(o.id);
    expect(ended.state).toBe('expired');
    expect(ended.detail).toMatch(/^RESERVATION_EXPIRED/);
    expect((await t.ledger.transfer(offerTransferId(o.id))).state).toBe('expired');
    const after = await t.ledger.account('alice-EUR');
    expect(after.reserved).toBe(before.reserved - 400n);
    expect(after.posted).toBe(before.posted);
    expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(0);
    expect(await auditedOutcomes(o.id)).toEqual(['expired']);
  });

  it('expires an approved offer whose hold the ledger already released as lapsed (expireDue ran first)', async () => {
    const o = await make('450', 60_000);
    await leave(o.id, ['sent', 'approved']);
    await reserveAsBook(o, o.expiresAt);
    t.clock.advance(61_000);
    expect(await t.ledger.expireDue()).toBeGreaterThanOrEqual(1);
    expect((await offers.recover()).errors).toBe(0);
    expect(await offers.view(o.id)).toMatchObject({ state: 'expired', detail: expect.stringMatching(/^RESERVATION_EXPIRED/) });
    expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(0);
  });

  it('expires an approved offer past its expiry that never reached the ledger, and moves no money', async () => {
    const o = await make('500', 60_000);
    await leave(o.id, ['sent', 'approved']);
    const before = await t.ledger.account('alice-EUR');
    t.clock.advance(61_000);
    await offers.recover();
    expect((await offers.view(o.id)).state).toBe('expired');
    const after = await t.ledger.account('alice-EUR');
    expect([after.posted, after.reserved]).toEqual([before.posted, before.reserved]);
    expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(0);
  });

  it('leaves offers still within their time to their phone, and expires them once the time is past', async () => {
    const created = await make('100', 60_000);
    const sent = await make('100', 60_000);
    await leave(sent.id, ['sent']);
    let report = await offers.recover();
    expect(report.waiting).toBeGreaterThanOrEqual(2);
    expect((await offers.view(created.id)).state).toBe('created');
    expect((await offers.view(sent.id)).state).toBe('sent');
    t.clock.advance(60_000);
    report = await offers.recover();
    expect(report.errors).toBe(0);
    expect(await offers.view(created.id)).toMatchObject({ state: 'expired', detail: expect.stringMatching(/^OFFER_EXPIRED/) });
    expect(await offers.view(sent.id)).toMatchObject({ state: 'expired', detail: expect.stringMatching(/^APPROVAL_TIMEOUT/) });
    // The phone's answer arriving after that books nothing.
    await expect(offers.complete(sent.id, { status: 'cancelled' })).rejects.toMatchObject({ code: 'OFFER_STATE' });
  });

  it('pages through unfinished offers by (creation time, id) without skipping or repeating one', async () => {
    // Several offers made at the same instant (the manual clock stands still): the id breaks the tie.
    const made = [await make(), await make(), await make(), await make(), await make()].map((o) => o.id);
    await leave(made[2] ?? '', ['sent']);
    await t.store.offers.insertState({ offerId: made[3] ?? '', state: 'cancelled', at: t.clock.now(), transferId: null, detail: null, signature: null });
    const seen: string[] = [];
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const page = await t.store.offers.unfinished(2, after);
      seen.push(...page.map((o) => o.id));
      const last = page[page.length - 1];
      if (last === undefined || page.length < 2) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(made.filter((id) => seen.includes(id))).toEqual(made.filter((_, i) => i !== 3));
  });

  it('lets an offer end only once: a second final state is refused by the store', async () => {
    const o = await make();
    await leave(o.id, ['sent']);
    await t.store.offers.insertState({ offerId: o.id, state: 'cancelled', at: t.clock.now(), transferId: null, detail: null, signature: null });
    const second = await t.store.offers.insertState({ offerId: o.id, state: 'expired', at: t.clock.now(), transferId: null, detail: null, signature: null }).then(
      () => 'stored',
      (err: unknown) => (isStoreError(err, 'UNIQUE_VIOLATION') ? 'unique violation' : String(err)),
    );
    expect(second).toBe('unique violation');
    expect((await offers.view(o.id)).state).toBe('cancelled');
  });

  it('two nodes recovering the same offers at once book each exactly once and audit it once', async () => {
    const other = await t.fx.openSecond();
    const otherLedger = new Ledger({ store: other, clock: t.clock.now, reservationMs: 60_000 });
    const node2 = service(other, otherLedger, await AuditLog.open({ store: other }));
    const made: OfferView[] = [];
    for (let i = 0; i < 12; i += 1) {
      const o = await make('50');
      await leave(o.id, ['sent', 'approved']);
      if (i % 3 === 1) await reserveAsBook(o, o.expiresAt);
      made.push(o);
    }
    const before = (await t.ledger.account('alice-EUR')).posted;
    const [a, b] = await Promise.all([offers.recover(), node2.recover()]);
    expect(a.errors + b.errors).toBe(0);
    for (const o of made) {
      const v = await offers.view(o.id);
      expect([o.id, v.state]).toEqual([o.id, 'paid']);
      expect(v.history.filter((h) => h.state === 'paid')).toHaveLength(1);
      expect(await t.store.ledger.postingsOf(offerTransferId(o.id))).toHaveLength(2);
      expect(await auditedOutcomes(o.id)).toEqual(['paid']);
    }
    expect((await t.ledger.account('alice-EUR')).posted).toBe(before - 12n * 50n);
    expect((await t.ledger.account('alice-EUR')).reserved).toBe(0n);
    await expectBalanced(t.store);
    expect((await verifyStoredLog(t.store)).ok).toBe(true);
  });

  it('the periodic sweep finishes an approved offer and stops cleanly', async () => {
    const o = await make();
    await leave(o.id, ['sent', 'approved']);
    const sweep = offers.startSweep(20);
    for (let i = 0; i < 200 && (await offers.view(o.id)).state !== 'paid'; i += 1) await new Promise((r) => setTimeout(r, 20));
    await sweep.stop();
    expect((await offers.view(o.id)).state).toBe('paid');
    expect(() => offers.startSweep(0)).toThrow(/interval/);
  });
});

import { AuditLog, verifyStoredLog } from '../../src/audit';
import { cmsApprovalVerifier, isMpsError, OfferService, offerTransferId, type OfferView, type PayerDirectory } from '../../src/mps';
import { Ledger } from '../../src/mps/ledger';
import { parseCertificate, trustAnchorFromCertificate } from '../../src/pki';
import { FINAL_OFFER_STATES, type Store } from '../../src/store';
import { openTestToken, type TestToken } from '../hsm/support';
import { makeTokenChain, type TokenChain } from '../pki/support/token-pki';
import { postgresEngine } from '../store/engines';
import { SimApprover } from './sim-approver';
import { expectBalanced, freshLedger, type LedgerFixture } from './support';

/**
 * Issue 7, "Concurrency": two nodes on one PostgreSQL (two stores with their own connection pools, each with its
 * own ledger, audit log and offer service) take offers and direct transfers at once against the same payer
 * accounts, whose balances allow only some of them. No double spend: what leaves a payer never exceeds what it
 * had, no account goes below its floor, every offer ends in exactly one final state, an offer both nodes are told
 * to run asks the phone once, and recover() on both nodes at once books nothing twice.
 */
let token: TestToken;
let citizen: TokenChain;

beforeAll(async () => {
  token = await openTestToken('mps-two-nodes');
  citizen = await makeTokenChain(token.hsm, { label: 'citizen', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
});
afterAll(async () => {
  await token?.hsm.close();
});

const PAYERS: Record<string, string> = { '+3725550201': 'payer1-EUR', '+3725550202': 'payer2-EUR', '+3725550203': 'payer3-EUR' };
const directory: PayerDirectory = { accountFor: async (msisdn, currency) => (currency === 'EUR' ? PAYERS[msisdn] : undefined) };
const BALANCE = 1_000n;

interface Node {
  readonly name: string;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly sim: SimApprover;
  readonly offers: OfferService;
}

describe('two nodes on postgres', () => {
  let t: LedgerFixture;
  let one: Node;
  let two: Node;
  let n = 0;

  const node = async (name: string, store: Store): Promise<Node> => {
    const ledger = new Ledger({ store, clock: t.clock.now, reservationMs: 60_000 });
    const sim = new SimApprover(token.hsm, citizen.leaf.pair.privateKey, citizen.leaf.der, [citizen.issuing.der]);
    const offers = new OfferService({
      store,
      ledger,
      audit: await AuditLog.open({ store }),
      approver: sim,
      directory,
      clock: t.clock.now,
      verifier: cmsApprovalVerifier({
        trustAnchors: [trustAnchorFromCertificate(parseCertificate(citizen.root.der))],
        revocation: { mode: 'required', ocsp: async () => 'good' },
        certificateFor: async (msisdn) => (PAYERS[msisdn] !== undefined ? citizen.leaf.der : undefined),
      }),
    });
    return { name, store, ledger, sim, offers };
  };

  const newOffer = (at: Node, msisdn: string, amount: bigint): Promise<OfferView> =>
    at.offers.create({ id: `c${(n += 1)}`, merchantId: n % 2 === 0 ? 'shop1' : 'shop2', merchantAccountId: n % 2 === 0 ? 'shop1-EUR' : 'shop2-EUR', clientMsisdn: msisdn, currency: 'EUR', amount, reference: `INV-${n}`, expiresAt: new Date(t.clock.now().getTime() + 120_000) });

  /** Exactly one final state; paid means one committed transfer with two postings, anything else no money moved. */
  const settled = async (id: string): Promise<{ state: string; amount: bigint }> => {
    const v = await one.offers.view(id);
    const finals = v.history.filter((h) => (FINAL_OFFER_STATES as readonly string[]).includes(h.state));
    expect([id, finals.length]).toEqual([id, 1]);
    const postings = await t.store.ledger.postingsOf(offerTransferId(id));
    expect([id, postings.length]).toEqual([id, v.state === 'paid' ? 2 : 0]);
    return { state: v.state, amount: v.state === 'paid' ? v.amount : 0n };
  };

  const debited = async (account: string): Promise<bigint> => {
    const a = await t.ledger.account(account);
    expect([account, a.reserved]).toEqual([account, 0n]);
    expect(a.posted >= 0n).toBe(true);
    return BALANCE - a.posted;
  };

  beforeAll(async () => {
    t = await freshLedger(postgresEngine);
    await t.ledger.createParticipant({ id: 'bank-a', kind: 'bank', name: 'A' });
    await t.ledger.createParticipant({ id: 'bank-b', kind: 'bank', name: 'B' });
    await t.ledger.createAccount({ id: 'issue', participantId: 'bank-a', currency: 'EUR', floor: null });
    for (const account of Object.values(PAYERS)) {
      const who = account.replace(/-EUR$/, '');
      await t.ledger.createParticipant({ id: who, kind: 'client', name: who, bankId: 'bank-a' });
      await t.ledger.createAccount({ id: account, participantId: who, currency: 'EUR' });
      await t.ledger.pay({ id: `fund-${who}`, debitAccountId: 'issue', creditAccountId: account, currency: 'EUR', amount: BALANCE });
    }
    for (const shop of ['shop1', 'shop2']) {
      await t.ledger.createParticipant({ id: shop, kind: 'merchant', name: `Shop ${shop}`, bankId: 'bank-b' });
      await t.ledger.createAccount({ id: `${shop}-EUR`, participantId: shop, currency: 'EUR' });
    }
    one = await node('one', t.store);
    two = await node('two', await t.fx.openSecond());
  });
  afterAll(async () => {
    await t?.fx.close();
  });

  it('offers and transfers from both nodes at once against one payer: never more than the balance leaves it', async () => {
    const msisdn = '+3725550201';
    // 2 nodes x (8 offers of 70 + 8 transfers of 30) = 1600 asked of a balance of 1000.
    const load = async (at: Node): Promise<{ offers: string[]; transfers: number }> => {
      const made: string[] = [];
      let transfers = 0;
      const offerLane = async (): Promise<void> => {
        for (let i = 0; i < 8; i += 1) {
          const o = await newOffer(at, msisdn, 70n);
          made.push(o.id);
          await at.offers.run(o.id);
        }
      };
      const transferLane = async (): Promise<void> => {
        for (let i = 0; i < 8; i += 1) {
          try {
            await at.ledger.pay({ id: `${at.name}-direct-${i}`, debitAccountId: 'payer1-EUR', creditAccountId: 'shop1-EUR', currency: 'EUR', amount: 30n });
            transfers += 1;
          } catch (err) {
            if (!isMpsError(err) || err.code !== 'INSUFFICIENT_FUNDS') throw err;
          }
        }
      };
      await Promise.all([offerLane(), offerLane(), transferLane()]);
      return { offers: made, transfers };
    };
    const [a, b] = await Promise.all([load(one), load(two)]);
    let paid = 0n;
    const ends = new Map<string, number>();
    for (const id of [...a.offers, ...b.offers]) {
      const s = await settled(id);
      paid += s.amount;
      ends.set(s.state, (ends.get(s.state) ?? 0) + 1);
      if (s.state !== 'paid') expect((await one.offers.view(id)).detail).toMatch(/^INSUFFICIENT_FUNDS/);
    }
    const out = await debited('payer1-EUR');
    expect(out).toBe(paid + 30n * BigInt(a.transfers + b.transfers));
    expect(out <= BALANCE).toBe(true);
    // The demand exceeds the balance, so some were refused; and what was refused was refused for want of money only.
    expect(ends.get('failed') ?? 0).toBeGreaterThan(0);
    expect(a.transfers + b.transfers).toBeLessThan(16);
    // Greedy: once refusals start, what is left is less than the smallest request.
    expect(BALANCE - out < 70n).toBe(true);
    await expectBalanced(t.store);
  });

  it('an offer both nodes are told to run at once is sent to the phone once and paid once', async () => {
    const msisdn = '+3725550202';
    const made: string[] = [];
    for (let i = 0; i < 8; i += 1) made.push((await newOffer(one, msisdn, 40n)).id);
    const asked = one.sim.requests.length + two.sim.requests.length;
    const results = await Promise.all(made.flatMap((id) => [one.offers.run(id), two.offers.run(id)].map((p) => p.then((v) => v.state, (err: unknown) => (isMpsError(err) ? err.code : String(err))))));
    for (let i = 0; i < made.length; i += 1) {
      const pair = results.slice(2 * i, 2 * i + 2).sort();
      expect(pair).toEqual(['OFFER_STATE', 'paid']);
      expect((await settled(made[i] ?? '')).state).toBe('paid');
    }
    expect(one.sim.requests.length + two.sim.requests.length - asked).toBe(made.length);
    expect(await debited('payer2-EUR')).toBe(8n * 40n);
  });

  it('recover() on both nodes at once over approved offers the balance only partly covers books each at most once', async () => {
    const msisdn = '+3725550203';
    // 14 approved offers of 90 (1260) against 1000: the crash left them approved, a third with their hold made.
    const made: string[] = [];
    const withHold = new Set<string>();
    let held = 0n;
    for (let i = 0; i < 14; i += 1) {
      const o = await newOffer(one, msisdn, 90n);
      const record = await t.store.offers.offer(o.id);
      if (record === undefined) throw new Error('no offer');
      const out = await one.sim.approve({ msisdn, reference: o.id, display: 'x', dataToBeSigned: record.canonical, verificationCode: record.verificationCode, deadline: record.expiresAt });
      if (out.status !== 'signed') throw new Error('the SIM did not sign');
      await t.store.offers.insertState({ offerId: o.id, state: 'sent', at: t.clock.now(), transferId: null, detail: null, signature: null });
      await t.store.offers.insertState({ offerId: o.id, state: 'approved', at: t.clock.now(), transferId: null, detail: null, signature: Buffer.from(out.signature) });
      if (i % 3 === 0) {
        await t.ledger.pay({ id: offerTransferId(o.id), kind: 'payment', debitAccountId: 'payer3-EUR', creditAccountId: record.merchantAccountId, currency: 'EUR', amount: record.amount, reserve: true, reserveUntil: record.expiresAt, reference: record.reference });
        held += record.amount;
        withHold.add(o.id);
      }
      made.push(o.id);
    }
    expect((await t.ledger.account('payer3-EUR')).reserved).toBe(held);
    const [a, b] = await Promise.all([one.offers.recover(), two.offers.recover()]);
    expect(a.errors + b.errors).toBe(0);
    let paid = 0n;
    let paidCount = 0;
    const audit = await t.store.audit.entries({ limit: 100_000 });
    for (const id of made) {
      const s = await settled(id);
      paid += s.amount;
      const entries = audit.filter((e) => e.subject === `offer:${id}` && e.outcome === s.state);
      expect([id, entries.length]).toEqual([id, 1]);
      if (withHold.has(id)) expect([id, s.state]).toEqual([id, 'paid']);
      if (s.state === 'paid') paidCount += 1;
      else expect((await one.offers.view(id)).detail).toMatch(/^INSUFFICIENT_FUNDS/);
    }
    // Every offer with a hold was paid (its money was set aside); 1000 / 90 = 11 fit in all.
    expect(paidCount).toBe(11);
    expect(await debited('payer3-EUR')).toBe(paid);
    expect(paid).toBe(11n * 90n);
    await expectBalanced(t.store);
    expect((await verifyStoredLog(t.store)).ok).toBe(true);
  });
});

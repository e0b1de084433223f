import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { AuditLog } from '../../src/audit';
import { join } from 'node:path';
import { cmsApprovalVerifier, isMpsError, OfferService, offerTransferId, type PayerDirectory } from '../../src/mps';
import { parseCertificate, trustAnchorFromCertificate } from '../../src/pki';
import { openTestToken, type TestToken } from '../hsm/support';
import { runOpenssl } from '../pki/support/openssl-pki';
import { makeTokenChain, writeChainFiles, type TokenChain } from '../pki/support/token-pki';
import { STORE_ENGINES } from '../store/engines';
import { SimApprover } from './sim-approver';
import { expectBalanced, freshLedger, twoBanks, type LedgerFixture } from './support';

/**
 * Merchant-initiated payment offers on both engines: the citizen's SIM (a key in a SoftHSM token) signs the
 * offer's canonical bytes; the platform verifies that signature over exactly the stored bytes before any money
 * moves. A signature over another amount, by another key, a cancel, a wrong PIN, a timeout or an expired offer
 * each end the offer with its own state and code, and nothing is booked.
 */
let token: TestToken;
let citizen: TokenChain;
let stranger: TokenChain;

beforeAll(async () => {
  token = await openTestToken('mps-offers');
  citizen = await makeTokenChain(token.hsm, { label: 'citizen', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
  stranger = await makeTokenChain(token.hsm, { label: 'stranger', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
});
afterAll(async () => {
  await token?.hsm.close();
});

const ALICE = '+3725550001';
const directory: PayerDirectory = { accountFor: async (msisdn, currency) => (msisdn === ALICE ? `alice-${currency}` : undefined) };

describe.each(STORE_ENGINES)('payment offers on %s', (engineName, engine) => {
  let t: LedgerFixture;
  let sim: SimApprover;
  let offers: OfferService;
  let n = 0;
  const next = (): string => `o${(n += 1)}`;
  const offer = (overrides: Record<string, unknown> = {}) => ({
    id: next(),
    merchantId: 'shop',
    merchantAccountId: 'shop-EUR',
    clientMsisdn: ALICE,
    currency: 'EUR',
    amount: '1999',
    reference: 'INV-2026-0042',
    expiresAt: new Date(t.clock.now().getTime() + 120_000),
    ...overrides,
  });

  beforeAll(async () => {
    t = await freshLedger(engine);
    await twoBanks(t.ledger);
    await t.ledger.pay({ id: 'fund', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: '10000' });
    sim = new SimApprover(token.hsm, citizen.leaf.pair.privateKey, citizen.leaf.der, [citizen.issuing.der]);
    offers = new OfferService({
      audit: await AuditLog.open({ store: t.store }),
      store: t.store,
      ledger: t.ledger,
      approver: sim,
      directory,
      clock: t.clock.now,
      verifier: cmsApprovalVerifier({
        trustAnchors: [trustAnchorFromCertificate(parseCertificate(citizen.root.der)), trustAnchorFromCertificate(parseCertificate(stranger.root.der))],
        revocation: { mode: 'required', ocsp: async () => 'good' },
        certificateFor: async (msisdn) => (msisdn === ALICE ? citizen.leaf.der : undefined),
      }),
    });
  });
  afterAll(async () => {
    await t?.fx.close();
  });
  beforeEach(() => {
    sim.behaviour = 'sign';
  });

  it('pays: the phone is shown merchant, amount, reference and code; the SIM signs the canonical bytes; money moves once', async () => {
    const before = (await t.ledger.account('alice-EUR')).posted;
    const made = await offers.create(offer());
    expect(made.state).toBe('created');
    const paid = await offers.run(made.id);
    expect(paid).toMatchObject({ state: 'paid', transferId: offerTransferId(made.id) });
    expect(paid.history.map((h) => h.state)).toEqual(['created', 'sent', 'approved', 'paid']);
    const asked = sim.requests[sim.requests.length - 1];
    expect(asked?.display).toBe(`Pay 19.99 EUR to Shop? Ref INV-2026-0042. Code ${made.verificationCode}`);
    const text = Buffer.from(asked?.dataToBeSigned ?? []).toString('utf8');
    expect(text).toContain('\namount=1999\ncurrency=EUR\ndisplay-amount=19.99 EUR\n');
    expect(text).toContain(`\ncode=${made.verificationCode}\n`);
    expect((await t.ledger.account('alice-EUR')).posted).toBe(before - 1999n);
    expect(await t.store.ledger.postingsOf(offerTransferId(made.id))).toHaveLength(2);
    // The audit log links the citizen's signature, the offer's bytes and the transfer.
    const approvedRow = paid.history.find((h) => h.state === 'approved');
    const audited = (await t.store.audit.entries({ limit: 1000 })).filter((e) => e.subject === `offer:${made.id}`);
    expect(audited.map((e) => e.outcome)).toEqual(['sent', 'approved', 'paid']);
    const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
    expect(audited[1]?.evidenceHash?.equals(sha(approvedRow?.signature ?? Buffer.alloc(0)))).toBe(true);
    expect(audited[1]?.actorType).toBe('citizen');
    expect(JSON.parse(audited[2]?.details ?? '{}')).toMatchObject({ transfer: offerTransferId(made.id), amount: '1999', offerHash: sha(asked?.dataToBeSigned ?? Buffer.alloc(0)).toString('hex') });
    // The same answer delivered again (a second node, a retry) books nothing more.
    await expect(offers.complete(made.id, { status: 'signed', signature: Buffer.alloc(1) })).rejects.toMatchObject({ code: 'OFFER_STATE' });
    expect((await t.ledger.account('alice-EUR')).posted).toBe(before - 1999n);
  });

  it('the SIM signature over the offer verifies with openssl cms -verify too', async () => {
    const made = await offers.create(offer());
    await offers.run(made.id);
    const approved = (await offers.view(made.id)).history.find((h) => h.state === 'approved');
    const files = writeChainFiles(token.dir, `citizen-${engineName}`, citizen);
    const sig = join(token.dir, `${made.id}-${engineName}.p7s`);
    const data = join(token.dir, `${made.id}-${engineName}.txt`);
    writeFileSync(sig, approved?.signature ?? Buffer.alloc(0));
    writeFileSync(data, sim.requests[sim.requests.length - 1]?.dataToBeSigned ?? Buffer.alloc(0));
    const r = runOpenssl(['cms', '-verify', '-purpose', 'any', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-CAfile', files.root, '-out', join(token.dir, 'o.out')]);
    expect(r.output).toContain('Verification successful');
  });

  it('refuses a signature over a different amount, and books nothing', async () => {
    const before = await t.ledger.account('alice-EUR');
    sim.behaviour = { signInstead: (asked) => Buffer.from(Buffer.from(asked).toString('utf8').replace('amount=1999', 'amount=19')) };
    const made = await offers.create(offer());
    const ended = await offers.run(made.id);
    expect(ended.state).toBe('refused');
    expect(ended.detail).toMatch(/^SIGNATURE_INVALID: /);
    await expect(t.ledger.transfer(offerTransferId(made.id))).rejects.toMatchObject({ code: 'UNKNOWN_TRANSFER' });
    expect(await t.ledger.account('alice-EUR')).toEqual(before);
  });

  it("refuses a valid signature made by somebody else's SIM", async () => {
    const other = new SimApprover(token.hsm, stranger.leaf.pair.privateKey, stranger.leaf.der, [stranger.issuing.der]);
    const made = await offers.create(offer());
    const outcome = await other.approve({ msisdn: ALICE, reference: made.id, display: '', dataToBeSigned: (await t.store.offers.offer(made.id))?.canonical ?? Buffer.alloc(0), verificationCode: '', deadline: made.expiresAt });
    await t.store.offers.insertState({ offerId: made.id, state: 'sent', at: t.clock.now(), transferId: null, detail: null, signature: null });
    const ended = await offers.complete(made.id, outcome);
    expect(ended.state).toBe('refused');
    expect(ended.detail).toContain('not the certificate registered');
    await expect(t.ledger.transfer(offerTransferId(made.id))).rejects.toMatchObject({ code: 'UNKNOWN_TRANSFER' });
  });

  it.each([
    ['cancel', 'cancelled', 'APPROVAL_CANCELLED'],
    ['wrong-pin', 'failed', 'APPROVAL_WRONG_PIN'],
    ['timeout', 'expired', 'APPROVAL_TIMEOUT'],
  ] as const)('ends the offer when the citizen answers %s: %s with %s, nothing booked', async (behaviour, state, code) => {
    sim.behaviour = behaviour;
    const made = await offers.create(offer());
    const ended = await offers.run(made.id);
    expect(ended.state).toBe(state);
    expect(ended.detail?.startsWith(`${code}:`)).toBe(true);
    await expect(t.ledger.transfer(offerTransferId(made.id))).rejects.toMatchObject({ code: 'UNKNOWN_TRANSFER' });
  });

  it('an offer that expired before it was sent, or whose approval comes too late, ends expired', async () => {
    const made = await offers.create(offer({ expiresAt: new Date(t.clock.now().getTime() + 1_000) }));
    t.clock.advance(1_000);
    await expect(offers.run(made.id)).resolves.toMatchObject({ state: 'expired' });
    await expect(offers.run(made.id)).rejects.toMatchObject({ code: 'OFFER_STATE' });

    const late = await offers.create(offer({ expiresAt: new Date(t.clock.now().getTime() + 1_000) }));
    const answer = await sim.approve({ msisdn: ALICE, reference: late.id, display: '', dataToBeSigned: (await t.store.offers.offer(late.id))?.canonical ?? Buffer.alloc(0), verificationCode: '', deadline: late.expiresAt });
    await t.store.offers.insertState({ offerId: late.id, state: 'sent', at: t.clock.now(), transferId: null, detail: null, signature: null });
    t.clock.advance(1_000);
    const ended = await offers.complete(late.id, answer);
    expect(ended.state).toBe('expired');
    expect(ended.detail).toMatch(/^OFFER_EXPIRED: /);
    await expect(t.ledger.transfer(offerTransferId(late.id))).rejects.toMatchObject({ code: 'UNKNOWN_TRANSFER' });
  });

  it('fails the offer with the ledger code when the client cannot pay, booking nothing', async () => {
    const made = await offers.create(offer({ amount: '100000000' }));
    const ended = await offers.run(made.id);
    expect(ended.state).toBe('failed');
    expect(ended.detail).toMatch(/^INSUFFICIENT_FUNDS: /);
    expect(await t.store.ledger.postingsOf(offerTransferId(made.id))).toHaveLength(0);
  });

  it.each([
    ['a zero amount', { amount: '0' }, 'INVALID_AMOUNT'],
    ['a negative amount', { amount: '-1' }, 'INVALID_AMOUNT'],
    ['an amount beyond 64-bit', { amount: '9223372036854775808' }, 'AMOUNT_OUT_OF_RANGE'],
    ['an unknown currency', { currency: 'EUX' }, 'UNKNOWN_CURRENCY'],
    ['an unknown MSISDN', { clientMsisdn: '+3725559999' }, 'UNKNOWN_CLIENT'],
    ['a malformed MSISDN', { clientMsisdn: '5550001' }, 'INVALID_REQUEST'],
    ['an expiry in the past', { expiresAt: new Date(0) }, 'OFFER_EXPIRED'],
    ['a reference with a line break (would make the signed bytes ambiguous)', { reference: 'A\namount=1' }, 'INVALID_REQUEST'],
    ['another merchant’s account', { merchantAccountId: 'bob-EUR' }, 'UNKNOWN_ACCOUNT'],
  ])('refuses an offer with %s', async (_what, overrides, code) => {
    const err = await offers.create(offer(overrides)).catch((e: unknown) => e);
    expect(isMpsError(err)).toBe(true);
    expect((err as { code: string }).code).toBe(code);
  });

  it('same offer id with the same terms is the earlier offer; with another amount it is refused', async () => {
    const first = offer();
    const made = await offers.create(first);
    await expect(offers.create(first)).resolves.toMatchObject({ id: made.id, verificationCode: made.verificationCode });
    await expect(offers.create({ ...first, amount: '2000' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('refunds a paid offer as new linked transfers, never more than was paid', async () => {
    const made = await offers.create(offer({ amount: '500' }));
    await offers.run(made.id);
    await expect(offers.refund(made.id, `${made.id}-r1`, '200')).resolves.toMatchObject({ kind: 'refund', linkedTransferId: offerTransferId(made.id), state: 'committed' });
    await expect(offers.refund(made.id, `${made.id}-r2`, '301')).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_ORIGINAL' });
    await expect(offers.refund(made.id, `${made.id}-r3`, '300')).resolves.toMatchObject({ state: 'committed' });
    expect((await t.ledger.transfer(offerTransferId(made.id))).state).toBe('committed');
    await expectBalanced(t.store);
  });
});

import { verifyStoredLog } from '../../src/audit';
import { isMpsError, looksLikeCardNumber, type NewInstrument } from '../../src/mps';
import { simRequest } from '../pki/ca/support/pki-fixture';
import { ALICE, BOB, CAROL, demoNumber, startClientWorld, type ClientWorld } from './client-world';

/**
 * Issue 7 item 1: the directory finds a client by MSISDN or mID, with its certificates and instruments; an
 * instrument becomes active only when the client's SIM, reached over SMPP, has shown the enrolment, taken the
 * PIN and signed the enrolment bytes, and the platform has verified that signature against its CA and the
 * certificate registered for the number. Cancel and a blocked PIN leave it unusable.
 */

let w: ClientWorld;

beforeAll(async () => {
  w = await startClientWorld('instruments');
}, 120_000);
afterAll(async () => {
  await w?.close();
});

const card = (id: string, msisdn: string, account: string, extra: Partial<NewInstrument> = {}): NewInstrument => ({
  id,
  clientMsisdn: msisdn,
  kind: 'card',
  currency: 'EUR',
  ledgerAccountId: account,
  details: { issuer: 'bank-a', token: `tok_${id}`, last4: '4242' },
  ...extra,
});

it('activates an instrument once the SIM has signed its enrolment, and the directory lists it', async () => {
  const enrolled = await w.instruments.enrol(card('alice-card', ALICE, 'alice-EUR', { makeDefault: true }));
  expect(enrolled).toMatchObject({ state: 'active', label: 'Card **** 4242', clientMsisdn: ALICE });
  expect(enrolled.history.map((h) => h.state)).toEqual(['pending', 'active']);
  // The signature that activated it is kept and verifies over the stored enrolment bytes.
  const record = await w.fx.store.instruments.instrument('alice-card');
  const signature = enrolled.history[1]?.signature;
  expect(signature).toBeInstanceOf(Buffer);
  expect(await w.verifier.verify(signature as Buffer, (record as { canonical: Buffer }).canonical, ALICE)).toEqual({ valid: true });
  expect((record as { canonical: Buffer }).canonical.toString()).toMatch(/^mps-instrument\/1\ninstrument=alice-card\nclient=\+99900000001\nmid=mid:/);

  const byNumber = await w.directory.find(ALICE);
  expect(byNumber?.instruments.map((i) => [i.id, i.state])).toEqual([['alice-card', 'active']]);
  const byMid = await w.directory.find((byNumber as { mid: string }).mid);
  expect(byMid?.msisdn).toBe(ALICE);
  expect(Buffer.from(byMid?.certificates.signature ?? []).length).toBeGreaterThan(100);
  expect(await w.directory.accountFor(ALICE, 'EUR')).toBe('alice-EUR');
  expect(await w.directory.accountFor(ALICE, 'USD')).toBeUndefined();
  expect((await verifyStoredLog(w.fx.store)).ok).toBe(true);
}, 60_000);

it('returns the earlier enrolment for the same id and request, refuses the same id with other details', async () => {
  const again = await w.instruments.enrol(card('alice-card', ALICE, 'alice-EUR', { makeDefault: true }));
  expect(again.history).toHaveLength(2);
  await expect(w.instruments.enrol(card('alice-card', ALICE, 'bob-EUR', { makeDefault: true }))).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
});

it('leaves the instrument cancelled when the client presses Cancel on the phone', async () => {
  const view = await w.instruments.enrol(card('bob-card', BOB, 'bob-EUR'));
  expect(view.state).toBe('cancelled');
  expect(view.detail).toMatch(/^APPROVAL_CANCELLED/);
  expect(await w.directory.accountFor(BOB, 'EUR')).toBeUndefined();
}, 60_000);

it('leaves the instrument failed when the PIN is typed wrong until blocked', async () => {
  const view = await w.instruments.enrol(card('carol-card', CAROL, 'carol-EUR'));
  expect(view.state).toBe('failed');
  expect(view.detail).toMatch(/^APPROVAL_WRONG_PIN/);
  expect(await w.directory.accountFor(CAROL, 'EUR')).toBeUndefined();
}, 60_000);

it('never takes a full card number, whatever field it is in', async () => {
  for (const details of [
    { issuer: 'bank-a', token: '4111 1111 1111 1111', last4: '1111' },
    { issuer: 'bank-a', token: 'tok_1', last4: '4111111111111111' },
    { issuer: 'issuer 5500-0000-0000-0004', token: 'tok_2', last4: '0004' },
  ]) {
    const err = await w.instruments.enrol({ ...card('pan-card', ALICE, 'alice-EUR'), details }).catch((e: unknown) => e);
    expect(isMpsError(err, 'CARD_NUMBER_REFUSED')).toBe(true);
  }
  expect(await w.fx.store.instruments.instrument('pan-card')).toBeUndefined();
  expect(looksLikeCardNumber('tok_8f3a9c1e')).toBe(false);
  expect(looksLikeCardNumber('4111111111111112')).toBe(false); // fails the Luhn check: not a card number
});

it('refuses an unknown client, an unknown account, a currency mismatch and a detail the kind does not take', async () => {
  await expect(w.instruments.enrol(card('x1', '+99900000999', 'alice-EUR'))).rejects.toMatchObject({ code: 'UNKNOWN_CLIENT' });
  await expect(w.instruments.enrol(card('x2', ALICE, 'nobody-EUR'))).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
  await expect(w.instruments.enrol(card('x3', ALICE, 'alice-EUR', { currency: 'USD' }))).rejects.toMatchObject({ code: 'CURRENCY_MISMATCH' });
  await expect(w.instruments.enrol({ ...card('x4', ALICE, 'alice-EUR'), details: { issuer: 'b', token: 't', last4: '1234', cvv: '123' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  for (const id of ['x1', 'x2', 'x3', 'x4']) expect(await w.fx.store.instruments.instrument(id)).toBeUndefined();
});

it('enrols the other kinds, lists them, and removes one only for its owner', async () => {
  const wallet = await w.instruments.enrol({ id: 'alice-wallet', clientMsisdn: ALICE, kind: 'e-money', currency: 'EUR', ledgerAccountId: 'alice-EUR', details: { provider: 'PayWallet', walletId: 'w-77' } });
  expect(wallet).toMatchObject({ state: 'active', label: 'PayWallet wallet' });
  // Not the default: the default card still receives.
  expect(await w.directory.accountFor(ALICE, 'EUR')).toBe('alice-EUR');
  expect((await w.instruments.list(ALICE)).map((i) => i.id)).toEqual(['alice-card', 'alice-wallet']);
  await expect(w.instruments.remove('alice-wallet', demoNumber(1))).rejects.toMatchObject({ code: 'INSTRUMENT_NOT_OWNED' });
  const removed = await w.instruments.remove('alice-wallet', ALICE);
  expect(removed.history.map((h) => h.state)).toEqual(['pending', 'active', 'removed']);
  await expect(w.instruments.remove('bob-card', BOB)).rejects.toMatchObject({ code: 'INSTRUMENT_STATE' });
}, 60_000);

it('does not hand a recycled number the earlier holder’s instruments (a new mobile ID on the same MSISDN)', async () => {
  const before = await w.directory.find(ALICE);
  expect(before?.instruments.some((i) => i.id === 'alice-card' && i.state === 'active')).toBe(true);
  await w.ra.revoke({ mid: (before as { mid: string }).mid, officer: 'spec', reason: 'affiliationChanged', note: 'number given to another subscriber' });
  // The new subscriber's keys: made in another token, as their SIM would.
  const [auth, sign] = [await simRequest(w.tokens.sim), await simRequest(w.tokens.sim)];
  await w.ra.register({
    identity: { givenName: 'Newcomer', familyName: 'Holder', nationalId: 'NEW-1', birthDate: '1991-02-03' },
    msisdn: ALICE,
    label: 'payments',
    mode: 'in-person',
    officer: 'spec',
    authenticationRequest: auth,
    signatureRequest: sign,
  });
  const after = await w.directory.find(ALICE);
  expect(after?.mid).not.toBe(before?.mid);
  expect(await w.directory.accountFor(ALICE, 'EUR')).toBeUndefined();
  expect(await w.directory.defaultInstrument(ALICE, 'EUR')).toBeUndefined();
}, 60_000);

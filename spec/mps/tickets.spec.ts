import { hsmSigner } from '../../src/pki';
import { isMpsError, OneTimeTickets, type MpsErrorCode } from '../../src/mps';
import { openTestToken, type TestToken } from '../hsm/support';
import { makeTokenChain, type TokenChain } from '../pki/support/token-pki';
import { STORE_ENGINES } from '../store/engines';
import { freshLedger, twoBanks, type LedgerFixture } from './support';

/**
 * One-time tickets on both engines: the issuer's key (in a SoftHSM token) signs each ticket; the ADS redeems a
 * ticket once, by its 8 digits or its QR payload. Forged, altered, replayed, expired and unknown tickets are each
 * refused with their own code.
 */
let token: TestToken;
let issuerChain: TokenChain;
let forgerChain: TokenChain;

beforeAll(async () => {
  token = await openTestToken('mps-tickets');
  issuerChain = await makeTokenChain(token.hsm, { label: 'issuer', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
  forgerChain = await makeTokenChain(token.hsm, { label: 'forger', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
});
afterAll(async () => {
  await token?.hsm.close();
});

async function refused(p: Promise<unknown>, code: MpsErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isMpsError(err) ? err.code : err).toBe(code);
}

describe.each(STORE_ENGINES)('one-time tickets on %s', (_name, engine) => {
  let t: LedgerFixture;
  let tickets: OneTimeTickets;
  beforeAll(async () => {
    t = await freshLedger(engine);
    await twoBanks(t.ledger);
    const signer = hsmSigner(token.hsm, issuerChain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: issuerChain.leaf.der });
    tickets = new OneTimeTickets({ store: t.store, clock: t.clock.now, issuers: new Map([['bank-a', { signer }]]) });
  });
  afterAll(async () => {
    await t?.fx.close();
  });

  it('issues a ticket with nothing sensitive in it and redeems it once, by code', async () => {
    const ticket = await tickets.issue('bank-a', { accountId: 'alice-EUR', clientMsisdn: '+3725550001', ttlMs: 60_000 });
    expect(ticket.code).toMatch(/^\d{8}$/);
    expect(ticket.qr).not.toContain('alice');
    expect(ticket.qr).not.toContain('3725550001');
    await expect(tickets.redeem(ticket.code, 'shop')).resolves.toMatchObject({ issuerId: 'bank-a', accountId: 'alice-EUR', clientMsisdn: '+3725550001' });
    await refused(tickets.redeem(ticket.code, 'shop'), 'TICKET_UNKNOWN');
    await refused(tickets.redeem(ticket.qr, 'shop'), 'TICKET_USED');
  });

  it('redeems by QR payload; two PSPs presenting it at once: one wins, the other is told it was used', async () => {
    const ticket = await tickets.issue('bank-a', { accountId: 'alice-EUR', clientMsisdn: '+3725550001' });
    const outcomes = await Promise.allSettled([tickets.redeem(ticket.qr, 'shop'), tickets.redeem(ticket.qr, 'shop')]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect(isMpsError(rejected?.status === 'rejected' ? rejected.reason : undefined, 'TICKET_USED')).toBe(true);
  });

  it('refuses a QR payload altered in any field, or signed by another key', async () => {
    const ticket = await tickets.issue('bank-a', { accountId: 'alice-EUR', clientMsisdn: '+3725550001' });
    const parts = ticket.qr.split('.');
    const later = [...parts];
    later[4] = String(Number(parts[4]) + 60_000);
    await refused(tickets.redeem(later.join('.'), 'shop'), 'TICKET_INVALID');
    const otherCode = [...parts];
    otherCode[2] = parts[2] === '00000000' ? '00000001' : '00000000';
    await refused(tickets.redeem(otherCode.join('.'), 'shop'), 'TICKET_INVALID');
    const forger = hsmSigner(token.hsm, forgerChain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: forgerChain.leaf.der });
    const { ticketBytes } = await import('../../src/mps/tickets');
    const forged = await forger.sign(ticketBytes(parts[1] ?? '', parts[2] ?? '', parts[3] ?? '', new Date(Number(parts[4]))));
    const withForgedSig = [...parts.slice(0, 5), Buffer.from(forged).toString('base64url')].join('.');
    await refused(tickets.redeem(withForgedSig, 'shop'), 'TICKET_INVALID');
    await refused(tickets.redeem('MPSOTT1.garbage', 'shop'), 'TICKET_INVALID');
    // The genuine one still works: nothing above spent it.
    await expect(tickets.redeem(ticket.qr, 'shop')).resolves.toMatchObject({ accountId: 'alice-EUR' });
  });

  it('refuses an expired ticket, an unknown code, and issuing for an account of another bank', async () => {
    const ticket = await tickets.issue('bank-a', { accountId: 'alice-EUR', clientMsisdn: '+3725550001', ttlMs: 5_000 });
    t.clock.advance(5_000);
    await refused(tickets.redeem(ticket.qr, 'shop'), 'TICKET_EXPIRED');
    await refused(tickets.redeem(ticket.code, 'shop'), 'TICKET_UNKNOWN');
    await refused(tickets.issue('bank-a', { accountId: 'shop-EUR', clientMsisdn: '+3725550002' }), 'UNKNOWN_ACCOUNT');
    await refused(tickets.issue('bank-b', { accountId: 'shop-EUR', clientMsisdn: '+3725550002' }), 'UNKNOWN_PARTICIPANT');
    await refused(tickets.issue('bank-a', { accountId: 'alice-EUR', clientMsisdn: '+3725550001', ttlMs: 3_600_000 }), 'INVALID_REQUEST');
  });
});

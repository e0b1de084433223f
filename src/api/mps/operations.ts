import { createHash } from 'node:crypto';
import { MpsError, checkCurrency, parseAmount, type ApiPrincipal, type Ledger, type MpsDirectory, type OfferService, type OneTimeTickets, type Settlement } from '../../mps';
import { onlyKnown, stringMember, type JsonObject, type MpsAnswer, type MpsOperation } from './http';
import { offerJson, transferJson } from './views';

/**
 * The operations of the MPS API, one entry per endpoint: merchants make, read, cancel and refund offers; PSPs
 * redeem a one-time ticket into an offer; banks list and close settlement windows and fetch the signed reports.
 * Authentication, roles, Idempotency-Key and problem+json are done around them (routes.ts).
 */

export interface MpsOperationDeps {
  readonly offers: OfferService;
  readonly ledger: Ledger;
  readonly settlement: Settlement;
  readonly tickets: OneTimeTickets;
  readonly directory: MpsDirectory;
  /** Starts an offer on its way to the phone (in the background); the answer to the merchant does not wait for it. */
  readonly startOffer: (offerId: string) => void;
  readonly clock: () => Date;
  /** Offer life when the request names none. */
  readonly defaultOfferSeconds: number;
}

/** A server-side id from the caller's key and Idempotency-Key: a retry after a lost answer names the same offer. */
function derivedId(prefix: string, p: ApiPrincipal, idempotencyKey: string): string {
  return `${prefix}.${createHash('sha256').update(`${p.keyId}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

const OFFER_TERMS = ['amount', 'currency', 'reference', 'expiresAt', 'expiresInSeconds'] as const;

function offerTerms(body: JsonObject, clock: () => Date, defaultSeconds: number): { amount: bigint; currency: string; reference: string; expiresAt: Date } {
  // Amount and currency first: they are what the issue's bad inputs are about and have their own codes.
  const amount = parseAmount(body.amount);
  const currency = checkCurrency(body.currency);
  const reference = stringMember(body, 'reference') as string;
  let expiresAt: Date;
  if (body.expiresAt !== undefined && body.expiresInSeconds !== undefined) throw new MpsError('INVALID_REQUEST', 'give expiresAt or expiresInSeconds, not both');
  if (body.expiresAt !== undefined) {
    const text = stringMember(body, 'expiresAt') as string;
    expiresAt = new Date(text);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)$/.test(text) || Number.isNaN(expiresAt.getTime())) throw new MpsError('INVALID_REQUEST', 'expiresAt must be an RFC 3339 date-time');
  } else {
    const seconds = body.expiresInSeconds ?? defaultSeconds;
    if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds <= 0) throw new MpsError('INVALID_REQUEST', 'expiresInSeconds must be a positive integer');
    expiresAt = new Date(clock().getTime() + seconds * 1000);
  }
  return { amount, currency, reference, expiresAt };
}

async function ownOffer(deps: MpsOperationDeps, p: ApiPrincipal, id: string): Promise<Awaited<ReturnType<OfferService['view']>>> {
  const view = await deps.offers.view(id).catch((err: unknown) => {
    if (err instanceof MpsError && err.code === 'INVALID_REQUEST') throw new MpsError('UNKNOWN_OFFER', `offer ${id.slice(0, 64)} is unknown`);
    throw err;
  });
  // Another merchant's offer is as unknown as one that does not exist: ids must not be probed.
  if (view.merchantId !== p.participantId) throw new MpsError('UNKNOWN_OFFER', `offer ${id} is unknown`);
  return view;
}

const created = (json: unknown): MpsAnswer => ({ status: 201, json });
const ok = (json: unknown): MpsAnswer => ({ status: 200, json });

function windowId(text: string): bigint {
  if (!/^[1-9]\d{0,17}$/.test(text)) throw new MpsError('UNKNOWN_WINDOW', `settlement window ${text.slice(0, 20)} is unknown`);
  return BigInt(text);
}

export function mpsOperations(deps: MpsOperationDeps): MpsOperation[] {
  return [
    {
      id: 'createOffer',
      method: 'POST',
      path: /^\/offers$/,
      roles: ['merchant'],
      async handle({ principal, body, idempotencyKey }) {
        onlyKnown(body, ['payerMsisdn', ...OFFER_TERMS]);
        const terms = offerTerms(body, deps.clock, deps.defaultOfferSeconds);
        const merchant = await deps.directory.merchant(principal.participantId);
        const offer = await deps.offers.create({
          id: derivedId('off', principal, idempotencyKey),
          merchantId: merchant.participantId,
          merchantAccountId: merchant.accountId,
          clientMsisdn: stringMember(body, 'payerMsisdn') as string,
          ...terms,
        });
        if (offer.state === 'created') deps.startOffer(offer.id);
        return created(offerJson(offer));
      },
    },
    {
      id: 'getOffer',
      method: 'GET',
      path: /^\/offers\/([^/]+)$/,
      roles: ['merchant'],
      async handle({ principal, params }) {
        return ok(offerJson(await ownOffer(deps, principal, params[0] ?? '')));
      },
    },
    {
      id: 'cancelOffer',
      method: 'POST',
      path: /^\/offers\/([^/]+)\/cancel$/,
      roles: ['merchant'],
      async handle({ principal, params, body }) {
        onlyKnown(body, []);
        const view = await ownOffer(deps, principal, params[0] ?? '');
        return ok(offerJson(await deps.offers.cancel(view.id)));
      },
    },
    {
      id: 'refundOffer',
      method: 'POST',
      path: /^\/offers\/([^/]+)\/refunds$/,
      roles: ['merchant'],
      async handle({ principal, params, body, idempotencyKey }) {
        onlyKnown(body, ['amount']);
        const amount = parseAmount(body.amount);
        const view = await ownOffer(deps, principal, params[0] ?? '');
        const refund = await deps.offers.refund(view.id, derivedId('refund', principal, idempotencyKey), amount);
        return created(transferJson(refund));
      },
    },
    {
      // The client's app asks its issuer for a ticket; the issuer's back end asks the ADS (this platform) here.
      id: 'issueTicket',
      method: 'POST',
      path: /^\/tickets$/,
      roles: ['bank'],
      async handle({ principal, body }) {
        onlyKnown(body, ['clientMsisdn', 'accountId', 'ttlSeconds']);
        const ttl = body.ttlSeconds;
        if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl <= 0)) throw new MpsError('INVALID_REQUEST', 'ttlSeconds is a whole number of seconds above 0');
        const clientMsisdn = stringMember(body, 'clientMsisdn') as string;
        if (!/^\+[1-9]\d{6,14}$/.test(clientMsisdn)) throw new MpsError('INVALID_REQUEST', 'the client is named by an E.164 number with the leading +');
        const issued = await deps.tickets.issue(principal.participantId, {
          accountId: stringMember(body, 'accountId') as string,
          clientMsisdn,
          ...(typeof ttl === 'number' ? { ttlMs: ttl * 1000 } : {}),
        });
        return created({ code: issued.code, qr: issued.qr, expiresAt: issued.expiresAt.toISOString() });
      },
    },
    {
      id: 'redeemTicket',
      method: 'POST',
      path: /^\/tickets\/redeem$/,
      roles: ['psp'],
      async handle({ principal, body, idempotencyKey }) {
        onlyKnown(body, ['ticket', 'merchant', ...OFFER_TERMS]);
        // Everything is checked before the ticket is spent: a refused request leaves the ticket usable.
        const terms = offerTerms(body, deps.clock, deps.defaultOfferSeconds);
        const merchant = await deps.directory.merchant(stringMember(body, 'merchant') as string);
        if (merchant.pspId !== principal.participantId) throw new MpsError('FORBIDDEN', `this PSP does not act for merchant ${merchant.participantId}`);
        const ticket = await deps.tickets.redeem(stringMember(body, 'ticket') as string, merchant.participantId);
        const offer = await deps.offers.create({
          id: derivedId('off', principal, idempotencyKey),
          merchantId: merchant.participantId,
          merchantAccountId: merchant.accountId,
          clientMsisdn: ticket.clientMsisdn,
          ...terms,
        });
        if (offer.state === 'created') deps.startOffer(offer.id);
        return created(offerJson(offer));
      },
    },
    {
      id: 'listSettlementWindows',
      method: 'GET',
      path: /^\/settlement\/windows$/,
      roles: ['bank'],
      async handle() {
        const open = await deps.settlement.openWindowId();
        const windows = [];
        for (let id = open; id >= 1n && id > open - 50n; id -= 1n) {
          const w = await deps.settlement.window(id);
          windows.push({ id: w.id.toString(), state: w.state, openedAt: w.openedAt.toISOString(), states: w.states.map((s) => ({ state: s.state, at: s.at.toISOString() })) });
        }
        return ok({ windows });
      },
    },
    {
      id: 'closeSettlementWindow',
      method: 'POST',
      path: /^\/settlement\/windows\/close$/,
      roles: ['bank'],
      async handle({ body }) {
        onlyKnown(body, []);
        const { closed, opened } = await deps.settlement.closeWindow();
        return ok({ closed: closed.toString(), opened: opened.toString() });
      },
    },
    {
      id: 'getSettlementWindow',
      method: 'GET',
      path: /^\/settlement\/windows\/([^/]+)$/,
      roles: ['bank'],
      async handle({ params }) {
        const id = windowId(params[0] ?? '');
        const w = await deps.settlement.window(id);
        const positions = await deps.settlement.positions(id);
        return ok({
          id: w.id.toString(),
          state: w.state,
          openedAt: w.openedAt.toISOString(),
          states: w.states.map((s) => ({ state: s.state, at: s.at.toISOString() })),
          positions: positions.map((p) => ({ bankId: p.bankId, currency: p.currency, net: p.net.toString() })),
        });
      },
    },
    {
      id: 'getSettlementReport',
      method: 'GET',
      path: /^\/settlement\/windows\/([^/]+)\/report\.(json|csv)(\.p7s)?$/,
      roles: ['bank'],
      async handle({ params }) {
        const id = windowId(params[0] ?? '');
        const format = params[1] === 'csv' ? 'csv' : 'json';
        const report = await deps.settlement.report(id, format);
        const name = `settlement-${id}.${format}`;
        if (params[2] === '.p7s') return { status: 200, raw: { contentType: 'application/pkcs7-signature', body: report.signature, filename: `${name}.p7s` } };
        return { status: 200, raw: { contentType: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json', body: report.body, filename: name } };
      },
    },
  ];
}

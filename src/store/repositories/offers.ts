import { StoreError } from '../errors';
import { run, type Db } from './db';

/** Payment offers and their state history (src/mps/offers decides the machine). Insert-only, like the ledger. */

export const OFFER_STATES = ['created', 'sent', 'approved', 'paid', 'refused', 'cancelled', 'expired', 'failed'] as const;
export type OfferStateName = (typeof OFFER_STATES)[number];
/** The states an offer ends in; the store lets an offer reach only one of them (migration 0037). */
export const FINAL_OFFER_STATES = ['paid', 'refused', 'cancelled', 'expired', 'failed'] as const satisfies readonly OfferStateName[];

/** Where a page of unfinished offers ended: the next page starts after it. */
export interface OfferCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export interface OfferRecord {
  readonly id: string;
  readonly payloadHash: string;
  readonly merchantId: string;
  readonly merchantAccountId: string;
  readonly clientMsisdn: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly reference: string;
  readonly verificationCode: string;
  readonly expiresAt: Date;
  /** The exact bytes the SIM is asked to sign. */
  readonly canonical: Buffer;
  readonly createdAt: Date;
}

export interface OfferStateRecord {
  readonly offerId: string;
  readonly state: OfferStateName;
  readonly at: Date;
  readonly transferId: string | null;
  readonly detail: string | null;
  readonly signature: Buffer | null;
}

export interface OffersRepository {
  insertOffer(offer: OfferRecord): Promise<void>;
  offer(id: string): Promise<OfferRecord | undefined>;
  /** Offers without a final state, oldest first, after `after` when given (for the recovery sweep). */
  unfinished(limit: number, after?: OfferCursor): Promise<OfferRecord[]>;
  /** UNIQUE_VIOLATION when the offer already reached that state, or already reached another final state. */
  insertState(state: OfferStateRecord): Promise<void>;
  /** Oldest first. */
  states(offerId: string): Promise<OfferStateRecord[]>;
}

interface OfferRow {
  id: string;
  payload_hash: string;
  merchant_id: string;
  merchant_account_id: string;
  client_msisdn: string;
  currency: string;
  amount: string;
  reference: string;
  verification_code: string;
  expires_at: unknown;
  canonical: Buffer;
  created_at: unknown;
}

interface StateRow {
  offer_id: string;
  state: string;
  at: unknown;
  transfer_id: string | null;
  detail: string | null;
  signature: Buffer | null;
}

export function offersRepository(db: Db): OffersRepository {
  const { codec, knex } = db;
  const date = (value: Date, what: string): number | string => codec.dateToDb(value, what);
  const fromRow = (r: OfferRow): OfferRecord => {
    if (!/^\d{1,19}$/.test(r.amount)) throw new StoreError('VALUE_OUT_OF_RANGE', 'mps_offers.amount read from the store is not a decimal integer');
    return {
      id: r.id,
      payloadHash: r.payload_hash,
      merchantId: r.merchant_id,
      merchantAccountId: r.merchant_account_id,
      clientMsisdn: r.client_msisdn,
      currency: r.currency,
      amount: BigInt(r.amount),
      reference: r.reference,
      verificationCode: r.verification_code,
      expiresAt: codec.dateFromDb(r.expires_at, 'expires_at'),
      canonical: Buffer.from(r.canonical),
      createdAt: codec.dateFromDb(r.created_at, 'created_at'),
    };
  };
  return {
    async insertOffer(o) {
      await run(
        db,
        knex('mps_offers').insert({
          id: o.id,
          payload_hash: o.payloadHash,
          merchant_id: o.merchantId,
          merchant_account_id: o.merchantAccountId,
          client_msisdn: o.clientMsisdn,
          currency: o.currency,
          amount: o.amount.toString(),
          reference: o.reference,
          verification_code: o.verificationCode,
          expires_at: date(o.expiresAt, 'expires_at'),
          canonical: o.canonical,
          created_at: date(o.createdAt, 'created_at'),
        }),
      );
    },

    async offer(id) {
      const r = await run(db, knex('mps_offers').first<OfferRow | undefined>('*').where({ id }));
      return r === undefined ? undefined : fromRow(r);
    },

    async unfinished(limit, after) {
      const query = knex('mps_offers as o')
        .select<OfferRow[]>('o.*')
        .whereNotExists(knex('mps_offer_states as s').select(knex.raw('1')).whereRaw('s.offer_id = o.id').whereIn('s.state', FINAL_OFFER_STATES))
        .orderBy([{ column: 'o.created_at' }, { column: 'o.id' }])
        .limit(limit);
      if (after !== undefined) {
        const at = date(after.createdAt, 'created_at');
        query.where((w) => w.where('o.created_at', '>', at).orWhere((same) => same.where('o.created_at', '=', at).andWhere('o.id', '>', after.id)));
      }
      return (await run(db, query)).map(fromRow);
    },

    async insertState(s) {
      await run(
        db,
        knex('mps_offer_states').insert({ offer_id: s.offerId, state: s.state, at: date(s.at, 'at'), transfer_id: s.transferId, detail: s.detail, signature: s.signature }),
      );
    },

    async states(offerId) {
      const rows = await run(db, knex('mps_offer_states').select<StateRow[]>('*').where({ offer_id: offerId }));
      return rows
        .map((r) => {
          if (!(OFFER_STATES as readonly string[]).includes(r.state)) throw new StoreError('VALUE_OUT_OF_RANGE', 'offer state read from the store is unknown');
          return {
            offerId: r.offer_id,
            state: r.state as OfferStateName,
            at: codec.dateFromDb(r.at, 'at'),
            transferId: r.transfer_id,
            detail: r.detail,
            signature: r.signature === null ? null : Buffer.from(r.signature),
          };
        })
        .sort((a, b) => a.at.getTime() - b.at.getTime() || OFFER_STATES.indexOf(a.state) - OFFER_STATES.indexOf(b.state));
    },
  };
}

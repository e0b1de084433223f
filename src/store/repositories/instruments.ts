import { StoreError } from '../errors';
import { run, type Db } from './db';

/**
 * Clients' payment instruments, their state history, and the payment orders clients send from their phones
 * (src/mps/clients decides what they mean). Insert-only, like the ledger and the offers.
 */

export const INSTRUMENT_KINDS = ['bank-account', 'card', 'mno-account', 'e-money'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];
export const INSTRUMENT_STATES = ['pending', 'active', 'refused', 'cancelled', 'failed', 'removed'] as const;
export type InstrumentStateName = (typeof INSTRUMENT_STATES)[number];
export const CLIENT_ORDER_OUTCOMES = ['paid', 'refused'] as const;
export type ClientOrderOutcome = (typeof CLIENT_ORDER_OUTCOMES)[number];

export interface InstrumentRecord {
  readonly id: string;
  readonly clientMsisdn: string;
  readonly clientMid: string | null;
  readonly kind: InstrumentKind;
  readonly currency: string;
  readonly ledgerAccountId: string;
  readonly label: string;
  /** Kind-specific, non-secret details (JSON object). */
  readonly details: Readonly<Record<string, string>>;
  readonly isDefault: boolean;
  /** The enrolment's canonical bytes: what the SIM signed to approve it. */
  readonly canonical: Buffer;
  readonly createdAt: Date;
}

export interface InstrumentStateRecord {
  readonly instrumentId: string;
  readonly state: InstrumentStateName;
  readonly at: Date;
  readonly detail: string | null;
  readonly signature: Buffer | null;
}

export interface ClientOrderRecord {
  readonly payerMsisdn: string;
  readonly orderRef: string;
  readonly payloadHash: string;
  readonly canonical: Buffer;
  readonly signature: Buffer;
  readonly outcome: ClientOrderOutcome;
  readonly code: string | null;
  readonly transferId: string | null;
  readonly detail: string | null;
  readonly at: Date;
}

export interface InstrumentsRepository {
  insertInstrument(instrument: InstrumentRecord): Promise<void>;
  instrument(id: string): Promise<InstrumentRecord | undefined>;
  /** Oldest first. */
  instrumentsOf(msisdn: string): Promise<InstrumentRecord[]>;
  /** UNIQUE_VIOLATION when the instrument already reached that state. */
  insertState(state: InstrumentStateRecord): Promise<void>;
  /** Oldest first. */
  states(instrumentId: string): Promise<InstrumentStateRecord[]>;
  /** UNIQUE_VIOLATION when the payer sent an order with that reference before. */
  insertOrder(order: ClientOrderRecord): Promise<void>;
  order(payerMsisdn: string, orderRef: string): Promise<ClientOrderRecord | undefined>;
}

interface InstrumentRow {
  id: string;
  client_msisdn: string;
  client_mid: string | null;
  kind: string;
  currency: string;
  ledger_account_id: string;
  label: string;
  details: string;
  is_default: unknown;
  canonical: Buffer;
  created_at: unknown;
}

interface StateRow {
  instrument_id: string;
  state: string;
  at: unknown;
  detail: string | null;
  signature: Buffer | null;
}

interface OrderRow {
  payer_msisdn: string;
  order_ref: string;
  payload_hash: string;
  canonical: Buffer;
  signature: Buffer;
  outcome: string;
  code: string | null;
  transfer_id: string | null;
  detail: string | null;
  at: unknown;
}

function oneOf<T extends string>(list: readonly T[], value: string, what: string): T {
  if (!(list as readonly string[]).includes(value)) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is unknown`);
  return value as T;
}

function detailsFromDb(text: string): Record<string, string> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new StoreError('VALUE_OUT_OF_RANGE', 'mps_instruments.details read from the store is not an object of strings');
  }
  return parsed as Record<string, string>;
}

export function instrumentsRepository(db: Db): InstrumentsRepository {
  const { codec, knex } = db;
  const date = (value: Date, what: string): number | string => codec.dateToDb(value, what);
  const instrument = (r: InstrumentRow): InstrumentRecord => ({
    id: r.id,
    clientMsisdn: r.client_msisdn,
    clientMid: r.client_mid,
    kind: oneOf(INSTRUMENT_KINDS, r.kind, 'instrument kind'),
    currency: r.currency,
    ledgerAccountId: r.ledger_account_id,
    label: r.label,
    details: detailsFromDb(r.details),
    isDefault: r.is_default === true || r.is_default === 1,
    canonical: Buffer.from(r.canonical),
    createdAt: codec.dateFromDb(r.created_at, 'created_at'),
  });
  return {
    async insertInstrument(i) {
      await run(
        db,
        knex('mps_instruments').insert({
          id: i.id,
          client_msisdn: i.clientMsisdn,
          client_mid: i.clientMid,
          kind: i.kind,
          currency: i.currency,
          ledger_account_id: i.ledgerAccountId,
          label: i.label,
          details: JSON.stringify(i.details),
          is_default: i.isDefault,
          canonical: i.canonical,
          created_at: date(i.createdAt, 'created_at'),
        }),
      );
    },

    async instrument(id) {
      const r = await run(db, knex('mps_instruments').first<InstrumentRow | undefined>('*').where({ id }));
      return r === undefined ? undefined : instrument(r);
    },

    async instrumentsOf(msisdn) {
      const rows = await run(db, knex('mps_instruments').select<InstrumentRow[]>('*').where({ client_msisdn: msisdn }));
      return rows.map(instrument).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    },

    async insertState(s) {
      await run(db, knex('mps_instrument_states').insert({ instrument_id: s.instrumentId, state: s.state, at: date(s.at, 'at'), detail: s.detail, signature: s.signature }));
    },

    async states(instrumentId) {
      const rows = await run(db, knex('mps_instrument_states').select<StateRow[]>('*').where({ instrument_id: instrumentId }));
      return rows
        .map((r) => ({
          instrumentId: r.instrument_id,
          state: oneOf(INSTRUMENT_STATES, r.state, 'instrument state'),
          at: codec.dateFromDb(r.at, 'at'),
          detail: r.detail,
          signature: r.signature === null ? null : Buffer.from(r.signature),
        }))
        .sort((a, b) => a.at.getTime() - b.at.getTime() || INSTRUMENT_STATES.indexOf(a.state) - INSTRUMENT_STATES.indexOf(b.state));
    },

    async insertOrder(o) {
      await run(
        db,
        knex('mps_client_orders').insert({
          payer_msisdn: o.payerMsisdn,
          order_ref: o.orderRef,
          payload_hash: o.payloadHash,
          canonical: o.canonical,
          signature: o.signature,
          outcome: o.outcome,
          code: o.code,
          transfer_id: o.transferId,
          detail: o.detail,
          at: date(o.at, 'at'),
        }),
      );
    },

    async order(payerMsisdn, orderRef) {
      const r = await run(db, knex('mps_client_orders').first<OrderRow | undefined>('*').where({ payer_msisdn: payerMsisdn, order_ref: orderRef }));
      if (r === undefined) return undefined;
      return {
        payerMsisdn: r.payer_msisdn,
        orderRef: r.order_ref,
        payloadHash: r.payload_hash,
        canonical: Buffer.from(r.canonical),
        signature: Buffer.from(r.signature),
        outcome: oneOf(CLIENT_ORDER_OUTCOMES, r.outcome, 'client order outcome'),
        code: r.code,
        transferId: r.transfer_id,
        detail: r.detail,
        at: codec.dateFromDb(r.at, 'at'),
      };
    },
  };
}

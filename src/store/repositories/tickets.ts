import { run, type Db } from './db';

/** One-time tickets and their redemptions (src/mps/tickets decides what they mean). Insert-only. */

export interface TicketRecord {
  readonly id: string;
  readonly code: string;
  readonly issuerId: string;
  readonly accountId: string;
  readonly clientMsisdn: string;
  readonly expiresAt: Date;
  readonly signature: Buffer;
  readonly createdAt: Date;
}

export interface TicketsRepository {
  insertTicket(ticket: TicketRecord): Promise<void>;
  /** Tickets with this code that are not redeemed and expire after `now`. */
  liveByCode(code: string, now: Date): Promise<TicketRecord[]>;
  ticket(id: string): Promise<TicketRecord | undefined>;
  /** UNIQUE_VIOLATION when the ticket was redeemed before. */
  redeem(ticketId: string, merchantId: string, at: Date): Promise<void>;
  redeemed(ticketId: string): Promise<boolean>;
}

interface TicketRow {
  id: string;
  code: string;
  issuer_id: string;
  account_id: string;
  client_msisdn: string;
  expires_at: unknown;
  signature: Buffer;
  created_at: unknown;
}

export function ticketsRepository(db: Db): TicketsRepository {
  const { codec, knex } = db;
  const fromRow = (r: TicketRow): TicketRecord => ({
    id: r.id,
    code: r.code,
    issuerId: r.issuer_id,
    accountId: r.account_id,
    clientMsisdn: r.client_msisdn,
    expiresAt: codec.dateFromDb(r.expires_at, 'expires_at'),
    signature: Buffer.from(r.signature),
    createdAt: codec.dateFromDb(r.created_at, 'created_at'),
  });
  return {
    async insertTicket(t) {
      await run(
        db,
        knex('mps_tickets').insert({
          id: t.id,
          code: t.code,
          issuer_id: t.issuerId,
          account_id: t.accountId,
          client_msisdn: t.clientMsisdn,
          expires_at: codec.dateToDb(t.expiresAt, 'expires_at'),
          signature: t.signature,
          created_at: codec.dateToDb(t.createdAt, 'created_at'),
        }),
      );
    },
    async liveByCode(code, now) {
      const rows = await run(
        db,
        knex('mps_tickets as t')
          .leftJoin('mps_ticket_redemptions as r', 'r.ticket_id', 't.id')
          .whereNull('r.ticket_id')
          .where('t.code', code)
          .where('t.expires_at', '>', codec.dateToDb(now, 'now'))
          .select<TicketRow[]>('t.*'),
      );
      return rows.map(fromRow);
    },
    async ticket(id) {
      const row = await run(db, knex('mps_tickets').first<TicketRow | undefined>('*').where({ id }));
      return row === undefined ? undefined : fromRow(row);
    },
    async redeem(ticketId, merchantId, at) {
      await run(db, knex('mps_ticket_redemptions').insert({ ticket_id: ticketId, merchant_id: merchantId, at: codec.dateToDb(at, 'at') }));
    },
    async redeemed(ticketId) {
      return (await run(db, knex('mps_ticket_redemptions').first<{ ticket_id: string } | undefined>('ticket_id').where({ ticket_id: ticketId }))) !== undefined;
    },
  };
}

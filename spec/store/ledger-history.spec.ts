import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { Ledger } from '../../src/mps/ledger';
import { openStore, type Store, type StoreEngine } from '../../src/store';
import { openThrowawayPostgresStore, throwawaySchemaName } from '../../src/store/testing';
import { TEST_DATABASE_URL } from '../support/postgres';

/**
 * Ledger, settlement and offer history is insert-only in the database itself: UPDATE and DELETE (and TRUNCATE on
 * PostgreSQL) are refused by triggers, whatever code holds the connection. Running totals (account balances,
 * bank positions) are the only rows that change, and the migration's down() removes everything it made.
 */
interface Db {
  readonly store: Store;
  readonly raw: Knex;
  close(): Promise<void>;
}

async function sqlite(): Promise<Db> {
  const sqliteFile = join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'store', `ledger-${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
  const store = await openStore({ sqliteFile });
  await store.migrate();
  const raw = knexFactory({ client: 'sqlite3', connection: { filename: sqliteFile }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  await raw.raw('PRAGMA busy_timeout = 5000');
  return { store, raw, close: async () => (await raw.destroy(), await store.close()) };
}

async function postgres(): Promise<Db> {
  const schema = throwawaySchemaName();
  const store = await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema });
  await store.migrate();
  const raw = knexFactory({ client: 'pg', connection: TEST_DATABASE_URL, searchPath: [schema], pool: { min: 0, max: 1 } });
  return { store, raw, close: async () => (await raw.destroy(), await store.close()) };
}

const ENGINES: readonly (readonly [StoreEngine, () => Promise<Db>])[] = [
  ['sqlite', sqlite],
  ['postgres', postgres],
];

const HISTORY = ['ledger_transfers', 'ledger_transfer_states', 'ledger_postings', 'settlement_windows', 'settlement_window_states', 'settlement_reports', 'mps_offers', 'mps_offer_states', 'mps_tickets', 'mps_ticket_redemptions', 'mps_instruments', 'mps_instrument_states', 'mps_client_orders'] as const;

describe.each(ENGINES)('ledger history on %s', (engine, open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
    const ledger = new Ledger({ store: db.store });
    await ledger.createParticipant({ id: 'bank', kind: 'bank', name: 'Bank' });
    await ledger.createAccount({ id: 'issue', participantId: 'bank', currency: 'EUR', floor: null });
    await ledger.createAccount({ id: 'acct', participantId: 'bank', currency: 'EUR' });
    await ledger.pay({ id: 't1', debitAccountId: 'issue', creditAccountId: 'acct', currency: 'EUR', amount: '500' });
    await ledger.pay({ id: 't2', debitAccountId: 'acct', creditAccountId: 'issue', currency: 'EUR', amount: '100', reserve: true });
    await ledger.commit('t2');
    await db.store.ledger.insertReport({ windowId: 1n, format: 'json', body: Buffer.from('{}'), signature: Buffer.from('sig'), createdAt: new Date() });
    await db.store.offers.insertOffer({
      id: 'o1',
      payloadHash: 'h',
      merchantId: 'bank',
      merchantAccountId: 'acct',
      clientMsisdn: '+3725550001',
      currency: 'EUR',
      amount: 1n,
      reference: 'r',
      verificationCode: '1234',
      expiresAt: new Date(),
      canonical: Buffer.from('x'),
      createdAt: new Date(),
    });
    await db.store.offers.insertState({ offerId: 'o1', state: 'created', at: new Date(), transferId: null, detail: null, signature: null });
    await db.store.tickets.insertTicket({ id: 'k1', code: '12345678', issuerId: 'bank', accountId: 'acct', clientMsisdn: '+3725550001', expiresAt: new Date(), signature: Buffer.from('s'), createdAt: new Date() });
    await db.store.tickets.redeem('k1', 'bank', new Date());
    await db.store.instruments.insertInstrument({
      id: 'i1',
      clientMsisdn: '+3725550001',
      clientMid: null,
      kind: 'card',
      currency: 'EUR',
      ledgerAccountId: 'acct',
      label: 'Card **** 4242',
      details: { token: 'tok', maskedPan: '**** 4242' },
      isDefault: true,
      canonical: Buffer.from('x'),
      createdAt: new Date(),
    });
    await db.store.instruments.insertState({ instrumentId: 'i1', state: 'pending', at: new Date(), detail: null, signature: null });
    await db.store.instruments.insertOrder({ payerMsisdn: '+3725550001', orderRef: 'r1', payloadHash: 'h', canonical: Buffer.from('x'), signature: Buffer.from('s'), outcome: 'refused', code: 'X', transferId: null, detail: null, at: new Date() });
  });
  afterAll(async () => {
    await db?.close();
  });

  it.each(HISTORY)('refuses UPDATE and DELETE on %s', async (table) => {
    const [row] = await db.raw(table).select('*').limit(1);
    expect(row).toBeDefined();
    const someColumn = Object.keys(row as object).find((c) => !['id', 'window_id', 'transfer_id', 'offer_id', 'instrument_id'].includes(c)) ?? 'id';
    await expect(db.raw(table).update({ [someColumn]: (row as Record<string, unknown>)[someColumn] })).rejects.toThrow(/append-only/);
    await expect(db.raw(table).delete()).rejects.toThrow(/append-only/);
    if (engine === 'postgres') await expect(db.raw.raw(`truncate ${table} cascade`)).rejects.toThrow(/append-only/);
    expect((await db.raw(table).count<{ n: unknown }[]>('* as n'))[0]?.n).not.toBe(0);
  });

  it('lets the running totals change (account balances are not history)', async () => {
    expect((await db.store.ledger.account('acct'))?.posted).toBe(400n);
  });

  it('rolls back cleanly: down() drops every table it made', async () => {
    const { reverted } = await db.store.rollback();
    expect(reverted).toEqual(expect.arrayContaining(['0030_ledger', '0031_settlement_reports', '0032_payment_offers', '0033_one_time_tickets', '0034_payment_instruments']));
    for (const table of [...HISTORY, 'ledger_accounts', 'ledger_participants', 'ledger_bank_positions', 'settlement_positions']) {
      expect([table, await db.raw.schema.hasTable(table)]).toEqual([table, false]);
    }
    await db.store.migrate();
  });
});

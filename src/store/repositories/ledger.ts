import type { Knex } from 'knex';
import { StoreError } from '../errors';
import { run, type Db } from './db';

/**
 * Rows of the payment ledger (src/mps decides what goes in them). Amounts are bigint here and decimal strings in
 * the database on both engines (see migration 0030). The locking reads are meant for use inside
 * store.transaction(fn): on PostgreSQL they take row locks in a fixed order (window, then accounts by id, then
 * bank positions by key) so that two nodes never deadlock; on SQLite the first statement of a batch is a write,
 * which takes the database's single write lock for the whole transaction.
 */

export const TRANSFER_STATES = ['reserved', 'committed', 'voided', 'expired'] as const;
export type TransferStateName = (typeof TRANSFER_STATES)[number];
export const TRANSFER_KINDS = ['transfer', 'payment', 'refund', 'reversal'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];
export const PARTICIPANT_KINDS = ['operator', 'bank', 'merchant', 'client', 'settlement'] as const;
export type ParticipantKind = (typeof PARTICIPANT_KINDS)[number];
export const WINDOW_STATES = ['open', 'closed', 'settled'] as const;
export type WindowState = (typeof WINDOW_STATES)[number];

export interface LedgerParticipantRecord {
  readonly id: string;
  readonly kind: ParticipantKind;
  readonly name: string;
  readonly bankId: string;
  readonly createdAt: Date;
}

export interface NewLedgerAccount {
  readonly id: string;
  readonly participantId: string;
  readonly currency: string;
  /** Lowest balance allowed; null: none (an issuance account). */
  readonly floor: bigint | null;
  readonly createdAt: Date;
}

export interface LedgerAccountRecord extends NewLedgerAccount {
  readonly bankId: string;
  readonly posted: bigint;
  readonly reserved: bigint;
}

export interface NewLedgerTransfer {
  readonly id: string;
  readonly payloadHash: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly twoPhase: boolean;
  readonly expiresAt: Date | null;
  readonly linkedTransferId: string | null;
  readonly reference: string | null;
  readonly createdAt: Date;
  /** Single-phase transfers only: the settlement window of their postings. */
  readonly windowId: bigint | null;
}

export interface LedgerTransferRecord extends NewLedgerTransfer {
  /** The latest state: the final one when there is one, else the prepare one. */
  readonly state: TransferStateName;
  readonly stateAt: Date;
  readonly reason: string | null;
}

export interface NewTransferState {
  readonly transferId: string;
  readonly phase: 'prepare' | 'final';
  readonly state: TransferStateName;
  readonly at: Date;
  readonly windowId: bigint | null;
  readonly reason: string | null;
}

export interface NewPosting {
  readonly transferId: string;
  readonly accountId: string;
  readonly currency: string;
  /** Signed: negative debits, positive credits. */
  readonly amount: bigint;
  readonly windowId: bigint;
  readonly at: Date;
}

export interface PostingRecord extends NewPosting {
  readonly id: bigint;
}

export interface BankPositionKey {
  readonly bankId: string;
  readonly currency: string;
}

export interface BankPosition extends BankPositionKey {
  /** Net debit cap (positive number: how far below zero the bank may go); null: no cap. */
  readonly cap: bigint | null;
  readonly pending: bigint;
  /** Net position in the given window (credits minus debits towards other banks). */
  readonly net: bigint;
}

export interface LedgerBatchWrite {
  readonly windowId: bigint;
  readonly transfers: readonly NewLedgerTransfer[];
  readonly states: readonly NewTransferState[];
  readonly postings: readonly NewPosting[];
  readonly accounts: readonly { readonly id: string; readonly posted: bigint; readonly reserved: bigint }[];
  readonly positions: readonly { readonly bankId: string; readonly currency: string; readonly pending: bigint; readonly net: bigint }[];
}

export interface SettlementWindowRecord {
  readonly id: bigint;
  readonly openedAt: Date;
  readonly state: WindowState;
  readonly states: readonly { readonly state: WindowState; readonly at: Date }[];
}

export interface SettlementReportRecord {
  readonly windowId: bigint;
  readonly format: 'csv' | 'json';
  readonly body: Buffer;
  readonly signature: Buffer;
  readonly createdAt: Date;
}

export interface LedgerRepository {
  insertParticipant(p: LedgerParticipantRecord): Promise<void>;
  participant(id: string): Promise<LedgerParticipantRecord | undefined>;
  insertAccount(a: NewLedgerAccount): Promise<void>;
  account(id: string): Promise<LedgerAccountRecord | undefined>;
  /** Sets (or with null removes) a bank's net debit cap in one currency. */
  setNetDebitCap(bankId: string, currency: string, cap: bigint | null): Promise<void>;

  /** The open settlement window's id, without locking anything. */
  openWindowId(): Promise<bigint>;
  /** The open settlement window, locked against closing until the transaction ends. Call first in a batch. */
  lockOpenWindow(): Promise<bigint>;
  /** Accounts by id, locked until the transaction ends; missing ids are absent from the map. */
  lockAccounts(ids: readonly string[]): Promise<Map<string, LedgerAccountRecord>>;
  /** Bank positions (created at zero when new), locked; `windowId` selects which window's net is read. */
  lockBankPositions(keys: readonly BankPositionKey[], windowId: bigint): Promise<Map<string, BankPosition>>;
  transfers(ids: readonly string[]): Promise<Map<string, LedgerTransferRecord>>;
  /**
   * Of `ids` (not found when the batch read its transfers, before it locked the accounts), those another transaction
   * has stored since. Empty on SQLite, where the batch holds the write lock from lockOpenWindow on: none can come.
   */
  transfersSinceLock(ids: readonly string[]): Promise<Map<string, LedgerTransferRecord>>;
  /** Per original transfer: the total amount of linked transfers (refunds, reversals) that are not voided or expired. */
  linkedTotals(ids: readonly string[]): Promise<Map<string, bigint>>;
  /** Writes one batch's rows; every row of the batch or none (the caller's transaction). */
  writeBatch(batch: LedgerBatchWrite): Promise<void>;
  /** Reservations without a final state whose expiry is at or before `now`, oldest expiry first. */
  dueReservations(now: Date, limit: number): Promise<string[]>;
  postingsOf(transferId: string): Promise<PostingRecord[]>;
  /** Sum of all postings per currency, added up exactly (for checks and tests). */
  postingTotals(): Promise<Map<string, bigint>>;
  /** Every account with its balances (for checks and tests). */
  allAccounts(): Promise<LedgerAccountRecord[]>;

  /** Marks the open window closed and opens the next one; returns both ids. */
  closeOpenWindow(at: Date): Promise<{ closed: bigint; opened: bigint }>;
  window(id: bigint): Promise<SettlementWindowRecord | undefined>;
  /** UNIQUE_VIOLATION when the window already reached that state. */
  insertWindowState(windowId: bigint, state: WindowState, at: Date): Promise<void>;
  /** Net positions of every bank in a window, by bank then currency. */
  windowPositions(windowId: bigint): Promise<{ bankId: string; currency: string; net: bigint }[]>;
  insertReport(report: SettlementReportRecord): Promise<void>;
  report(windowId: bigint, format: 'csv' | 'json'): Promise<SettlementReportRecord | undefined>;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
// SQLite allows 32,766 bound values per statement; PostgreSQL 65,535. Chunks stay under both.
const MAX_BOUND = 30_000;
const MAX_IN = 5_000;

function amountToDb(value: bigint, what: string): string {
  if (typeof value !== 'bigint' || value > INT64_MAX || value < INT64_MIN) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} must be a 64-bit integer`);
  return value.toString();
}

function amountFromDb(value: unknown, what: string): bigint {
  if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is not a decimal integer`);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A column of a bulk insert and, for PostgreSQL, the type its JSON text is cast to. */
interface BulkColumn {
  readonly name: string;
  readonly pg: 'text' | 'bigint' | 'timestamptz' | 'boolean';
}

const BULK_ROWS = 10_000;

/**
 * Many rows in one statement whose only parameter is a JSON array of row arrays, unpacked by the database
 * (json_each on SQLite, json_array_elements on PostgreSQL). The statement text stays small and the same, so the
 * cost is the database's JSON parsing rather than preparing a statement with tens of thousands of parameters.
 */
async function bulkInsert(db: Db, table: string, columns: readonly BulkColumn[], rows: readonly (readonly Knex.Value[])[]): Promise<void> {
  if (rows.length === 0) return;
  const pg = db.codec.engine === 'postgres';
  const names = columns.map(() => '??').join(',');
  const values = pg
    ? columns.map((c, i) => `cast(r ->> ${i} as ${c.pg})`).join(', ')
    : columns.map((_c, i) => `r.value ->> ${i}`).join(', ');
  const from = pg ? 'json_array_elements(cast(? as json)) as r' : 'json_each(?) as r';
  const sql = `insert into ?? (${names}) select ${values} from ${from}`;
  for (const part of chunks(rows, BULK_ROWS)) {
    await run(db, db.knex.raw(sql, [table, ...columns.map((c) => c.name), JSON.stringify(part)]));
  }
}

/**
 * Sets `columns` of many rows keyed by `key` in one statement per chunk (WITH v AS (VALUES ...) UPDATE ... FROM v,
 * which PostgreSQL and SQLite 3.33+ both take): a batch touching a thousand accounts costs a few statements, not a
 * thousand round trips.
 */
async function bulkUpdate(db: Db, table: string, keys: readonly string[], columns: readonly string[], rows: readonly (readonly Knex.Value[])[]): Promise<void> {
  const all = [...keys, ...columns];
  const per = Math.max(1, Math.floor(MAX_BOUND / all.length));
  const tuple = `(${all.map(() => '?').join(',')})`;
  for (const part of chunks(rows, per)) {
    const sets = columns.map(() => '?? = v.??').join(', ');
    // PostgreSQL types VALUES columns as text from the bound strings; integer keys need a cast to compare.
    const where = keys.map((k) => (db.codec.engine === 'postgres' && k === 'window_id' ? '??.?? = cast(v.?? as bigint)' : '??.?? = v.??')).join(' and ');
    const sql = `with v (${all.map(() => '??').join(',')}) as (values ${part.map(() => tuple).join(',')}) update ?? set ${sets} from v where ${where}`;
    const bindings: Knex.Value[] = [...all, ...part.flat(), table, ...columns.flatMap((c) => [c, c]), ...keys.flatMap((k) => [table, k, k])];
    await run(db, db.knex.raw(sql, bindings));
  }
}

const positionKey = (bankId: string, currency: string): string => `${bankId}\u0000${currency}`;

interface AccountRow {
  id: string;
  participant_id: string;
  bank_id: string;
  currency: string;
  floor: string | null;
  posted: string;
  reserved: string;
  created_at: unknown;
}

interface TransferRow {
  id: string;
  payload_hash: string;
  kind: string;
  debit_account_id: string;
  credit_account_id: string;
  currency: string;
  amount: string;
  two_phase: unknown;
  expires_at: unknown;
  linked_transfer_id: string | null;
  reference: string | null;
  created_at: unknown;
  window_id: unknown;
}

interface StateRow {
  transfer_id: string;
  phase: string;
  state: string;
  at: unknown;
  window_id: unknown;
  reason: string | null;
}

function oneOf<T extends string>(list: readonly T[], value: string, what: string): T {
  if ((list as readonly string[]).includes(value)) return value as T;
  throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is not one of ${list.join(', ')}`);
}

export function ledgerRepository(db: Db): LedgerRepository {
  const { codec, knex } = db;
  const date = (value: Date, what: string): number | string => codec.dateToDb(value, what);
  const sqlite = codec.engine === 'sqlite';

  const accountFromRow = (r: AccountRow): LedgerAccountRecord => ({
    id: r.id,
    participantId: r.participant_id,
    bankId: r.bank_id,
    currency: r.currency,
    floor: r.floor === null ? null : amountFromDb(r.floor, 'ledger_accounts.floor'),
    posted: amountFromDb(r.posted, 'ledger_accounts.posted'),
    reserved: amountFromDb(r.reserved, 'ledger_accounts.reserved'),
    createdAt: codec.dateFromDb(r.created_at, 'ledger_accounts.created_at'),
  });

  const accountQuery = () =>
    knex('ledger_accounts as a')
      .join('ledger_participants as p', 'p.id', 'a.participant_id')
      .select<AccountRow[]>('a.id', 'a.participant_id', 'p.bank_id', 'a.currency', 'a.floor', 'a.posted', 'a.reserved', 'a.created_at');

  return {
    async insertParticipant(p) {
      await run(db, knex('ledger_participants').insert({ id: p.id, kind: p.kind, name: p.name, bank_id: p.bankId, created_at: date(p.createdAt, 'created_at') }));
    },

    async participant(id) {
      const r = await run(db, knex('ledger_participants').first<{ id: string; kind: string; name: string; bank_id: string; created_at: unknown } | undefined>('*').where({ id }));
      if (r === undefined) return undefined;
      return { id: r.id, kind: oneOf(PARTICIPANT_KINDS, r.kind, 'participant kind'), name: r.name, bankId: r.bank_id, createdAt: codec.dateFromDb(r.created_at, 'created_at') };
    },

    async insertAccount(a) {
      await run(
        db,
        knex('ledger_accounts').insert({
          id: a.id,
          participant_id: a.participantId,
          currency: a.currency,
          floor: a.floor === null ? null : amountToDb(a.floor, 'floor'),
          posted: '0',
          reserved: '0',
          created_at: date(a.createdAt, 'created_at'),
        }),
      );
    },

    async account(id) {
      const rows = await run(db, accountQuery().where('a.id', id));
      const row = rows[0];
      return row === undefined ? undefined : accountFromRow(row);
    },

    async setNetDebitCap(bankId, currency, cap) {
      if (cap === null) {
        await run(db, knex('ledger_net_debit_caps').where({ bank_id: bankId, currency }).delete());
        return;
      }
      await run(db, knex('ledger_net_debit_caps').insert({ bank_id: bankId, currency, cap: amountToDb(cap, 'cap') }).onConflict(['bank_id', 'currency']).merge({ cap: amountToDb(cap, 'cap') }));
    },

    async openWindowId() {
      const row = await run(db, knex('settlement_current').first<{ window_id: unknown } | undefined>('window_id').where({ id: 1 }));
      if (row === undefined) throw new StoreError('NOT_FOUND', 'no open settlement window: run the store migrations');
      return codec.integerFromDb(row.window_id, 'settlement_current.window_id');
    },

    async lockOpenWindow() {
      if (sqlite) {
        // A write first: the transaction holds SQLite's write lock from here on, so no other process can read
        // balances this batch is about to change.
        await run(db, knex('settlement_current').update({ window_id: knex.ref('window_id') }).where({ id: 1 }));
      }
      const query = knex('settlement_current').first<{ window_id: unknown } | undefined>('window_id').where({ id: 1 });
      const row = await run(db, sqlite ? query : query.forShare());
      if (row === undefined) throw new StoreError('NOT_FOUND', 'no open settlement window: run the store migrations');
      return codec.integerFromDb(row.window_id, 'settlement_current.window_id');
    },

    async lockAccounts(ids) {
      const sorted = [...new Set(ids)].sort();
      const out = new Map<string, LedgerAccountRecord>();
      for (const part of chunks(sorted, MAX_IN)) {
        const query = accountQuery().whereIn('a.id', part).orderBy('a.id');
        const rows = await run(db, sqlite ? query : query.forUpdate('a'));
        for (const r of rows) out.set(r.id, accountFromRow(r));
      }
      return out;
    },

    async lockBankPositions(keys, windowId) {
      const unique = new Map<string, BankPositionKey>();
      for (const k of keys) unique.set(positionKey(k.bankId, k.currency), k);
      const sorted = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, k]) => k);
      const out = new Map<string, BankPosition>();
      if (sorted.length === 0) return out;
      const win = codec.integerToDb(windowId, 'window id');
      for (const part of chunks(sorted, 1_000)) {
        await run(db, knex('ledger_bank_positions').insert(part.map((k) => ({ bank_id: k.bankId, currency: k.currency, pending: '0' }))).onConflict(['bank_id', 'currency']).ignore());
        await run(db, knex('settlement_positions').insert(part.map((k) => ({ window_id: win, bank_id: k.bankId, currency: k.currency, net: '0' }))).onConflict(['window_id', 'bank_id', 'currency']).ignore());
        // Row locks one key at a time in sorted order; a tuple IN list would not promise the lock order.
        for (const k of part) {
          const q = knex('ledger_bank_positions as b')
            .leftJoin('ledger_net_debit_caps as c', function on() {
              this.on('c.bank_id', 'b.bank_id').andOn('c.currency', 'b.currency');
            })
            .join('settlement_positions as s', function on() {
              this.on('s.bank_id', 'b.bank_id').andOn('s.currency', 'b.currency');
            })
            .where('s.window_id', win)
            .where({ 'b.bank_id': k.bankId, 'b.currency': k.currency })
            .first<{ pending: string; net: string; cap: string | null } | undefined>('b.pending', 's.net', 'c.cap');
          const row = await run(db, sqlite ? q : q.forUpdate('b'));
          if (row === undefined) throw new StoreError('NOT_FOUND', `bank position ${k.bankId}/${k.currency} vanished`);
          out.set(positionKey(k.bankId, k.currency), {
            bankId: k.bankId,
            currency: k.currency,
            cap: row.cap === null || row.cap === undefined ? null : amountFromDb(row.cap, 'cap'),
            pending: amountFromDb(row.pending, 'pending'),
            net: amountFromDb(row.net, 'net'),
          });
        }
      }
      return out;
    },

    async transfersSinceLock(ids) {
      return sqlite || ids.length === 0 ? new Map() : this.transfers(ids);
    },

    async transfers(ids) {
      const out = new Map<string, LedgerTransferRecord>();
      const unique = [...new Set(ids)];
      for (const part of chunks(unique, MAX_IN)) {
        const rows = await run(db, knex('ledger_transfers').select<TransferRow[]>('*').whereIn('id', part));
        if (rows.length === 0) continue;
        const states = await run(db, knex('ledger_transfer_states').select<StateRow[]>('*').whereIn('transfer_id', rows.map((r) => r.id)));
        const latest = new Map<string, StateRow>();
        for (const s of states) {
          const seen = latest.get(s.transfer_id);
          if (seen === undefined || s.phase === 'final') latest.set(s.transfer_id, s);
        }
        for (const r of rows) {
          const s = latest.get(r.id);
          const twoPhase = r.two_phase === true || r.two_phase === 1;
          if (s === undefined && twoPhase) throw new StoreError('NOT_FOUND', `transfer ${r.id} has no state`);
          const createdAt = codec.dateFromDb(r.created_at, 'created_at');
          const windowOf = (value: unknown): bigint | null => (value === null || value === undefined ? null : codec.integerFromDb(value, 'window_id'));
          out.set(r.id, {
            id: r.id,
            payloadHash: r.payload_hash,
            kind: oneOf(TRANSFER_KINDS, r.kind, 'transfer kind'),
            debitAccountId: r.debit_account_id,
            creditAccountId: r.credit_account_id,
            currency: r.currency,
            amount: amountFromDb(r.amount, 'ledger_transfers.amount'),
            twoPhase,
            expiresAt: r.expires_at === null || r.expires_at === undefined ? null : codec.dateFromDb(r.expires_at, 'expires_at'),
            linkedTransferId: r.linked_transfer_id,
            reference: r.reference,
            createdAt,
            state: s === undefined ? 'committed' : oneOf(TRANSFER_STATES, s.state, 'transfer state'),
            stateAt: s === undefined ? createdAt : codec.dateFromDb(s.at, 'state at'),
            reason: s === undefined ? null : s.reason,
            windowId: s === undefined ? windowOf(r.window_id) : windowOf(s.window_id),
          });
        }
      }
      return out;
    },

    async linkedTotals(ids) {
      const out = new Map<string, bigint>();
      for (const part of chunks([...new Set(ids)], MAX_IN)) {
        const rows = await run(
          db,
          knex('ledger_transfers as t')
            .leftJoin('ledger_transfer_states as f', function on() {
              this.on('f.transfer_id', 't.id').andOn('f.phase', knex.raw('?', ['final']));
            })
            .whereIn('t.linked_transfer_id', part)
            .where((w) => w.whereNull('f.state').orWhere('f.state', 'committed'))
            .select<{ linked_transfer_id: string; amount: string }[]>('t.linked_transfer_id', 't.amount'),
        );
        for (const r of rows) out.set(r.linked_transfer_id, (out.get(r.linked_transfer_id) ?? 0n) + amountFromDb(r.amount, 'amount'));
      }
      return out;
    },

    async writeBatch(b) {
      const win = codec.integerToDb(b.windowId, 'window id');
      const ts: BulkColumn['pg'] = 'timestamptz';
      await bulkInsert(
        db,
        'ledger_transfers',
        [
          { name: 'id', pg: 'text' },
          { name: 'payload_hash', pg: 'text' },
          { name: 'kind', pg: 'text' },
          { name: 'debit_account_id', pg: 'text' },
          { name: 'credit_account_id', pg: 'text' },
          { name: 'currency', pg: 'text' },
          { name: 'amount', pg: 'text' },
          { name: 'two_phase', pg: 'boolean' },
          { name: 'expires_at', pg: ts },
          { name: 'linked_transfer_id', pg: 'text' },
          { name: 'reference', pg: 'text' },
          { name: 'created_at', pg: ts },
          { name: 'window_id', pg: 'bigint' },
        ],
        b.transfers.map((t) => [
          t.id,
          t.payloadHash,
          t.kind,
          t.debitAccountId,
          t.creditAccountId,
          t.currency,
          amountToDb(t.amount, 'amount'),
          t.twoPhase,
          t.expiresAt === null ? null : date(t.expiresAt, 'expires_at'),
          t.linkedTransferId,
          t.reference,
          date(t.createdAt, 'created_at'),
          t.windowId === null ? null : codec.integerToDb(t.windowId, 'window id'),
        ]),
      );
      await bulkInsert(
        db,
        'ledger_transfer_states',
        [
          { name: 'transfer_id', pg: 'text' },
          { name: 'phase', pg: 'text' },
          { name: 'state', pg: 'text' },
          { name: 'at', pg: ts },
          { name: 'window_id', pg: 'bigint' },
          { name: 'reason', pg: 'text' },
        ],
        b.states.map((s) => [s.transferId, s.phase, s.state, date(s.at, 'at'), s.windowId === null ? null : codec.integerToDb(s.windowId, 'window id'), s.reason]),
      );
      await bulkInsert(
        db,
        'ledger_postings',
        [
          { name: 'transfer_id', pg: 'text' },
          { name: 'account_id', pg: 'text' },
          { name: 'currency', pg: 'text' },
          { name: 'amount', pg: 'text' },
          { name: 'window_id', pg: 'bigint' },
          { name: 'at', pg: ts },
        ],
        b.postings.map((p) => [p.transferId, p.accountId, p.currency, amountToDb(p.amount, 'posting amount'), codec.integerToDb(p.windowId, 'window id'), date(p.at, 'at')]),
      );
      await bulkUpdate(db, 'ledger_accounts', ['id'], ['posted', 'reserved'], b.accounts.map((a) => [a.id, amountToDb(a.posted, 'posted'), amountToDb(a.reserved, 'reserved')]));
      await bulkUpdate(db, 'ledger_bank_positions', ['bank_id', 'currency'], ['pending'], b.positions.map((p) => [p.bankId, p.currency, amountToDb(p.pending, 'pending')]));
      await bulkUpdate(db, 'settlement_positions', ['window_id', 'bank_id', 'currency'], ['net'], b.positions.map((p) => [win, p.bankId, p.currency, amountToDb(p.net, 'net')]));
    },

    async dueReservations(now, limit) {
      const rows = await run(
        db,
        knex('ledger_transfers as t')
          .leftJoin('ledger_transfer_states as f', function on() {
            this.on('f.transfer_id', 't.id').andOn('f.phase', knex.raw('?', ['final']));
          })
          .whereNotNull('t.expires_at')
          .where('t.expires_at', '<=', date(now, 'now'))
          .whereNull('f.state')
          .orderBy('t.expires_at')
          .orderBy('t.id')
          .limit(Math.max(1, Math.min(limit, MAX_IN)))
          .select<{ id: string }[]>('t.id'),
      );
      return rows.map((r) => r.id);
    },

    async postingsOf(transferId) {
      const rows = await run(db, knex('ledger_postings').select<{ id: unknown; transfer_id: string; account_id: string; currency: string; amount: string; window_id: unknown; at: unknown }[]>('*').where({ transfer_id: transferId }).orderBy('id'));
      return rows.map((r) => ({
        id: codec.integerFromDb(r.id, 'posting id'),
        transferId: r.transfer_id,
        accountId: r.account_id,
        currency: r.currency,
        amount: amountFromDb(r.amount, 'posting amount'),
        windowId: codec.integerFromDb(r.window_id, 'window id'),
        at: codec.dateFromDb(r.at, 'at'),
      }));
    },

    async postingTotals() {
      const totals = new Map<string, bigint>();
      let after = 0;
      for (;;) {
        const rows = await run(db, knex('ledger_postings').select<{ id: unknown; currency: string; amount: string }[]>('id', 'currency', 'amount').where('id', '>', after).orderBy('id').limit(10_000));
        if (rows.length === 0) return totals;
        for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0n) + amountFromDb(r.amount, 'posting amount'));
        after = Number(rows[rows.length - 1]?.id);
      }
    },

    async allAccounts() {
      return (await run(db, accountQuery().orderBy('a.id'))).map(accountFromRow);
    },

    async closeOpenWindow(at) {
      const query = knex('settlement_current').first<{ window_id: unknown } | undefined>('window_id').where({ id: 1 });
      if (sqlite) await run(db, knex('settlement_current').update({ window_id: knex.ref('window_id') }).where({ id: 1 }));
      const row = await run(db, sqlite ? query : query.forUpdate());
      if (row === undefined) throw new StoreError('NOT_FOUND', 'no open settlement window: run the store migrations');
      const closed = codec.integerFromDb(row.window_id, 'window id');
      const opened = closed + 1n;
      const when = date(at, 'at');
      await run(db, knex('settlement_window_states').insert({ window_id: codec.integerToDb(closed, 'window id'), state: 'closed', at: when }));
      await run(db, knex('settlement_windows').insert({ id: codec.integerToDb(opened, 'window id'), opened_at: when }));
      await run(db, knex('settlement_window_states').insert({ window_id: codec.integerToDb(opened, 'window id'), state: 'open', at: when }));
      await run(db, knex('settlement_current').update({ window_id: codec.integerToDb(opened, 'window id') }).where({ id: 1 }));
      return { closed, opened };
    },

    async window(id) {
      const w = await run(db, knex('settlement_windows').first<{ id: unknown; opened_at: unknown } | undefined>('id', 'opened_at').where({ id: codec.integerToDb(id, 'window id') }));
      if (w === undefined) return undefined;
      const rows = await run(db, knex('settlement_window_states').select<{ state: string; at: unknown }[]>('state', 'at').where({ window_id: codec.integerToDb(id, 'window id') }));
      const states = rows
        .map((r) => ({ state: oneOf(WINDOW_STATES, r.state, 'window state'), at: codec.dateFromDb(r.at, 'at') }))
        .sort((a, b) => WINDOW_STATES.indexOf(a.state) - WINDOW_STATES.indexOf(b.state));
      const last = states[states.length - 1];
      return { id, openedAt: codec.dateFromDb(w.opened_at, 'opened_at'), state: last?.state ?? 'open', states };
    },

    async insertWindowState(windowId, state, at) {
      await run(db, knex('settlement_window_states').insert({ window_id: codec.integerToDb(windowId, 'window id'), state, at: date(at, 'at') }));
    },

    async windowPositions(windowId) {
      const rows = await run(
        db,
        knex('settlement_positions').select<{ bank_id: string; currency: string; net: string }[]>('bank_id', 'currency', 'net').where({ window_id: codec.integerToDb(windowId, 'window id') }).orderBy(['bank_id', 'currency']),
      );
      return rows.map((r) => ({ bankId: r.bank_id, currency: r.currency, net: amountFromDb(r.net, 'net') }));
    },

    async insertReport(r) {
      await run(db, knex('settlement_reports').insert({ window_id: codec.integerToDb(r.windowId, 'window id'), format: r.format, body: r.body, signature: r.signature, created_at: date(r.createdAt, 'created_at') }));
    },

    async report(windowId, format) {
      const r = await run(db, knex('settlement_reports').first<{ body: Buffer; signature: Buffer; created_at: unknown } | undefined>('body', 'signature', 'created_at').where({ window_id: codec.integerToDb(windowId, 'window id'), format }));
      if (r === undefined) return undefined;
      return { windowId, format, body: Buffer.from(r.body), signature: Buffer.from(r.signature), createdAt: codec.dateFromDb(r.created_at, 'created_at') };
    },
  };
}

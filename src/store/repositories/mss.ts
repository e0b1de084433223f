import { StoreError, isStoreError } from '../errors';
import { run, write, type Db } from './db';

/** The AP registry and signature transactions of the TS 102 204 service (migration 0020). */

export const AP_STATUSES = ['active', 'disabled'] as const;
export type ApStatus = (typeof AP_STATUSES)[number];
/** What an AP may do besides MSS_Signature and its queries (migration 0022). */
export const AP_PERMISSIONS = ['registration'] as const;
export type ApPermission = (typeof AP_PERMISSIONS)[number];

export interface ApRecord {
  readonly apId: string;
  readonly passwordHash: string;
  readonly tlsFingerprint: string | null;
  readonly ipAllow: readonly string[];
  readonly profiles: readonly string[];
  readonly formats: readonly string[];
  readonly notificationUrl: string | null;
  readonly ratePerSecond: number;
  readonly permissions: readonly ApPermission[];
  readonly status: ApStatus;
  readonly createdAt: Date;
}
export type NewAp = Omit<ApRecord, 'createdAt' | 'status' | 'permissions'> & { readonly status?: ApStatus; readonly permissions?: readonly ApPermission[] };

export const TRANSACTION_STATES = ['outstanding', 'completed', 'failed', 'expired'] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

export interface MssTransactionRecord {
  readonly msspTransId: string;
  readonly apId: string;
  readonly apTransId: string;
  readonly msisdn: string;
  readonly messagingMode: string;
  readonly state: TransactionState;
  readonly statusCode: number | null;
  /** base64 */
  readonly signature: string | null;
  readonly signatureProfile: string | null;
  /** JSON of the request as validated. */
  readonly request: string;
  readonly deadlineAt: Date;
  readonly createdAt: Date;
  readonly endedAt: Date | null;
  readonly notifiedAt: Date | null;
  readonly notifyAttempts: number;
}
export type NewMssTransaction = Pick<MssTransactionRecord, 'msspTransId' | 'apId' | 'apTransId' | 'msisdn' | 'messagingMode' | 'request' | 'deadlineAt'> & {
  readonly signatureProfile?: string | null;
};
export interface TransactionOutcome {
  readonly state: Exclude<TransactionState, 'outstanding'>;
  readonly statusCode: number;
  readonly signature?: string | null;
}

export interface MssRepository {
  insertAp(ap: NewAp): Promise<ApRecord>;
  findAp(apId: string): Promise<ApRecord | undefined>;
  listAps(): Promise<ApRecord[]>;
  /** True when the AP existed. */
  setApStatus(apId: string, status: ApStatus): Promise<boolean>;
  /** Records an AP_TransID; false when this AP has used it before (a replay). */
  claimApTransId(apId: string, apTransId: string, at?: Date): Promise<boolean>;
  insertTransaction(t: NewMssTransaction): Promise<MssTransactionRecord>;
  findTransaction(msspTransId: string): Promise<MssTransactionRecord | undefined>;
  /**
   * Ends an outstanding transaction. Returns false when it had already ended (a late handset answer after
   * expiry, or a second node finishing it): the first outcome stands.
   */
  endTransaction(msspTransId: string, outcome: TransactionOutcome, at?: Date): Promise<boolean>;
  /** endTransaction that answers with the transaction as it now stands (one statement); undefined when it had already ended. */
  endTransactionReturning(msspTransId: string, outcome: TransactionOutcome, at?: Date): Promise<MssTransactionRecord | undefined>;
  /** Outstanding transactions whose deadline has passed, oldest first. */
  listOverdue(now: Date, limit: number): Promise<MssTransactionRecord[]>;
  recordNotification(msspTransId: string, delivered: boolean, at?: Date): Promise<void>;
  /** How many transactions an AP has (all APs when omitted). */
  countTransactions(apId?: string): Promise<number>;
}

interface ApRow {
  ap_id: string;
  password_hash: string;
  tls_fingerprint: string | null;
  ip_allow: string;
  profiles: string;
  formats: string;
  notification_url: string | null;
  rate_per_second: unknown;
  permissions: string;
  status: string;
  created_at: unknown;
}

interface TxRow {
  mssp_trans_id: string;
  ap_id: string;
  ap_trans_id: string;
  msisdn: string;
  messaging_mode: string;
  state: string;
  status_code: unknown;
  signature: string | null;
  signature_profile: string | null;
  request: string;
  deadline_at: unknown;
  created_at: unknown;
  ended_at: unknown;
  notified_at: unknown;
  notify_attempts: unknown;
}

function stringList(json: string, what: string): string[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((v): v is string => typeof v === 'string')) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} is not a list of strings`);
  return parsed;
}

function text(value: string, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} must be 1 to ${max} characters`);
  return value;
}

const isApStatus = (v: string): v is ApStatus => (AP_STATUSES as readonly string[]).includes(v);
const isApPermission = (v: string): v is ApPermission => (AP_PERMISSIONS as readonly string[]).includes(v);

function permissionList(json: string, apId: string): ApPermission[] {
  const list = stringList(json, 'mss_aps.permissions');
  const unknown = list.find((p) => !isApPermission(p));
  if (unknown !== undefined) throw new StoreError('VALUE_OUT_OF_RANGE', `AP ${apId} has an unknown permission ${unknown}`);
  return list as ApPermission[];
}
const isState = (v: string): v is TransactionState => (TRANSACTION_STATES as readonly string[]).includes(v);

export function mssRepository(db: Db): MssRepository {
  const { codec, knex } = db;
  const date = (v: unknown, what: string): Date => codec.dateFromDb(v, what);
  const maybeDate = (v: unknown, what: string): Date | null => (v === null || v === undefined ? null : codec.dateFromDb(v, what));

  const apFromRow = (row: ApRow): ApRecord => {
    if (!isApStatus(row.status)) throw new StoreError('VALUE_OUT_OF_RANGE', `AP ${row.ap_id} has an unknown status ${row.status}`);
    return {
      apId: row.ap_id,
      passwordHash: row.password_hash,
      tlsFingerprint: row.tls_fingerprint,
      ipAllow: stringList(row.ip_allow, 'mss_aps.ip_allow'),
      profiles: stringList(row.profiles, 'mss_aps.profiles'),
      formats: stringList(row.formats, 'mss_aps.formats'),
      notificationUrl: row.notification_url,
      ratePerSecond: Number(codec.integerFromDb(row.rate_per_second, 'mss_aps.rate_per_second')),
      permissions: permissionList(row.permissions, row.ap_id),
      status: row.status,
      createdAt: date(row.created_at, 'mss_aps.created_at'),
    };
  };

  const txFromRow = (row: TxRow): MssTransactionRecord => {
    if (!isState(row.state)) throw new StoreError('VALUE_OUT_OF_RANGE', `transaction ${row.mssp_trans_id} has an unknown state ${row.state}`);
    return {
      msspTransId: row.mssp_trans_id,
      apId: row.ap_id,
      apTransId: row.ap_trans_id,
      msisdn: row.msisdn,
      messagingMode: row.messaging_mode,
      state: row.state,
      statusCode: row.status_code === null || row.status_code === undefined ? null : Number(codec.integerFromDb(row.status_code, 'mss_transactions.status_code')),
      signature: row.signature,
      signatureProfile: row.signature_profile,
      request: row.request,
      deadlineAt: date(row.deadline_at, 'mss_transactions.deadline_at'),
      createdAt: date(row.created_at, 'mss_transactions.created_at'),
      endedAt: maybeDate(row.ended_at, 'mss_transactions.ended_at'),
      notifiedAt: maybeDate(row.notified_at, 'mss_transactions.notified_at'),
      notifyAttempts: Number(codec.integerFromDb(row.notify_attempts, 'mss_transactions.notify_attempts')),
    };
  };

  const endUpdate = (outcome: TransactionOutcome, at: Date) => ({
    state: outcome.state,
    status_code: outcome.statusCode,
    signature: outcome.signature ?? null,
    ended_at: codec.dateToDb(at, 'mss_transactions.ended_at'),
  });
  const findAp = async (apId: string): Promise<ApRecord | undefined> => {
    const row = await run(db, knex('mss_aps').first<ApRow | undefined>('*').where({ ap_id: apId }));
    return row === undefined ? undefined : apFromRow(row);
  };
  const findTransaction = async (id: string): Promise<MssTransactionRecord | undefined> => {
    const row = await run(db, knex('mss_transactions').first<TxRow | undefined>('*').where({ mssp_trans_id: id }));
    return row === undefined ? undefined : txFromRow(row);
  };

  return {
    async insertAp(ap) {
      const createdAt = new Date();
      const status = ap.status ?? 'active';
      const permissions = [...new Set(ap.permissions ?? [])];
      for (const p of permissions) if (!isApPermission(p)) throw new StoreError('VALUE_OUT_OF_RANGE', `unknown AP permission ${String(p)}`);
      if (!Number.isInteger(ap.ratePerSecond) || ap.ratePerSecond < 1) throw new StoreError('VALUE_OUT_OF_RANGE', 'rate limit must be a positive integer');
      await run(
        db,
        knex('mss_aps').insert({
          ap_id: text(ap.apId, 'AP_ID', 255),
          password_hash: text(ap.passwordHash, 'password hash', 255),
          tls_fingerprint: ap.tlsFingerprint,
          ip_allow: JSON.stringify(ap.ipAllow),
          profiles: JSON.stringify(ap.profiles),
          formats: JSON.stringify(ap.formats),
          notification_url: ap.notificationUrl,
          rate_per_second: ap.ratePerSecond,
          permissions: JSON.stringify(permissions),
          status,
          created_at: codec.dateToDb(createdAt, 'mss_aps.created_at'),
        }),
      );
      return { ...ap, permissions, status, createdAt };
    },
    findAp,
    async listAps() {
      return (await run(db, knex('mss_aps').select<ApRow[]>('*').orderBy('ap_id'))).map(apFromRow);
    },
    async setApStatus(apId, status) {
      const count = await run(db, knex('mss_aps').where({ ap_id: apId }).update({ status }));
      return Number(count) > 0;
    },
    async claimApTransId(apId, apTransId, at = new Date()) {
      try {
        const row = { ap_id: apId, ap_trans_id: text(apTransId, 'AP_TransID', 256), received_at: codec.dateToDb(at, 'mss_ap_trans_ids.received_at') };
        await write(db, (k) => k('mss_ap_trans_ids').insert(row));
        return true;
      } catch (err) {
        if (isStoreError(err, 'UNIQUE_VIOLATION')) return false;
        throw err;
      }
    },
    async insertTransaction(t) {
      const createdAt = new Date();
      const row = {
        mssp_trans_id: text(t.msspTransId, 'MSSP_TransID', 64),
        ap_id: t.apId,
        ap_trans_id: t.apTransId,
        msisdn: text(t.msisdn, 'MSISDN', 16),
        messaging_mode: t.messagingMode,
        state: 'outstanding' as const,
        request: t.request,
        signature_profile: t.signatureProfile ?? null,
        deadline_at: codec.dateToDb(t.deadlineAt, 'mss_transactions.deadline_at'),
        created_at: codec.dateToDb(createdAt, 'mss_transactions.created_at'),
        notify_attempts: 0,
      };
      await write(db, (k) => k('mss_transactions').insert(row));
      // The record as stored, decoded from the very values written: reading it back cost a query per signature.
      return txFromRow({ ...row, status_code: null, signature: null, ended_at: null, notified_at: null });
    },
    findTransaction,
    async endTransaction(id, outcome, at = new Date()) {
      const update = endUpdate(outcome, at);
      const count = await write(db, (k) => k('mss_transactions').where({ mssp_trans_id: id, state: 'outstanding' }).update(update));
      return Number(count) > 0;
    },
    async endTransactionReturning(id, outcome, at = new Date()) {
      const update = endUpdate(outcome, at);
      const rows = await write(db, (k) => k('mss_transactions').where({ mssp_trans_id: id, state: 'outstanding' }).update(update).returning<TxRow[]>('*'));
      const row = rows[0];
      return row === undefined ? undefined : txFromRow(row);
    },
    async listOverdue(now, limit) {
      const rows = await run(
        db,
        knex('mss_transactions').select<TxRow[]>('*').where({ state: 'outstanding' }).andWhere('deadline_at', '<', codec.dateToDb(now, 'now')).orderBy('deadline_at').limit(limit),
      );
      return rows.map(txFromRow);
    },
    async countTransactions(apId) {
      const query = knex('mss_transactions').count<{ n: unknown }[]>({ n: '*' });
      if (apId !== undefined) void query.where({ ap_id: apId });
      const rows = await run(db, query);
      return Number(rows[0]?.n ?? 0);
    },
    async recordNotification(id, delivered, at = new Date()) {
      const update = delivered ? { notified_at: codec.dateToDb(at, 'mss_transactions.notified_at') } : {};
      await run(db, knex('mss_transactions').where({ mssp_trans_id: id }).update(update).increment('notify_attempts', 1));
    },
  };
}

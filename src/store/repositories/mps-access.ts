import { run, type Db } from './db';

/**
 * Who may use the MPS REST API and the settings it needs (src/mps/access decides what they mean): API keys,
 * merchants, payers' accounts by phone number, amount caps by security level, remembered Idempotency-Key answers.
 */

export const API_ROLES = ['merchant', 'psp', 'bank'] as const;
export type ApiRole = (typeof API_ROLES)[number];

export interface ApiKeyRecord {
  readonly id: string;
  /** `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>` */
  readonly secretHash: string;
  readonly participantId: string;
  readonly role: ApiRole;
  /** SHA-256 (hex) of the TLS client certificate the key must come with; null when mutual TLS is not required. */
  readonly tlsFingerprint: string | null;
  readonly label: string | null;
  readonly createdAt: Date;
}

export interface MerchantRecord {
  readonly participantId: string;
  /** The account offers are paid into. */
  readonly accountId: string;
  readonly webhookUrl: string | null;
  /** The payment service provider that may redeem one-time tickets into offers for this merchant. */
  readonly pspId: string | null;
  readonly createdAt: Date;
}

export interface PayerRecord {
  readonly msisdn: string;
  readonly currency: string;
  readonly accountId: string;
}

export interface LevelLimitRecord {
  readonly merchantId: string;
  readonly level: number;
  readonly currency: string;
  readonly maxAmount: bigint;
}

export interface IdempotentAnswer {
  readonly keyId: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly httpStatus: number;
  readonly body: string;
  readonly createdAt: Date;
}

export interface MpsAccessRepository {
  /** The ledger's participants, for the operator's listing. */
  listParticipants(): Promise<{ id: string; kind: string; name: string; bankId: string }[]>;
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  apiKey(id: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Adds the merchant or replaces its settings. */
  putMerchant(merchant: MerchantRecord): Promise<void>;
  merchant(participantId: string): Promise<MerchantRecord | undefined>;
  listMerchants(): Promise<MerchantRecord[]>;
  putPayer(payer: PayerRecord): Promise<void>;
  payer(msisdn: string, currency: string): Promise<PayerRecord | undefined>;
  putLevelLimit(limit: LevelLimitRecord): Promise<void>;
  levelLimit(merchantId: string, level: number, currency: string): Promise<LevelLimitRecord | undefined>;
  levelLimits(merchantId: string): Promise<LevelLimitRecord[]>;
  /** UNIQUE_VIOLATION when an answer for (keyId, idempotencyKey) exists. */
  insertAnswer(answer: IdempotentAnswer): Promise<void>;
  answer(keyId: string, idempotencyKey: string): Promise<IdempotentAnswer | undefined>;
}

interface KeyRow {
  id: string;
  secret_hash: string;
  participant_id: string;
  role: string;
  tls_fingerprint: string | null;
  label: string | null;
  created_at: unknown;
}
interface MerchantRow {
  participant_id: string;
  account_id: string;
  webhook_url: string | null;
  psp_id: string | null;
  created_at: unknown;
}
interface LimitRow {
  merchant_id: string;
  level: number | string;
  currency: string;
  max_amount: string;
}
interface AnswerRow {
  key_id: string;
  idempotency_key: string;
  request_hash: string;
  http_status: number | string;
  body: string;
  created_at: unknown;
}

function role(value: string): ApiRole {
  if (!(API_ROLES as readonly string[]).includes(value)) throw new Error(`stored API key role ${value} is not one of ${API_ROLES.join(', ')}`);
  return value as ApiRole;
}

export function mpsAccessRepository(db: Db): MpsAccessRepository {
  const { codec, knex } = db;
  const keyFromRow = (r: KeyRow): ApiKeyRecord => ({
    id: r.id,
    secretHash: r.secret_hash,
    participantId: r.participant_id,
    role: role(r.role),
    tlsFingerprint: r.tls_fingerprint,
    label: r.label,
    createdAt: codec.dateFromDb(r.created_at, 'created_at'),
  });
  const merchantFromRow = (r: MerchantRow): MerchantRecord => ({
    participantId: r.participant_id,
    accountId: r.account_id,
    webhookUrl: r.webhook_url,
    pspId: r.psp_id,
    createdAt: codec.dateFromDb(r.created_at, 'created_at'),
  });
  const limitFromRow = (r: LimitRow): LevelLimitRecord => ({ merchantId: r.merchant_id, level: Number(r.level), currency: r.currency, maxAmount: BigInt(r.max_amount) });
  return {
    async listParticipants() {
      const rows = await run(db, knex('ledger_participants').select<{ id: string; kind: string; name: string; bank_id: string }[]>('id', 'kind', 'name', 'bank_id').orderBy('id'));
      return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, bankId: r.bank_id }));
    },
    async insertApiKey(k) {
      await run(
        db,
        knex('mps_api_keys').insert({
          id: k.id,
          secret_hash: k.secretHash,
          participant_id: k.participantId,
          role: k.role,
          tls_fingerprint: k.tlsFingerprint,
          label: k.label,
          created_at: codec.dateToDb(k.createdAt, 'created_at'),
        }),
      );
    },
    async apiKey(id) {
      const row = await run(db, knex('mps_api_keys').first<KeyRow | undefined>('*').where({ id }));
      return row === undefined ? undefined : keyFromRow(row);
    },
    async listApiKeys() {
      return (await run(db, knex('mps_api_keys').select<KeyRow[]>('*').orderBy('created_at'))).map(keyFromRow);
    },
    async putMerchant(m) {
      const row = { participant_id: m.participantId, account_id: m.accountId, webhook_url: m.webhookUrl, psp_id: m.pspId, created_at: codec.dateToDb(m.createdAt, 'created_at') };
      await run(db, knex('mps_merchants').insert(row).onConflict('participant_id').merge(['account_id', 'webhook_url', 'psp_id']));
    },
    async merchant(participantId) {
      const row = await run(db, knex('mps_merchants').first<MerchantRow | undefined>('*').where({ participant_id: participantId }));
      return row === undefined ? undefined : merchantFromRow(row);
    },
    async listMerchants() {
      return (await run(db, knex('mps_merchants').select<MerchantRow[]>('*').orderBy('participant_id'))).map(merchantFromRow);
    },
    async putPayer(p) {
      await run(db, knex('mps_payers').insert({ msisdn: p.msisdn, currency: p.currency, account_id: p.accountId }).onConflict(['msisdn', 'currency']).merge(['account_id']));
    },
    async payer(msisdn, currency) {
      const row = await run(db, knex('mps_payers').first<{ msisdn: string; currency: string; account_id: string } | undefined>('*').where({ msisdn, currency }));
      return row === undefined ? undefined : { msisdn: row.msisdn, currency: row.currency, accountId: row.account_id };
    },
    async putLevelLimit(l) {
      await run(
        db,
        knex('mps_level_limits')
          .insert({ merchant_id: l.merchantId, level: l.level, currency: l.currency, max_amount: l.maxAmount.toString() })
          .onConflict(['merchant_id', 'level', 'currency'])
          .merge(['max_amount']),
      );
    },
    async levelLimit(merchantId, level, currency) {
      const row = await run(db, knex('mps_level_limits').first<LimitRow | undefined>('*').where({ merchant_id: merchantId, level, currency }));
      return row === undefined ? undefined : limitFromRow(row);
    },
    async levelLimits(merchantId) {
      return (await run(db, knex('mps_level_limits').select<LimitRow[]>('*').where({ merchant_id: merchantId }).orderBy(['level', 'currency']))).map(limitFromRow);
    },
    async insertAnswer(a) {
      await run(
        db,
        knex('mps_idempotency').insert({
          key_id: a.keyId,
          idempotency_key: a.idempotencyKey,
          request_hash: a.requestHash,
          http_status: a.httpStatus,
          body: a.body,
          created_at: codec.dateToDb(a.createdAt, 'created_at'),
        }),
      );
    },
    async answer(keyId, idempotencyKey) {
      const r = await run(db, knex('mps_idempotency').first<AnswerRow | undefined>('*').where({ key_id: keyId, idempotency_key: idempotencyKey }));
      return r === undefined
        ? undefined
        : { keyId: r.key_id, idempotencyKey: r.idempotency_key, requestHash: r.request_hash, httpStatus: Number(r.http_status), body: r.body, createdAt: codec.dateFromDb(r.created_at, 'created_at') };
    },
  };
}

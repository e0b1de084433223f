import { StoreError } from '../errors';
import { run, type Db } from './db';

export const KEY_ALGORITHMS = ['RSA-2048', 'RSA-3072', 'P-256', 'P-384', 'AES-256'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** A key the platform made in the HSM. The key itself stays in the token; this is the inventory. */
export interface KeyRecord {
  readonly label: string;
  /** CKA_ID as lower-case hex. */
  readonly pkcs11Id: string;
  readonly algorithm: KeyAlgorithm;
  /** What the key is for, e.g. 'ca-root', 'audit', 'ocsp', 'system'. */
  readonly purpose: string;
  readonly tokenLabel: string;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
}

export interface NewKey {
  readonly label: string;
  /** CKA_ID as hex, either case; stored lower-case. */
  readonly pkcs11Id: string;
  readonly algorithm: KeyAlgorithm;
  readonly purpose: string;
  readonly tokenLabel: string;
  /** Defaults to now. */
  readonly createdAt?: Date;
}

export interface KeyListFilter {
  readonly purpose?: string;
  /** Leave out retired keys. */
  readonly activeOnly?: boolean;
}

export interface KeysRepository {
  /** UNIQUE_VIOLATION when the label, or the token and id pair, is already recorded. */
  add(key: NewKey): Promise<KeyRecord>;
  findByLabel(label: string): Promise<KeyRecord | undefined>;
  /** Oldest first. */
  list(filter?: KeyListFilter): Promise<KeyRecord[]>;
  /** Marks the key retired (NOT_FOUND if there is none); retiring a retired key keeps its first retirement time. */
  retire(label: string, at?: Date): Promise<KeyRecord>;
}

interface KeyRow {
  label: string;
  pkcs11_id: string;
  algorithm: string;
  purpose: string;
  token_label: string;
  created_at: unknown;
  retired_at: unknown;
}

const COLUMNS = ['label', 'pkcs11_id', 'algorithm', 'purpose', 'token_label', 'created_at', 'retired_at'] as const;
const HEX = /^(?:[0-9a-f]{2})+$/;

function isAlgorithm(value: string): value is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

function text(value: string, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new StoreError('VALUE_OUT_OF_RANGE', `${what} must be 1 to ${max} characters`);
  }
  return value;
}

export function keysRepository(db: Db): KeysRepository {
  const { codec } = db;
  const table = () => db.knex('keys');

  const fromRow = (row: KeyRow): KeyRecord => {
    if (!isAlgorithm(row.algorithm)) throw new StoreError('VALUE_OUT_OF_RANGE', `key ${row.label} has an unknown algorithm ${row.algorithm}`);
    return {
      label: row.label,
      pkcs11Id: row.pkcs11_id,
      algorithm: row.algorithm,
      purpose: row.purpose,
      tokenLabel: row.token_label,
      createdAt: codec.dateFromDb(row.created_at, 'keys.created_at'),
      retiredAt: row.retired_at === null || row.retired_at === undefined ? null : codec.dateFromDb(row.retired_at, 'keys.retired_at'),
    };
  };

  const findByLabel = async (label: string): Promise<KeyRecord | undefined> => {
    const row = await run(db, table().first<KeyRow | undefined>(...COLUMNS).where({ label }));
    return row === undefined ? undefined : fromRow(row);
  };

  return {
    async add(key) {
      const pkcs11Id = typeof key.pkcs11Id === 'string' ? key.pkcs11Id.toLowerCase() : '';
      if (!HEX.test(pkcs11Id) || pkcs11Id.length > 255) throw new StoreError('VALUE_OUT_OF_RANGE', `key ${key.label}: pkcs11Id must be hex bytes`);
      if (!isAlgorithm(key.algorithm)) {
        throw new StoreError('VALUE_OUT_OF_RANGE', `key ${key.label}: algorithm must be one of ${KEY_ALGORITHMS.join(', ')}`);
      }
      const createdAt = key.createdAt ?? new Date();
      await run(
        db,
        table().insert({
          label: text(key.label, 'key label', 255),
          pkcs11_id: pkcs11Id,
          algorithm: key.algorithm,
          purpose: text(key.purpose, 'key purpose', 64),
          token_label: text(key.tokenLabel, 'token label', 32),
          created_at: codec.dateToDb(createdAt, 'keys.created_at'),
          retired_at: null,
        }),
      );
      return {
        label: key.label,
        pkcs11Id,
        algorithm: key.algorithm,
        purpose: key.purpose,
        tokenLabel: key.tokenLabel,
        createdAt: new Date(createdAt.getTime()),
        retiredAt: null,
      };
    },

    findByLabel,

    async list(filter = {}) {
      const query = table().select<KeyRow[]>(...COLUMNS).orderBy([{ column: 'created_at' }, { column: 'id' }]);
      if (filter.purpose !== undefined) query.where({ purpose: filter.purpose });
      if (filter.activeOnly) query.whereNull('retired_at');
      return (await run(db, query)).map(fromRow);
    },

    async retire(label, at = new Date()) {
      await run(db, table().update({ retired_at: codec.dateToDb(at, 'keys.retired_at') }).where({ label }).whereNull('retired_at'));
      const record = await findByLabel(label);
      if (record === undefined) throw new StoreError('NOT_FOUND', `no key labelled ${label}`);
      return record;
    },
  };
}

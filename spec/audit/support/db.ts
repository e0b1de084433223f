import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { openStore, type Store, type StoreEngine } from '../../../src/store';
import { openThrowawayPostgresStore, throwawaySchemaName } from '../../../src/store/testing';
import { TEST_DATABASE_URL } from '../../support/postgres';

/**
 * A migrated store plus a raw connection of our own to the same database, for what no repository offers:
 * proving the triggers refuse UPDATE/DELETE, and tampering with them bypassed (PostgreSQL: DISABLE TRIGGER USER
 * as the tables' owner; SQLite: drop the triggers and put them back).
 */
export interface AuditDb {
  readonly engine: StoreEngine;
  readonly store: Store;
  readonly raw: Knex;
  /** Where the CLI finds the same database: MSSP_SQLITE_FILE, or a DATABASE_URL whose search_path is the schema. */
  readonly cliEnv: Record<string, string>;
  openSecond(): Promise<Store>;
  /** Runs `fn` with the audit tables' triggers out of the way, then restores them. */
  bypassTriggers(fn: (raw: Knex) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export const AUDIT_TABLES = ['audit_entries', 'audit_checkpoints', 'audit_witness_exports', 'audit_head'] as const;

async function sqliteDb(): Promise<AuditDb> {
  const sqliteFile = join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'audit', `${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
  const store = await openStore({ sqliteFile });
  await store.migrate();
  const raw = knexFactory({ client: 'sqlite3', connection: { filename: sqliteFile }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  await raw.raw('PRAGMA busy_timeout = 5000');
  const others: Store[] = [];
  return {
    engine: 'sqlite',
    store,
    raw,
    cliEnv: { MSSP_SQLITE_FILE: sqliteFile },
    openSecond: async () => {
      const other = await openStore({ sqliteFile });
      others.push(other);
      return other;
    },
    bypassTriggers: async (fn) => {
      const triggers = await raw('sqlite_master').select<{ name: string; sql: string }[]>('name', 'sql').where({ type: 'trigger' }).whereIn('tbl_name', [...AUDIT_TABLES]);
      for (const t of triggers) await raw.raw(`drop trigger ${t.name}`);
      try {
        await fn(raw);
      } finally {
        for (const t of triggers) await raw.raw(t.sql);
      }
    },
    close: async () => {
      await raw.destroy();
      for (const other of others) await other.close();
      await store.close();
    },
  };
}

async function postgresDb(): Promise<AuditDb> {
  const schema = throwawaySchemaName();
  const store = await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema });
  await store.migrate();
  const raw = knexFactory({ client: 'pg', connection: TEST_DATABASE_URL, searchPath: [schema], pool: { min: 0, max: 2 } });
  const others: Store[] = [];
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    engine: 'postgres',
    store,
    raw,
    cliEnv: { DATABASE_URL: url.href },
    openSecond: async () => {
      const other = await openStore({ databaseUrl: TEST_DATABASE_URL, sqliteFile: '', postgresSchema: schema });
      others.push(other);
      return other;
    },
    bypassTriggers: async (fn) => {
      for (const table of AUDIT_TABLES) await raw.raw(`alter table ${table} disable trigger user`);
      try {
        await fn(raw);
      } finally {
        for (const table of AUDIT_TABLES) await raw.raw(`alter table ${table} enable trigger user`);
      }
    },
    close: async () => {
      await raw.destroy();
      for (const other of others) await other.close();
      await store.close();
    },
  };
}

export const AUDIT_ENGINES: readonly (readonly [StoreEngine, () => Promise<AuditDb>])[] = [
  ['sqlite', sqliteDb],
  ['postgres', postgresDb],
];

/** Every row of a table, to put back after a tamper case. */
export async function snapshot(raw: Knex, table: string): Promise<Record<string, unknown>[]> {
  return raw(table).select('*');
}

export async function restore(raw: Knex, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  await raw(table).delete();
  for (let i = 0; i < rows.length; i += 200) await raw(table).insert(rows.slice(i, i + 200));
}

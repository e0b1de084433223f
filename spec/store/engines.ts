import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store, type StoreEngine } from '../../src/store';
import { openThrowawayPostgresStore, throwawaySchemaName } from '../../src/store/testing';
import { TEST_DATABASE_URL } from '../support/postgres';

/**
 * The engines every store suite runs on. Any suite that needs a database can use it:
 *   describe.each(STORE_ENGINES)('on %s', (_name, engine) => { ... engine.fresh() ... })
 * PostgreSQL is not optional: when it is unreachable the PostgreSQL half fails, because CI guarantees a server.
 */
export interface StoreFixture {
  /** An empty, unmigrated store of its own (own SQLite file, or own PostgreSQL schema). */
  readonly store: Store;
  /** Another store (own pool) on the same database, for cross-connection tests. */
  openSecond(): Promise<Store>;
  /** Closes both stores and throws the database away. */
  close(): Promise<void>;
}

export interface StoreEngineCase {
  readonly engine: StoreEngine;
  fresh(): Promise<StoreFixture>;
}

function scratch(): string {
  return process.env.MSSP_TEST_SCRATCH ?? tmpdir();
}

function fixture(store: Store, openAnother: () => Promise<Store>): StoreFixture {
  const others: Store[] = [];
  return {
    store,
    openSecond: async () => {
      const other = await openAnother();
      others.push(other);
      return other;
    },
    close: async () => {
      for (const other of others) await other.close();
      await store.close();
    },
  };
}

export const sqliteEngine: StoreEngineCase = {
  engine: 'sqlite',
  async fresh() {
    const sqliteFile = join(scratch(), 'store', `${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
    return fixture(await openStore({ sqliteFile }), () => openStore({ sqliteFile }));
  },
};

export const postgresEngine: StoreEngineCase = {
  engine: 'postgres',
  async fresh() {
    const schema = throwawaySchemaName();
    const store = await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema });
    return fixture(store, () => openStore({ databaseUrl: TEST_DATABASE_URL, sqliteFile: '', postgresSchema: schema }));
  },
};

export const STORE_ENGINES: readonly (readonly [StoreEngine, StoreEngineCase])[] = [
  ['sqlite', sqliteEngine],
  ['postgres', postgresEngine],
];

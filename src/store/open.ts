import { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import type { Logger } from '../log';
import { codecFor, type StoreEngine } from './codec';
import { DEFAULT_CONNECT_TIMEOUT_MS, connect, dropSchema, selectOne, targetFor } from './connection';
import { StoreError, toStoreError, type ErrorContext } from './errors';
import { createEventBus, type EventBus } from './events';
import { CommitGroup } from './commit-group';
import { migrateLatest, migrateRollback, migrationStatus, type MigrationStatus } from './migrator';
import { repositories, type Repositories } from './repositories';

export interface StoreOptions {
  /** postgres://user:password@host:port/database; when absent the store is the SQLite file. */
  readonly databaseUrl?: string;
  /** SQLite database file, used when databaseUrl is absent. Its folder is created. */
  readonly sqliteFile: string;
  /**
   * PostgreSQL only: keep every table in this schema (created when missing) instead of the user's default.
   * Lets several platforms, or several test files, share one database.
   */
  readonly postgresSchema?: string;
  /** How long to wait for PostgreSQL to answer when connecting. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** PostgreSQL pool size. Default 10. */
  readonly poolMax?: number;
  readonly logger?: Logger;
}

export interface Store extends Repositories {
  readonly engine: StoreEngine;
  /**
   * Events between every store open on this database (several nodes on PostgreSQL: LISTEN/NOTIFY; one process
   * on SQLite: in-process). At most once, no history: see events.ts.
   */
  readonly events: EventBus;
  /** Applies every pending migration in one transaction; returns their names (empty when up to date). */
  migrate(): Promise<{ applied: string[] }>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Undoes the last migrate() (or every migration with `all`); returns the names undone, newest first. */
  rollback(options?: { all?: boolean }): Promise<{ reverted: string[] }>;
  /** Rejects with a StoreError when the database does not answer a trivial query within the ping timeout. */
  ping(): Promise<void>;
  /**
   * Runs `fn` with repositories bound to one database transaction: committed when `fn` resolves, rolled back when
   * it rejects. On SQLite the store has one connection, so inside `fn` use only `tx`: a call on the store itself
   * would wait for the transaction that is waiting for it.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Closes the pool; safe to call twice. */
  close(): Promise<void>;
}

export interface InternalStoreOptions {
  /** For throw-away test schemas: drop the schema, with everything in it, on close(). */
  readonly dropSchemaOnClose?: boolean;
}

const PING_TIMEOUT_MS = 5_000;

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function openStoreWith(options: StoreOptions, internal: InternalStoreOptions = {}): Promise<Store> {
  const target = targetFor(options);
  const knex = await connect(target);
  const codec = codecFor(target.engine);
  const context: ErrorContext = { ...target.context, phase: 'query' };
  // Inside transaction(fn), the store's own repositories would write outside the transaction (PostgreSQL) or wait
  // forever for the one connection the transaction holds (SQLite). Refusing on both engines keeps them alike.
  const inTransaction = new AsyncLocalStorage<true>();
  const guard = (): void => {
    if (inTransaction.getStore()) {
      throw new Error('inside store.transaction(fn), use the repositories fn receives, not the store\'s own');
    }
  };
  // SQLite: one connection, one writer, an fsync per commit; writes from the pool binding share commits.
  const group = target.engine === 'sqlite' ? new CommitGroup(knex) : undefined;
  const bound = (k: Knex | Knex.Transaction, withGuard: boolean): Repositories =>
    repositories({ knex: k, codec, context, ...(withGuard ? { guard, ...(group !== undefined ? { group } : {}) } : {}) });
  let closed: Promise<void> | undefined;
  const events = createEventBus(
    target.engine === 'postgres'
      ? { engine: 'postgres', knex, databaseUrl: options.databaseUrl ?? '', schema: target.schema ?? 'public', connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, ...(options.logger ? { logger: options.logger } : {}) }
      : { engine: 'sqlite', file: target.sqliteFile ?? ':memory:', ...(options.logger ? { logger: options.logger } : {}) },
  );
  options.logger?.debug({ engine: target.engine, target: context.target }, 'store opened');

  return {
    engine: target.engine,
    events,
    ...bound(knex, true),
    migrate: async () => {
      guard();
      return migrateLatest(knex, target.engine, context);
    },
    migrationStatus: async () => {
      guard();
      try {
        return await migrationStatus(knex);
      } catch (err) {
        throw toStoreError(err, context);
      }
    },
    rollback: async (rollbackOptions = {}) => {
      guard();
      return migrateRollback(knex, target.engine, context, rollbackOptions.all === true);
    },
    ping: async () => {
      try {
        await withTimeout(
          selectOne(knex),
          PING_TIMEOUT_MS,
          () => new StoreError('CONNECT_FAILED', `${context.target} did not answer within ${PING_TIMEOUT_MS / 1000} s`),
        );
      } catch (err) {
        throw toStoreError(err, { ...context, phase: 'connect' });
      }
    },
    transaction: async <T>(fn: (tx: Repositories) => Promise<T>): Promise<T> => {
      guard();
      try {
        return await knex.transaction((trx) => inTransaction.run(true, () => fn(bound(trx, false))));
      } catch (err) {
        throw toStoreError(err, context);
      }
    },
    close: () => {
      closed ??= (async () => {
        try {
          await events.close();
          if (internal.dropSchemaOnClose && target.schema !== undefined) await dropSchema(knex, target.schema);
        } finally {
          await knex.destroy();
        }
      })();
      return closed;
    },
  };
}

/** Opens the store and checks it answers; fails fast with one StoreError (BAD_URL, CONNECT_FAILED, AUTH_FAILED, DATABASE_MISSING). */
export function openStore(options: StoreOptions): Promise<Store> {
  return openStoreWith(options);
}

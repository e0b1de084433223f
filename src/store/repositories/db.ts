import type { Knex } from 'knex';
import type { Codec } from '../codec';
import type { CommitGroup } from '../commit-group';
import { toStoreError, type ErrorContext } from '../errors';

/** What a repository is bound to: the pool or one open transaction, and the engine's value conversions. */
export interface Db {
  readonly knex: Knex | Knex.Transaction;
  readonly codec: Codec;
  readonly context: ErrorContext;
  /** Throws when this binding must not be used here (the pool, from inside one of the store's transactions). */
  readonly guard?: () => void;
  /** SQLite's pool binding: single-statement writes share commits (commit-group.ts). */
  readonly group?: CommitGroup;
}

/** Every repository query goes through here, so driver errors reach callers only as StoreError. */
export async function run<T>(db: Db, query: PromiseLike<T>): Promise<T> {
  db.guard?.();
  try {
    return await query;
  } catch (err) {
    throw toStoreError(err, db.context);
  }
}

/** A write of one statement: through the commit group when the binding has one, as a query of its own otherwise. */
export async function write<T>(db: Db, statement: (knex: Knex | Knex.Transaction) => PromiseLike<T>): Promise<T> {
  if (db.group === undefined) return run(db, statement(db.knex));
  db.guard?.();
  try {
    return await db.group.run(statement);
  } catch (err) {
    throw toStoreError(err, db.context);
  }
}

import type { Knex } from 'knex';
import type { Codec } from '../codec';
import { toStoreError, type ErrorContext } from '../errors';

/** What a repository is bound to: the pool or one open transaction, and the engine's value conversions. */
export interface Db {
  readonly knex: Knex | Knex.Transaction;
  readonly codec: Codec;
  readonly context: ErrorContext;
  /** Throws when this binding must not be used here (the pool, from inside one of the store's transactions). */
  readonly guard?: () => void;
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

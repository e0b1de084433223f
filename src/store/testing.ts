import { randomBytes } from 'node:crypto';
import { openStoreWith, type Store, type StoreOptions } from './open';

/** A schema name no other test run will pick. */
export function throwawaySchemaName(): string {
  return `mssp_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export type ThrowawayStoreOptions = { readonly databaseUrl: string; readonly schema?: string } & Omit<StoreOptions, 'databaseUrl' | 'sqliteFile' | 'postgresSchema'>;

/**
 * For tests only: a store in its own PostgreSQL schema (fresh unless `schema` is given) that close() drops with
 * everything in it, so test files running in parallel against one database never see each other's rows.
 */
export function openThrowawayPostgresStore(options: ThrowawayStoreOptions): Promise<Store> {
  const { schema = throwawaySchemaName(), ...rest } = options;
  return openStoreWith({ ...rest, sqliteFile: '', postgresSchema: schema }, { dropSchemaOnClose: true });
}

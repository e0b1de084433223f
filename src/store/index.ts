/**
 * The store: one facade over SQLite (default) and PostgreSQL (DATABASE_URL). Callers never see knex or SQL;
 * they get repositories whose integers are bigint and whose timestamps are UTC Dates on both engines.
 */
export { openStore, type Store, type StoreOptions } from './open';
export type { StoreEngine } from './codec';
export { StoreError, isStoreError, STORE_ERROR_CODES, type StoreErrorCode } from './errors';
export type { MigrationStatus } from './migrator';
export type { Repositories } from './repositories';
export { KEY_ALGORITHMS, type KeyAlgorithm, type KeyRecord, type NewKey, type KeyListFilter, type KeysRepository } from './repositories/keys';
export type { Setting, SettingsRepository } from './repositories/settings';
export type { CountersRepository } from './repositories/counters';

import type { Knex } from 'knex';
import type { StoreEngine } from './codec';
import { StoreError, toStoreError, type ErrorContext } from './errors';
import { MIGRATIONS, type StoreMigration } from './migrations';

export interface MigrationStatus {
  /** Applied, in the order they were applied. */
  readonly applied: string[];
  /** Known to this version and not applied yet, in the order they will be. */
  readonly pending: string[];
  /** Recorded in the database but unknown to this version: a newer mssp migrated it. */
  readonly unknown: string[];
}

const MIGRATIONS_TABLE = 'knex_migrations';
// pg_advisory_xact_lock key shared by every node migrating the same database.
const PG_MIGRATION_LOCK = 0x6d737370;
const LOCK_WAIT_MS = 30_000;
const LOCK_RETRY_MS = 250;

/** Our own source, so knex never looks for files or cares whether they end in .ts or .js. */
function migrationSource(list: readonly StoreMigration[]): Knex.MigrationSource<StoreMigration> {
  return {
    getMigrations: async () => [...list],
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => ({ up: (knex: Knex) => migration.up(knex), down: (knex: Knex) => migration.down(knex) }),
  };
}

function migratorConfig(list: readonly StoreMigration[]): Knex.MigratorConfig {
  return { migrationSource: migrationSource(list), tableName: MIGRATIONS_TABLE };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isLockContention(err: unknown): boolean {
  const fields = err as { name?: unknown; code?: unknown };
  return fields.name === 'MigrationLocked' || fields.code === 'SQLITE_BUSY';
}

function migrationError(err: unknown, context: ErrorContext, action: string): unknown {
  const mapped = toStoreError(err, context);
  if (mapped instanceof StoreError && ['CONNECT_FAILED', 'AUTH_FAILED', 'DATABASE_MISSING'].includes(mapped.code)) return mapped;
  const message = err instanceof Error ? err.message : String(err);
  const missing = /following files are missing: (.*)$/.exec(message);
  if (missing) {
    return new StoreError(
      'MIGRATION_FAILED',
      `the store has migrations this version does not know (${missing[1]}): it was migrated by a newer mssp`,
      { cause: err },
    );
  }
  if (isLockContention(err)) {
    return new StoreError(
      'MIGRATION_FAILED',
      `another process kept the store's migration lock for ${LOCK_WAIT_MS / 1000}s; if none is running, a crashed one left it`,
      { cause: err },
    );
  }
  const reason = (mapped instanceof Error ? mapped.message : message).replace(/\s*\n\s*/g, ' ');
  return new StoreError('MIGRATION_FAILED', `store ${action} failed: ${reason}`, { cause: err });
}

/**
 * Runs a migration action as one transaction, so a crash half-way leaves the previous schema, and on PostgreSQL
 * under an advisory lock, so that nodes starting together wait for each other instead of failing on knex's lock row.
 */
async function atomically<T>(knex: Knex, engine: StoreEngine, context: ErrorContext, action: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await knex.transaction(async (trx) => {
        if (engine === 'postgres') await trx.raw('select pg_advisory_xact_lock(?)', [PG_MIGRATION_LOCK]);
        return fn(trx);
      });
    } catch (err) {
      if (isLockContention(err) && Date.now() < deadline) {
        await sleep(LOCK_RETRY_MS);
        continue;
      }
      throw migrationError(err, context, action);
    }
  }
}

export async function migrateLatest(knex: Knex, engine: StoreEngine, context: ErrorContext, list = MIGRATIONS): Promise<{ applied: string[] }> {
  const result = await atomically(knex, engine, context, 'migration', (trx) => trx.migrate.latest(migratorConfig(list)));
  const [, log] = result as [number, string[]];
  return { applied: [...log] };
}

export async function migrateRollback(knex: Knex, engine: StoreEngine, context: ErrorContext, all: boolean, list = MIGRATIONS): Promise<{ reverted: string[] }> {
  const result = await atomically(knex, engine, context, 'rollback', (trx) => trx.migrate.rollback(migratorConfig(list), all));
  const [, log] = result as [number, string[]];
  return { reverted: [...log] };
}

/** Reads the migrations table without creating it: `mssp migrate --status` changes nothing. */
export async function migrationStatus(knex: Knex, list = MIGRATIONS): Promise<MigrationStatus> {
  const known = list.map((m) => m.name);
  const recorded = (await knex.schema.hasTable(MIGRATIONS_TABLE))
    ? (await knex(MIGRATIONS_TABLE).select<{ name: string }[]>('name').orderBy('id')).map((row) => row.name)
    : [];
  const done = new Set(recorded);
  return {
    applied: recorded.filter((name) => known.includes(name)),
    pending: known.filter((name) => !done.has(name)),
    unknown: recorded.filter((name) => !known.includes(name)),
  };
}

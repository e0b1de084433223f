import type { Knex } from 'knex';
import type { StoreEngine } from '../codec';

/** A versioned schema change. `name` orders them (0001_, 0002_, ...) and is what the migrations table records. */
export interface StoreMigration {
  readonly name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export function engineOf(knex: Knex): StoreEngine {
  return (knex.client as Knex.Client).dialect === 'postgresql' ? 'postgres' : 'sqlite';
}

/**
 * A UTC instant: timestamptz on PostgreSQL, integer epoch milliseconds on SQLite (see codec.ts for why).
 * Every timestamp column is made here so both engines stay in step.
 */
export function utcTimestamp(table: Knex.CreateTableBuilder, knex: Knex, name: string): Knex.ColumnBuilder {
  return engineOf(knex) === 'postgres' ? table.timestamp(name, { useTz: true, precision: 3 }) : table.bigInteger(name);
}

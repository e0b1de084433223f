import type { Knex } from 'knex';
import { engineOf } from './schema-helpers';

/**
 * Database triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on history tables, so that a
 * status change can only be a new row, whatever code holds the connection. `fn` names the PostgreSQL
 * function, one per migration so that each migration's down() drops only its own.
 */
export async function refuseChanges(knex: Knex, fn: string, tables: readonly string[]): Promise<void> {
  if (engineOf(knex) === 'postgres') {
    await knex.raw(`
      create or replace function ${fn}() returns trigger language plpgsql as $$
      begin
        raise exception 'history is append-only: % on % is refused', tg_op, tg_table_name using errcode = 'P0001';
      end
      $$`);
    for (const table of tables) {
      await knex.raw(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function ${fn}()`);
      await knex.raw(`create trigger ${table}_no_truncate before truncate on ${table} for each statement execute function ${fn}()`);
    }
    return;
  }
  for (const table of tables) {
    for (const op of ['UPDATE', 'DELETE'] as const) {
      await knex.raw(
        `create trigger ${table}_no_${op.toLowerCase()} before ${op} on ${table} ` +
          `begin select raise(abort, 'history is append-only: ${op} on ${table} is refused'); end`,
      );
    }
  }
}

export async function dropRefusalFunction(knex: Knex, fn: string): Promise<void> {
  if (engineOf(knex) === 'postgres') await knex.raw(`drop function if exists ${fn}()`);
}

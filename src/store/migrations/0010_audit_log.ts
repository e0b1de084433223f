import type { Knex } from 'knex';
import type { StoreMigration } from './schema-helpers';
import { engineOf, utcTimestamp } from './schema-helpers';

/**
 * The audit log (src/audit): entries, signed checkpoints, the one-row head that serialises appenders, and the
 * record of what each witness already holds. Entries, checkpoints and exports refuse UPDATE and DELETE in the
 * database itself (triggers on both engines), so that even code holding the connection cannot rewrite history
 * without first dropping or disabling a trigger, which the verifier would then still catch.
 */

const APPEND_ONLY = ['audit_entries', 'audit_checkpoints', 'audit_witness_exports'] as const;

async function postgresTriggers(knex: Knex): Promise<void> {
  await knex.raw(`
    create or replace function audit_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'the audit log is append-only: % on % is refused', tg_op, tg_table_name using errcode = 'P0001';
    end
    $$`);
  for (const table of APPEND_ONLY) {
    await knex.raw(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function audit_refuse_change()`);
    await knex.raw(`create trigger ${table}_no_truncate before truncate on ${table} for each statement execute function audit_refuse_change()`);
  }
  // The head moves forward with every append (UPDATE), but it never disappears.
  await knex.raw('create trigger audit_head_keep before delete on audit_head for each row execute function audit_refuse_change()');
  await knex.raw('create trigger audit_head_no_truncate before truncate on audit_head for each statement execute function audit_refuse_change()');
}

async function sqliteTriggers(knex: Knex): Promise<void> {
  for (const table of APPEND_ONLY) {
    for (const op of ['UPDATE', 'DELETE'] as const) {
      await knex.raw(
        `create trigger ${table}_no_${op.toLowerCase()} before ${op} on ${table} ` +
          `begin select raise(abort, 'the audit log is append-only: ${op} on ${table} is refused'); end`,
      );
    }
  }
  await knex.raw(`create trigger audit_head_no_delete before delete on audit_head begin select raise(abort, 'the audit log is append-only: DELETE on audit_head is refused'); end`);
}

export const migration0010AuditLog: StoreMigration = {
  name: '0010_audit_log',
  async up(knex) {
    await knex.schema.createTable('audit_entries', (table) => {
      table.bigInteger('seq').primary();
      utcTimestamp(table, knex, 'time').notNullable();
      table.string('actor_type', 16).notNullable();
      table.string('actor_id', 256).notNullable();
      table.string('action', 128).notNullable();
      table.string('subject', 512).notNullable();
      table.string('outcome', 128).notNullable();
      table.binary('evidence_hash').nullable();
      // Canonical JSON text, hashed as it is: stored as text so that no driver reformats it.
      table.text('details').notNullable();
      table.binary('prev_hash').notNullable();
      table.binary('leaf_hash').notNullable();
      // Evidence bundles look entries up by what they are about (a transaction).
      table.index(['subject'], 'audit_entries_subject_index');
    });
    await knex.schema.createTable('audit_checkpoints', (table) => {
      table.bigInteger('tree_size').primary();
      // Unique: two nodes cannot both append a checkpoint on top of the same one, so checkpoints form one chain.
      table.bigInteger('previous_size').notNullable().unique({ indexName: 'audit_checkpoints_previous_unique' });
      table.binary('root_hash').notNullable();
      utcTimestamp(table, knex, 'time').notNullable();
      table.text('body').notNullable();
      table.binary('signature').notNullable();
      table.binary('key_id').notNullable();
      table.binary('public_key').notNullable();
      table.binary('time_stamp_token').nullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
    });
    await knex.schema.createTable('audit_head', (table) => {
      table.integer('id').primary();
      table.bigInteger('size').notNullable();
      table.binary('last_leaf_hash').notNullable();
      utcTimestamp(table, knex, 'last_time').nullable();
    });
    await knex('audit_head').insert({ id: 1, size: 0, last_leaf_hash: Buffer.alloc(32), last_time: null });
    await knex.schema.createTable('audit_witness_exports', (table) => {
      table.string('witness', 512).notNullable();
      table.bigInteger('tree_size').notNullable();
      utcTimestamp(table, knex, 'exported_at').notNullable();
      table.primary(['witness', 'tree_size']);
    });
    if (engineOf(knex) === 'postgres') await postgresTriggers(knex);
    else await sqliteTriggers(knex);
  },
  async down(knex) {
    await knex.schema.dropTable('audit_witness_exports');
    await knex.schema.dropTable('audit_head');
    await knex.schema.dropTable('audit_checkpoints');
    await knex.schema.dropTable('audit_entries');
    if (engineOf(knex) === 'postgres') await knex.raw('drop function if exists audit_refuse_change()');
  },
};

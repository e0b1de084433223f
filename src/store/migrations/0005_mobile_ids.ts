import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';
import { dropRefusalFunction, refuseChanges } from './append-only';

/**
 * The mobile-ID directory: one row per registration (who was registered, by whom, how: the identity never
 * changes), and its history of events (registered, suspended, reinstated, revoked, renewed, MSISDN changed).
 * The current MSISDN binding and status of an mID is its newest event; nothing is ever overwritten.
 */
export const migration0005MobileIds: StoreMigration = {
  name: '0005_mobile_ids',
  async up(knex) {
    await knex.schema.createTable('mobile_ids', (table) => {
      table.string('mid', 64).primary();
      // What the mID is for, chosen at registration ('government', 'bank', ...): one MSISDN may hold several.
      table.string('label', 32).notNullable();
      table.string('given_name', 64).notNullable();
      table.string('family_name', 64).notNullable();
      table.string('national_id', 32).notNullable();
      // ISO 8601 date (YYYY-MM-DD): a date of birth has no time zone.
      table.string('birth_date', 10).notNullable();
      // 'in-person' | 'remote'; Y.2740 level 4 needs in-person registration.
      table.string('registration_mode', 16).notNullable();
      table.integer('max_level').notNullable();
      table.string('officer', 255).notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.index(['national_id'], 'mobile_ids_national_id_index');
    });
    await knex.schema.createTable('mobile_id_events', (table) => {
      table.bigIncrements('id').primary();
      table.string('mid', 64).notNullable();
      table.string('event', 32).notNullable();
      // E.164 with '+': the MSISDN the mID is bound to from this event on.
      table.string('msisdn', 16).notNullable();
      // 'active' | 'suspended' | 'revoked'
      table.string('status', 16).notNullable();
      table.string('reason', 32).nullable();
      table.string('actor', 255).notNullable();
      // JSON: the certificates issued or affected.
      table.text('details').nullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.index(['mid', 'id'], 'mobile_id_events_mid_index');
      table.index(['msisdn'], 'mobile_id_events_msisdn_index');
    });
    await refuseChanges(knex, 'mid_refuse_change', ['mobile_ids', 'mobile_id_events']);
  },
  async down(knex) {
    await knex.schema.dropTable('mobile_id_events');
    await knex.schema.dropTable('mobile_ids');
    await dropRefusalFunction(knex, 'mid_refuse_change');
  },
};

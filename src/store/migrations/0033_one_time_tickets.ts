import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';
import { dropRefusalFunction, refuseChanges } from './append-only';

/**
 * One-time tickets (the ITU toolkit's POS flow): tickets as issued and their redemptions. A redemption row per
 * ticket at most (the primary key), so a ticket is spent once even when two PSPs present it at the same moment.
 */
export const migration0033OneTimeTickets: StoreMigration = {
  name: '0033_one_time_tickets',
  async up(knex) {
    await knex.schema.createTable('mps_tickets', (table) => {
      table.string('id', 64).primary();
      table.string('code', 16).notNullable();
      table.string('issuer_id', 64).notNullable();
      table.string('account_id', 64).notNullable();
      table.string('client_msisdn', 32).notNullable();
      utcTimestamp(table, knex, 'expires_at').notNullable();
      table.binary('signature').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.index(['code'], 'mps_tickets_code_index');
    });
    await knex.schema.createTable('mps_ticket_redemptions', (table) => {
      table.string('ticket_id', 64).primary();
      table.string('merchant_id', 64).notNullable();
      utcTimestamp(table, knex, 'at').notNullable();
    });
    await refuseChanges(knex, 'mps_ticket_refuse_change', ['mps_tickets', 'mps_ticket_redemptions']);
  },
  async down(knex) {
    await knex.schema.dropTable('mps_ticket_redemptions');
    await knex.schema.dropTable('mps_tickets');
    await dropRefusalFunction(knex, 'mps_ticket_refuse_change');
  },
};

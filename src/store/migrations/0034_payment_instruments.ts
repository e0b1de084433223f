import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';
import { dropRefusalFunction, refuseChanges } from './append-only';

/**
 * Clients' payment instruments (bank account, card token, mobile-operator account, e-money wallet), each bound to
 * an MSISDN / mobile ID and a ledger account; the states an instrument goes through (pending until the SIM has
 * signed its enrolment, then active, removed...); and the payment orders clients send from their phones. All
 * insert-only: the key (instrument, state) lets an instrument enter each state once, the key (payer, order) makes
 * an order from a phone count once however often it arrives.
 */
export const migration0034PaymentInstruments: StoreMigration = {
  name: '0034_payment_instruments',
  async up(knex) {
    await knex.schema.createTable('mps_instruments', (table) => {
      table.string('id', 128).primary();
      table.string('client_msisdn', 32).notNullable();
      table.string('client_mid', 64).nullable();
      table.string('kind', 16).notNullable();
      table.string('currency', 3).notNullable();
      table.string('ledger_account_id', 128).notNullable();
      // What the phone shows ("Card **** 4242"); never a full card number (checked before it is stored).
      table.string('label', 64).notNullable();
      // Kind-specific, non-secret details as JSON: the issuer's token and masked PAN of a card, etc.
      table.text('details').notNullable();
      table.boolean('is_default').notNullable();
      table.binary('canonical').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.index(['client_msisdn'], 'mps_instruments_msisdn_index');
    });
    await knex.schema.createTable('mps_instrument_states', (table) => {
      table.string('instrument_id', 128).notNullable();
      table.string('state', 16).notNullable();
      utcTimestamp(table, knex, 'at').notNullable();
      table.string('detail', 512).nullable();
      table.binary('signature').nullable();
      table.primary(['instrument_id', 'state']);
    });
    await knex.schema.createTable('mps_client_orders', (table) => {
      table.string('payer_msisdn', 32).notNullable();
      table.string('order_ref', 64).notNullable();
      table.string('payload_hash', 64).notNullable();
      table.binary('canonical').notNullable();
      table.binary('signature').notNullable();
      table.string('outcome', 16).notNullable();
      table.string('code', 64).nullable();
      table.string('transfer_id', 128).nullable();
      table.string('detail', 512).nullable();
      utcTimestamp(table, knex, 'at').notNullable();
      table.primary(['payer_msisdn', 'order_ref']);
    });
    await refuseChanges(knex, 'mps_instrument_refuse_change', ['mps_instruments', 'mps_instrument_states', 'mps_client_orders']);
  },
  async down(knex) {
    await knex.schema.dropTable('mps_client_orders');
    await knex.schema.dropTable('mps_instrument_states');
    await knex.schema.dropTable('mps_instruments');
    await dropRefusalFunction(knex, 'mps_instrument_refuse_change');
  },
};

import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';
import { dropRefusalFunction, refuseChanges } from './append-only';

/**
 * Merchant payment offers: the offer as made (with the exact canonical bytes the SIM is asked to sign) and each
 * state it went through. Both insert-only; the key (offer, state) lets an offer enter each state once, so two
 * nodes finishing the same offer cannot both succeed.
 */
export const migration0032PaymentOffers: StoreMigration = {
  name: '0032_payment_offers',
  async up(knex) {
    await knex.schema.createTable('mps_offers', (table) => {
      table.string('id', 128).primary();
      table.string('payload_hash', 64).notNullable();
      table.string('merchant_id', 64).notNullable();
      table.string('merchant_account_id', 64).notNullable();
      table.string('client_msisdn', 32).notNullable();
      table.string('currency', 3).notNullable();
      table.string('amount', 24).notNullable();
      table.string('reference', 128).notNullable();
      table.string('verification_code', 16).notNullable();
      utcTimestamp(table, knex, 'expires_at').notNullable();
      table.binary('canonical').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
    });
    await knex.schema.createTable('mps_offer_states', (table) => {
      table.string('offer_id', 128).notNullable();
      table.string('state', 16).notNullable();
      utcTimestamp(table, knex, 'at').notNullable();
      table.string('transfer_id', 128).nullable();
      table.string('detail', 512).nullable();
      table.binary('signature').nullable();
      table.primary(['offer_id', 'state']);
    });
    await refuseChanges(knex, 'mps_offer_refuse_change', ['mps_offers', 'mps_offer_states']);
  },
  async down(knex) {
    await knex.schema.dropTable('mps_offer_states');
    await knex.schema.dropTable('mps_offers');
    await dropRefusalFunction(knex, 'mps_offer_refuse_change');
  },
};

import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';

/**
 * What the MPS REST API needs: API keys (secret kept only as an scrypt hash, each bound to one participant and
 * role), the merchants' settings (account paid into, webhook URL), the payers' accounts by phone number, the
 * per-merchant amount caps by security level, and the answers remembered for Idempotency-Key replays.
 * These are settings, not money history: a merchant's webhook URL or cap may change, so they are not insert-only;
 * the remembered answers are never changed once written.
 */
export const migration0035MpsApi: StoreMigration = {
  name: '0035_mps_api',
  async up(knex) {
    await knex.schema.createTable('mps_api_keys', (table) => {
      table.string('id', 32).primary();
      table.string('secret_hash', 256).notNullable();
      table.string('participant_id', 64).notNullable();
      table.string('role', 16).notNullable();
      table.string('tls_fingerprint', 64).nullable();
      table.string('label', 128).nullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
    });
    await knex.schema.createTable('mps_merchants', (table) => {
      table.string('participant_id', 64).primary();
      table.string('account_id', 64).notNullable();
      table.string('webhook_url', 2048).nullable();
      table.string('psp_id', 64).nullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
    });
    await knex.schema.createTable('mps_payers', (table) => {
      table.string('msisdn', 32).notNullable();
      table.string('currency', 3).notNullable();
      table.string('account_id', 64).notNullable();
      table.primary(['msisdn', 'currency']);
    });
    await knex.schema.createTable('mps_level_limits', (table) => {
      table.string('merchant_id', 64).notNullable();
      table.integer('level').notNullable();
      table.string('currency', 3).notNullable();
      table.string('max_amount', 24).notNullable();
      table.primary(['merchant_id', 'level', 'currency']);
    });
    await knex.schema.createTable('mps_idempotency', (table) => {
      table.string('key_id', 32).notNullable();
      table.string('idempotency_key', 255).notNullable();
      table.string('request_hash', 64).notNullable();
      table.integer('http_status').notNullable();
      table.text('body').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.primary(['key_id', 'idempotency_key']);
    });
  },
  async down(knex) {
    for (const t of ['mps_idempotency', 'mps_level_limits', 'mps_payers', 'mps_merchants', 'mps_api_keys']) await knex.schema.dropTable(t);
  },
};

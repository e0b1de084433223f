import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';

/**
 * TS 102 204 service: the AP registry, the AP_TransIDs each AP has used (a replay is a unique violation), and
 * signature transactions whose state lives here so that any node can answer MSS_StatusQuery.
 * Numbered 0020 to leave 0006-0019 to the modules being built alongside.
 */
export const migration0020Mss: StoreMigration = {
  name: '0020_mss',
  async up(knex) {
    await knex.schema.createTable('mss_aps', (table) => {
      table.string('ap_id', 255).primary();
      // scrypt$N$r$p$salt$hash (base64); never the password.
      table.string('password_hash', 255).notNullable();
      // SHA-256 of the AP's TLS client certificate (hex), when mutual TLS is required for it.
      table.string('tls_fingerprint', 64).nullable();
      // JSON arrays: IP addresses or CIDR blocks; signature profile URIs; MSS_Format URIs. Empty = none allowed
      // (ip: any address).
      table.text('ip_allow').notNullable();
      table.text('profiles').notNullable();
      table.text('formats').notNullable();
      table.string('notification_url', 1024).nullable();
      table.integer('rate_per_second').notNullable();
      // 'active' | 'disabled'
      table.string('status', 16).notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
    });
    await knex.schema.createTable('mss_ap_trans_ids', (table) => {
      table.string('ap_id', 255).notNullable();
      table.string('ap_trans_id', 256).notNullable();
      utcTimestamp(table, knex, 'received_at').notNullable();
      table.primary(['ap_id', 'ap_trans_id']);
    });
    await knex.schema.createTable('mss_transactions', (table) => {
      table.string('mssp_trans_id', 64).primary();
      table.string('ap_id', 255).notNullable();
      table.string('ap_trans_id', 256).notNullable();
      table.string('msisdn', 16).notNullable();
      table.string('messaging_mode', 24).notNullable();
      // 'outstanding' | 'completed' | 'failed' | 'expired'
      table.string('state', 16).notNullable();
      // TS 102 204 status once the transaction has ended (500-505, or the fault code).
      table.integer('status_code').nullable();
      table.text('signature').nullable();
      table.string('signature_profile', 1024).nullable();
      // JSON of the validated request, for the response and the notification.
      table.text('request').notNullable();
      utcTimestamp(table, knex, 'deadline_at').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      utcTimestamp(table, knex, 'ended_at').nullable();
      // asynchServerServer: when the AP confirmed the notification, and how many tries were made.
      utcTimestamp(table, knex, 'notified_at').nullable();
      table.integer('notify_attempts').notNullable().defaultTo(0);
      table.index(['ap_id', 'ap_trans_id'], 'mss_transactions_ap_index');
      table.index(['state', 'deadline_at'], 'mss_transactions_state_index');
    });
  },
  async down(knex) {
    await knex.schema.dropTable('mss_transactions');
    await knex.schema.dropTable('mss_ap_trans_ids');
    await knex.schema.dropTable('mss_aps');
  },
};

import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';
import { dropRefusalFunction, refuseChanges } from './append-only';

/**
 * The certification authorities, every certificate they issued, the status history of each certificate and
 * the CRLs published. Certificates, status rows and CRLs are never changed: a revocation is a new status row
 * (the current status is the newest row), a new CRL a new row (database triggers refuse UPDATE and DELETE).
 */
export const migration0004Certificates: StoreMigration = {
  name: '0004_certificates',
  async up(knex) {
    await knex.schema.createTable('ca_authorities', (table) => {
      table.string('name', 64).primary();
      table.string('parent', 64).nullable();
      table.string('key_label', 255).notNullable();
      table.string('algorithm', 16).notNullable();
      table.string('serial', 42).notNullable();
      table.text('subject').notNullable();
      table.binary('certificate').notNullable();
      // What this CA writes into the certificates it issues (authorityInfoAccess, cRLDistributionPoints).
      table.text('ocsp_url').nullable();
      table.text('ca_issuers_url').nullable();
      table.text('crl_url').nullable();
      table.integer('crl_validity_seconds').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
    });
    await knex.schema.createTable('certificates', (table) => {
      table.bigIncrements('id').primary();
      table.string('issuer_ca', 64).notNullable();
      // Lower-case hex of the DER INTEGER content octets (20 octets at most, RFC 5280 §4.1.2.2).
      table.string('serial', 42).notNullable();
      table.string('profile', 32).notNullable();
      table.text('subject').notNullable();
      table.string('mid', 64).nullable();
      // SHA-256 of the SubjectPublicKeyInfo, hex: finds other certificates for the same key.
      table.string('key_hash', 64).notNullable();
      utcTimestamp(table, knex, 'not_before').notNullable();
      utcTimestamp(table, knex, 'not_after').notNullable();
      table.binary('der').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.unique(['issuer_ca', 'serial'], { indexName: 'certificates_issuer_serial_unique' });
      table.index(['mid'], 'certificates_mid_index');
      table.index(['key_hash'], 'certificates_key_hash_index');
    });
    await knex.schema.createTable('certificate_status', (table) => {
      table.bigIncrements('id').primary();
      table.string('issuer_ca', 64).notNullable();
      table.string('serial', 42).notNullable();
      // 'good' | 'hold' | 'revoked'
      table.string('status', 8).notNullable();
      // CRLReason (RFC 5280 §5.3.1); null for 'good'.
      table.integer('reason').nullable();
      utcTimestamp(table, knex, 'revoked_at').nullable();
      utcTimestamp(table, knex, 'invalidity_date').nullable();
      table.string('actor', 255).notNullable();
      table.string('note', 512).nullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.index(['issuer_ca', 'serial', 'id'], 'certificate_status_serial_index');
    });
    await knex.schema.createTable('crls', (table) => {
      table.bigIncrements('id').primary();
      table.string('issuer_ca', 64).notNullable();
      table.bigInteger('crl_number').notNullable();
      utcTimestamp(table, knex, 'this_update').notNullable();
      utcTimestamp(table, knex, 'next_update').notNullable();
      // The newest certificate_status row this CRL reflects: a node whose latest CRL covers less makes a new one.
      table.bigInteger('covers_status_id').notNullable();
      table.binary('der').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.unique(['issuer_ca', 'crl_number'], { indexName: 'crls_issuer_number_unique' });
    });
    await refuseChanges(knex, 'pki_refuse_change', ['certificates', 'certificate_status', 'crls']);
  },
  async down(knex) {
    await knex.schema.dropTable('crls');
    await knex.schema.dropTable('certificate_status');
    await knex.schema.dropTable('certificates');
    await knex.schema.dropTable('ca_authorities');
    await dropRefusalFunction(knex, 'pki_refuse_change');
  },
};

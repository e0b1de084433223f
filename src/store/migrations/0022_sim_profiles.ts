import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';

/**
 * The SIMs the platform reaches over the SMSC, from the card personaliser's file (`mssp sim import`): which
 * MSISDN holds which card (ICCID), the signature applet's TAR and the OTA key version and algorithms. The KIc
 * and KID themselves are only in the HSM (labels ota/<iccid>/<KIc|KID>/<version>), never here.
 */
export const migration0022SimProfiles: StoreMigration = {
  name: '0022_sim_profiles',
  async up(knex) {
    await knex.schema.createTable('sim_profiles', (table) => {
      // E.164 digits without '+', as SMPP addresses carry them.
      table.string('msisdn', 15).primary();
      table.string('iccid', 22).notNullable().unique();
      // 3 octets, hex.
      table.string('tar', 6).notNullable();
      table.integer('key_version').notNullable();
      // 'AES-CBC' (KIc) and 'AES-CMAC' (KID); the lengths are the keys'.
      table.string('kic_algorithm', 16).notNullable();
      table.string('kid_algorithm', 16).notNullable();
      // SHA-256 (hex) of the import file line: a repeated import of the same line is recognised, another refused.
      table.string('source_hash', 64).notNullable();
      table.string('imported_by', 255).notNullable();
      utcTimestamp(table, knex, 'imported_at').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('sim_profiles');
  },
};

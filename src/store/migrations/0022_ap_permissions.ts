import type { StoreMigration } from './schema-helpers';

/**
 * What an AP may do beyond asking for signatures: a JSON array of permission names (`registration`: it may
 * register and activate mobile IDs over MSS_Registration). Existing APs get none, so nothing widens silently.
 */
export const migration0022ApPermissions: StoreMigration = {
  name: '0022_ap_permissions',
  async up(knex) {
    await knex.schema.alterTable('mss_aps', (table) => {
      table.text('permissions').notNullable().defaultTo('[]');
    });
  },
  async down(knex) {
    await knex.schema.alterTable('mss_aps', (table) => {
      table.dropColumn('permissions');
    });
  },
};

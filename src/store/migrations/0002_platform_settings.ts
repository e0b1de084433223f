import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';

/** Small key/value facts about this installation, such as the instance id `mssp init` sets. */
export const migration0002PlatformSettings: StoreMigration = {
  name: '0002_platform_settings',
  async up(knex) {
    await knex.schema.createTable('platform_settings', (table) => {
      table.string('name', 128).primary();
      table.text('value').notNullable();
      utcTimestamp(table, knex, 'updated_at').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('platform_settings');
  },
};

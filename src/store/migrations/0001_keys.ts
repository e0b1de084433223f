import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';

/**
 * The inventory of keys the platform made in the HSM. Algorithms are checked by the repository, not by a CHECK
 * constraint: adding one later should not need SQLite's copy-the-table dance.
 */
export const migration0001Keys: StoreMigration = {
  name: '0001_keys',
  async up(knex) {
    await knex.schema.createTable('keys', (table) => {
      table.bigIncrements('id').primary();
      table.string('label', 255).notNullable().unique({ indexName: 'keys_label_unique' });
      table.string('pkcs11_id', 255).notNullable();
      table.string('algorithm', 32).notNullable();
      table.string('purpose', 64).notNullable();
      // PKCS#11 token labels are 32 bytes of UTF-8.
      table.string('token_label', 32).notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      utcTimestamp(table, knex, 'retired_at').nullable();
      table.unique(['token_label', 'pkcs11_id'], { indexName: 'keys_token_id_unique' });
      table.index(['purpose'], 'keys_purpose_index');
    });
  },
  async down(knex) {
    await knex.schema.dropTable('keys');
  },
};

import type { StoreMigration } from './schema-helpers';

/** Named monotonic counters (certificate serial numbers, sequence numbers). `value` is the last value handed out. */
export const migration0003Counters: StoreMigration = {
  name: '0003_counters',
  async up(knex) {
    await knex.schema.createTable('counters', (table) => {
      table.string('name', 128).primary();
      table.bigInteger('value').notNullable();
    });
  },
  async down(knex) {
    await knex.schema.dropTable('counters');
  },
};

import type { StoreMigration } from './schema-helpers';
import { utcTimestamp } from './schema-helpers';
import { dropRefusalFunction, refuseChanges } from './append-only';

/** Settlement reports as issued: the exact bytes (CSV or JSON) and the platform's CMS signature over them. Never rewritten. */
export const migration0031SettlementReports: StoreMigration = {
  name: '0031_settlement_reports',
  async up(knex) {
    await knex.schema.createTable('settlement_reports', (table) => {
      table.bigInteger('window_id').notNullable();
      table.string('format', 8).notNullable();
      table.binary('body').notNullable();
      table.binary('signature').notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.primary(['window_id', 'format']);
    });
    await refuseChanges(knex, 'settlement_refuse_change', ['settlement_reports']);
  },
  async down(knex) {
    await knex.schema.dropTable('settlement_reports');
    await dropRefusalFunction(knex, 'settlement_refuse_change');
  },
};

import type { StoreMigration } from './schema-helpers';
import { engineOf, utcTimestamp } from './schema-helpers';
import { dropRefusalFunction, refuseChanges } from './append-only';

/**
 * The payment ledger (src/mps): participants, accounts per currency, transfers and their postings, and the
 * settlement windows that postings fall into. Amounts and balances are decimal strings of signed 64-bit integers
 * in minor units: the sqlite3 driver reads INTEGER as a JS number, which is exact only to 2^53, and money must not
 * depend on the engine. Transfers, their state changes, postings and window state changes are history: the
 * database refuses UPDATE and DELETE on them. Account balances and bank positions are running totals kept in the
 * same transaction as the postings they sum, so a check never needs to re-add history.
 */

const HISTORY = ['ledger_transfers', 'ledger_transfer_states', 'ledger_postings', 'settlement_windows', 'settlement_window_states'] as const;
const REFUSAL_FN = 'ledger_refuse_change';

export const migration0030Ledger: StoreMigration = {
  name: '0030_ledger',
  async up(knex) {
    await knex.schema.createTable('ledger_participants', (table) => {
      table.string('id', 64).primary();
      table.string('kind', 16).notNullable();
      table.string('name', 256).notNullable();
      // The settlement member the participant settles through; a bank names itself.
      table.string('bank_id', 64).notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
    });
    await knex.schema.createTable('ledger_accounts', (table) => {
      table.string('id', 64).primary();
      table.string('participant_id', 64).notNullable().references('id').inTable('ledger_participants');
      table.string('currency', 3).notNullable();
      // Lowest balance allowed (0: no overdraft; negative: overdraft limit); null: no floor (issuance accounts).
      table.string('floor', 24).nullable();
      table.string('posted', 24).notNullable();
      // Sum of reservations still pending against this account (debits only).
      table.string('reserved', 24).notNullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      table.index(['participant_id'], 'ledger_accounts_participant_index');
    });
    await knex.schema.createTable('ledger_net_debit_caps', (table) => {
      table.string('bank_id', 64).notNullable();
      table.string('currency', 3).notNullable();
      table.string('cap', 24).notNullable();
      table.primary(['bank_id', 'currency']);
    });
    await knex.schema.createTable('settlement_windows', (table) => {
      table.bigInteger('id').primary();
      utcTimestamp(table, knex, 'opened_at').notNullable();
    });
    await knex.schema.createTable('settlement_window_states', (table) => {
      table.bigInteger('window_id').notNullable();
      table.string('state', 16).notNullable();
      utcTimestamp(table, knex, 'at').notNullable();
      table.primary(['window_id', 'state']);
    });
    // The one row that says which window is open: batches share-lock it, closing a window locks it exclusively.
    await knex.schema.createTable('settlement_current', (table) => {
      table.integer('id').primary();
      table.bigInteger('window_id').notNullable();
    });
    await knex.schema.createTable('ledger_bank_positions', (table) => {
      table.string('bank_id', 64).notNullable();
      table.string('currency', 3).notNullable();
      // Debits reserved against the bank's accounts towards other banks, not yet committed or voided.
      table.string('pending', 24).notNullable();
      table.primary(['bank_id', 'currency']);
    });
    await knex.schema.createTable('settlement_positions', (table) => {
      table.bigInteger('window_id').notNullable();
      table.string('bank_id', 64).notNullable();
      table.string('currency', 3).notNullable();
      table.string('net', 24).notNullable();
      table.primary(['window_id', 'bank_id', 'currency']);
    });
    await knex.schema.createTable('ledger_transfers', (table) => {
      table.string('id', 128).primary();
      table.string('payload_hash', 64).notNullable();
      table.string('kind', 16).notNullable();
      table.string('debit_account_id', 64).notNullable();
      table.string('credit_account_id', 64).notNullable();
      table.string('currency', 3).notNullable();
      table.string('amount', 24).notNullable();
      table.boolean('two_phase').notNullable();
      utcTimestamp(table, knex, 'expires_at').nullable();
      table.string('linked_transfer_id', 128).nullable();
      table.string('reference', 256).nullable();
      utcTimestamp(table, knex, 'created_at').notNullable();
      // A single-phase transfer is committed when it is written: it has no state rows, and its window is here.
      table.bigInteger('window_id').nullable();
    });
    // Partial indexes: most transfers are single-phase and unlinked, and need no entry in either.
    await knex.raw('create index ledger_transfers_linked_index on ledger_transfers (linked_transfer_id) where linked_transfer_id is not null');
    await knex.raw('create index ledger_transfers_expires_index on ledger_transfers (expires_at) where expires_at is not null');
    await knex.schema.createTable('ledger_transfer_states', (table) => {
      table.string('transfer_id', 128).notNullable();
      // 'prepare' (reserved) then 'final' (committed, voided, expired); the key makes a second final state impossible.
      table.string('phase', 8).notNullable();
      table.string('state', 16).notNullable();
      utcTimestamp(table, knex, 'at').notNullable();
      table.bigInteger('window_id').nullable();
      table.string('reason', 256).nullable();
      table.primary(['transfer_id', 'phase']);
    });
    await knex.schema.createTable('ledger_postings', (table) => {
      table.increments('id').primary();
      table.string('transfer_id', 128).notNullable();
      table.string('account_id', 64).notNullable();
      table.string('currency', 3).notNullable();
      table.string('amount', 24).notNullable();
      table.bigInteger('window_id').notNullable();
      utcTimestamp(table, knex, 'at').notNullable();
      table.index(['account_id'], 'ledger_postings_account_index');
    });
    const now = Date.now();
    const opened = engineOf(knex) === 'postgres' ? new Date(now).toISOString() : now;
    await knex('settlement_windows').insert({ id: 1, opened_at: opened });
    await knex('settlement_window_states').insert({ window_id: 1, state: 'open', at: opened });
    await knex('settlement_current').insert({ id: 1, window_id: 1 });
    await refuseChanges(knex, REFUSAL_FN, HISTORY);
  },
  async down(knex) {
    for (const table of [
      'ledger_postings',
      'ledger_transfer_states',
      'ledger_transfers',
      'settlement_positions',
      'ledger_bank_positions',
      'settlement_current',
      'settlement_window_states',
      'settlement_windows',
      'ledger_net_debit_caps',
      'ledger_accounts',
      'ledger_participants',
    ]) {
      await knex.schema.dropTable(table);
    }
    await dropRefusalFunction(knex, REFUSAL_FN);
  },
};

import { StoreError } from '../errors';
import { run, type Db } from './db';

export interface Setting {
  readonly key: string;
  readonly value: string;
  readonly updatedAt: Date;
}

export interface SettingsRepository {
  get(key: string): Promise<string | undefined>;
  find(key: string): Promise<Setting | undefined>;
  /** Inserts or replaces. */
  set(key: string, value: string): Promise<void>;
  /** Stores the value unless the key already has one, and returns the value now stored: safe when two processes race. */
  setIfAbsent(key: string, value: string): Promise<string>;
  /** By key. */
  list(): Promise<Setting[]>;
  /** True when there was a value to delete. */
  delete(key: string): Promise<boolean>;
}

interface SettingRow {
  name: string;
  value: string;
  updated_at: unknown;
}

function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 128) throw new StoreError('VALUE_OUT_OF_RANGE', 'a setting key must be 1 to 128 characters');
  return key;
}

function checkValue(key: string, value: string): string {
  if (typeof value !== 'string') throw new StoreError('VALUE_OUT_OF_RANGE', `setting ${key} must be a string`);
  return value;
}

export function settingsRepository(db: Db): SettingsRepository {
  const { codec } = db;
  const table = () => db.knex('platform_settings');
  const fromRow = (row: SettingRow): Setting => ({ key: row.name, value: row.value, updatedAt: codec.dateFromDb(row.updated_at, 'platform_settings.updated_at') });

  const find = async (key: string): Promise<Setting | undefined> => {
    const row = await run(db, table().first<SettingRow | undefined>('name', 'value', 'updated_at').where({ name: checkKey(key) }));
    return row === undefined ? undefined : fromRow(row);
  };

  return {
    async get(key) {
      return (await find(key))?.value;
    },
    find,
    async set(key, value) {
      const row = { name: checkKey(key), value: checkValue(key, value), updated_at: codec.dateToDb(new Date(), 'platform_settings.updated_at') };
      await run(db, table().insert(row).onConflict('name').merge(['value', 'updated_at']));
    },
    async setIfAbsent(key, value) {
      const row = { name: checkKey(key), value: checkValue(key, value), updated_at: codec.dateToDb(new Date(), 'platform_settings.updated_at') };
      await run(db, table().insert(row).onConflict('name').ignore());
      const stored = await find(key);
      if (stored === undefined) throw new StoreError('NOT_FOUND', `setting ${key} vanished while being set`);
      return stored.value;
    },
    async list() {
      return (await run(db, table().select<SettingRow[]>('name', 'value', 'updated_at').orderBy('name'))).map(fromRow);
    },
    async delete(key) {
      const count = await run(db, table().where({ name: checkKey(key) }).delete());
      return Number(count) > 0;
    },
  };
}

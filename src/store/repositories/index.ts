import type { Db } from './db';
import { countersRepository, type CountersRepository } from './counters';
import { keysRepository, type KeysRepository } from './keys';
import { settingsRepository, type SettingsRepository } from './settings';

/** The repositories, bound either to the pool or to one transaction. */
export interface Repositories {
  readonly keys: KeysRepository;
  readonly settings: SettingsRepository;
  readonly counters: CountersRepository;
}

export function repositories(db: Db): Repositories {
  return { keys: keysRepository(db), settings: settingsRepository(db), counters: countersRepository(db) };
}

export type { Db } from './db';

import type { StoreMigration } from './schema-helpers';
import { migration0001Keys } from './0001_keys';
import { migration0002PlatformSettings } from './0002_platform_settings';
import { migration0003Counters } from './0003_counters';

export type { StoreMigration } from './schema-helpers';

/**
 * Every migration, oldest first. Listed here rather than found on disk so that the same list is used under
 * swc in tests and from compiled dist/, whatever the file extension. A new migration is appended, never inserted.
 */
export const MIGRATIONS: readonly StoreMigration[] = [migration0001Keys, migration0002PlatformSettings, migration0003Counters];

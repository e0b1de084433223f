import { StoreError } from '../errors';
import { run, write, type Db } from './db';

export interface CountersRepository {
  /**
   * The next value of the named counter: 1 for a counter never used. Atomic under concurrent callers and
   * across processes (one upsert statement, serialised by the row lock / SQLite's writer lock).
   * VALUE_OUT_OF_RANGE when the counter is at the engine's largest exact integer.
   */
  next(name: string): Promise<bigint>;
  /** The last value handed out (or set by advanceTo), undefined for a counter never used. */
  current(name: string): Promise<bigint | undefined>;
  /** Makes sure the next value is above `value`; never moves a counter back. */
  advanceTo(name: string, value: bigint): Promise<void>;
}

interface CounterRow {
  value: unknown;
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) throw new StoreError('VALUE_OUT_OF_RANGE', 'a counter name must be 1 to 128 characters');
  return name;
}

export function countersRepository(db: Db): CountersRepository {
  const { codec, knex } = db;
  const table = () => knex('counters');
  const current = async (name: string): Promise<bigint | undefined> => {
    const row = await run(db, table().first<CounterRow | undefined>('value').where({ name: checkName(name) }));
    return row === undefined ? undefined : codec.integerFromDb(row.value, `counter ${name}`);
  };

  return {
    async next(name) {
      const limit = codec.integerToDb(codec.maxInteger, `counter ${name}`);
      const counter = checkName(name);
      const rows = await write(db, (k) =>
        k('counters')
          .insert({ name: counter, value: 1 })
          .onConflict('name')
          .merge({ value: k.raw('?? + 1', ['counters.value']) })
          // The guard keeps the increment from leaving the engine's exact range; no row comes back when it trips.
          .where('counters.value', '<', limit)
          .returning<CounterRow[]>('value'),
      );
      const row = rows[0];
      if (row === undefined) throw new StoreError('VALUE_OUT_OF_RANGE', `counter ${name} is at ${codec.maxInteger}, the largest value the ${codec.engine} store holds exactly`);
      return codec.integerFromDb(row.value, `counter ${name}`);
    },

    current,

    async advanceTo(name, value) {
      if (typeof value !== 'bigint' || value < 0n) throw new StoreError('VALUE_OUT_OF_RANGE', `counter ${name} cannot be set to a negative value`);
      const dbValue = codec.integerToDb(value, `counter ${name}`);
      await run(
        db,
        table()
          .insert({ name: checkName(name), value: dbValue })
          .onConflict('name')
          .merge({ value: dbValue })
          .where('counters.value', '<', dbValue),
      );
    },
  };
}

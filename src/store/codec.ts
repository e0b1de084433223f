import { StoreError } from './errors';

export type StoreEngine = 'sqlite' | 'postgres';

/**
 * The one place where JS values become column values and back, per engine.
 *
 * Integers: PostgreSQL int8 arrives as a JS bigint (the connection's type parser, see connection.ts) and is written
 * as a decimal string, so the whole int8 range is exact. The sqlite3 package reads every INTEGER into a JS number,
 * so a value above Number.MAX_SAFE_INTEGER would come back silently rounded: on SQLite we refuse to write such
 * values instead of storing something we cannot read back. Deployments that need larger values use PostgreSQL.
 *
 * Timestamps: UTC always. PostgreSQL stores timestamptz (written as ISO-8601 with Z); SQLite stores integer
 * milliseconds since the epoch, which sort and compare as numbers and carry no time zone to get wrong.
 */
export interface Codec {
  readonly engine: StoreEngine;
  /** Largest integer this engine stores exactly. */
  readonly maxInteger: bigint;
  readonly minInteger: bigint;
  integerToDb(value: bigint, what: string): number | string;
  integerFromDb(value: unknown, what: string): bigint;
  dateToDb(value: Date, what: string): number | string;
  dateFromDb(value: unknown, what: string): Date;
}

const INT8_MAX = 2n ** 63n - 1n;
const INT8_MIN = -(2n ** 63n);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);

function checkRange(value: bigint, what: string, min: bigint, max: bigint, engine: StoreEngine): void {
  if (typeof value !== 'bigint') throw new StoreError('VALUE_OUT_OF_RANGE', `${what} must be a bigint`);
  if (value > max || value < min) {
    const why = engine === 'sqlite' ? ' (the SQLite store keeps integers within ±(2^53-1); use PostgreSQL for larger values)' : '';
    throw new StoreError('VALUE_OUT_OF_RANGE', `${what} ${value} is outside ${min}..${max}${why}`);
  }
}

function integerFromDb(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is not an exact integer (${value})`);
    return BigInt(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is not an integer`);
}

function checkDate(value: Date, what: string): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} must be a valid Date`);
  return ms;
}

function dateFromDb(value: unknown, what: string): Date {
  const date = value instanceof Date ? value : typeof value === 'number' || typeof value === 'string' ? new Date(value) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is not a timestamp`);
  return date;
}

const sqliteCodec: Codec = {
  engine: 'sqlite',
  maxInteger: SAFE_MAX,
  minInteger: SAFE_MIN,
  integerToDb(value, what) {
    checkRange(value, what, SAFE_MIN, SAFE_MAX, 'sqlite');
    return Number(value);
  },
  integerFromDb,
  dateToDb(value, what) {
    return checkDate(value, what);
  },
  dateFromDb,
};

const postgresCodec: Codec = {
  engine: 'postgres',
  maxInteger: INT8_MAX,
  minInteger: INT8_MIN,
  integerToDb(value, what) {
    checkRange(value, what, INT8_MIN, INT8_MAX, 'postgres');
    return value.toString();
  },
  integerFromDb,
  dateToDb(value, what) {
    checkDate(value, what);
    return value.toISOString();
  },
  dateFromDb,
};

export function codecFor(engine: StoreEngine): Codec {
  return engine === 'sqlite' ? sqliteCodec : postgresCodec;
}

/** pg type parser for int8 (OID 20): exact, whatever the size. */
export function parseInt8(text: string): bigint {
  return BigInt(text);
}

import { StoreError } from '../../src/store';
import { codecFor } from '../../src/store/codec';
import { toStoreError, type ErrorContext } from '../../src/store/errors';

const context: ErrorContext = { phase: 'query', target: 'PostgreSQL at db.example:5432', database: 'mssp', user: 'app', secrets: ['s3cr3t'] };

function pgError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

function mapped(err: unknown, ctx: ErrorContext = context): StoreError {
  const out = toStoreError(err, ctx);
  expect(out).toBeInstanceOf(StoreError);
  return out as StoreError;
}

/** Driver errors a trust-auth test server cannot produce, mapped by the same function the store uses. */
describe('toStoreError', () => {
  it.each([
    ['23505', 'UNIQUE_VIOLATION'],
    ['28P01', 'AUTH_FAILED'],
    ['28000', 'AUTH_FAILED'],
    ['3D000', 'DATABASE_MISSING'],
    ['22003', 'VALUE_OUT_OF_RANGE'],
    ['08006', 'CONNECT_FAILED'],
    ['57P03', 'CONNECT_FAILED'],
  ])('maps SQLSTATE %s to %s', (code, storeCode) => {
    expect(mapped(pgError(code, 'insert into "x" - something')).code).toBe(storeCode);
  });

  it('maps a SCRAM request without a password to AUTH_FAILED', () => {
    expect(mapped(new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string')).code).toBe('AUTH_FAILED');
  });

  it('maps SQLite unique failures, and only those, to UNIQUE_VIOLATION', () => {
    const sqliteContext: ErrorContext = { phase: 'query', target: 'SQLite file /x', secrets: [] };
    expect(mapped(pgError('SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT: UNIQUE constraint failed: keys.label'), sqliteContext).code).toBe('UNIQUE_VIOLATION');
    const fk = pgError('SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT: FOREIGN KEY constraint failed');
    expect(toStoreError(fk, sqliteContext)).toBe(fk);
  });

  it('returns unknown query errors unchanged, and turns unknown connect errors into CONNECT_FAILED', () => {
    const odd = new Error('something else');
    expect(toStoreError(odd, context)).toBe(odd);
    expect(mapped(odd, { ...context, phase: 'connect' }).code).toBe('CONNECT_FAILED');
  });

  it('never lets a secret through, in the message or the cause', () => {
    const err = mapped(pgError('28P01', 'password s3cr3t is wrong'));
    expect(err.message).not.toContain('s3cr3t');
    expect((err.cause as Error).message).not.toContain('s3cr3t');
  });
});

describe('codec', () => {
  it('writes PostgreSQL int8 as exact decimal text and refuses what int8 cannot hold', () => {
    const pg = codecFor('postgres');
    expect(pg.integerToDb(2n ** 63n - 1n, 'v')).toBe('9223372036854775807');
    expect(() => pg.integerToDb(2n ** 63n, 'v')).toThrow(StoreError);
    expect(pg.integerFromDb('-9223372036854775808', 'v')).toBe(-(2n ** 63n));
  });

  it('refuses on SQLite what the sqlite3 package would read back rounded', () => {
    const sqlite = codecFor('sqlite');
    expect(sqlite.integerToDb(BigInt(Number.MAX_SAFE_INTEGER), 'v')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => sqlite.integerToDb(BigInt(Number.MAX_SAFE_INTEGER) + 1n, 'v')).toThrow(/SQLite/);
    expect(() => sqlite.integerFromDb(2 ** 60, 'v')).toThrow(StoreError);
  });

  it('keeps timestamps as UTC on both engines', () => {
    const at = new Date('2024-06-30T23:59:59.999Z');
    expect(codecFor('sqlite').dateToDb(at, 't')).toBe(at.getTime());
    expect(codecFor('postgres').dateToDb(at, 't')).toBe('2024-06-30T23:59:59.999Z');
    expect(codecFor('sqlite').dateFromDb(at.getTime(), 't')).toEqual(at);
    expect(() => codecFor('postgres').dateToDb(new Date(Number.NaN), 't')).toThrow(StoreError);
  });
});

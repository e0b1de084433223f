/**
 * The store's failures as a closed set of codes, and the one function that turns driver errors
 * (pg SQLSTATEs, sqlite3 result codes, socket errors, knex pool timeouts) into them.
 */

export const STORE_ERROR_CODES = [
  'CONNECT_FAILED',
  'AUTH_FAILED',
  'DATABASE_MISSING',
  'BAD_URL',
  'MIGRATION_FAILED',
  'UNIQUE_VIOLATION',
  'NOT_FOUND',
  'VALUE_OUT_OF_RANGE',
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/**
 * Messages are one line and never carry a password or a bound value: `mssp start` prints them as they are,
 * and operators paste them into tickets. Driver details go to `cause`.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/** What the mapper needs to say where the failure happened without revealing secrets. */
export interface ErrorContext {
  /** Connecting (or first query after connecting): any unknown failure means the store is unusable. */
  readonly phase: 'connect' | 'query';
  /** e.g. `PostgreSQL at db.example:5432` or `SQLite file /data/mssp.sqlite`. */
  readonly target: string;
  /** Only for PostgreSQL: the database and user named in the URL, quoted in messages. */
  readonly database?: string;
  readonly user?: string;
  /** Strings that must not appear in a message (the password, raw and percent-encoded). */
  readonly secrets: readonly string[];
}

interface DriverErrorFields {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  name?: unknown;
  constraint?: unknown;
  table?: unknown;
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT', // a Unix socket path that does not exist
]);

function fieldsOf(err: unknown): DriverErrorFields {
  return typeof err === 'object' && err !== null ? (err as DriverErrorFields) : {};
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

/** The driver's own words, without the SQL knex prefixes to query errors, on one line. */
function driverReason(err: unknown, secrets: readonly string[]): string {
  const raw = typeof fieldsOf(err).message === 'string' ? (fieldsOf(err).message as string) : String(err);
  const withoutSql = raw.includes(' - ') ? raw.slice(raw.lastIndexOf(' - ') + 3) : raw;
  return redact(withoutSql, secrets).replace(/\s*\n\s*/g, ' ').trim();
}

/** The original error if it is safe to print, otherwise a copy of its message with the secrets removed. */
function safeCause(err: unknown, secrets: readonly string[]): unknown {
  const message = typeof fieldsOf(err).message === 'string' ? (fieldsOf(err).message as string) : '';
  return redact(message, secrets) === message ? err : new Error(redact(message, secrets));
}

function pgUniqueMessage(fields: DriverErrorFields): string {
  const constraint = typeof fields.constraint === 'string' ? ` (${fields.constraint})` : '';
  const table = typeof fields.table === 'string' ? ` in ${fields.table}` : '';
  return `a row with the same unique value already exists${table}${constraint}`;
}

/**
 * The single mapping from driver errors to StoreError. Errors it does not recognise outside the connect phase
 * are returned unchanged: they are programming errors and their stack matters more than a code.
 */
export function toStoreError(err: unknown, context: ErrorContext): unknown {
  if (err instanceof StoreError) return err;
  const fields = fieldsOf(err);
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  const reason = driverReason(err, context.secrets);
  const cause = safeCause(err, context.secrets);
  const make = (storeCode: StoreErrorCode, message: string): StoreError => new StoreError(storeCode, message, { cause });

  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    // PostgreSQL SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html)
    if (code === '23505') return make('UNIQUE_VIOLATION', pgUniqueMessage(fields));
    if (code === '28P01' || code === '28000') {
      const who = context.user !== undefined ? ` user "${context.user}"` : '';
      return make('AUTH_FAILED', `${context.target} refused${who}: ${reason}`);
    }
    if (code === '3D000') {
      const db = context.database !== undefined ? `"${context.database}"` : 'named in DATABASE_URL';
      return make('DATABASE_MISSING', `${context.target} has no database ${db} (${reason})`);
    }
    if (code === '22003') return make('VALUE_OUT_OF_RANGE', `value out of range: ${reason}`);
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') {
      return make('CONNECT_FAILED', `cannot use ${context.target}: ${reason}`);
    }
  }

  if (code === 'SQLITE_CONSTRAINT' && /UNIQUE constraint failed/i.test(reason)) {
    return make('UNIQUE_VIOLATION', `a row with the same unique value already exists (${reason.replace(/^SQLITE_CONSTRAINT:\s*/, '')})`);
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB' || code === 'SQLITE_PERM' || code === 'SQLITE_CORRUPT') {
    return make('CONNECT_FAILED', `cannot open ${context.target}: ${reason}`);
  }

  if (code !== undefined && SOCKET_CODES.has(code)) {
    return make('CONNECT_FAILED', `cannot connect to ${context.target}: ${reason}`);
  }
  // pg asks for a password only when the server demands one (SCRAM/md5) and the URL has none.
  if (/SASL|client password must be a string|password authentication/i.test(reason)) {
    return make('AUTH_FAILED', `${context.target} asks for a password that DATABASE_URL does not give: ${reason}`);
  }
  if (fields.name === 'KnexTimeoutError' || /Connection terminated|timeout expired/i.test(reason)) {
    return make('CONNECT_FAILED', `cannot connect to ${context.target}: ${reason}`);
  }
  if (context.phase === 'connect') return make('CONNECT_FAILED', `cannot use ${context.target}: ${reason}`);
  return err;
}

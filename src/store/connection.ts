import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Logger } from '../log';
import { parseInt8, type StoreEngine } from './codec';
import { StoreError, toStoreError, type ErrorContext } from './errors';

/** Where the store lives, as decided from the options, before anything is opened. */
export interface Target {
  readonly engine: StoreEngine;
  readonly context: ErrorContext;
  readonly knexConfig: Knex.Config;
  /** PostgreSQL schema every connection uses (search_path), created when missing. */
  readonly schema?: string;
  /** SQLite file, whose folder must exist before the driver opens it. */
  readonly sqliteFile?: string;
}

export interface ConnectionOptions {
  readonly databaseUrl?: string;
  readonly sqliteFile: string;
  readonly postgresSchema?: string;
  readonly connectTimeoutMs?: number;
  readonly poolMax?: number;
  readonly logger?: Logger;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const ACQUIRE_TIMEOUT_MS = 30_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const URL_HINT = 'expected postgres://user:password@host:port/database';

interface PgRawConnection {
  setTypeParser(oid: number, format: 'text', parse: (text: string) => unknown): void;
}

interface SqliteRawConnection {
  exec(sql: string, callback: (err: Error | null) => void): void;
}

type AfterCreate<C> = (connection: C, done: (err: Error | null, connection: C) => void) => void;

const PG_INT8_OID = 20;

function knexLog(logger: Logger | undefined): Knex.Config['log'] {
  // Without a logger knex writes to the console, which would add lines to the CLI's one-line errors.
  const sink = (level: 'warn' | 'error' | 'debug') => (message: unknown) => {
    if (logger) logger[level]({ component: 'store' }, String(message));
  };
  return { warn: sink('warn'), error: sink('error'), debug: sink('debug'), deprecate: () => undefined };
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new StoreError('BAD_URL', `DATABASE_URL has a badly escaped ${what} (${URL_HINT})`);
  }
}

/** Checks the URL ourselves so that a typo gives BAD_URL at once instead of a driver error about a host called "undefined". */
export function postgresTarget(options: ConnectionOptions): Target {
  const raw = options.databaseUrl ?? '';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StoreError('BAD_URL', `DATABASE_URL is not a URL (${URL_HINT})`);
  }
  const password = decode(url.password, 'password');
  const secrets = [password, url.password].filter((s) => s.length > 0);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new StoreError('BAD_URL', `DATABASE_URL must use the postgres:// scheme, not ${url.protocol.slice(0, 20)}// (${URL_HINT})`);
  }
  const socketHost = url.searchParams.get('host');
  if (url.hostname === '' && socketHost === null) throw new StoreError('BAD_URL', `DATABASE_URL names no host (${URL_HINT})`);
  const host = url.hostname !== '' ? url.hostname : (socketHost ?? '');
  const port = url.port !== '' ? url.port : '5432';
  const user = url.username !== '' ? decode(url.username, 'user name') : undefined;
  const database = url.pathname.length > 1 ? decode(url.pathname.slice(1), 'database name') : user;
  const schema = options.postgresSchema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new StoreError('BAD_URL', `PostgreSQL schema name "${schema.slice(0, 64)}" must be lower-case letters, digits and _`);
  }

  const afterCreate: AfterCreate<PgRawConnection> = (connection, done) => {
    // Per connection rather than pg's global registry: exact int8 must not depend on who loaded pg first.
    connection.setTypeParser(PG_INT8_OID, 'text', parseInt8);
    done(null, connection);
  };
  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const knexConfig: Knex.Config = {
    client: 'pg',
    connection: { connectionString: raw, connectionTimeoutMillis: connectTimeout, application_name: 'mssp' },
    pool: { min: 0, max: options.poolMax ?? 10, afterCreate },
    // How long a query may queue for a free connection; failing to connect is bounded by connectTimeout instead,
    // because knex rejects waiting queries as soon as opening a connection fails.
    acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
    ...(schema !== undefined ? { searchPath: [schema] } : {}),
    // Otherwise knex puts the bound values into error messages, and those reach logs.
    compileSqlOnError: false,
    log: knexLog(options.logger),
  };
  return {
    engine: 'postgres',
    knexConfig,
    ...(schema !== undefined ? { schema } : {}),
    context: {
      phase: 'connect',
      target: `PostgreSQL at ${host}:${port}`,
      ...(database !== undefined ? { database } : {}),
      ...(user !== undefined ? { user } : {}),
      secrets,
    },
  };
}

export function sqliteTarget(options: ConnectionOptions): Target {
  const file = options.sqliteFile === ':memory:' ? ':memory:' : resolve(options.sqliteFile);
  const afterCreate: AfterCreate<SqliteRawConnection> = (connection, done) => {
    // foreign_keys is off by default in SQLite; WAL lets readers in other processes (mssp CLI) work while the
    // platform writes; busy_timeout makes a writer wait for another process's lock instead of failing at once.
    connection.exec(
      `PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS};`,
      (err) => done(err, connection),
    );
  };
  return {
    engine: 'sqlite',
    sqliteFile: file,
    knexConfig: {
      client: 'sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      // One connection: SQLite has one writer anyway, and one connection keeps the pragmas and serialises
      // in-process transactions instead of failing them with SQLITE_BUSY.
      pool: { min: 1, max: 1, afterCreate },
      acquireConnectionTimeout: ACQUIRE_TIMEOUT_MS,
      compileSqlOnError: false,
      log: knexLog(options.logger),
    },
    context: { phase: 'connect', target: `SQLite file ${file}`, secrets: [] },
  };
}

export function targetFor(options: ConnectionOptions): Target {
  return options.databaseUrl !== undefined ? postgresTarget(options) : sqliteTarget(options);
}

export async function selectOne(knex: Knex): Promise<void> {
  await knex.raw('select 1');
}

/**
 * Opens the pool and proves it works with one query, so that a wrong DATABASE_URL fails here, within the
 * connect timeout, as one StoreError, and not later in the middle of a request.
 */
export async function connect(target: Target): Promise<Knex> {
  if (target.sqliteFile !== undefined && target.sqliteFile !== ':memory:') {
    try {
      mkdirSync(dirname(target.sqliteFile), { recursive: true });
    } catch (err) {
      throw new StoreError('CONNECT_FAILED', `cannot create the folder of ${target.context.target}: ${(err as Error).message}`, { cause: err });
    }
  }
  const knex = knexFactory(target.knexConfig);
  try {
    await selectOne(knex);
    if (target.schema !== undefined) await ensureSchema(knex, target.schema);
    return knex;
  } catch (err) {
    await knex.destroy().catch(() => undefined);
    throw toStoreError(err, target.context);
  }
}

async function ensureSchema(knex: Knex, schema: string): Promise<void> {
  try {
    await knex.raw('create schema if not exists ??', [schema]);
  } catch (err) {
    // Two processes creating the same schema at once: one loses the race on pg_namespace, and the schema exists.
    const code = (err as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

export async function dropSchema(knex: Knex, schema: string): Promise<void> {
  await knex.raw('drop schema if exists ?? cascade', [schema]);
}

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import pg, { type Client as PgClient } from 'pg';
import type { Logger } from '../log';
import { StoreError } from './errors';

/**
 * A small event bus owned by the store, so that several platform nodes sharing one database hear each other
 * (DESIGN.md "One store, two engines"): a handset's answer that reached one node wakes the request waiting on
 * another. PostgreSQL: NOTIFY through the pool, LISTEN on one dedicated connection that comes back after a
 * failure. SQLite: an in-process emitter shared by every store opened on the same file in this process (one
 * SQLite platform is one process).
 *
 * Delivery is at most once and only to subscribers listening at the time (LISTEN/NOTIFY keeps no history): a
 * user of the bus must still be correct when an event is lost, e.g. by reading the store at a deadline.
 * Every subscriber gets every event, including those its own store published.
 */

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_EVENT_BYTES = 7_900;
const TOPIC_NAME = /^[a-z][a-z0-9._-]{0,39}$/;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

export interface Topic<T> {
  /** Sends the payload (JSON) to every subscriber of this topic on this database, this store's included. */
  publish(payload: T): Promise<void>;
  /** Calls `handler` for each event that `parse` accepts; returns the unsubscribe. */
  subscribe(handler: (payload: T) => void): () => void;
}

export interface EventBus {
  /**
   * The topic `name` (lower-case letters, digits, `.`, `_`, `-`). `parse` checks what arrives: another process
   * may run another version, so an event it rejects (undefined) is logged and dropped.
   */
  topic<T>(name: string, parse: (value: unknown) => T | undefined): Topic<T>;
  /** Resolves once every topic subscribed so far is listened to (PostgreSQL: LISTEN done). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresEventOptions {
  readonly engine: 'postgres';
  readonly knex: Knex;
  readonly databaseUrl: string;
  /** Namespaces the channels, so two deployments in one database (two schemas) do not hear each other. */
  readonly schema: string;
  readonly connectTimeoutMs: number;
  readonly logger?: Logger;
}

export interface SqliteEventOptions {
  readonly engine: 'sqlite';
  /** The resolved file: stores on the same file in this process share one emitter. */
  readonly file: string;
  readonly logger?: Logger;
}

type Deliver = (text: string) => void;

function checkTopic(name: string): string {
  if (!TOPIC_NAME.test(name)) throw new StoreError('VALUE_OUT_OF_RANGE', `event topic "${name.slice(0, 64)}" must be lower-case letters, digits, . _ -`);
  return name;
}

function encode(payload: unknown, topic: string): string {
  const text = JSON.stringify(payload);
  if (text === undefined) throw new StoreError('VALUE_OUT_OF_RANGE', `event on ${topic} is not JSON`);
  if (Buffer.byteLength(text) > MAX_EVENT_BYTES) throw new StoreError('VALUE_OUT_OF_RANGE', `event on ${topic} is over ${MAX_EVENT_BYTES} bytes`);
  return text;
}

/** The dispatch both engines share: parse the JSON, check it, call the handlers; a bad event is logged, never thrown. */
function makeTopic<T>(name: string, parse: (value: unknown) => T | undefined, send: (text: string) => Promise<void>, listen: (deliver: Deliver) => () => void, logger: Logger | undefined): Topic<T> {
  const handlers = new Set<(payload: T) => void>();
  let stop: (() => void) | undefined;
  const deliver: Deliver = (text) => {
    let payload: T | undefined;
    try {
      payload = parse(JSON.parse(text) as unknown);
    } catch {
      payload = undefined;
    }
    if (payload === undefined) {
      logger?.warn({ event: 'store.event.refused', topic: name, bytes: text.length }, 'event not understood: dropped');
      return;
    }
    for (const handler of [...handlers]) {
      try {
        handler(payload);
      } catch (err) {
        logger?.error({ err, event: 'store.event.handler', topic: name }, 'an event handler failed');
      }
    }
  };
  return {
    publish: async (payload) => send(encode(payload, name)),
    subscribe(handler) {
      handlers.add(handler);
      stop ??= listen(deliver);
      return () => {
        handlers.delete(handler);
        if (handlers.size === 0 && stop !== undefined) {
          stop();
          stop = undefined;
        }
      };
    },
  };
}

// ---- SQLite: one emitter per file in this process -----------------------------------------------------------

const emitters = new Map<string, { emitter: EventEmitter; users: number }>();

function sqliteBus(options: SqliteEventOptions): EventBus {
  // A :memory: database is private to its store, and so are its events.
  const key = options.file === ':memory:' ? Symbol('memory').toString() + Math.random().toString(36) : options.file;
  let entry = emitters.get(key);
  if (entry === undefined) {
    entry = { emitter: new EventEmitter(), users: 0 };
    entry.emitter.setMaxListeners(0);
    emitters.set(key, entry);
  }
  entry.users += 1;
  const { emitter } = entry;
  let closed = false;
  return {
    topic(name, parse) {
      const topic = checkTopic(name);
      return makeTopic(
        topic,
        parse,
        async (text) => {
          // Later, not inside publish: a PostgreSQL subscriber never runs inside the publisher's call either.
          setImmediate(() => emitter.emit(topic, text));
        },
        (deliver) => {
          emitter.on(topic, deliver);
          return () => emitter.off(topic, deliver);
        },
        options.logger,
      );
    },
    ready: () => Promise.resolve(),
    close: async () => {
      if (closed) return;
      closed = true;
      const e = emitters.get(key);
      if (e !== undefined && (e.users -= 1) === 0) emitters.delete(key);
    },
  };
}

// ---- PostgreSQL: NOTIFY through the pool, LISTEN on one connection ------------------------------------------

/** NOTIFY channel names are identifiers (at most 63 bytes); long ones are shortened to a hash. */
function channelName(schema: string, topic: string): string {
  const name = `mssp:${schema}:${topic}`;
  return name.length <= 63 ? name : `mssp:${createHash('sha256').update(name).digest('hex').slice(0, 48)}`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

class PgListener {
  private client: PgClient | undefined;
  private readonly deliveries = new Map<string, Set<Deliver>>();
  private work: Promise<void> = Promise.resolve();
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** How many times the connection was made again after a loss (for tests and the log). */
  reconnects = 0;

  constructor(private readonly options: PostgresEventOptions) {}

  add(channel: string, deliver: Deliver): () => void {
    let set = this.deliveries.get(channel);
    if (set === undefined) {
      set = new Set();
      this.deliveries.set(channel, set);
      this.enqueue(async () => {
        const client = await this.connected();
        await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      });
    }
    set.add(deliver);
    return () => {
      set.delete(deliver);
    };
  }

  ready(): Promise<void> {
    return this.work.then(() => {
      if (this.client === undefined && this.deliveries.size > 0) throw new StoreError('CONNECT_FAILED', 'the event listener is not connected to PostgreSQL');
    });
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step).catch((err: unknown) => {
      this.options.logger?.warn({ event: 'store.events.failed', reason: err instanceof Error ? err.message : String(err) }, 'event listener failed: retrying');
      this.lost();
    });
  }

  private async connected(): Promise<PgClient> {
    if (this.client !== undefined) return this.client;
    if (this.closed) throw new StoreError('CONNECT_FAILED', 'the event bus is closed');
    const client = new pg.Client({ connectionString: this.options.databaseUrl, connectionTimeoutMillis: this.options.connectTimeoutMs, application_name: 'mssp-events' });
    client.on('error', (err) => {
      this.options.logger?.warn({ event: 'store.events.lost', reason: err.message }, 'event listener connection lost');
      if (this.client === client) this.lost();
    });
    client.on('end', () => {
      if (this.client === client) this.lost();
    });
    client.on('notification', (n) => {
      const set = this.deliveries.get(n.channel);
      if (set !== undefined && n.payload !== undefined) for (const deliver of [...set]) deliver(n.payload);
    });
    try {
      await client.connect();
      // Every channel wanted so far, so a new connection listens to what the lost one did.
      for (const channel of this.deliveries.keys()) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (err) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    return client;
  }

  /** Drops the connection and makes a new one after a back-off; events sent meanwhile are missed (see top). */
  private lost(): void {
    const old = this.client;
    this.client = undefined;
    if (old !== undefined) {
      old.removeAllListeners();
      old.on('error', () => undefined);
      void old.end().catch(() => undefined);
    }
    if (this.closed || this.retryTimer !== undefined || this.deliveries.size === 0) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.reconnects += 1;
      this.enqueue(async () => {
        await this.connected();
        this.options.logger?.info({ event: 'store.events.reconnected' }, 'event listener connected again');
      });
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await this.work.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}

function postgresBus(options: PostgresEventOptions): EventBus & { readonly listener: PgListener } {
  const listener = new PgListener(options);
  return {
    listener,
    topic(name, parse) {
      const channel = channelName(options.schema, checkTopic(name));
      return makeTopic(
        name,
        parse,
        async (text) => {
          try {
            await options.knex.raw('select pg_notify(?, ?)', [channel, text]);
          } catch (err) {
            throw new StoreError('CONNECT_FAILED', `event on ${name} not sent: PostgreSQL did not take the NOTIFY`, { cause: err });
          }
        },
        (deliver) => listener.add(channel, deliver),
        options.logger,
      );
    },
    ready: () => listener.ready(),
    close: () => listener.close(),
  };
}

export function createEventBus(options: PostgresEventOptions | SqliteEventOptions): EventBus {
  return options.engine === 'postgres' ? postgresBus(options) : sqliteBus(options);
}

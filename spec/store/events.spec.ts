import { openStore, type Store } from '../../src/store';
import { throwawaySchemaName } from '../../src/store/testing';
import { TEST_DATABASE_URL } from '../support/postgres';
import { STORE_ENGINES, type StoreFixture } from './engines';

/**
 * The store's event bus (src/store/events.ts): what several nodes on one database use to hear each other.
 * Two Store objects stand for two nodes: on PostgreSQL each has its own pool and its own LISTEN connection.
 */

interface Ping {
  readonly id: string;
  readonly n: number;
}

const parsePing = (v: unknown): Ping | undefined => {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return typeof o.id === 'string' && typeof o.n === 'number' ? { id: o.id, n: o.n } : undefined;
};

function collect(store: Store, topic = 'test.ping'): { readonly got: Ping[]; stop(): void } {
  const got: Ping[] = [];
  const stop = store.events.topic(topic, parsePing).subscribe((p) => got.push(p));
  return { got, stop };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for events');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settle = (ms = 200): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(STORE_ENGINES)('store events on %s', (engine, engineCase) => {
  let fixture: StoreFixture;
  let a: Store;
  let b: Store;

  beforeEach(async () => {
    fixture = await engineCase.fresh();
    a = fixture.store;
    b = await fixture.openSecond();
  });
  afterEach(() => fixture.close());

  test('an event published by one store reaches subscribers of both, in order, and not other topics', async () => {
    const onA = collect(a);
    const onB = collect(b);
    const other = collect(b, 'test.other');
    await Promise.all([a.events.ready(), b.events.ready()]);
    for (let n = 0; n < 20; n += 1) await a.events.topic('test.ping', parsePing).publish({ id: 'a', n });
    await b.events.topic('test.ping', parsePing).publish({ id: 'b', n: 0 });
    await until(() => onA.got.length === 21 && onB.got.length === 21);
    expect(onB.got.filter((p) => p.id === 'a').map((p) => p.n)).toEqual([...Array(20).keys()]);
    expect(onA.got.at(-1)).toEqual({ id: 'b', n: 0 });
    await settle();
    expect(other.got).toEqual([]);
    onA.stop();
    onB.stop();
    other.stop();
  });

  test('an event the parser refuses is dropped; an unsubscribed handler hears nothing more', async () => {
    const onB = collect(b);
    await b.events.ready();
    const loose = a.events.topic('test.ping', (v) => v);
    await loose.publish({ id: 7 });
    await loose.publish({ id: 'ok', n: 1 });
    await until(() => onB.got.length === 1);
    expect(onB.got).toEqual([{ id: 'ok', n: 1 }]);
    onB.stop();
    await loose.publish({ id: 'late', n: 2 });
    await settle();
    expect(onB.got).toHaveLength(1);
  });

  test('refuses bad topic names and events too large for NOTIFY', async () => {
    expect(() => a.events.topic('Bad Topic', parsePing)).toThrow(/topic/);
    await expect(a.events.topic('test.big', (v) => v).publish({ blob: 'x'.repeat(8_000) })).rejects.toMatchObject({ code: 'VALUE_OUT_OF_RANGE' });
  });

  if (engine === 'postgres') {
    test('two deployments in one database (two schemas) do not hear each other', async () => {
      const elsewhere = await openStore({ databaseUrl: TEST_DATABASE_URL, sqliteFile: '', postgresSchema: throwawaySchemaName() });
      try {
        const there = collect(elsewhere);
        const here = collect(b);
        await Promise.all([elsewhere.events.ready(), b.events.ready()]);
        await a.events.topic('test.ping', parsePing).publish({ id: 'a', n: 1 });
        await until(() => here.got.length === 1);
        await settle();
        expect(there.got).toEqual([]);
      } finally {
        await elsewhere.close();
      }
    });

    test('the listener comes back after its connection is killed and hears later events', async () => {
      // A topic of its own, so the connection killed is this store's and not one of another test file.
      const topic = `test.kill-${Date.now().toString(36)}`;
      const onB = collect(b, topic);
      await b.events.ready();
      const send = a.events.topic(topic, parsePing);
      await send.publish({ id: 'before', n: 0 });
      await until(() => onB.got.length === 1);
      const { rows } = (await rawQuery(`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'mssp-events' and query like '%:${topic}"'`)) as { rows: unknown[] };
      expect(rows).toHaveLength(1);
      // Published until one arrives: events sent while the listener is away are missed, by design.
      let n = 1;
      await until(() => {
        void send.publish({ id: 'after', n: (n += 1) });
        return onB.got.some((p) => p.id === 'after');
      }, 10_000);
      onB.stop();
    });
  }
});

/** The one raw query this spec needs (killing a backend); the store offers no such thing on purpose. */
async function rawQuery(sql: string): Promise<unknown> {
  const { Client } = (await import('pg')).default;
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

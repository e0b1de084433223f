import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { CommitGroup } from '../../src/store/commit-group';
import { STORE_ENGINES } from './engines';

/**
 * Group commit (src/store/commit-group.ts): SQLite writes from the pool share commits, each caller is answered
 * only after the commit, and a statement refused by a constraint fails its caller alone.
 */
describe('CommitGroup on a SQLite file', () => {
  let dir: string;
  let knex: Knex;
  let statements: string[];
  beforeEach(async () => {
    dir = join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), `commit-group-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir, { recursive: true });
    knex = knexFactory({ client: 'sqlite3', connection: { filename: join(dir, 'db.sqlite') }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
    await knex.schema.createTable('t', (t) => {
      t.string('k').primary();
    });
    statements = [];
    knex.on('query', (q: { sql: string }) => statements.push(q.sql));
  });
  afterEach(async () => {
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('100 concurrent inserts take far fewer than 100 commits, and every one is in the table when its caller hears', async () => {
    const group = new CommitGroup(knex);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    await Promise.all(
      keys.map(async (k) => {
        await group.run((trx) => trx('t').insert({ k }));
        // Answered after the commit: another connection would see it; here the pool's next query does.
        expect(await knex('t').where({ k }).first()).toEqual({ k });
      }),
    );
    const commits = statements.filter((s) => /^commit/i.test(s)).length;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(10);
    expect(await knex('t').count({ n: '*' })).toEqual([{ n: 100 }]);
  });

  it('a duplicate key fails only its own caller; the rest of its batch is committed', async () => {
    const group = new CommitGroup(knex);
    const results = await Promise.allSettled(['a', 'b', 'a', 'c', 'b'].map((k) => group.run((trx) => trx('t').insert({ k }))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: expect.stringMatching(/^SQLITE_CONSTRAINT/) as unknown });
    expect((await knex('t').select('k').orderBy('k')).map((r: { k: string }) => r.k)).toEqual(['a', 'b', 'c']);
  });

  it('any other failure rolls the whole batch back and every caller in it gets the error', async () => {
    const group = new CommitGroup(knex);
    const results = await Promise.allSettled([
      group.run((trx) => trx('t').insert({ k: 'x' })),
      group.run((trx) => trx('t').insert({ k: 'y' })),
      group.run((trx) => trx('no_such_table').insert({ k: 'z' })),
    ]);
    // The first insert may have been committed on its own before the others queued; nothing after it was.
    expect(results[2]?.status).toBe('rejected');
    const kept = (await knex('t').select('k')).map((r: { k: string }) => r.k);
    expect(kept).not.toContain('y');
    expect(results[1]?.status).toBe('rejected');
  });
});

describe.each(STORE_ENGINES)('writes that share commits, on %s', (_name, engine) => {
  it('concurrent AP_TransID claims: exactly the replays are refused; concurrent counters hand out 1..n', async () => {
    const fx = await engine.fresh();
    try {
      await fx.store.migrate();
      await fx.store.mss.insertAp({ apId: 'http://ap.test', passwordHash: 'x', tlsFingerprint: null, notificationUrl: null, ipAllow: [], profiles: [], formats: [], ratePerSecond: 10 });
      const ids = Array.from({ length: 60 }, (_, i) => `t${i % 50}`);
      const claimed = await Promise.all(ids.map((id) => fx.store.mss.claimApTransId('http://ap.test', id)));
      expect(claimed.filter((c) => c)).toHaveLength(50);
      expect(claimed.slice(50).every((c) => !c)).toBe(true);
      const values = await Promise.all(Array.from({ length: 40 }, () => fx.store.counters.next('group-test')));
      expect(values.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    } finally {
      await fx.close();
    }
  });
});

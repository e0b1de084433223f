import { MIGRATIONS } from '../../src/store/migrations';
import { isStoreError, StoreError, type NewKey, type Store, type StoreErrorCode } from '../../src/store';
import { STORE_ENGINES, type StoreFixture } from './engines';

const ALL_MIGRATIONS = MIGRATIONS.map((m) => m.name);

async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return err as StoreError;
}

function newKey(label: string, overrides: Partial<NewKey> = {}): NewKey {
  return { label, pkcs11Id: 'A1B2', algorithm: 'P-256', purpose: 'system', tokenLabel: 'mssp', ...overrides };
}

describe.each(STORE_ENGINES)('store on %s', (engine, engineCase) => {
  describe('migrations', () => {
    let fx: StoreFixture;
    beforeAll(async () => {
      fx = await engineCase.fresh();
    });
    afterAll(async () => {
      await fx?.close();
    });

    it('reports the engine and answers ping', async () => {
      expect(fx.store.engine).toBe(engine);
      await expect(fx.store.ping()).resolves.toBeUndefined();
    });

    it('lists every migration as pending on an empty database, without creating anything', async () => {
      await expect(fx.store.migrationStatus()).resolves.toEqual({ applied: [], pending: ALL_MIGRATIONS, unknown: [] });
      await expect(fx.store.migrationStatus()).resolves.toEqual({ applied: [], pending: ALL_MIGRATIONS, unknown: [] });
    });

    it('migrates from empty to latest, then finds nothing to do', async () => {
      await expect(fx.store.migrate()).resolves.toEqual({ applied: ALL_MIGRATIONS });
      await expect(fx.store.migrate()).resolves.toEqual({ applied: [] });
      await expect(fx.store.migrationStatus()).resolves.toEqual({ applied: ALL_MIGRATIONS, pending: [], unknown: [] });
    });

    it('rolls back to zero and migrates up again, keeping the repositories usable', async () => {
      await fx.store.settings.set('before', 'rollback');
      await expect(fx.store.rollback({ all: true })).resolves.toEqual({ reverted: [...ALL_MIGRATIONS].reverse() });
      await expect(fx.store.migrationStatus()).resolves.toEqual({ applied: [], pending: ALL_MIGRATIONS, unknown: [] });
      await expect(fx.store.settings.get('before')).rejects.toThrow();
      await expect(fx.store.migrate()).resolves.toEqual({ applied: ALL_MIGRATIONS });
      await expect(fx.store.settings.get('before')).resolves.toBeUndefined();
      await fx.store.settings.set('after', 'migrate');
      await expect(fx.store.settings.get('after')).resolves.toBe('migrate');
    });

    it('rollback without `all` undoes only the last migrate()', async () => {
      await expect(fx.store.rollback()).resolves.toEqual({ reverted: [...ALL_MIGRATIONS].reverse() });
      await expect(fx.store.rollback()).resolves.toEqual({ reverted: [] });
      await expect(fx.store.migrate()).resolves.toEqual({ applied: ALL_MIGRATIONS });
    });
  });

  it('two processes migrating the same empty database at once both succeed, and the migrations run once', async () => {
    const fx = await engineCase.fresh();
    try {
      const second = await fx.openSecond();
      const [a, b] = await Promise.all([fx.store.migrate(), second.migrate()]);
      expect([...a.applied, ...b.applied].sort()).toEqual(ALL_MIGRATIONS);
      await expect(second.migrationStatus()).resolves.toEqual({ applied: ALL_MIGRATIONS, pending: [], unknown: [] });
    } finally {
      await fx.close();
    }
  });

  describe('repositories', () => {
    let fx: StoreFixture;
    let store: Store;
    beforeAll(async () => {
      fx = await engineCase.fresh();
      store = fx.store;
      await store.migrate();
    });
    afterAll(async () => {
      await fx?.close();
    });

    describe('keys', () => {
      it('adds, finds by label, lists and retires', async () => {
        const createdAt = new Date('2024-02-29T23:59:59.123Z');
        const added = await store.keys.add(newKey('ca-root-1', { pkcs11Id: 'CA01', algorithm: 'RSA-3072', purpose: 'ca-root', createdAt }));
        expect(added).toEqual({
          label: 'ca-root-1',
          pkcs11Id: 'ca01',
          algorithm: 'RSA-3072',
          purpose: 'ca-root',
          tokenLabel: 'mssp',
          createdAt,
          retiredAt: null,
        });
        await expect(store.keys.findByLabel('ca-root-1')).resolves.toEqual(added);
        await expect(store.keys.findByLabel('nobody')).resolves.toBeUndefined();

        await store.keys.add(newKey('audit-1', { pkcs11Id: 'a0d1', purpose: 'audit', createdAt: new Date('2024-03-01T00:00:00Z') }));
        await store.keys.add(newKey('ocsp-1', { pkcs11Id: '0c5b', algorithm: 'P-384', purpose: 'ocsp', createdAt: new Date('2024-03-02T00:00:00Z') }));
        expect((await store.keys.list()).map((k) => k.label)).toEqual(['ca-root-1', 'audit-1', 'ocsp-1']);
        expect((await store.keys.list({ purpose: 'audit' })).map((k) => k.label)).toEqual(['audit-1']);

        const retiredAt = new Date('2025-01-01T12:00:00.500Z');
        const retired = await store.keys.retire('audit-1', retiredAt);
        expect(retired.retiredAt).toEqual(retiredAt);
        // A second retirement keeps the first date.
        await expect(store.keys.retire('audit-1', new Date('2030-01-01T00:00:00Z'))).resolves.toEqual(retired);
        expect((await store.keys.list({ activeOnly: true })).map((k) => k.label)).toEqual(['ca-root-1', 'ocsp-1']);
        expect((await store.keys.list()).map((k) => k.label)).toEqual(['ca-root-1', 'audit-1', 'ocsp-1']);
      });

      it('maps a duplicate label, or a duplicate token and id, to UNIQUE_VIOLATION', async () => {
        await store.keys.add(newKey('dup-1', { pkcs11Id: 'd001' }));
        await expectStoreError(store.keys.add(newKey('dup-1', { pkcs11Id: 'd002' })), 'UNIQUE_VIOLATION');
        await expectStoreError(store.keys.add(newKey('dup-2', { pkcs11Id: 'D001' })), 'UNIQUE_VIOLATION');
        // The same CKA_ID in another token is another key.
        await expect(store.keys.add(newKey('dup-3', { pkcs11Id: 'd001', tokenLabel: 'other' }))).resolves.toMatchObject({ label: 'dup-3' });
      });

      it('refuses values the inventory cannot describe', async () => {
        await expectStoreError(store.keys.add(newKey('bad-id', { pkcs11Id: 'xyz' })), 'VALUE_OUT_OF_RANGE');
        await expectStoreError(store.keys.add(newKey('bad-id', { pkcs11Id: 'abc' })), 'VALUE_OUT_OF_RANGE');
        await expectStoreError(store.keys.add(newKey('bad-alg', { algorithm: 'DES' as never })), 'VALUE_OUT_OF_RANGE');
        await expectStoreError(store.keys.add(newKey('bad-date', { createdAt: new Date('nonsense') })), 'VALUE_OUT_OF_RANGE');
        await expect(store.keys.findByLabel('bad-id')).resolves.toBeUndefined();
      });

      it('retiring an unknown key is NOT_FOUND', async () => {
        await expectStoreError(store.keys.retire('never-made'), 'NOT_FOUND');
      });
    });

    describe('settings', () => {
      it('gets, sets, replaces, lists and deletes', async () => {
        await expect(store.settings.get('platform.instanceId')).resolves.toBeUndefined();
        const before = Date.now();
        await store.settings.set('platform.instanceId', 'first');
        await expect(store.settings.get('platform.instanceId')).resolves.toBe('first');
        await store.settings.set('platform.instanceId', 'second');
        const entry = await store.settings.find('platform.instanceId');
        expect(entry?.value).toBe('second');
        expect(entry?.updatedAt).toBeInstanceOf(Date);
        expect(entry!.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1);
        expect(entry!.updatedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1);

        await store.settings.set('a.first', '');
        expect((await store.settings.list()).map((s) => [s.key, s.value])).toEqual([
          ['a.first', ''],
          ['platform.instanceId', 'second'],
        ]);
        await expect(store.settings.delete('a.first')).resolves.toBe(true);
        await expect(store.settings.delete('a.first')).resolves.toBe(false);
      });

      it('setIfAbsent keeps the first value when two callers race', async () => {
        const results = await Promise.all(['x', 'y', 'z'].map((v) => store.settings.setIfAbsent('race.id', v)));
        expect(new Set(results).size).toBe(1);
        await expect(store.settings.get('race.id')).resolves.toBe(results[0]);
      });

      it('keeps text exactly, whatever its characters', async () => {
        const value = "it's \"quoted\" ; -- not SQL \u00e9\u4e2d\n\ttab \u{1F511}";
        await store.settings.set('text.exact', value);
        await expect(store.settings.get('text.exact')).resolves.toBe(value);
      });
    });

    describe('counters', () => {
      it('starts at 1 and counts up', async () => {
        await expect(store.counters.current('fresh')).resolves.toBeUndefined();
        await expect(store.counters.next('fresh')).resolves.toBe(1n);
        await expect(store.counters.next('fresh')).resolves.toBe(2n);
        await expect(store.counters.current('fresh')).resolves.toBe(2n);
        await expect(store.counters.next('other')).resolves.toBe(1n);
      });

      it('gives 200 concurrent callers 200 distinct consecutive values', async () => {
        const values = await Promise.all(Array.from({ length: 200 }, () => store.counters.next('concurrent')));
        const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(sorted).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i + 1)));
      });

      it('stays consecutive when two pools (two processes) call next at once', async () => {
        const second = await fx.openSecond();
        const calls = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? store : second).counters.next('two-pools'));
        const values = await Promise.all(calls);
        expect(new Set(values).size).toBe(100);
        expect(values.reduce((max, v) => (v > max ? v : max), 0n)).toBe(100n);
      });

      it('advanceTo moves a counter forward and never back', async () => {
        await store.counters.advanceTo('serials', 1000n);
        await expect(store.counters.next('serials')).resolves.toBe(1001n);
        await store.counters.advanceTo('serials', 10n);
        await expect(store.counters.next('serials')).resolves.toBe(1002n);
        await expectStoreError(store.counters.advanceTo('serials', -1n), 'VALUE_OUT_OF_RANGE');
      });

      if (engine === 'postgres') {
        it('keeps values above 2^53 exact as bigint, up to the int8 limit', async () => {
          const big = 2n ** 53n + 10n;
          await store.counters.advanceTo('big', big);
          await expect(store.counters.current('big')).resolves.toBe(big);
          await expect(store.counters.next('big')).resolves.toBe(big + 1n);
          await expect(store.counters.next('big')).resolves.toBe(big + 2n);

          const int8Max = 2n ** 63n - 1n;
          await store.counters.advanceTo('edge', int8Max - 1n);
          await expect(store.counters.next('edge')).resolves.toBe(int8Max);
          await expectStoreError(store.counters.next('edge'), 'VALUE_OUT_OF_RANGE');
          await expect(store.counters.current('edge')).resolves.toBe(int8Max);
          await expectStoreError(store.counters.advanceTo('edge', int8Max + 1n), 'VALUE_OUT_OF_RANGE');
        });
      } else {
        it('refuses values beyond Number.MAX_SAFE_INTEGER instead of rounding them', async () => {
          const safe = BigInt(Number.MAX_SAFE_INTEGER);
          const err = await expectStoreError(store.counters.advanceTo('big', safe + 1n), 'VALUE_OUT_OF_RANGE');
          expect(err.message).toMatch(/SQLite/);
          await expect(store.counters.current('big')).resolves.toBeUndefined();

          await store.counters.advanceTo('edge', safe - 1n);
          await expect(store.counters.next('edge')).resolves.toBe(safe);
          await expectStoreError(store.counters.next('edge'), 'VALUE_OUT_OF_RANGE');
          await expect(store.counters.current('edge')).resolves.toBe(safe);
        });
      }
    });

    describe('timestamps', () => {
      const zone = process.env.TZ;
      afterEach(() => {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      });

      it('come back as the same UTC instant whatever the process time zone', async () => {
        const instants = ['1970-01-01T00:00:00.000Z', '2024-10-27T00:59:59.999Z', '2024-10-27T01:00:00.001Z', '2099-12-31T23:59:59.999Z'];
        process.env.TZ = 'Pacific/Chatham';
        for (const [i, iso] of instants.entries()) {
          await store.keys.add(newKey(`tz-${i}`, { pkcs11Id: `7a0${i}`, createdAt: new Date(iso) }));
        }
        process.env.TZ = 'America/Sao_Paulo';
        for (const [i, iso] of instants.entries()) {
          const key = await store.keys.findByLabel(`tz-${i}`);
          expect(key?.createdAt).toBeInstanceOf(Date);
          expect(key?.createdAt.toISOString()).toBe(iso);
        }
      });
    });

    describe('transactions', () => {
      it('commits everything done through tx when fn resolves', async () => {
        const result = await store.transaction(async (tx) => {
          await tx.keys.add(newKey('tx-commit', { pkcs11Id: 'c0' }));
          await tx.settings.set('tx.commit', 'yes');
          return tx.counters.next('tx-commit');
        });
        expect(result).toBe(1n);
        await expect(store.keys.findByLabel('tx-commit')).resolves.toBeDefined();
        await expect(store.settings.get('tx.commit')).resolves.toBe('yes');
        await expect(store.counters.current('tx-commit')).resolves.toBe(1n);
      });

      it('leaves nothing behind when fn rejects', async () => {
        const boom = new Error('boom');
        await expect(
          store.transaction(async (tx) => {
            await tx.keys.add(newKey('tx-rollback', { pkcs11Id: 'c1' }));
            await tx.settings.set('tx.rollback', 'yes');
            await tx.counters.next('tx-rollback');
            await expect(tx.keys.findByLabel('tx-rollback')).resolves.toBeDefined();
            throw boom;
          }),
        ).rejects.toBe(boom);
        await expect(store.keys.findByLabel('tx-rollback')).resolves.toBeUndefined();
        await expect(store.settings.get('tx.rollback')).resolves.toBeUndefined();
        await expect(store.counters.current('tx-rollback')).resolves.toBeUndefined();
      });

      it('rolls back earlier writes when a later one violates a unique constraint', async () => {
        await store.keys.add(newKey('tx-taken', { pkcs11Id: 'c2' }));
        const err = await store
          .transaction(async (tx) => {
            await tx.settings.set('tx.partial', 'yes');
            await tx.keys.add(newKey('tx-taken', { pkcs11Id: 'c3' }));
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(isStoreError(err, 'UNIQUE_VIOLATION')).toBe(true);
        await expect(store.settings.get('tx.partial')).resolves.toBeUndefined();
      });

      it('refuses the store\'s own repositories inside a transaction instead of escaping it (or waiting forever on SQLite)', async () => {
        await expect(
          store.transaction(async (tx) => {
            await tx.settings.set('tx.escape', 'inside');
            await store.settings.set('tx.escape', 'outside');
          }),
        ).rejects.toThrow(/use the repositories fn receives/);
        await expect(store.transaction(async () => store.transaction(async () => 1))).rejects.toThrow(/use the repositories fn receives/);
        await expect(store.settings.get('tx.escape')).resolves.toBeUndefined();
      });

      it('serialises concurrent transactions that read and write the same counter', async () => {
        const runs = Array.from({ length: 20 }, () => store.transaction(async (tx) => tx.counters.next('tx-concurrent')));
        const values = await Promise.all(runs);
        expect(new Set(values).size).toBe(20);
      });
    });
  });
});

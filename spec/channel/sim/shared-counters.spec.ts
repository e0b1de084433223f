import { ClockSeededCounters, SharedCounters } from '../../../src/channel/sim';
import { STORE_ENGINES } from '../../store/engines';

/** OTA counters kept in the store: two nodes asking at once never get the same CNTR for a SIM. */
describe.each(STORE_ENGINES)('SharedCounters on %s', (_name, engine) => {
  test('two nodes, 40 counters each at once: all different, all above the clock seed, per SIM', async () => {
    const fx = await engine.fresh();
    try {
      await fx.store.migrate();
      const other = await fx.openSecond();
      const now = Date.now();
      const a = new SharedCounters(fx.store.counters, now);
      const b = new SharedCounters(other.counters, now);
      const got = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? a : b).next('8935800000000000001')));
      expect(new Set(got).size).toBe(80);
      // A SIM that took a clock-seeded counter from a one-node platform before still accepts these.
      const seeded = new ClockSeededCounters(now).next('x');
      expect(got.every((c) => c >= seeded)).toBe(true);
      // Another SIM has a counter of its own.
      expect(await a.next('8935800000000000002')).toBe(seeded);
    } finally {
      await fx.close();
    }
  });
});

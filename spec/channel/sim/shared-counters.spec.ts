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

describe('ClockSeededCounters', () => {
  test('a restart within the same second still starts above the counters sent before it', () => {
    const t = Date.UTC(2026, 10, 23, 4, 0, 0, 100);
    const first = new ClockSeededCounters(t);
    const sent = [first.next('sim'), first.next('sim'), first.next('sim')];
    // Closed and started again 20 ms later: a whole-second seed would hand out sent[0] again and the SIM refuse it.
    const second = new ClockSeededCounters(t + 20);
    expect(second.next('sim')).toBeGreaterThan(sent[2] as bigint);
  });

  test('never starts below the whole-second seed of earlier versions (SIMs personalised then keep accepting)', () => {
    for (const t of [Date.UTC(2026, 0, 1), Date.UTC(2026, 10, 23, 4, 0, 0, 999), Date.UTC(2040, 5, 1, 12, 0, 0, 1)]) {
      const wholeSecond = BigInt(Math.floor(t / 1000) - 1_577_836_800) * 1024n;
      expect(new ClockSeededCounters(t).next('sim')).toBeGreaterThan(wholeSecond);
      expect(new ClockSeededCounters(t).next('sim')).toBeLessThan(2n ** 40n);
    }
  });
});

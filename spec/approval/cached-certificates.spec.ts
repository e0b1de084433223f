import { cachedCertificates, type CitizenCertificates } from '../../src/approval';
import { refreshedEvery } from '../../src/mss/validation';

/** The short memories in front of the RA directory and the CRLs (bench/mss found them asked on every signature). */
describe('cachedCertificates', () => {
  const found = { signature: Uint8Array.of(1, 2, 3) };
  function directory(answers: Record<string, typeof found | undefined>): CitizenCertificates & { asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      current: async (msisdn) => {
        asked.push(msisdn);
        return answers[msisdn];
      },
    };
  }

  it('asks the directory once per MSISDN within the time to live, again after it', async () => {
    let now = 1_000;
    const dir = directory({ '+1': found });
    const cached = cachedCertificates(dir, 5_000, () => now);
    expect(await Promise.all([cached.current('+1'), cached.current('+1')])).toEqual([found, found]);
    now += 4_999;
    expect(await cached.current('+1')).toBe(found);
    expect(dir.asked).toEqual(['+1']);
    now += 1;
    await cached.current('+1');
    expect(dir.asked).toEqual(['+1', '+1']);
  });

  it('does not remember an unknown number or a failure: a citizen enrolled a moment later is found', async () => {
    const answers: Record<string, typeof found | undefined> = {};
    const dir = directory(answers);
    const cached = cachedCertificates(dir, 5_000, () => 0);
    expect(await cached.current('+2')).toBeUndefined();
    answers['+2'] = found;
    expect(await cached.current('+2')).toBe(found);
    let fail = true;
    const flaky = cachedCertificates({ current: async () => (fail ? Promise.reject(new Error('store down')) : found) }, 5_000, () => 0);
    await expect(flaky.current('+3')).rejects.toThrow('store down');
    fail = false;
    expect(await flaky.current('+3')).toBe(found);
  });
});

describe('refreshedEvery', () => {
  it('loads at most once per period and again after it; a failed load is not kept', async () => {
    let now = 0;
    let loads = 0;
    let fail = false;
    const get = refreshedEvery(
      1_000,
      async () => {
        loads += 1;
        if (fail) throw new Error('no CRL');
        return { mode: 'required' as const, crls: [] };
      },
      () => now,
    );
    await get();
    await get();
    expect(loads).toBe(1);
    now = 1_000;
    fail = true;
    await expect(get()).rejects.toThrow('no CRL');
    fail = false;
    await get();
    expect(loads).toBe(3);
  });
});

import { authenticateAp, type ApCheckContext } from '../../src/mss/aps/authenticate';
import { ApRateLimiter } from '../../src/mss/aps/rate-limit';
import { ApRegistryError, addAp } from '../../src/mss/aps/registry';
import type { MessageHeader } from '../../src/mss/messages/types';
import { MssFault } from '../../src/mss/status';
import { STORE_ENGINES, type StoreFixture } from '../store/engines';

const NOW = new Date('2026-11-22T12:00:00Z');
const PROFILE = 'http://mssp.example/profiles/sign';

function header(over: Partial<MessageHeader['apInfo']> = {}): MessageHeader {
  return {
    majorVersion: 1,
    minorVersion: 1,
    apInfo: { apId: 'http://ap.example/tax', apTransId: `T${Math.random().toString(36).slice(2)}`, apPwd: 'correct horse battery', instant: NOW, ...over },
    msspInfo: { msspId: { uri: 'http://mssp.example' } },
  };
}

async function fault(promise: Promise<unknown>): Promise<MssFault> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MssFault);
  return err as MssFault;
}

describe.each(STORE_ENGINES)('AP registry and request checks on %s', (_name, engine) => {
  let fx: StoreFixture;
  let ctx: ApCheckContext;
  beforeAll(async () => {
    fx = await engine.fresh();
    await fx.store.migrate();
    await addAp(fx.store.mss, { apId: 'http://ap.example/tax', password: 'correct horse battery', profiles: [PROFILE], ipAllow: ['192.0.2.0/24', '::1'], ratePerSecond: 1000 });
    await addAp(fx.store.mss, {
      apId: 'http://ap.example/bank',
      password: 'another long password',
      profiles: [PROFILE],
      tlsFingerprint: 'AB'.repeat(32),
      ratePerSecond: 2,
    });
    ctx = { repo: fx.store.mss, limiter: new ApRateLimiter(() => 0), instantWindowMs: 5 * 60_000, now: () => NOW };
  });
  afterAll(async () => fx.close());

  it('stores the password only as an scrypt hash', async () => {
    const ap = await fx.store.mss.findAp('http://ap.example/tax');
    expect(ap?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(ap?.passwordHash).not.toContain('horse');
  });

  it('accepts the right AP from an allowed address', async () => {
    await expect(authenticateAp(header(), { remoteAddress: '::ffff:192.0.2.17' }, ctx)).resolves.toMatchObject({ apId: 'http://ap.example/tax' });
  });

  it.each([
    ['an unknown AP', header({ apId: 'http://nobody.example' }), '192.0.2.1', /unknown AP/],
    ['a wrong password', header({ apPwd: 'wrong' }), '192.0.2.1', /wrong password/],
    ['an address outside the allow-list', header(), '198.51.100.9', /allow-list/],
  ])('refuses %s with 104, the reason kept from the AP', async (_what, h, ip, why) => {
    const f = await fault(authenticateAp(h, { remoteAddress: ip }, ctx));
    expect(f.code).toBe(104);
    expect(f.expose).toBe(false);
    expect(f.detail).toMatch(why);
  });

  it('refuses an AP registered for mutual TLS without its certificate (104), accepts it with', async () => {
    const h = header({ apId: 'http://ap.example/bank', apPwd: 'another long password' });
    expect((await fault(authenticateAp(h, { remoteAddress: '203.0.113.5', clientCertFingerprint: 'cd'.repeat(32) }, ctx))).code).toBe(104);
    await expect(authenticateAp(h, { remoteAddress: '203.0.113.5', clientCertFingerprint: 'ab'.repeat(32) }, ctx)).resolves.toBeDefined();
  });

  it('refuses a replayed AP_TransID with 101, and a fresh one passes', async () => {
    const h = header({ apTransId: 'REPLAY1' });
    await authenticateAp(h, { remoteAddress: '192.0.2.1' }, ctx);
    const f = await fault(authenticateAp(h, { remoteAddress: '192.0.2.1' }, ctx));
    expect(f.code).toBe(101);
    expect(f.detail).toMatch(/REPLAY1 has been used/);
    await expect(authenticateAp(header({ apTransId: 'REPLAY2' }), { remoteAddress: '192.0.2.1' }, ctx)).resolves.toBeDefined();
  });

  it('refuses an Instant outside the window with 101, without using up the AP_TransID', async () => {
    const h = header({ apTransId: 'LATE1', instant: new Date(NOW.getTime() - 10 * 60_000) });
    expect((await fault(authenticateAp(h, { remoteAddress: '192.0.2.1' }, ctx))).detail).toMatch(/Instant/);
    await expect(authenticateAp({ ...h, apInfo: { ...h.apInfo, instant: NOW } }, { remoteAddress: '192.0.2.1' }, ctx)).resolves.toBeDefined();
  });

  it('enforces the rate limit (2/s for the bank, clock frozen)', async () => {
    const limited: ApCheckContext = { ...ctx, limiter: new ApRateLimiter(() => 0) };
    const h = (): MessageHeader => header({ apId: 'http://ap.example/bank', apPwd: 'another long password' });
    const caller = { remoteAddress: '203.0.113.5', clientCertFingerprint: 'ab'.repeat(32) };
    await authenticateAp(h(), caller, limited);
    await authenticateAp(h(), caller, limited);
    const f = await fault(authenticateAp(h(), caller, limited));
    expect(f.code).toBe(104);
    expect(f.detail).toMatch(/rate limit/);
  });

  it('a disabled AP is refused with 104', async () => {
    await addAp(fx.store.mss, { apId: 'http://ap.example/old', password: 'an old password!', profiles: [PROFILE] });
    expect(await fx.store.mss.setApStatus('http://ap.example/old', 'disabled')).toBe(true);
    const f = await fault(authenticateAp(header({ apId: 'http://ap.example/old', apPwd: 'an old password!' }), { remoteAddress: '192.0.2.1' }, ctx));
    expect(f.detail).toMatch(/disabled/);
  });

  it('refuses bad registrations with a clear error', async () => {
    await expect(addAp(fx.store.mss, { apId: 'not a uri', password: 'long enough password', profiles: [PROFILE] })).rejects.toThrow(ApRegistryError);
    await expect(addAp(fx.store.mss, { apId: 'http://ap.example/x', password: 'short', profiles: [PROFILE] })).rejects.toThrow(/12 characters/);
    await expect(addAp(fx.store.mss, { apId: 'http://ap.example/x', password: 'long enough password', profiles: [PROFILE], ipAllow: ['10.0.0.0/99'] })).rejects.toThrow(/prefix/);
  });
});

import { STORE_ENGINES, type StoreFixture } from '../store/engines';

/** The transaction state machine in the store, on both engines: outstanding → one final state, first end wins. */
describe.each(STORE_ENGINES)('MSS transactions on %s', (_name, engine) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await engine.fresh();
    await fx.store.migrate();
  });
  afterAll(async () => fx.close());

  const tx = (id: string, deadlineAt: Date) => ({
    msspTransId: id,
    apId: 'http://ap.example',
    apTransId: `A-${id}`,
    msisdn: '+37255500001',
    messagingMode: 'asynchClientServer',
    request: '{"mobileUser":{"msisdn":"+37255500001"}}',
    deadlineAt,
    signatureProfile: 'http://mss.ficom.fi/TS102204/v1.0.0#signature',
  });

  it('stores a transaction as outstanding, ends it once, and a second (late) end is refused', async () => {
    const deadline = new Date(Date.now() + 60_000);
    const stored = await fx.store.mss.insertTransaction(tx('M1', deadline));
    expect(stored).toMatchObject({ state: 'outstanding', statusCode: null, signature: null, notifyAttempts: 0, endedAt: null });
    expect(stored.deadlineAt.getTime()).toBe(deadline.getTime());
    expect(await fx.store.mss.endTransaction('M1', { state: 'completed', statusCode: 500, signature: 'AAEC' })).toBe(true);
    expect(await fx.store.mss.endTransaction('M1', { state: 'expired', statusCode: 208 })).toBe(false);
    expect(await fx.store.mss.findTransaction('M1')).toMatchObject({ state: 'completed', statusCode: 500, signature: 'AAEC', endedAt: expect.any(Date) });
  });

  it('two nodes ending the same transaction at once: exactly one wins', async () => {
    await fx.store.mss.insertTransaction(tx('M2', new Date(Date.now() + 60_000)));
    const other = await fx.openSecond();
    const results = await Promise.all([
      fx.store.mss.endTransaction('M2', { state: 'completed', statusCode: 500, signature: 'AAEC' }),
      other.mss.endTransaction('M2', { state: 'expired', statusCode: 208 }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('lists overdue outstanding transactions, counts, and records notification attempts', async () => {
    await fx.store.mss.insertTransaction(tx('M3', new Date(Date.now() - 1_000)));
    const overdue = await fx.store.mss.listOverdue(new Date(), 10);
    expect(overdue.map((t) => t.msspTransId)).toEqual(['M3']);
    expect(await fx.store.mss.countTransactions('http://ap.example')).toBe(3);
    expect(await fx.store.mss.countTransactions('http://other.example')).toBe(0);
    await fx.store.mss.recordNotification('M3', false);
    await fx.store.mss.recordNotification('M3', true);
    expect(await fx.store.mss.findTransaction('M3')).toMatchObject({ notifyAttempts: 2, notifiedAt: expect.any(Date) });
  });

  it('a duplicate MSSP_TransID is refused by the store', async () => {
    await expect(fx.store.mss.insertTransaction(tx('M1', new Date()))).rejects.toMatchObject({ code: 'UNIQUE_VIOLATION' });
  });

  it('the record insertTransaction and endTransactionReturning give back is the one stored (no read-back any more)', async () => {
    const stored = await fx.store.mss.insertTransaction(tx('M1r', new Date(Date.now() + 60_000)));
    expect(await fx.store.mss.findTransaction('M1r')).toEqual(stored);
    const ended = await fx.store.mss.endTransactionReturning('M1r', { state: 'completed', statusCode: 502, signature: 'AAEC' });
    expect(ended).toMatchObject({ msspTransId: 'M1r', state: 'completed', statusCode: 502, signature: 'AAEC', endedAt: expect.any(Date) });
    expect(await fx.store.mss.findTransaction('M1r')).toEqual(ended);
    expect(await fx.store.mss.endTransactionReturning('M1r', { state: 'expired', statusCode: 208 })).toBeUndefined();
  });
});

import { AuditLog, isAuditError, verifyStoredLog, type NewAuditEntry } from '../../src/audit';
import { AUDIT_ENGINES, type AuditDb } from './support/db';

/** Concurrent appends share transactions (group commit) without changing what each caller is promised. */

const entry = (i: number): NewAuditEntry => ({ actor: { type: 'ap', id: 'ap-1' }, action: 'ap.request', subject: `transaction:${i}`, outcome: 'ok', details: { i } });

describe.each(AUDIT_ENGINES)('group commit on %s', (_engine, open) => {
  let db: AuditDb;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('gives 5,000 concurrent appends consecutive sequence numbers in call order, each durable when it resolves', async () => {
    const log = await AuditLog.open({ store: db.store });
    const start = log.size;
    const appended = await Promise.all(Array.from({ length: 5000 }, (_, i) => log.append(entry(i))));
    expect(appended.map((a) => a.seq)).toEqual(Array.from({ length: 5000 }, (_, i) => start + i));
    // Read back through a second connection: what resolved is committed.
    const other = await db.openSecond();
    const stored = await other.audit.entriesBySeq([BigInt(start), BigInt(start + 4999)]);
    expect(stored.map((e) => e.subject)).toEqual(['transaction:0', 'transaction:4999']);
    expect((await verifyStoredLog(db.store)).ok).toBe(true);
  });

  it('refuses a bad entry on its own: the appends around it go in', async () => {
    const log = await AuditLog.open({ store: db.store });
    const start = log.size;
    const results = await Promise.allSettled([
      log.append(entry(1)),
      log.append({ ...entry(2), details: { pin: '1234' } }),
      log.append(entry(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(isAuditError((results[1] as PromiseRejectedResult).reason)).toBe(true);
    expect(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.seq] : []))).toEqual([start, start + 1]);
  });

  it('fails every append of a batch whose transaction fails, and leaves the log whole', async () => {
    const log = await AuditLog.open({ store: db.store });
    const size = log.size;
    // The same failure on both engines: the store is closed under the log.
    const second = await db.openSecond();
    const doomed = await AuditLog.open({ store: second });
    await second.close();
    const results = await Promise.allSettled([doomed.append(entry(1)), doomed.append(entry(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const verdict = await verifyStoredLog(db.store);
    expect(verdict.ok).toBe(true);
    expect(verdict.entries).toBe(size);
  });
});

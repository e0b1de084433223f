import {
  AuditError,
  AuditLog,
  describeProblem,
  verifyConsistency,
  verifyInclusion,
  verifyStoredLog,
  type NewAuditEntry,
} from '../../src/audit';
import { sampleEntry, softwareSigner } from './support/memory-log';
import { AUDIT_ENGINES, type AuditDb } from './support/db';
import { makeOpensslTsa, type OpensslTsa } from './support/openssl-tsa';

async function auditError(promise: Promise<unknown>): Promise<AuditError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuditError);
  return err as AuditError;
}

const signer = softwareSigner();
let tsa: OpensslTsa;
beforeAll(() => {
  tsa = makeOpensslTsa();
});

describe.each(AUDIT_ENGINES)('audit log on %s', (engine, open) => {
  let db: AuditDb;
  let log: AuditLog;
  beforeAll(async () => {
    db = await open();
    log = await AuditLog.open({ store: db.store, signer, timeStamper: tsa.stamper, requireTimeStamps: true });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('starts empty, with a stable origin kept in the store', async () => {
    expect(log.size).toBe(0);
    expect(log.origin).toMatch(/^mssp\/audit\/[0-9a-f-]{36}$/);
    const again = await AuditLog.open({ store: db.store });
    expect(again.origin).toBe(log.origin);
    await expect(log.checkpoint()).resolves.toMatchObject({ created: false, reason: 'the audit log is empty' });
    const verdict = await verifyStoredLog(db.store);
    expect(verdict).toMatchObject({ ok: true, entries: 0, checkpoints: 0 });
  });

  it('200 concurrent appends from two connections get seq 0..199 with an unbroken chain', async () => {
    const second = await AuditLog.open({ store: await db.openSecond() });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? log : second).append(sampleEntry(i))));
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const verdict = await verifyStoredLog(db.store);
    expect(verdict.problems.map(describeProblem)).toEqual([]);
    expect(verdict.entries).toBe(200);
    const head = await db.store.audit.readHead();
    expect(head.size).toBe(200n);
  });

  it('refuses secrets and unmasked values before taking a seq, and appendIn rolls back with its transaction', async () => {
    const pin: NewAuditEntry = { ...sampleEntry(0), details: { newPin: '1234' } };
    await expect(log.append(pin)).rejects.toMatchObject({ code: 'SECRET_FIELD' });
    await expect(
      db.store.transaction(async (tx) => {
        await log.appendIn(tx, sampleEntry(1));
        throw new Error('the change being recorded failed');
      }),
    ).rejects.toThrow('the change being recorded failed');
    const next = await log.append(sampleEntry(2));
    expect(next.seq).toBe(200);
  });

  it('the tables refuse UPDATE and DELETE (and the head cannot be deleted)', async () => {
    const refused = async (query: PromiseLike<unknown>): Promise<void> => {
      await expect(query).rejects.toThrow(/append-only/);
    };
    await refused(db.raw('audit_entries').update({ outcome: 'ok' }).where({ seq: 5 }));
    await refused(db.raw('audit_entries').where({ seq: 5 }).delete());
    await refused(db.raw('audit_head').delete());
    if (engine === 'postgres') await refused(db.raw.raw('truncate audit_entries'));
    expect((await db.store.audit.entry(5n))?.seq).toBe(5n);
  });

  it('checkpoints: signed, time-stamped, linked, one per growth, consistent', async () => {
    const first = await log.checkpoint();
    expect(first.created).toBe(true);
    expect(first.checkpoint).toMatchObject({ treeSize: 201, previousSize: 0, origin: log.origin });
    expect(first.checkpoint?.timeStampToken).not.toBeNull();
    await expect(log.checkpoint()).resolves.toMatchObject({ created: false, reason: 'no entry since checkpoint 201' });
    for (let i = 0; i < 30; i++) await log.append(sampleEntry(300 + i));
    const second = await log.checkpoint();
    expect(second.checkpoint).toMatchObject({ treeSize: 231, previousSize: 201 });
    const verdict = await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey], requireTimeStamps: true, timeStampVerifier: tsa.verifier });
    expect(verdict.problems.map(describeProblem)).toEqual([]);
    expect(verdict.stamped).toEqual([201, 231]);
  });

  it('two nodes checkpointing at once leave one chain', async () => {
    const other = await AuditLog.open({ store: await db.openSecond(), signer });
    await log.append(sampleEntry(400));
    const outcomes = await Promise.all([log.checkpoint(), other.checkpoint()]);
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    const all = await db.store.audit.checkpoints();
    expect(all.map((c) => [c.previousSize, c.treeSize])).toEqual([[0n, 201n], [201n, 231n], [231n, 232n]]);
  });

  it('a node sees the others\' entries after sync, and proofs from either verify against the signed roots', async () => {
    const other = await AuditLog.open({ store: await db.openSecond() });
    for (let i = 0; i < 8; i++) await other.append(sampleEntry(500 + i));
    await log.checkpoint();
    const latest = await log.latestCheckpoint();
    expect(latest?.treeSize).toBe(240);
    for (const size of [201, 231, 232, 240]) {
      const cp = await log.checkpointAt(size);
      for (const seq of [0, 1, 100, size - 1]) {
        const p = await other.inclusionProof(seq, size);
        const entry = await db.store.audit.entry(BigInt(seq));
        expect(p.leafHash.equals(entry?.leafHash as Buffer)).toBe(true);
        expect(verifyInclusion(p.leafHash, seq, size, p.proof, cp.rootHash)).toBe(true);
      }
    }
    const c = await log.consistencyProof(201, 240);
    expect(verifyConsistency(201, 240, c.firstCheckpoint.rootHash, c.secondCheckpoint.rootHash, c.proof)).toBe(true);
    const bundle = await log.entriesWithProof([3, 239, 3]);
    expect(bundle.entries.map((e) => e.entry.seq)).toEqual([3, 239]);
    for (const { entry, proof } of bundle.entries) expect(verifyInclusion(entry.leafHash, entry.seq, 240, proof, bundle.checkpoint.rootHash)).toBe(true);
  });

  it('out-of-range proof requests fail with typed errors, not crashes', async () => {
    expect((await auditError(log.inclusionProof(240, 240))).code).toBe('OUT_OF_RANGE');
    expect((await auditError(log.inclusionProof(-1))).code).toBe('OUT_OF_RANGE');
    expect((await auditError(log.inclusionProof(1.5))).code).toBe('OUT_OF_RANGE');
    expect((await auditError(log.inclusionProof(0, 7))).code).toBe('NOT_FOUND');
    expect((await auditError(log.inclusionProof(0, 0))).code).toBe('OUT_OF_RANGE');
    expect((await auditError(log.consistencyProof(240, 201))).code).toBe('OUT_OF_RANGE');
    expect((await auditError(log.consistencyProof(201, 999))).code).toBe('NOT_FOUND');
    expect((await auditError(log.entriesWithProof([240]))).code).toBe('OUT_OF_RANGE');
    expect((await auditError(log.tail(0))).code).toBe('OUT_OF_RANGE');
    const err = await auditError(log.inclusionProof(240, 240));
    expect(err.httpStatus).toBe(400);
    expect(err.message).toBe('entry 240 is not covered by checkpoint 240 (entries 0..239)');
  });

  it('tail gives the newest entries first', async () => {
    const tail = await log.tail(3);
    expect(tail.map((e) => e.seq)).toEqual([239, 238, 237]);
  });

  it('refuses to sign on top of entries that no longer match the latest checkpoint', async () => {
    await db.bypassTriggers(async (raw) => {
      await raw('audit_entries').update({ leaf_hash: Buffer.alloc(32, 1) }).where({ seq: 10 });
    });
    await log.append(sampleEntry(600));
    const fresh = await AuditLog.open({ store: db.store, signer });
    expect((await auditError(fresh.checkpoint())).code).toBe('INCONSISTENT_LOG');
    const verdict = await verifyStoredLog(db.store, { stopAtFirstProblem: true });
    expect(describeProblem(verdict.problems[0] as never)).toBe('audit entry 10: its content does not match its leaf hash (the entry was edited)');
  });
});

describe.each(AUDIT_ENGINES)('migration 0010_audit_log on %s', (_engine, open) => {
  it('rolls back cleanly (tables, triggers, function) and applies again', async () => {
    const db = await open();
    try {
      const log = await AuditLog.open({ store: db.store });
      await log.append(sampleEntry(0));
      const { reverted } = await db.store.rollback({ all: true });
      // Newest first; later migrations (payments, 0030 and on; other modules' too) are undone before it.
      expect(reverted).toContain('0010_audit_log');
      await db.store.migrate();
      const again = await AuditLog.open({ store: db.store });
      expect((await again.append(sampleEntry(1))).seq).toBe(0);
      await expect(db.raw('audit_entries').where({ seq: 0 }).delete()).rejects.toThrow(/append-only/);
    } finally {
      await db.close();
    }
  });
});

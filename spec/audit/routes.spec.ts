import { auditRoutes } from '../../src/api/audit-routes';
import { startHttpServer, type RunningHttpServer } from '../../src/api/http-server';
import {
  AuditLog,
  checkpointFromJson,
  verifyCheckpointSignature,
  verifyConsistency,
  verifyInclusion,
  type CheckpointJson,
  type ConsistencyProofJson,
  type InclusionProofJson,
} from '../../src/audit';
import { createLogger } from '../../src/log';
import { sampleEntry, softwareSigner } from './support/memory-log';
import { AUDIT_ENGINES, type AuditDb } from './support/db';

const b = (s: string): Buffer => Buffer.from(s, 'base64');

describe('audit HTTP routes', () => {
  let db: AuditDb;
  let http: RunningHttpServer;
  let log: AuditLog;

  beforeAll(async () => {
    db = await (AUDIT_ENGINES[0] as (typeof AUDIT_ENGINES)[number])[1]();
    log = await AuditLog.open({ store: db.store, signer: softwareSigner() });
    http = await startHttpServer({ host: '127.0.0.1', port: 0, health: [], routes: auditRoutes(log), logger: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await http?.close();
    await db?.close();
  });

  const get = async (path: string): Promise<{ status: number; type: string | null; body: Record<string, unknown> }> => {
    const res = await fetch(`${http.url}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
  };

  it('404 problem+json before the first checkpoint', async () => {
    const r = await get('/audit/checkpoints/latest');
    expect(r).toMatchObject({ status: 404, type: 'application/problem+json', body: { status: 404, code: 'NOT_FOUND', detail: 'there is no checkpoint yet' } });
  });

  it('serves checkpoints and proofs that verify against the signed roots', async () => {
    for (let i = 0; i < 13; i++) await log.append(sampleEntry(i));
    await log.checkpoint();
    for (let i = 13; i < 21; i++) await log.append(sampleEntry(i));
    await log.checkpoint();

    const latest = await get('/audit/checkpoints/latest');
    expect(latest.status).toBe(200);
    expect(latest.type).toBe('application/json');
    const cp = latest.body as unknown as CheckpointJson;
    expect(cp).toMatchObject({ treeSize: 21, previousSize: 13, origin: log.origin });
    expect(cp.note.startsWith(cp.body)).toBe(true);
    expect(verifyCheckpointSignature(b(cp.publicKey), cp.body, b(cp.signature))).toBe(true);
    expect(checkpointFromJson(cp).rootHash.equals(b(cp.rootHash))).toBe(true);

    const first = (await get('/audit/checkpoints/13')).body as unknown as CheckpointJson;
    expect(first.treeSize).toBe(13);

    for (const [seq, size] of [[0, 13], [12, 13], [5, 21], [20, 21]] as const) {
      const r = await get(`/audit/proof/inclusion?seq=${seq}&size=${size}`);
      expect(r.status).toBe(200);
      const p = r.body as unknown as InclusionProofJson;
      expect(verifyInclusion(b(p.leafHash), seq, size, p.proof.map(b), b(p.checkpoint.rootHash))).toBe(true);
    }
    const byLatest = (await get('/audit/proof/inclusion?seq=7')).body as unknown as InclusionProofJson;
    expect(byLatest.treeSize).toBe(21);

    const c = (await get('/audit/proof/consistency?first=13&second=21')).body as unknown as ConsistencyProofJson;
    expect(verifyConsistency(13, 21, b(c.firstCheckpoint.rootHash), b(c.secondCheckpoint.rootHash), c.proof.map(b))).toBe(true);
  });

  it.each([
    ['/audit/proof/inclusion?seq=21&size=21', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion?seq=-1', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion?seq=1e3', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion?seq=1&seq=2', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion?seq=0&size=0', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion?seq=0&size=99999999999999999999', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion?seq=99999999999999999&size=21', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/inclusion?seq=0&size=14', 404, 'NOT_FOUND'],
    ['/audit/proof/consistency?first=21&second=13', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/consistency?first=13', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/consistency?first=x&second=21', 400, 'OUT_OF_RANGE'],
    ['/audit/proof/consistency?first=13&second=22', 404, 'NOT_FOUND'],
    ['/audit/checkpoints/7', 404, 'NOT_FOUND'],
    ['/audit/checkpoints/abc', 404, 'NOT_FOUND'],
    ['/audit/checkpoints/', 404, 'NOT_FOUND'],
  ])('%s → %i %s problem+json', async (path, status, code) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.type).toBe('application/problem+json');
    expect(r.body).toMatchObject({ status, code });
    expect(typeof r.body.detail).toBe('string');
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  AuditLog,
  Checkpointer,
  checkpointFromJson,
  describeProblem,
  fileWitness,
  httpWitness,
  readWitnessFile,
  verifyCheckpointSignature,
  verifyStoredLog,
  WitnessExporter,
  type CheckpointJson,
} from '../../src/audit';
import { sampleEntry, softwareSigner } from './support/memory-log';
import { AUDIT_ENGINES, type AuditDb } from './support/db';

const signer = softwareSigner();

/** A witness endpoint that fails its first `failures` requests with 500. */
async function flakyWitnessServer(failures: number): Promise<{ url: string; received: CheckpointJson[]; requests: () => number; close(): Promise<void> }> {
  const received: CheckpointJson[] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests += 1;
      if (requests <= failures) {
        res.writeHead(500).end();
        return;
      }
      received.push(JSON.parse(body) as CheckpointJson);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/witness`, received, requests: () => requests, close: () => new Promise((r) => server.close(() => r())) };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(AUDIT_ENGINES)('checkpointer and witnesses on %s', (_engine, open) => {
  let db: AuditDb;
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'witness-'));
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('checkpoints every N entries, and after T ms when fewer came', async () => {
    const log = await AuditLog.open({ store: db.store, signer });
    const byCount = new Checkpointer(log, { everyEntries: 10, everyMs: 3_600_000 });
    await byCount.start();
    for (let i = 0; i < 25; i++) await log.append(sampleEntry(i));
    await byCount.idle();
    await byCount.stop();
    const sizes = (await db.store.audit.checkpoints()).map((c) => Number(c.treeSize));
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expect(sizes.every((s) => s >= 10)).toBe(true);
    expect(sizes[sizes.length - 1]).toBeGreaterThanOrEqual(20);

    const byTime = new Checkpointer(log, { everyEntries: 1_000, everyMs: 50 });
    await byTime.start();
    await log.append(sampleEntry(99));
    await new Promise((r) => setTimeout(r, 300));
    await byTime.stop();
    expect((await log.latestCheckpoint())?.treeSize).toBe(26);
    expect((await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey] })).ok).toBe(true);
  });

  it('exports to a file and to an HTTP witness that fails at first: retried with back-off, nothing lost or sent twice', async () => {
    const server = await flakyWitnessServer(2);
    const file = join(dir, `${_engine}-witness.jsonl`);
    const log = await AuditLog.open({ store: db.store, signer });
    const witnesses = [fileWitness(file), httpWitness(server.url)];
    const exporter = new WitnessExporter(db.store, witnesses, { retryBaseMs: 30, retryMaxMs: 200 });
    exporter.start(log);
    for (let i = 0; i < 3; i++) await log.append(sampleEntry(100 + i));
    await log.checkpoint();
    const all = await db.store.audit.checkpoints();
    await until(() => server.received.length === all.length);
    await until(() => existsSync(file) && readFileSync(file, 'utf8').trim().split('\n').length === all.length);
    await exporter.stop();
    expect(server.received.map((c) => c.treeSize)).toEqual(all.map((c) => Number(c.treeSize)));
    expect(server.requests()).toBe(all.length + 2);

    // A new exporter (a restart) finds nothing pending.
    const again = new WitnessExporter(db.store, witnesses);
    const reports = await again.exportPending();
    expect(reports.map((r) => r.exported)).toEqual([[], []]);
    await server.close();

    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(all.length);
    const last = checkpointFromJson(JSON.parse(lines[lines.length - 1] as string));
    expect(verifyCheckpointSignature(last.publicKey, last.body, last.signature)).toBe(true);

    const witnessed = await readWitnessFile(file);
    expect((await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey], witnessed })).ok).toBe(true);
    // A rewritten database that drops its latest checkpoint cannot hide it from the witness.
    const latest = all[all.length - 1];
    await db.bypassTriggers(async (raw) => void (await raw('audit_checkpoints').where({ tree_size: String(latest?.treeSize) }).delete()));
    const verdict = await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey], witnessed });
    expect(verdict.problems.map(describeProblem)).toContain(`audit witness file:${file}: it holds checkpoint ${latest?.treeSize}, which the store no longer has`);
  });

  it('an unreachable witness is reported per round and stays pending', async () => {
    const exporter = new WitnessExporter(db.store, [httpWitness('http://127.0.0.1:9/unreachable', { timeoutMs: 500 })]);
    const [report] = await exporter.exportPending();
    expect(report?.error).toBeDefined();
    expect(report?.exported).toEqual([]);
    expect(await db.store.audit.lastExport('http:http://127.0.0.1:9/unreachable')).toBeUndefined();
  });
});

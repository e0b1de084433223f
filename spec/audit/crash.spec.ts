import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { AuditLog, verifyStoredLog } from '../../src/audit';
import { AUDIT_ENGINES, type AuditDb } from './support/db';

/**
 * kill -9 while appending under load: the log left behind verifies (chain, tree, head), has no gap and no
 * duplicate sequence number, holds every entry whose append was acknowledged before the kill, and takes new
 * appends afterwards. Five kills per engine, at different moments.
 */

const CHILD = join(__dirname, 'support', 'append-forever.ts');

/** Runs the appender, kills it with SIGKILL `afterMs` after its first durable entry; the highest seq it had acknowledged. */
function appendThenKill(target: string, afterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', CHILD, target], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acknowledged = -1;
    let stderr = '';
    let buffered = '';
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the appender never started: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ack (-?\d+)$/.exec(line);
        if (m !== null) acknowledged = Math.max(acknowledged, Number(m[1]));
        if (line === 'appending') {
          clearTimeout(timeout);
          setTimeout(() => child.kill('SIGKILL'), afterMs);
        }
      }
    });
    child.once('exit', (_code, signal) => {
      clearTimeout(timeout);
      if (signal !== 'SIGKILL') reject(new Error(`the appender ended by itself (${String(signal)}): ${stderr}`));
      else resolve(acknowledged);
    });
  });
}

describe.each(AUDIT_ENGINES)('an audit log killed while appending on %s', (_engine, open) => {
  let db: AuditDb;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('verifies after every kill, with no gap, no duplicate and nothing acknowledged lost', async () => {
    const target = db.cliEnv.MSSP_SQLITE_FILE ?? (db.cliEnv.DATABASE_URL as string);
    let before = 0;
    for (const afterMs of [150, 40, 300, 0, 90]) {
      const acknowledged = await appendThenKill(target, afterMs);
      const verdict = await verifyStoredLog(db.store, { stopAtFirstProblem: false });
      expect(verdict.problems).toEqual([]);
      expect(verdict.ok).toBe(true);
      // Every acknowledged append is there; the log grew.
      expect(verdict.entries).toBeGreaterThan(Math.max(acknowledged, before));
      const head = await db.store.audit.readHead();
      expect(Number(head.size)).toBe(verdict.entries);
      const seqs = (await db.raw('audit_entries').select('seq').orderBy('seq')).map((r: { seq: number | string }) => Number(r.seq));
      expect(seqs).toEqual(Array.from({ length: verdict.entries }, (_, i) => i));
      before = verdict.entries;
    }
    // The log takes new appends after the last kill, on top of what the killed process left.
    const log = await AuditLog.open({ store: db.store });
    expect((await log.append({ actor: { type: 'system', id: 'test' }, action: 'platform.start', subject: '', outcome: 'ok' })).seq).toBe(before);
  }, 120_000);
});

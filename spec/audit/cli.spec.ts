import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { AuditLog, verifyConsistency, verifyInclusion, type ConsistencyProofJson, type InclusionProofJson } from '../../src/audit';
import { cliEnv, runMssp, type CliResult } from '../support/mssp-cli';
import { openssl } from '../hsm/support';
import { sampleEntry } from './support/memory-log';
import { AUDIT_ENGINES, restore, snapshot, type AuditDb } from './support/db';

/** `mssp audit …` end to end: the CLI signs with the platform token, the test writes entries and tampers with rows. */

const b = (s: string): Buffer => Buffer.from(s, 'base64');

function lastLine(r: CliResult): string {
  return r.stderr.trim().split('\n').pop() ?? '';
}

describe.each(AUDIT_ENGINES)('mssp audit on %s', (_engine, open) => {
  let db: AuditDb;
  let env: Record<string, string>;
  let witnessFile: string;
  let entries: Record<string, unknown>[];
  let checkpoints: Record<string, unknown>[];

  beforeAll(async () => {
    db = await open();
    env = cliEnv(db.cliEnv);
    witnessFile = join(env.MSSP_DATA_DIR as string, 'witness', 'checkpoints.jsonl');
    env.MSSP_AUDIT_WITNESS_FILE = witnessFile;
    const init = runMssp(['init'], env);
    expect(init.stderr).toMatch(/store schema is up to date/);
    expect(init.code).toBe(0);
    // `mssp init` is entry 0 (every operator command that changes something is recorded); the test writes the rest.
    const log = await AuditLog.open({ store: db.store });
    expect(log.size).toBe(1);
    for (let i = 1; i < 120; i++) await log.append(sampleEntry(i));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('checkpoint signs with the token (making the key once) and hands the checkpoint to the witness file', async () => {
    const first = runMssp(['audit', 'checkpoint'], env);
    expect(first.stderr).toMatch(/made the audit key pair "audit" \(ES256\)/);
    expect(first.stdout).toMatch(/^checkpoint 120: root \S+ at \S+Z, NOT time-stamped$/m);
    expect(first.code).toBe(0);
    // The command itself is entry 120, after the checkpoint it made.
    const log = await AuditLog.open({ store: db.store });
    expect(log.size).toBe(121);
    for (let i = 121; i < 150; i++) await log.append(sampleEntry(i));
    const second = runMssp(['audit', 'checkpoint', '--json'], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ treeSize: 150, previousSize: 120 });
    expect(second.stderr).not.toMatch(/made the audit key/);
    // The only entry since is the record of the last command, so the next checkpoint covers exactly it.
    expect(runMssp(['audit', 'checkpoint'], env).stdout).toMatch(/^checkpoint 151: /m);
    expect(readFileSync(witnessFile, 'utf8').trim().split('\n')).toHaveLength(3);
    const [record] = await (await AuditLog.open({ store: db.store })).tail(1);
    expect(record).toMatchObject({ seq: 151, actorType: 'operator', action: 'operator.command', subject: 'command:audit checkpoint', outcome: 'ok' });
    entries = await snapshot(db.raw, 'audit_entries');
    checkpoints = await snapshot(db.raw, 'audit_checkpoints');
  });

  it('verify succeeds with a summary line', () => {
    const r = runMssp(['audit', 'verify'], env);
    expect(r.stderr).toMatch(/checkpoint\(s\) have no time-stamp token: 120, 150, 151/);
    expect(r.stdout).toMatch(/^audit log verified: 152 entries, 3 checkpoints \(0 time-stamped\), root \S+; latest checkpoint 151 at \S+$/m);
    expect(r.code).toBe(0);
    const strict = runMssp(['audit', 'verify', '--require-timestamps'], env);
    expect(strict.code).toBe(1);
    expect(lastLine(strict)).toBe('mssp: audit checkpoint 120: it has no time-stamp token, and time-stamps are required');
  });

  it('public-key gives the key that checkpoint signatures verify with in openssl, and verify --public-key anchors on it', () => {
    const pem = runMssp(['audit', 'public-key'], env);
    expect(pem.code).toBe(0);
    const dir = env.MSSP_DATA_DIR as string;
    writeFileSync(join(dir, 'audit.pub.pem'), pem.stdout);
    // A read-only command's view of the latest checkpoint (`audit checkpoint` would record itself and grow the log).
    const cp = (JSON.parse(runMssp(['audit', 'proof', 'inclusion', '0'], env).stdout) as InclusionProofJson).checkpoint;
    writeFileSync(join(dir, 'cp.body'), cp.body);
    writeFileSync(join(dir, 'cp.sig'), b(cp.signature));
    expect(openssl(['dgst', '-sha256', '-verify', join(dir, 'audit.pub.pem'), '-signature', join(dir, 'cp.sig'), join(dir, 'cp.body')]).output).toMatch(/Verified OK/);
    expect(runMssp(['audit', 'verify', '--public-key', join(dir, 'audit.pub.pem')], env).code).toBe(0);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'other.key')]);
    openssl(['ec', '-in', join(dir, 'other.key'), '-pubout', '-out', join(dir, 'other.pub.pem')]);
    const wrong = runMssp(['audit', 'verify', '--public-key', join(dir, 'other.pub.pem')], env);
    expect(wrong.code).toBe(1);
    expect(lastLine(wrong)).toBe('mssp: audit checkpoint 120: it is signed by a key that is not a trusted audit key');
  });

  it('proofs come out as JSON that verifies, and bad requests give one clear error line', () => {
    const inclusion = runMssp(['audit', 'proof', 'inclusion', '17', '--size', '120'], env);
    expect(inclusion.code).toBe(0);
    const p = JSON.parse(inclusion.stdout) as InclusionProofJson;
    expect(verifyInclusion(b(p.leafHash), 17, 120, p.proof.map(b), b(p.checkpoint.rootHash))).toBe(true);
    const latest = JSON.parse(runMssp(['audit', 'proof', 'inclusion', '149'], env).stdout) as InclusionProofJson;
    expect(latest.treeSize).toBe(151);
    const consistency = JSON.parse(runMssp(['audit', 'proof', 'consistency', '120', '150'], env).stdout) as ConsistencyProofJson;
    expect(verifyConsistency(120, 150, b(consistency.firstCheckpoint.rootHash), b(consistency.secondCheckpoint.rootHash), consistency.proof.map(b))).toBe(true);

    const outside = runMssp(['audit', 'proof', 'inclusion', '151'], env);
    expect(outside.code).toBe(1);
    expect(outside.stderr.trim()).toBe('mssp: entry 151 is not covered by checkpoint 151 (entries 0..150)');
    const noSuch = runMssp(['audit', 'proof', 'consistency', '120', '130'], env);
    expect(noSuch.stderr.trim()).toBe('mssp: there is no checkpoint of size 130');
    const notANumber = runMssp(['audit', 'proof', 'inclusion', 'abc'], env);
    expect(notANumber.code).not.toBe(0);
    expect(notANumber.stderr).toMatch(/SEQ must be an integer of at least 0/);
  });

  it('tail shows the newest entries first', () => {
    const r = runMssp(['audit', 'tail', '-n', '3'], env);
    expect(r.code).toBe(0);
    const seqs = r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]);
    expect(seqs).toEqual(['151', '150', '149']);
  });

  const TAMPERS: readonly [string, (raw: Knex) => Promise<unknown>, string][] = [
    ['an edited entry', (raw) => raw('audit_entries').update({ subject: 'transaction:forged' }).where({ seq: 17 }), 'mssp: audit entry 17: its content does not match its leaf hash (the entry was edited)'],
    ['a deleted entry', (raw) => raw('audit_entries').where({ seq: 42 }).delete(), 'mssp: audit entry 42: is missing or out of place (the store has entry 43 next)'],
    [
      'swapped neighbours',
      async (raw) => {
        await raw('audit_entries').where({ seq: 60 }).update({ seq: -1 });
        await raw('audit_entries').where({ seq: 61 }).update({ seq: 60 });
        await raw('audit_entries').where({ seq: -1 }).update({ seq: 61 });
      },
      'mssp: audit entry 60: its content does not match its leaf hash (the entry was edited)',
    ],
    ['an entry added at the end', async (raw) => raw('audit_entries').insert({ ...(entries.find((e) => Number(e.seq) === 151) as object), seq: 152 }), 'mssp: audit entry 152: its content does not match its leaf hash (the entry was edited)'],
    ['an edited checkpoint', (raw) => raw('audit_checkpoints').update({ root_hash: Buffer.alloc(32, 5) }).where({ tree_size: 120 }), 'mssp: audit checkpoint 120: its stored root hash differs from the signed one'],
    ['the latest checkpoint deleted (the witness still holds it)', (raw) => raw('audit_checkpoints').where({ tree_size: 151 }).delete(), 'mssp: audit witness file:WITNESS: it holds checkpoint 151, which the store no longer has'],
  ];

  it.each(TAMPERS)('verify fails naming what is wrong after %s', async (_what, tamper, expected) => {
    await db.bypassTriggers(async (raw) => void (await tamper(raw)));
    try {
      const r = runMssp(['audit', 'verify'], env);
      expect(r.code).toBe(1);
      expect(lastLine(r)).toBe(expected.replace('WITNESS', witnessFile));
    } finally {
      await db.bypassTriggers(async (raw) => {
        await restore(raw, 'audit_entries', entries);
        await restore(raw, 'audit_checkpoints', checkpoints);
      });
    }
    expect(runMssp(['audit', 'verify'], env).code).toBe(0);
  });
});

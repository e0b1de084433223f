import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuditLog,
  auditPublicKey,
  checkpointImprint,
  checkpointToJson,
  openAuditSigner,
  verifyStoredLog,
} from '../../src/audit';
import type { Hsm } from '../../src/hsm';
import { startAudit } from '../../src/cli/audit';
import { startHttpServer } from '../../src/api/http-server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { openssl, openTestToken, opensslVerify, toPem, type TestToken } from '../hsm/support';
import { sampleEntry } from './support/memory-log';
import { AUDIT_ENGINES, type AuditDb } from './support/db';
import { makeOpensslTsa, type OpensslTsa } from './support/openssl-tsa';

/**
 * The checkpoint key lives in the HSM (label `audit`, ES256). What it signs must verify with standard tools given
 * only the public key: `openssl dgst -sha256 -verify`, and the time-stamp with `openssl ts -verify`.
 */
describe('checkpoints signed in the HSM', () => {
  let token: TestToken;
  let hsm: Hsm;
  let db: AuditDb;
  let tsa: OpensslTsa;

  beforeAll(async () => {
    token = await openTestToken('audit-spec');
    hsm = token.hsm;
    db = await (AUDIT_ENGINES[0] as (typeof AUDIT_ENGINES)[number])[1]();
    tsa = makeOpensslTsa();
  });
  afterAll(async () => {
    await db?.close();
    await hsm?.close();
  });

  it('refuses to sign when asked not to create a missing key', async () => {
    await expect(openAuditSigner(hsm, { create: false })).rejects.toMatchObject({ code: 'KEY_PROBLEM' });
    await expect(auditPublicKey(hsm)).resolves.toBeUndefined();
  });

  it('makes the audit key once (P-256, never extractable), records it in the key inventory, and finds it again', async () => {
    const first = await openAuditSigner(hsm, { keys: db.store.keys });
    expect(first.created).toBe(true);
    const again = await openAuditSigner(hsm, { keys: db.store.keys });
    expect(again.created).toBe(false);
    expect(again.signer.publicKey.equals(first.signer.publicKey)).toBe(true);
    await expect(auditPublicKey(hsm)).resolves.toEqual(first.signer.publicKey);
    const record = await db.store.keys.findByLabel('audit');
    expect(record).toMatchObject({ label: 'audit', algorithm: 'P-256', purpose: 'audit', tokenLabel: 'audit-spec' });
    const objects = await hsm.listObjects();
    const privateKey = objects.find((o) => o.label === 'audit' && o.class === 'privateKey');
    expect(privateKey).toMatchObject({ sensitive: true, extractable: false, curve: 'P-256' });
  });

  it('a key of the wrong kind under the audit label is refused', async () => {
    await hsm.generateKeyPair({ type: 'RSA', modulusBits: 2048 }, { label: 'audit-rsa' });
    await expect(openAuditSigner(hsm, { label: 'audit-rsa' })).rejects.toMatchObject({ code: 'KEY_PROBLEM' });
  });

  it('checkpoint signatures verify with openssl dgst, and time-stamps with openssl ts -verify', async () => {
    const { signer } = await openAuditSigner(hsm);
    const log = await AuditLog.open({ store: db.store, signer, timeStamper: tsa.stamper, requireTimeStamps: true });
    for (let i = 0; i < 5; i++) await log.append(sampleEntry(i));
    const { checkpoint } = await log.checkpoint();
    if (checkpoint === undefined) throw new Error('no checkpoint');

    // Exactly what an auditor does with the JSON of GET /audit/checkpoints/latest.
    const json = checkpointToJson(checkpoint);
    const dir = token.dir;
    const r = opensslVerify(dir, 'checkpoint', Buffer.from(json.publicKey, 'base64'), 'sha256', Buffer.from(json.body, 'utf8'), Buffer.from(json.signature, 'base64'));
    expect(r.output).toMatch(/Verified OK/);
    const tampered = opensslVerify(dir, 'tampered', Buffer.from(json.publicKey, 'base64'), 'sha256', Buffer.from(json.body.replace('\n5\n', '\n6\n'), 'utf8'), Buffer.from(json.signature, 'base64'));
    expect(tampered.status).not.toBe(0);

    writeFileSync(join(dir, 'checkpoint.body'), json.body);
    writeFileSync(join(dir, 'checkpoint.tst'), Buffer.from(json.timeStampToken as string, 'base64'));
    writeFileSync(join(dir, 'audit.pub.pem'), toPem(Buffer.from(json.publicKey, 'base64'), 'PUBLIC KEY'));
    const digest = openssl(['dgst', '-sha256', '-r', join(dir, 'checkpoint.body')]).output.split(' ')[0] as string;
    expect(digest).toBe(checkpointImprint(json.body).toString('hex'));
    const ts = openssl(['ts', '-verify', '-digest', digest, '-in', join(dir, 'checkpoint.tst'), '-token_in', '-CAfile', tsa.caFile]);
    expect(ts.output).toMatch(/Verification: OK/);
    // openssl can also hash the data file itself.
    expect(openssl(['ts', '-verify', '-data', join(dir, 'checkpoint.body'), '-in', join(dir, 'checkpoint.tst'), '-token_in', '-CAfile', tsa.caFile]).output).toMatch(/Verification: OK/);

    const verdict = await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey], requireTimeStamps: true, timeStampVerifier: tsa.verifier });
    expect(verdict).toMatchObject({ ok: true, entries: 5, stamped: [5] });
  });

  it('a failing TSA stops the checkpoint when time-stamps are required, and is reported (not fatal) when not', async () => {
    const { signer } = await openAuditSigner(hsm);
    const broken = { stamp: async () => Promise.reject(new Error('TSA down')) };
    const strict = await AuditLog.open({ store: db.store, signer, timeStamper: broken, requireTimeStamps: true });
    await strict.append(sampleEntry(10));
    await expect(strict.checkpoint()).rejects.toMatchObject({ code: 'TIMESTAMP_FAILED' });
    const noTsa = await AuditLog.open({ store: db.store, signer, requireTimeStamps: true });
    await expect(noTsa.checkpoint()).rejects.toMatchObject({ code: 'TIMESTAMP_FAILED' });
    const relaxed = await AuditLog.open({ store: db.store, signer, timeStamper: broken });
    const outcome = await relaxed.checkpoint();
    expect(outcome.checkpoint?.timeStampToken).toBeNull();
    const verdict = await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey] });
    expect(verdict.ok).toBe(true);
    expect(verdict.unstamped).toEqual([6]);
    const strictVerdict = await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey], requireTimeStamps: true });
    expect(strictVerdict.ok).toBe(false);
  });

  it('startAudit (what mssp start wires in) checkpoints every N entries, feeds the witness and serves the routes', async () => {
    const witnessFile = join(token.dir, 'running-witness.jsonl');
    const { config } = loadConfig({ env: { MSSP_DATA_DIR: token.dir, MSSP_AUDIT_CHECKPOINT_ENTRIES: '4', MSSP_AUDIT_CHECKPOINT_MS: '3600000', MSSP_AUDIT_WITNESS_FILE: witnessFile } });
    const logger = createLogger({ level: 'silent' });
    const running = await startAudit(config, hsm, db.store, logger);
    const http = await startHttpServer({ host: '127.0.0.1', port: 0, health: [], routes: running.routes, logger });
    try {
      const before = (await running.log.latestCheckpoint())?.treeSize ?? 0;
      const size = await running.log.sync();
      for (let i = 0; i < 4; i++) await running.log.append(sampleEntry(700 + i));
      const deadline = Date.now() + 10_000;
      while (((await running.log.latestCheckpoint())?.treeSize ?? 0) < size + 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const res = await fetch(`${http.url}/audit/checkpoints/latest`);
      const body = (await res.json()) as { treeSize: number; previousSize: number };
      expect(body.treeSize).toBe(size + 4);
      expect(body.previousSize).toBe(before);
      while (!(existsSync(witnessFile) && readFileSync(witnessFile, 'utf8').includes(`"treeSize":${size + 4}`)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(readFileSync(witnessFile, 'utf8')).toContain(`"treeSize":${size + 4}`);
    } finally {
      await http.close();
      await running.stop();
    }
  });
});

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointJson } from '../../src/audit';
import { cliEnv, runMssp, startMssp, type StartedMssp } from '../support/mssp-cli';

/**
 * The audit log inside a running platform, end to end through the real CLI: operator commands and the node's
 * start and stop land in the log, checkpoints carry tokens from the platform TSA (which `openssl ts -verify`
 * accepts against the CA that `mssp ca init` made), and `mssp audit verify --require-timestamps` passes.
 */

function openssl(args: readonly string[], input?: Buffer): { status: number | null; output: string; stdout: Buffer } {
  const r = spawnSync('openssl', args, input !== undefined ? { input } : {});
  return { status: r.status, output: `${r.stdout.toString()}${r.stderr.toString()}`, stdout: r.stdout };
}

interface TailEntry {
  readonly seq: number;
  readonly actor: { readonly type: string; readonly id: string };
  readonly action: string;
  readonly subject: string;
  readonly outcome: string;
  readonly details: { readonly argv?: string[]; readonly error?: string };
}

async function latestCheckpoint(url: string): Promise<CheckpointJson | undefined> {
  const res = await fetch(`${url}/audit/checkpoints/latest`);
  return res.status === 200 ? ((await res.json()) as CheckpointJson) : undefined;
}

describe('the audit log in a running platform', () => {
  let env: Record<string, string>;
  let dir: string;
  let platform: StartedMssp | undefined;

  beforeAll(() => {
    env = cliEnv({ MSSP_PUBLIC_BASE_URL: 'http://127.0.0.1:8080', MSSP_OPERATOR: 'alice.registrar', MSSP_AUDIT_CHECKPOINT_MS: '1000', MSSP_AUDIT_REQUIRE_TIMESTAMP: 'true' });
    dir = env.MSSP_DATA_DIR as string;
    for (const args of [['init'], ['ca', 'init', '--organization', 'Audit Test'], ['ca', 'export', 'root', '--out', join(dir, 'root.pem')], ['ca', 'export', 'issuing', '--out', join(dir, 'issuing.pem')]]) {
      const r = runMssp(args, env, 60_000);
      expect(r.stderr).not.toMatch(/NOT in the audit log/);
      expect(r.code).toBe(0);
    }
    // What scripts/start.sh runs on every start: nothing once a CA exists.
    const again = runMssp(['ca', 'init', '--if-absent'], env, 60_000);
    expect(again.stdout).toMatch(/a CA exists already: nothing to do/);
    expect(again.code).toBe(0);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('serves POST /tsa with tokens that openssl ts -verify accepts for the data and refuses for other data', async () => {
    platform = await startMssp(env, 60_000);
    const data = join(dir, 'document.txt');
    writeFileSync(data, 'the text a citizen signed\n');
    const query = openssl(['ts', '-query', '-data', data, '-sha256', '-cert']).stdout;
    const res = await fetch(`${platform.url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: query });
    expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
    writeFileSync(join(dir, 'reply.tsr'), Buffer.from(await res.arrayBuffer()));
    const verify = (file: string) => openssl(['ts', '-verify', '-data', file, '-in', join(dir, 'reply.tsr'), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem')]);
    const good = verify(data);
    expect(good.output).toMatch(/Verification: OK/);
    expect(good.status).toBe(0);
    writeFileSync(join(dir, 'other.txt'), 'something else\n');
    expect(verify(join(dir, 'other.txt')).status).not.toBe(0);
    expect(openssl(['ts', '-reply', '-in', join(dir, 'reply.tsr'), '-text']).output).toMatch(/Accuracy: 0x01 seconds/);
  });

  it('signs and time-stamps checkpoints while running; openssl ts -verify accepts their tokens', async () => {
    const url = (platform as StartedMssp).url;
    let checkpoint: CheckpointJson | undefined;
    for (let i = 0; i < 100 && checkpoint === undefined; i++) {
      checkpoint = await latestCheckpoint(url);
      if (checkpoint === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(checkpoint?.timeStampToken).toEqual(expect.any(String));
    const cp = checkpoint as CheckpointJson;
    writeFileSync(join(dir, 'checkpoint.tst'), Buffer.from(cp.timeStampToken as string, 'base64'));
    const digest = createHash('sha256').update(cp.body).digest('hex');
    const r = openssl(['ts', '-verify', '-digest', digest, '-in', join(dir, 'checkpoint.tst'), '-token_in', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem')]);
    expect(r.output).toMatch(/Verification: OK/);
    const otherDigest = createHash('sha256').update(`${cp.body}x`).digest('hex');
    expect(openssl(['ts', '-verify', '-digest', otherDigest, '-in', join(dir, 'checkpoint.tst'), '-token_in', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem')]).status).not.toBe(0);
  });

  it('records operator commands (secrets masked), the start and the stop; the whole log then verifies with time-stamps required', async () => {
    // A failed command is recorded too, with its error.
    const failed = runMssp(['ca', 'status', 'zz-not-hex'], env);
    expect(failed.code).not.toBe(0);
    expect(await (platform as StartedMssp).stop()).toBe(0);
    platform = undefined;

    const verify = runMssp(['audit', 'verify', '--require-timestamps'], env);
    expect(verify.stderr).toBe(verify.stderr.replace(/no time-stamp token/, ''));
    expect(verify.stdout).toMatch(/^audit log verified: \d+ entries, (\d+) checkpoints \(\1 time-stamped\)/m);
    expect(verify.code).toBe(0);

    const tail = runMssp(['audit', 'tail', '-n', '50', '--json'], env);
    expect(tail.code).toBe(0);
    const entries = tail.stdout.trim().split('\n').map((l) => JSON.parse(l) as TailEntry).reverse();
    const summary = entries.map((e) => `${e.actor.type}:${e.action}:${e.subject}:${e.outcome}`);
    const operatorCommands = summary.filter((s) => s.startsWith('operator:'));
    expect(operatorCommands).toEqual([
      'operator:operator.command:command:init:ok',
      'operator:operator.command:command:ca init:ok',
      'operator:operator.command:command:ca export:ok',
      'operator:operator.command:command:ca export:ok',
      'operator:operator.command:command:ca init:ok',
      'operator:operator.command:command:ca status:failed',
    ]);
    expect(entries.filter((e) => e.actor.type === 'operator').every((e) => e.actor.id === 'alice.registrar')).toBe(true);
    expect(summary.filter((s) => s.startsWith('system:')).map((s) => s.split(':')[1])).toEqual(['platform.start', 'platform.stop']);
    const statusEntry = entries.find((e) => e.subject === 'command:ca status') as TailEntry;
    expect(statusEntry.details.argv).toEqual(['ca', 'status', 'zz-not-hex']);
    expect(statusEntry.details.error).toMatch(/hex/);
  });
});

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

export const MSSP_BIN = resolve(__dirname, '../../bin/mssp.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** An environment for the CLI with its own data folder and nothing inherited that would point it elsewhere. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('MSSP_') && k !== 'DATABASE_URL' && k !== 'SOFTHSM2_CONF') env[k] = v;
  }
  const dataDir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'cli-'));
  return { ...env, MSSP_DATA_DIR: dataDir, MSSP_LOG_LEVEL: 'warn', MSSP_HTTP_PORT: '0', ...extra };
}

export function runMssp(args: readonly string[], env: Record<string, string>, timeoutMs = 30_000): CliResult {
  const r = spawnSync(process.execPath, [MSSP_BIN, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface StartedMssp {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  stop(): Promise<number | null>;
}

/** Starts `mssp start` and waits for the line that gives its URL. */
export function startMssp(env: Record<string, string>, timeoutMs = 30_000): Promise<StartedMssp> {
  const child = spawn(process.execPath, [MSSP_BIN, 'start'], { env });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mssp start gave no URL within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (\S+)/.exec(stdout);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveStart({
          url: m[1],
          child,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mssp start exited with ${code}: ${stderr}`));
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/log';
import { EsmeClient, type EsmeClientOptions } from '../../../src/channel/smpp';
import type { SmscAccount } from '../../../hsm-sim/smsc/accounts';
import { InMemoryHandsetDirectory } from '../../../hsm-sim/smsc/handsets';
import { SmscSimulator, type SmscOptions } from '../../../hsm-sim/smsc/smsc-server';

export const ROOT = join(__dirname, '..', '..', '..');

/** A logger whose JSON lines are kept for assertions (and shown nowhere). */
export function captureLogger(level = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

export const silent = (): Logger => createLogger({ level: 'silent' });

export function scratchDir(prefix: string): string {
  return mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? '/tmp', `${prefix}-`));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const ACCOUNT: SmscAccount = { systemId: 'platform', password: 'secret', allowedIps: ['127.0.0.1'], moAddresses: ['12345'] };

export async function startSmsc(options: Partial<SmscOptions> & { handsets?: InMemoryHandsetDirectory } = {}): Promise<{ smsc: SmscSimulator; port: number; handsets: InMemoryHandsetDirectory }> {
  const handsets = options.handsets ?? new InMemoryHandsetDirectory();
  const smsc = new SmscSimulator({ accounts: [ACCOUNT], logger: silent(), ...options, handsets });
  const address = await smsc.start();
  return { smsc, port: address.port, handsets };
}

export function esmeOptions(port: number, extra: Partial<EsmeClientOptions> = {}): EsmeClientOptions {
  return {
    host: '127.0.0.1',
    port,
    systemId: ACCOUNT.systemId,
    password: ACCOUNT.password,
    responseTimeoutMs: 2_000,
    reconnect: { initialMs: 50, maxMs: 500 },
    throttleBackoff: { initialMs: 20, maxMs: 200 },
    logger: silent(),
    ...extra,
  };
}

export async function boundClient(port: number, extra: Partial<EsmeClientOptions> = {}): Promise<EsmeClient> {
  const client = new EsmeClient(esmeOptions(port, extra));
  await client.start();
  return client;
}

/** Starts a child process and resolves with its first JSON line on standard output. */
export function spawnWithReadyLine(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; ready: Record<string, unknown>; stdout: string[]; stderr: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    const stderr: string[] = [];
    let buffered = '';
    let done = false;
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        stdout.push(line);
        if (!done && line.startsWith('{')) {
          done = true;
          resolve({ child, ready: JSON.parse(line) as Record<string, unknown>, stdout, stderr });
        }
      }
    });
    child.once('exit', (code) => {
      if (!done) reject(new Error(`${command} exited with ${code}: ${stderr.join('')}`));
    });
    setTimeout(() => {
      if (!done) {
        child.kill('SIGKILL');
        reject(new Error(`${command} not ready in time: ${stderr.join('')}`));
      }
    }, 30_000).unref();
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    // 'close' rather than 'exit': it comes after the child's standard output has been read to the end.
    if (child.exitCode !== null && child.stdout?.readableEnded !== false) resolve(child.exitCode);
    else child.once('close', (code) => resolve(code));
  });
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type RunningHttpServer, startHttpServer } from '../../../src/api/http-server';
import { tsaRoute } from '../../../src/api/tsa-route';
import { createLogger, type Logger } from '../../../src/log';
import { type TimeStampAuthority, type CreateTsaOptions, createTsa } from '../../../src/pki';
import { openStore, type Store } from '../../../src/store';
import { openTestToken, type TestToken } from '../../hsm/support';
import { type TokenChain, makeTokenChain, writeChainFiles } from '../support/token-pki';

/** Test-only: a TSA on a throw-away token and SQLite store, behind the HTTP route, with its log lines kept. */
export const TSA_POLICY = '1.3.6.1.4.1.55555.1.1';
export const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ destination, level: 'debug' }), lines };
}

export interface TsaFixture {
  readonly t: TestToken;
  readonly chain: TokenChain;
  readonly files: { root: string; issuing: string; leaf: string; all: string };
  readonly store: Store;
  readonly sqliteFile: string;
  readonly tsa: TimeStampAuthority;
  readonly server: RunningHttpServer;
  readonly lines: LogLine[];
  /** POSTs to the TSA route; returns status, content type and body. */
  post(body: Uint8Array, contentType?: string): Promise<{ status: number; type: string | null; body: Buffer }>;
  close(): Promise<void>;
}

export async function tsaFixture(label: string, overrides: Partial<CreateTsaOptions> = {}): Promise<TsaFixture> {
  const t = await openTestToken(label);
  const chain = await makeTokenChain(t.hsm, { label, leaf: { subject: `CN=${label} TSA, O=mssp test`, extendedKeyUsage: { usages: [TIME_STAMPING], critical: true } } });
  const files = writeChainFiles(t.dir, label, chain);
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'tsa-store-'));
  const sqliteFile = join(dir, 'mssp.sqlite');
  const store = await openStore({ sqliteFile });
  await store.migrate();
  const { logger, lines } = memoryLogger();
  const tsa = await createTsa({
    hsm: t.hsm,
    key: chain.leaf.pair.privateKey,
    certificate: chain.leaf.der,
    chain: [chain.issuing.der],
    counters: store.counters,
    policyOid: TSA_POLICY,
    acceptedPolicies: [TSA_POLICY, '1.3.6.1.4.1.55555.1.2'],
    accuracy: { seconds: 1 },
    logger,
    ...overrides,
  });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, health: [], routes: [tsaRoute({ tsa })], logger });
  return {
    t,
    chain,
    files,
    store,
    sqliteFile,
    tsa,
    server,
    lines,
    async post(body, contentType = 'application/timestamp-query') {
      const res = await fetch(`${server.url}/tsa`, { method: 'POST', headers: { 'content-type': contentType }, body });
      return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
    },
    async close() {
      await server.close();
      await store.close();
      await t.hsm.close();
    },
  };
}

let n = 0;
export function scratchFile(dir: string, name: string, bytes: Uint8Array): string {
  n += 1;
  const file = join(dir, `${n}-${name}`);
  writeFileSync(file, bytes);
  return file;
}

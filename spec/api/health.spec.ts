import { PassThrough } from 'node:stream';
import { startHttpServer, type RunningHttpServer } from '../../src/api/http-server';
import { createLogger } from '../../src/log';
import type { HealthProbe } from '../../src/api/health';

const logger = createLogger({ level: 'silent', destination: new PassThrough() });

async function serve(health: HealthProbe[]): Promise<RunningHttpServer> {
  return startHttpServer({ host: '127.0.0.1', port: 0, health, logger });
}

describe('/healthz', () => {
  let server: RunningHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers 200 when every dependency answers', async () => {
    server = await serve([
      { name: 'store', check: async () => undefined },
      { name: 'hsm', check: async () => undefined },
    ]);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(body.checks.store?.status).toBe('ok');
    expect(body.checks.hsm?.status).toBe('ok');
  });

  it('answers 503 naming the failing dependency, and a hung one does not hang the answer', async () => {
    server = await serve([
      { name: 'store', check: async () => Promise.reject(new Error('connection refused')) },
      { name: 'hsm', check: () => new Promise<void>(() => undefined) },
    ]);
    const started = Date.now();
    const res = await fetch(`${server.url}/healthz`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
    expect(body.status).toBe('failing');
    expect(body.checks.store).toMatchObject({ status: 'failing', error: 'connection refused' });
    expect(body.checks.hsm).toMatchObject({ status: 'failing', error: expect.stringMatching(/no answer within/) });
  });

  it('answers an unknown path with problem+json 404', async () => {
    server = await serve([]);
    const res = await fetch(`${server.url}/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('routes', () => {
  it('dispatches exact and prefix routes, and a failing handler gets a 500 without taking the server down', async () => {
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      health: [],
      logger,
      routes: [
        { method: 'GET', path: '/exact', handle: async (_req, res) => void res.end('exact') },
        { method: 'GET', path: '/tree/', handle: async (req, res) => void res.end(`tree:${req.url ?? ''}`) },
        { method: 'POST', path: '/boom', handle: async () => Promise.reject(new Error('handler bug')) },
      ],
    });
    try {
      expect(await (await fetch(`${server.url}/exact`)).text()).toBe('exact');
      expect(await (await fetch(`${server.url}/tree/a/b`)).text()).toBe('tree:/tree/a/b');
      expect((await fetch(`${server.url}/exact`, { method: 'POST' })).status).toBe(404);
      expect((await fetch(`${server.url}/boom`, { method: 'POST' })).status).toBe(500);
      expect(await (await fetch(`${server.url}/exact`)).text()).toBe('exact');
    } finally {
      await server.close();
    }
  });
});

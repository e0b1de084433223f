import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer, type RunningHttpServer } from '../../../src/api/http-server';
import { soapRoutes } from '../../../src/api/soap/route';
import { soapEnvelope } from '../../../src/api/soap/serialize';
import { createLogger } from '../../../src/log';
import type { MssRequest, MssResponse } from '../../../src/mss/messages/types';
import { authenticateAp } from '../../../src/mss/aps/authenticate';
import { ApRateLimiter } from '../../../src/mss/aps/rate-limit';
import { addAp } from '../../../src/mss/aps/registry';
import { sqliteEngine, type StoreFixture } from '../../store/engines';
import { apHeader } from './samples';

/**
 * Mutual TLS on the AP listener: the server asks for a client certificate, and an AP registered with a
 * certificate fingerprint is refused (104) without that very certificate. Certificates are made with openssl.
 */
const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'mtls-'));
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}

let fx: StoreFixture;
let server: RunningHttpServer;
const serverCert = selfSigned('server');
const apCert = selfSigned('ap');
const otherCert = selfSigned('other');
const fingerprint = new X509Certificate(readFileSync(apCert.cert)).fingerprint256.replace(/:/g, '').toLowerCase();

beforeAll(async () => {
  fx = await sqliteEngine.fresh();
  await fx.store.migrate();
  await addAp(fx.store.mss, { apId: 'http://ap.example/ministry', password: 'secret but long', profiles: ['http://p.example/s'], tlsFingerprint: fingerprint });
  // A service that authenticates the AP and then answers a fixed status: the TLS part is what is tested here.
  const service = {
    async handle(req: MssRequest, caller: Parameters<typeof authenticateAp>[1]): Promise<MssResponse> {
      await authenticateAp(req, caller, { repo: fx.store.mss, limiter: new ApRateLimiter(), instantWindowMs: 60_000 });
      return { kind: 'MSS_ReceiptResp', majorVersion: 1, minorVersion: 1, apInfo: { ...req.apInfo, apPwd: '' }, msspInfo: req.msspInfo, status: { code: 100 } };
    },
  };
  const logger = createLogger({ level: 'silent' });
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    tls: { certFile: serverCert.cert, keyFile: serverCert.key, requestClientCertificate: true },
    health: [],
    routes: soapRoutes({ service, logger, publicUrl: () => server.url }),
    logger,
  });
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
});

function post(client?: { cert: string; key: string }): Promise<string> {
  const body = soapEnvelope('MSS_Receipt', {
    kind: 'MSS_ReceiptReq',
    ...apHeader(`T${Math.random().toString(36).slice(2)}`, new Date()),
    apInfo: { apId: 'http://ap.example/ministry', apTransId: `T${Math.random().toString(36).slice(2)}`, apPwd: 'secret but long', instant: new Date() },
    msspTransId: 'M1',
    mobileUser: { msisdn: '+37255500001' },
  } as MssRequest);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/soap/services/`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml' },
        ca: readFileSync(serverCert.cert),
        checkServerIdentity: () => undefined,
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('the registered client certificate is accepted', async () => {
  expect(await post(apCert)).toContain('<mss:StatusCode Value="100"/>');
});

test('no client certificate, or another one, is 104', async () => {
  expect(await post()).toContain('<env:Value>mss:_104</env:Value>');
  expect(await post(otherCert)).toContain('<env:Value>mss:_104</env:Value>');
});

test('the fault does not say which check failed', async () => {
  expect(await post(otherCert)).not.toMatch(/certificate|fingerprint/i);
});

import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySignatureHeader } from '../../../src/api/callback-signature';
import { soapNotificationSender } from '../../../src/api/soap/notification-client';
import { ApiKeys } from '../../../src/mps';
import { sqliteEngine } from '../../store/engines';
import { ALICE, startMpsApiFixture, type MpsApiFixture } from './fixture';

/**
 * Mutual TLS on the MPS API (the listener's client-certificate support, as for APs): a key bound to a certificate
 * works only with that certificate. And the MSS_Notification calls of asynchServerServer carry the same signature
 * header as the webhooks, made by the same HSM key.
 */
const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'mps-mtls-'));
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key };
}
const serverCert = selfSigned('server');
const merchantCert = selfSigned('merchant');
const otherCert = selfSigned('other');

let f: MpsApiFixture;
let boundKey: string;

beforeAll(async () => {
  f = await startMpsApiFixture(sqliteEngine, 'mtls', { certFile: serverCert.cert, keyFile: serverCert.key, requestClientCertificate: true });
  const fingerprint = new X509Certificate(readFileSync(merchantCert.cert)).fingerprint256;
  boundKey = (await new ApiKeys(f.t.store).create({ participantId: 'shop', role: 'merchant', tlsFingerprint: fingerprint })).key;
}, 60_000);
afterAll(async () => f?.close());

function post(key: string, client?: { cert: string; key: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${f.url}/mps/v1/offers`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': `mtls-${Math.random()}` },
        ca: readFileSync(serverCert.cert),
        checkServerIdentity: () => undefined,
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ payerMsisdn: ALICE, amount: '100', currency: 'EUR', reference: 'MTLS', expiresInSeconds: 30 }));
  });
}

test('a key bound to a client certificate works with that certificate', async () => {
  expect(await post(boundKey, merchantCert)).toMatchObject({ status: 201, body: { state: 'created' } });
});

test('the bound key without a certificate, or with another one, is 401 UNAUTHENTICATED', async () => {
  expect(await post(boundKey)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
  expect(await post(boundKey, otherCert)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
});

test('a key not bound to a certificate works over the same listener with or without one', async () => {
  expect((await post(f.keys.shop)).status).toBe(201);
  expect((await post(f.keys.shop, otherCert)).status).toBe(201);
});

test('MSS_Notification calls carry X-MSSP-Signature over "<t>.<envelope>" made with the callback key', async () => {
  let seen: { header: string; body: Buffer } | undefined;
  const ap = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen = { header: String(req.headers['x-mssp-signature'] ?? ''), body: Buffer.concat(chunks) };
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((r) => ap.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(ap.address() as AddressInfo).port}/notify`;
    const notification = {
      kind: 'MSS_StatusResp',
      majorVersion: 1,
      minorVersion: 1,
      apInfo: { apId: 'http://ap.example', apTransId: 'T1', instant: new Date() },
      msspInfo: { msspId: { uri: 'http://mssp.invalid' } },
      mobileUser: { msisdn: ALICE },
      status: { code: 500 },
    } as unknown as Parameters<ReturnType<typeof soapNotificationSender>['send']>[1];
    // The AP answers 500: the call fails, but what was sent is what we check.
    await expect(soapNotificationSender(5_000, f.signer).send(url, notification)).rejects.toThrow(/HTTP 500/);
    expect(seen?.body.toString()).toContain('MSS_Notification');
    expect(verifySignatureHeader(seen?.header ?? '', seen?.body ?? Buffer.alloc(0), f.signer.publicKey)).toBe(true);
    expect(verifySignatureHeader(seen?.header ?? '', Buffer.concat([seen?.body ?? Buffer.alloc(0), Buffer.from(' ')]), f.signer.publicKey)).toBe(false);
  } finally {
    await new Promise<void>((r) => ap.close(() => r()));
  }
});

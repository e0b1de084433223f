import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { pkiRoutes } from '../../../src/api/pki-routes';
import { startHttpServer, type RunningHttpServer } from '../../../src/api/http-server';
import { createLogger } from '../../../src/log';
import {
  encodeCertId,
  encodeOcspRequest,
  parseCertificate,
  parseCrl,
  parseOcspResponse,
  startPkiRuntime,
  type PkiRuntime,
  type RegistrationResult,
} from '../../../src/pki';
import { sqliteEngine, type StoreFixture } from '../../store/engines';
import { initTestPki, openPkiTokens, openssl, opensslAsync, simRequest, toPem, writePem, type PkiTokens, type TestPki } from '../ca/support/pki-fixture';

/**
 * OCSP, CRLs and CA certificates over HTTP on a real listener: `openssl ocsp -url` as the independent client
 * (good, then revoked), RFC 6960 GET with RFC 5019 cache headers, and every kind of bad input answered with an
 * OCSPResponse (malformedRequest, HTTP 200) rather than a crash.
 */
let tokens: PkiTokens;
let fx: StoreFixture;
let pki: TestPki;
let runtime: PkiRuntime;
let http: RunningHttpServer;
let citizen: RegistrationResult;

beforeAll(async () => {
  tokens = await openPkiTokens('ocsp-http');
  fx = await sqliteEngine.fresh();
  pki = await initTestPki(tokens.platform, fx.store);
  runtime = await startPkiRuntime({ hsm: tokens.platform, store: fx.store, pollMs: 60_000 });
  http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    health: [],
    logger: createLogger({ level: 'silent' }),
    routes: pkiRoutes({ responder: runtime.responder, crl: (n) => runtime.crls.current(n), caCertificate: (n) => runtime.caCertificate(n), maxBodyBytes: 4096 }),
  });
  citizen = await runtime.ra.register({
    identity: { givenName: 'Hanna', familyName: 'Http', nationalId: 'H1', birthDate: '1985-08-08' },
    msisdn: '+37255540001',
    label: 'government',
    mode: 'in-person',
    officer: 'http-spec',
    authenticationRequest: await simRequest(tokens.sim),
    signatureRequest: await simRequest(tokens.sim),
  });
});
afterAll(async () => {
  await http?.close();
  await runtime?.stop();
  await fx?.close();
  await tokens?.close();
});

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function send(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Raw> {
  const url = new URL(path, http.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const certId = (): Buffer => {
  const cert = parseCertificate(citizen.authentication.der);
  return encodeCertId({ issuerName: cert.issuer, issuerKey: parseCertificate(pki.init.issuing.certificate).subjectPublicKeyInfo, serialNumber: cert.serialNumber });
};

async function opensslOcsp(leafDer: Uint8Array): Promise<string> {
  const issuing = writePem(tokens.dir, 'issuing.pem', pki.init.issuing.certificate);
  const root = writePem(tokens.dir, 'root.pem', pki.init.root.certificate);
  const leaf = writePem(tokens.dir, 'cert.pem', leafDer);
  return (await opensslAsync(['ocsp', '-url', `${http.url}/ocsp`, '-issuer', issuing, '-cert', leaf, '-CAfile', root, '-verify_other', issuing])).output;
}

it('openssl ocsp -url reports good, then revoked after a revocation (with time and reason)', async () => {
  const good = await opensslOcsp(citizen.signature.der);
  expect(good).toMatch(/Response verify OK/);
  expect(good).toMatch(/cert\.pem: good/);
  expect(good).not.toMatch(/WARNING/);
  await runtime.ra.revoke({ mid: citizen.mid, officer: 'http-spec', reason: 'keyCompromise' });
  const revoked = await opensslOcsp(citizen.signature.der);
  expect(revoked).toMatch(/Response verify OK/);
  expect(revoked).toMatch(/cert\.pem: revoked/);
  expect(revoked).toMatch(/Reason: keyCompromise/);
  expect(revoked).toMatch(/Revocation Time: /);
});

it('answers GET with the base64 request in the path, with RFC 5019 cache headers', async () => {
  const der = encodeOcspRequest([certId()]);
  const path = `/ocsp/${encodeURIComponent(der.toString('base64'))}`;
  const res = await send('GET', path);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/ocsp-response');
  expect(res.headers['cache-control']).toMatch(/^max-age=\d+, public, no-transform, must-revalidate$/);
  expect(res.headers.etag).toMatch(/^"[0-9a-f]{40}"$/);
  expect(new Date(String(res.headers.expires)).getTime()).toBeGreaterThan(Date.now());
  expect(new Date(String(res.headers['last-modified'])).getTime()).toBeLessThanOrEqual(Date.now());
  expect(parseOcspResponse(res.body).basic?.responses[0]?.status.kind).toBe('revoked');
  // The URL-safe alphabet and raw '/' in the path work too.
  const urlSafe = await send('GET', `/ocsp/${der.toString('base64url')}`);
  expect(urlSafe.body).toEqual(res.body);
  const post = await send('POST', '/ocsp', encodeOcspRequest([certId()], Buffer.alloc(16, 1)), { 'content-type': 'application/ocsp-request' });
  expect(post.headers['cache-control']).toBe('no-cache, no-store');
});

it.each([
  ['non-DER garbage', 'POST', '/ocsp', Buffer.from('hello, responder'), 'application/ocsp-request'],
  ['a wrong content type', 'POST', '/ocsp', encodeOcspRequest([Buffer.from('300906052b0e03021a0500', 'hex')]), 'text/plain'],
  ['an oversized body', 'POST', '/ocsp', Buffer.alloc(5000, 0x30), 'application/ocsp-request'],
  ['a truncated request', 'POST', '/ocsp', encodeOcspRequest([Buffer.alloc(0)]).subarray(0, 3), 'application/ocsp-request'],
  ['bad base64 in a GET', 'GET', '/ocsp/%%%not-base64', undefined, undefined],
  ['a GET path that decodes to garbage', 'GET', '/ocsp/AAAA', undefined, undefined],
] as const)('answers %s with malformedRequest and HTTP 200', async (_name, method, path, body, type) => {
  const res = await send(method, path, body, type !== undefined ? { 'content-type': type } : {});
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/ocsp-response');
  expect(res.body).toEqual(Buffer.from('30030a0101', 'hex'));
});

it('publishes the CRLs and CA certificates at the URLs written into certificates', async () => {
  await runtime.tick();
  const crl = await send('GET', '/crl/issuing.crl');
  expect(crl.status).toBe(200);
  expect(crl.headers['content-type']).toBe('application/pkix-crl');
  expect(parseCrl(crl.body).entries.map((e) => Buffer.from(e.serialNumber).toString('hex'))).toContain(citizen.signature.serialHex);
  const file = join(tokens.dir, 'http.crl');
  writeFileSync(file, toPem(crl.body, 'X509 CRL'));
  expect(openssl(['crl', '-in', file, '-CAfile', writePem(tokens.dir, 'issuing-for-crl.pem', pki.init.issuing.certificate), '-noout']).output).toMatch(/verify OK/);
  const ca = await send('GET', '/ca/root.cer');
  expect(ca.headers['content-type']).toBe('application/pkix-cert');
  expect(ca.body).toEqual(pki.init.root.certificate);
  expect((await send('GET', '/crl/nobody.crl')).status).toBe(404);
  expect((await send('GET', '/ca/../etc.cer')).status).toBe(404);
  expect((await send('HEAD', '/crl/root.crl')).status).toBe(200);
});

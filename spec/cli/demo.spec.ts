import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signatureTimeStamps, signatureValueDigest } from '../../src/pki';
import { MSSP_BIN, cliEnv, runMssp } from '../support/mssp-cli';

/**
 * The whole chain on one machine, as the README's sandbox gives it to a relying-party developer: `mssp start
 * --demo` → SOAP and REST MSS_Signature → the TS 102 204 service → the SIM-applet channel → SMPP over TCP → the
 * SMSC simulator → a handset whose SIM (its own SoftHSM2 tokens, certificates from the platform's RA) shows the
 * text, checks the PIN and signs → back the same way → validated against the platform CA. openssl checks the
 * signature; every demo number gives its documented outcome; the evidence bundle of the signature verifies.
 */

interface Demo {
  readonly soapUrl: string;
  readonly wsdlUrl: string;
  readonly restUrl: string;
  readonly openapiUrl: string;
  readonly apId: string;
  readonly apPassword: string;
  readonly caCertPem: string;
  readonly msisdns: { approve: string; cancel: string; pinBlocked: string; noAnswer: string; slow: string };
  readonly payments: { url: string; apiKey: string; merchant: string; openapiUrl: string; callbackKeyUrl: string };
}

let env: Record<string, string>;
let dir: string;
let child: ChildProcessWithoutNullStreams | undefined;
let demo: Demo;
let url: string;
let counter = 0;

function startDemo(): Promise<{ demo: Demo; url: string }> {
  const proc = spawn(process.execPath, [MSSP_BIN, 'start', '--demo'], { env });
  child = proc;
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mssp start --demo did not come up: ${stderr}`)), 90_000);
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('exit', (code) => reject(new Error(`mssp start --demo exited ${String(code)}: ${stderr}`)));
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{"demo":'));
      const listening = /listening on (\S+)/.exec(stdout);
      if (line !== undefined && listening?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ demo: (JSON.parse(line) as { demo: Demo }).demo, url: listening[1] });
      }
    });
  });
}

beforeAll(async () => {
  env = cliEnv({ MSSP_PUBLIC_BASE_URL: 'http://127.0.0.1:8080', MSSP_AUDIT_CHECKPOINT_MS: '1000' });
  dir = env.MSSP_DATA_DIR as string;
  for (const args of [['init'], ['ca', 'init']]) expect(runMssp(args, env, 60_000).code).toBe(0);
  ({ demo, url } = await startDemo());
}, 120_000);
afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
});

const DATA = 'I accept the demo contract 2026-117';

function soapSignature(msisdn: string, options: { mode?: string; timeOut?: number; validate?: boolean; timestamp?: boolean } = {}): string {
  counter += 1;
  const service = (uri: string): string => `<mss:Service><mss:Description><mss:mssURI>${uri}</mss:mssURI></mss:Description></mss:Service>`;
  const services = [...(options.validate === true ? [service('http://uri.etsi.org/TS102204/v1.1.2#validate')] : []), ...(options.timestamp === true ? [service('http://uri.etsi.org/TS102204/v1.1.2#timestamp')] : [])];
  const validate = services.length > 0 ? `<mss:AdditionalServices>${services.join('')}</mss:AdditionalServices>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><MSS_Signature xmlns="">
<mss:MSS_SignatureReq xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MessagingMode="${options.mode ?? 'synch'}" TimeOut="${options.timeOut ?? 60}">
<mss:AP_Info AP_ID="${demo.apId}" AP_TransID="demo-${Date.now()}-${counter}" AP_PWD="${demo.apPassword}" Instant="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"/>
<mss:MSSP_Info><mss:MSSP_ID><mss:URI>http://mssp.invalid</mss:URI></mss:MSSP_ID></mss:MSSP_Info>
<mss:MobileUser><mss:MSISDN>${msisdn}</mss:MSISDN></mss:MobileUser>
<mss:DataToBeSigned MimeType="text/plain" Encoding="UTF-8">${DATA}</mss:DataToBeSigned>
<mss:DataToBeDisplayed MimeType="text/plain" Encoding="UTF-8">Demo contract</mss:DataToBeDisplayed>
<mss:SignatureProfile><mss:mssURI>http://mss.ficom.fi/TS102204/v1.0.0#signature</mss:mssURI></mss:SignatureProfile>
${validate}</mss:MSS_SignatureReq></MSS_Signature></env:Body></env:Envelope>`;
}

async function postSoap(body: string): Promise<string> {
  const res = await fetch(demo.soapUrl, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body });
  return res.text();
}

const statusOf = (xml: string): string | undefined => /<mss:StatusCode Value="(\d+)"/.exec(xml)?.[1] ?? /<env:Value>mss:_(\d+)<\/env:Value>/.exec(xml)?.[1];

it('prints the sandbox line a relying-party developer needs, with a WSDL and an OpenAPI document behind its URLs', async () => {
  expect(demo.soapUrl.startsWith(url)).toBe(true);
  expect(demo.caCertPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  expect(Object.values(demo.msisdns)).toHaveLength(5);
  expect(await (await fetch(demo.wsdlUrl)).text()).toMatch(/<wsdl:definitions|<definitions/);
  expect(((await (await fetch(demo.openapiUrl)).json()) as { openapi: string }).openapi).toMatch(/^3\.1/);
});

it('signs on the approving demo SIM over SOAP: 502 VALID_SIGNATURE, and openssl cms -verify accepts the signature against the demo CA', async () => {
  const xml = await postSoap(soapSignature(demo.msisdns.approve, { validate: true }));
  expect(statusOf(xml)).toBe('502');
  const cms = /<mss:Base64Signature>([^<]+)</.exec(xml)?.[1] as string;
  writeFileSync(join(dir, 'demo-sig.der'), Buffer.from(cms, 'base64'));
  writeFileSync(join(dir, 'demo-data.txt'), DATA);
  writeFileSync(join(dir, 'demo-root.pem'), demo.caCertPem);
  expect(runMssp(['ca', 'export', 'issuing', '--out', join(dir, 'demo-issuing.pem')], env).code).toBe(0);
  // The SIM sends only its own certificate; the relying party has the CA's chain (root and issuing CA).
  writeFileSync(join(dir, 'demo-chain.pem'), `${demo.caCertPem}${readFileSync(join(dir, 'demo-issuing.pem'), 'utf8')}`);
  const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'demo-sig.der'), '-content', join(dir, 'demo-data.txt'), '-CAfile', join(dir, 'demo-chain.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
  expect(r.stderr).toMatch(/Verification successful/);

  // Its evidence bundle, once a checkpoint covers it, verifies offline with the CA and the audit key alone.
  const msspTransId = /MSSP_TransID="([^"]+)"/.exec(xml)?.[1] as string;
  await new Promise((res) => setTimeout(res, 2_500));
  const exported = runMssp(['evidence', 'export', msspTransId, '--out', join(dir, 'demo-evidence.json')], env);
  expect(exported.stderr).toBe(exported.stderr.replace(/mssp:/, ''));
  expect(exported.code).toBe(0);
  writeFileSync(join(dir, 'demo-audit.pem'), runMssp(['audit', 'public-key'], env).stdout);
  const verified = runMssp(['evidence', 'verify', join(dir, 'demo-evidence.json'), '--ca', join(dir, 'demo-root.pem'), '--audit-key', join(dir, 'demo-audit.pem')], env);
  expect(verified.stdout).toMatch(/^evidence verified$/m);
  expect(verified.code).toBe(0);
}, 60_000);

it('gives each demo number its documented outcome over REST: cancel 401, PIN blocked 402, no answer 208, unknown 105', async () => {
  const rest = async (msisdn: string, timeOut = 60): Promise<{ statusCode?: number; MSS_SignatureResp?: unknown }> => {
    counter += 1;
    const res = await fetch(`${demo.restUrl}/MSS_Signature`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        MSS_SignatureReq: {
          MajorVersion: 1,
          MinorVersion: 1,
          MessagingMode: 'synch',
          TimeOut: timeOut,
          AP_Info: { AP_ID: demo.apId, AP_TransID: `rest-${Date.now()}-${counter}`, AP_PWD: demo.apPassword, Instant: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
          MSSP_Info: { MSSP_ID: { URI: 'http://mssp.invalid' } },
          MobileUser: { MSISDN: msisdn },
          DataToBeSigned: { value: DATA, MimeType: 'text/plain' },
          SignatureProfile: { mssURI: 'http://mss.ficom.fi/TS102204/v1.0.0#signature' },
        },
      }),
    });
    return (await res.json()) as { statusCode?: number };
  };
  expect((await rest(demo.msisdns.cancel)).statusCode).toBe(401);
  expect((await rest(demo.msisdns.pinBlocked)).statusCode).toBe(402);
  // Blocked stays blocked.
  expect((await rest(demo.msisdns.pinBlocked)).statusCode).toBe(402);
  expect((await rest(demo.msisdns.noAnswer, 3)).statusCode).toBe(208);
  expect((await rest('+99900000099')).statusCode).toBe(105);
}, 60_000);

it('answers asynchClientServer with REQUEST_OK, then the signature through MSS_StatusQuery', async () => {
  const first = await postSoap(soapSignature(demo.msisdns.approve, { mode: 'asynchClientServer' }));
  expect(statusOf(first)).toBe('100');
  const msspTransId = /MSSP_TransID="([^"]+)"/.exec(first)?.[1] as string;
  let status: string | undefined;
  for (let i = 0; i < 50 && status !== '500'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    counter += 1;
    const query = `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><MSS_StatusQuery xmlns="">
<mss:MSS_StatusReq xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MSSP_TransID="${msspTransId}">
<mss:AP_Info AP_ID="${demo.apId}" AP_TransID="status-${Date.now()}-${counter}" AP_PWD="${demo.apPassword}" Instant="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"/>
<mss:MSSP_Info><mss:MSSP_ID><mss:URI>http://mssp.invalid</mss:URI></mss:MSSP_ID></mss:MSSP_Info>
</mss:MSS_StatusReq></MSS_StatusQuery></env:Body></env:Envelope>`;
    status = statusOf(await postSoap(query));
    expect(['504', '500']).toContain(status);
  }
  expect(status).toBe('500');
}, 30_000);

it('shows an MSS_Receipt on the handset of a finished transaction (REST)', async () => {
  const signed = await postSoap(soapSignature(demo.msisdns.approve));
  expect(statusOf(signed)).toBe('500');
  const msspTransId = /MSSP_TransID="([^"]+)"/.exec(signed)?.[1] as string;
  counter += 1;
  const res = await fetch(`${demo.restUrl}/MSS_Receipt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      MSS_ReceiptReq: {
        MajorVersion: 1,
        MinorVersion: 1,
        MSSP_TransID: msspTransId,
        AP_Info: { AP_ID: demo.apId, AP_TransID: `receipt-${Date.now()}-${counter}`, AP_PWD: demo.apPassword, Instant: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
        MSSP_Info: { MSSP_ID: { URI: 'http://mssp.invalid' } },
        MobileUser: { MSISDN: demo.msisdns.approve },
        Message: { value: 'Your contract is signed. Thank you.', MimeType: 'text/plain' },
      },
    }),
  });
  const body = (await res.json()) as { MSS_ReceiptResp?: { Status?: { StatusCode?: { Value?: string } } } };
  expect(body.MSS_ReceiptResp?.Status?.StatusCode?.Value).toBe('100');
}, 30_000);

it('adds an RFC 3161 signature time-stamp inside the CMS when the AP asks (CAdES-T); openssl verifies both', async () => {
  const xml = await postSoap(soapSignature(demo.msisdns.approve, { validate: true, timestamp: true }));
  expect(statusOf(xml)).toBe('502');
  const cms = Buffer.from(/<mss:Base64Signature>([^<]+)</.exec(xml)?.[1] as string, 'base64');
  writeFileSync(join(dir, 'ts-sig.der'), cms);
  const verified = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'ts-sig.der'), '-content', join(dir, 'demo-data.txt'), '-CAfile', join(dir, 'demo-chain.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
  expect(verified.stderr).toMatch(/Verification successful/);
  const [token] = signatureTimeStamps(cms);
  expect(token).toBeDefined();
  writeFileSync(join(dir, 'ts-token.der'), token as Buffer);
  const ts = spawnSync('openssl', ['ts', '-verify', '-digest', signatureValueDigest(cms).toString('hex'), '-in', join(dir, 'ts-token.der'), '-token_in', '-CAfile', join(dir, 'demo-chain.pem')], { encoding: 'utf8' });
  expect(`${ts.stdout}${ts.stderr}`).toMatch(/Verification: OK/);
  expect(spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(dir, 'ts-sig.der')], { encoding: 'utf8' }).stdout).toMatch(/unsignedAttrs:[\s\S]*id-smime-aa-timeStampToken/);
}, 30_000);

it('takes a payment through the MPS REST API over the SIM channel: approved → paid with a signed webhook; the cancel number → cancelled, nothing booked', async () => {
  const hooks: { signature: string; body: Buffer }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({ signature: String(req.headers['x-mssp-signature'] ?? ''), body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/shop-hooks`;
    // The operator registers the shop's webhook while the platform runs; the next offer's end is sent there.
    const set = runMssp(['mps', 'merchant', 'set', '--id', demo.payments.merchant, '--account', `${demo.payments.merchant}-EUR`, '--webhook-url', hookUrl], env);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const openapi = (await (await fetch(demo.payments.openapiUrl)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toContain('/offers');

    const pay = async (msisdn: string): Promise<Record<string, unknown>> => {
      counter += 1;
      const res = await fetch(`${demo.payments.url}/offers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.payments.apiKey}`, 'idempotency-key': `demo-pay-${Date.now()}-${counter}` },
        body: JSON.stringify({ payerMsisdn: msisdn, amount: '1999', currency: 'EUR', reference: `ORDER-${counter}`, expiresInSeconds: 60 }),
      });
      expect(res.status).toBe(201);
      const made = (await res.json()) as { id: string };
      for (let i = 0; i < 200; i++) {
        const got = (await (await fetch(`${demo.payments.url}/offers/${made.id}`, { headers: { authorization: `Bearer ${demo.payments.apiKey}` } })).json()) as Record<string, unknown>;
        if (['paid', 'refused', 'cancelled', 'expired', 'failed'].includes(got.state as string)) return got;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`offer ${made.id} did not end`);
    };

    const paid = await pay(demo.msisdns.approve);
    expect(paid).toMatchObject({ state: 'paid', amount: '1999', currency: 'EUR', transferId: `offer.${paid.id as string}` });
    for (let i = 0; i < 50 && !hooks.some((h) => h.body.includes(paid.id as string)); i++) await new Promise((r) => setTimeout(r, 100));
    const hook = hooks.find((h) => h.body.includes(paid.id as string));
    expect(JSON.parse(hook?.body.toString() ?? '{}')).toMatchObject({ type: 'offer.paid', offer: { id: paid.id, state: 'paid' } });
    writeFileSync(join(dir, 'callback.pem'), await (await fetch(demo.payments.callbackKeyUrl)).text());
    const t = /t=(\d+)/.exec(hook?.signature ?? '')?.[1] as string;
    writeFileSync(join(dir, 'hook.sig'), Buffer.from(/sig=([^,]+)$/.exec(hook?.signature ?? '')?.[1] ?? '', 'base64'));
    writeFileSync(join(dir, 'hook.data'), Buffer.concat([Buffer.from(`${t}.`), hook?.body ?? Buffer.alloc(0)]));
    const verified = spawnSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'callback.pem'), '-signature', join(dir, 'hook.sig'), join(dir, 'hook.data')], { encoding: 'utf8' });
    expect(verified.stdout.trim()).toBe('Verified OK');

    const cancelled = await pay(demo.msisdns.cancel);
    expect(cancelled).toMatchObject({ state: 'cancelled', code: 'APPROVAL_CANCELLED', transferId: null });
    for (let i = 0; i < 50 && !hooks.some((h) => h.body.includes(cancelled.id as string)); i++) await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(hooks.find((h) => h.body.includes(cancelled.id as string))?.body.toString() ?? '{}')).toMatchObject({ type: 'offer.cancelled' });
  } finally {
    await new Promise<void>((r) => receiver.close(() => r()));
  }
}, 60_000);

it('lets a demo handset pay the demo merchant and another demo number from the phone (issue 7 item 3)', async () => {
  const ordersUrl = (demo as Demo & { clientOrdersUrl?: string }).clientOrdersUrl;
  expect(ordersUrl).toBe(`${url}/demo/v1/orders`);
  const order = async (body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(ordersUrl as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  // The approving number's wallet is enrolled on its SIM at start; wait for it (and for the slow number's, 10 s).
  const deadline = Date.now() + 40_000;
  let toShop = await order({ from: demo.msisdns.approve, payee: 'merchant:demo-shop-EUR', amount: '1250', reference: 'demo coffee' });
  while (toShop.status === 409 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    toShop = await order({ from: demo.msisdns.approve, payee: 'merchant:demo-shop-EUR', amount: '1250', reference: 'demo coffee' });
  }
  expect(toShop).toMatchObject({ status: 200, body: { outcome: 'paid', duplicate: false } });
  expect(toShop.body.transferId).toMatch(/^order\.99900000001\./);
  let p2p = await order({ from: demo.msisdns.approve, payee: demo.msisdns.slow, amount: '300' });
  while (p2p.status === 422 && p2p.body.code === 'UNKNOWN_PAYEE' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    p2p = await order({ from: demo.msisdns.approve, payee: demo.msisdns.slow, amount: '300' });
  }
  expect(p2p).toMatchObject({ status: 200, body: { outcome: 'paid' } });
  // A number nobody holds: a clear refusal.
  expect(await order({ from: demo.msisdns.approve, payee: '+99900000999', amount: '300' })).toMatchObject({ status: 422, body: { outcome: 'refused', code: 'UNKNOWN_PAYEE' } });
}, 60_000);

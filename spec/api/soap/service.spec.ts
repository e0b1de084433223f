import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { soapEnvelope } from '../../../src/api/soap/serialize';
import type { MssRequest, SignatureReq } from '../../../src/mss/messages/types';
import { FICOM_AUTHENTICATION_PROFILE, FICOM_SIGNATURE_PROFILE } from '../../../src/mss/profiles';
import { toPem } from '../../pki/ca/support/pki-fixture';
import { publishCrl } from '../../../src/pki';
import { VALIDATE_SERVICE } from '../../../src/mss/validation';
import { AP_ID, AP_PASSWORD, MSISDN, attributeOf, faultCodeOf, postSoap, startMssFixture, statusCodeOf, type MssFixture } from './mss-fixture';
import { xmllintValidate } from './xmllint';

/**
 * The TS 102 204 SOAP service end to end on a real socket: AP → SOAP → service → approver signing in a SIM
 * token → store → response. Every answer is checked against the ETSI schema with xmllint, every CMS with openssl.
 */
let f: MssFixture;
let counter = 0;
beforeAll(async () => {
  f = await startMssFixture('soap');
}, 60_000);
afterAll(async () => f?.close());

function header(apTransId = `A${++counter}${Date.now()}`) {
  return {
    majorVersion: 1,
    minorVersion: 1,
    apInfo: { apId: AP_ID, apTransId, apPwd: AP_PASSWORD, instant: new Date() },
    msspInfo: { msspId: { uri: 'http://mssp.test' } },
  };
}

function signatureReq(over: Partial<SignatureReq> = {}): SignatureReq {
  return {
    kind: 'MSS_SignatureReq',
    ...header(),
    mobileUser: { msisdn: MSISDN.approve },
    dataToBeSigned: { value: 'I declare my 2026 income', mimeType: 'text/plain', encoding: 'UTF-8' },
    dataToBeDisplayed: { value: 'Tax return 2026', mimeType: 'text/plain', encoding: 'UTF-8' },
    signatureProfile: { mssUri: FICOM_SIGNATURE_PROFILE },
    additionalServices: [],
    messagingMode: 'synch',
    timeOut: 30,
    ...over,
  };
}

async function call(request: MssRequest): Promise<{ status: number; body: string }> {
  const res = await postSoap(f.soapUrl, soapEnvelope(request.kind.replace(/Req$/, ''), request));
  expect(res.contentType).toMatch(/^application\/soap\+xml/);
  // Every answer, success or fault, must be valid against the ETSI / SOAP 1.2 schemas.
  expect(xmllintValidate(res.body).output).toBe('');
  return res;
}

function opensslCmsVerify(cmsB64: string): { ok: boolean; content: string; stderr: string } {
  const dir = f.tokens.dir;
  const sig = join(dir, `sig-${counter}.der`);
  const out = join(dir, `content-${counter}.bin`);
  const ca = join(dir, 'root.pem');
  writeFileSync(sig, Buffer.from(cmsB64, 'base64'));
  writeFileSync(ca, toPem(f.pki.init.root.certificate));
  const r = spawnSync('openssl', ['cms', '-verify', '-purpose', 'any', '-binary', '-inform', 'DER', '-in', sig, '-CAfile', ca, '-out', out], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { ok: r.status === 0, content: r.status === 0 ? readFileSync(out, 'utf8') : '', stderr: r.stderr };
}

describe('WSDL', () => {
  it('?wsdl serves the Kiuru WSDL with our endpoint address, and the schemas it imports', async () => {
    const res = await fetch(`${f.url}/soap/services/?wsdl`);
    expect(res.status).toBe(200);
    const wsdl = await res.text();
    expect(wsdl).toContain(`<wsoap12:address location="${f.url}/soap/services/"/>`);
    expect(wsdl).not.toContain('this-is-replaced-at-runtime');
    const schema = await fetch(`${f.url}/soap/services/schema/methics/MSS-plus-Mobile-Ink.xsd`);
    expect(schema.status).toBe(200);
    expect(await schema.text()).toContain('schema');
    expect((await fetch(`${f.url}/soap/services/schema/../../package.json`)).status).toBe(404);
  });
});

describe('MSS_Signature', () => {
  it('synch: the answer carries 500 SIGNATURE and a CMS that openssl verifies against the CA, over what the AP sent', async () => {
    const res = await call(signatureReq());
    expect(res.status).toBe(200);
    expect(statusCodeOf(res.body)).toBe(500);
    const cms = /<mss:Base64Signature>([^<]+)</.exec(res.body)?.[1];
    expect(cms).toBeDefined();
    const verified = opensslCmsVerify(cms as string);
    expect(verified.stderr).toContain('Verification successful');
    expect(verified.content).toBe('I declare my 2026 income');
    // What the citizen saw: the AP's display text and a verification code derived from the signed data.
    expect(f.approver.shown.at(-1)).toMatchObject({ msisdn: MSISDN.approve, text: expect.stringMatching(/^Tax return 2026 \[\d{4}\]$/) });
  });

  it('with the validation service: 502 VALID_SIGNATURE (signature, path to the root, CRLs)', async () => {
    const res = await call(signatureReq({ additionalServices: [{ mssUri: VALIDATE_SERVICE }] }));
    expect(statusCodeOf(res.body)).toBe(502);
    expect(opensslCmsVerify(/<mss:Base64Signature>([^<]+)</.exec(res.body)?.[1] ?? '').ok).toBe(true);
  });

  it('validation with PKCS1 is refused (101): there is no certificate to validate', async () => {
    const res = await call(signatureReq({ additionalServices: [{ mssUri: VALIDATE_SERVICE }], mssFormat: { mssUri: 'http://uri.etsi.org/TS102204/v1.1.2#PKCS1' } }));
    expect(faultCodeOf(res.body)).toBe(101);
  });

  it('synch with PKCS1 and the authentication profile: the bare signature', async () => {
    const res = await call(signatureReq({ signatureProfile: { mssUri: FICOM_AUTHENTICATION_PROFILE }, mssFormat: { mssUri: 'http://uri.etsi.org/TS102204/v1.1.2#PKCS1' } }));
    expect(statusCodeOf(res.body)).toBe(500);
    const sig = Buffer.from(/<mss:Base64Signature>([^<]+)</.exec(res.body)?.[1] ?? '', 'base64');
    expect(sig[0]).toBe(0x30); // ECDSA DER Ecdsa-Sig-Value
    expect(sig.length).toBeLessThan(80);
  });

  it('asynchClientServer: 100 REQUEST_OK + MSSP_TransID, StatusQuery 504 while outstanding, then 500 with the signature', async () => {
    const res = await call(signatureReq({ messagingMode: 'asynchClientServer', mobileUser: { msisdn: MSISDN.slow } }));
    expect(statusCodeOf(res.body)).toBe(100);
    const id = attributeOf(res.body, 'MSSP_TransID') as string;
    expect(id).toMatch(/^M[0-9a-f]{24}$/);
    const pending = await call({ kind: 'MSS_StatusReq', ...header(), msspTransId: id });
    expect(statusCodeOf(pending.body)).toBe(504);
    let done = pending;
    for (let i = 0; i < 40 && statusCodeOf(done.body) === 504; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      done = await call({ kind: 'MSS_StatusReq', ...header(), msspTransId: id });
    }
    expect(statusCodeOf(done.body)).toBe(500);
    expect(opensslCmsVerify(/<mss:Base64Signature>([^<]+)</.exec(done.body)?.[1] ?? '').ok).toBe(true);
  });

  it('a citizen who cancels: fault env:Receiver mss:_401', async () => {
    const res = await call(signatureReq({ mobileUser: { msisdn: MSISDN.cancel } }));
    expect(res.status).toBe(500);
    expect(res.body).toContain('<env:Value>env:Receiver</env:Value>');
    expect(faultCodeOf(res.body)).toBe(401);
  });

  it('a blocked PIN: 402', async () => {
    expect(faultCodeOf((await call(signatureReq({ mobileUser: { msisdn: MSISDN.pinBlocked } }))).body)).toBe(402);
  });

  it('no answer within TimeOut: 208 EXPIRED_TRANSACTION, in synch and to a later StatusQuery', async () => {
    const synch = await call(signatureReq({ mobileUser: { msisdn: MSISDN.noAnswer }, timeOut: 1 }));
    expect(faultCodeOf(synch.body)).toBe(208);
    const async = await call(signatureReq({ mobileUser: { msisdn: MSISDN.noAnswer }, timeOut: 1, messagingMode: 'asynchClientServer' }));
    const id = attributeOf(async.body, 'MSSP_TransID') as string;
    await new Promise((r) => setTimeout(r, 1_300));
    expect(faultCodeOf((await call({ kind: 'MSS_StatusReq', ...header(), msspTransId: id })).body)).toBe(208);
    expect((await f.fx.store.mss.findTransaction(id))?.state).toBe('expired');
  });

  it('a handset answer after the deadline is logged and ignored: the transaction stays expired, no signature kept', async () => {
    const res = await call(signatureReq({ mobileUser: { msisdn: MSISDN.slow }, timeOut: 1, messagingMode: 'asynchClientServer' }));
    const id = attributeOf(res.body, 'MSSP_TransID') as string;
    await new Promise((r) => setTimeout(r, 2_000)); // the slow citizen signs after 1.5 s
    expect(await f.fx.store.mss.findTransaction(id)).toMatchObject({ state: 'expired', statusCode: 208, signature: null });
  });

  it('a transaction left outstanding past its deadline (no timer watching it) is expired by the sweep', async () => {
    await f.fx.store.mss.insertTransaction({
      msspTransId: 'Morphan1',
      apId: AP_ID,
      apTransId: 'orphan1',
      msisdn: MSISDN.approve,
      messagingMode: 'asynchClientServer',
      request: '{}',
      deadlineAt: new Date(Date.now() - 1_000),
    });
    expect(await f.mss.service.expireOverdue()).toBeGreaterThanOrEqual(1);
    expect((await f.fx.store.mss.findTransaction('Morphan1'))?.state).toBe('expired');
  });

  it.each([
    ['unknown MSISDN', () => signatureReq({ mobileUser: { msisdn: MSISDN.unknown } }), 105],
    ['wrong AP password', () => signatureReq({ apInfo: { ...header().apInfo, apPwd: 'guess' } }), 104],
    ['unknown AP', () => signatureReq({ apInfo: { ...header().apInfo, apId: 'http://evil.example' } }), 104],
    ['unsupported profile', () => signatureReq({ signatureProfile: { mssUri: 'http://mssp.test/profiles/nonesuch' } }), 109],
    ['asynchServerServer without a notification URL', () => signatureReq({ messagingMode: 'asynchServerServer' }), 101],
  ])('%s → %s, nothing stored', async (_what, make, code) => {
    const before = await countTransactions();
    expect(before).toBeGreaterThan(0);
    const res = await call(make());
    expect(faultCodeOf(res.body)).toBe(code);
    expect(await countTransactions()).toBe(before);
  });

  it('a replayed AP_TransID is refused with 101', async () => {
    const req = signatureReq();
    expect(statusCodeOf((await call(req)).body)).toBe(500);
    const again = await call(req);
    expect(faultCodeOf(again.body)).toBe(101);
    expect(again.body).toMatch(/has been used before/);
  });
});

const countTransactions = (): Promise<number> => f.fx.store.mss.countTransactions();

describe('asynchServerServer', () => {
  let ap: Server;
  const received: string[] = [];
  let apUrl = '';
  beforeAll(async () => {
    ap = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(body);
        // The first delivery fails: the platform must retry.
        if (received.length === 1) {
          res.writeHead(503).end();
          return;
        }
        const id = attributeOf(body, 'MSSP_TransID') ?? attributeOf(body, 'AP_TransID') ?? 'x';
        const receipt = soapEnvelope('MSS_NotificationResponse', {
          kind: 'MSS_ReceiptReq',
          ...header(),
          msspTransId: notifiedId || id,
          mobileUser: { msisdn: MSISDN.approve },
          status: { code: 100 },
        });
        res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(receipt);
      });
    });
    await new Promise<void>((r) => ap.listen(0, '127.0.0.1', () => r()));
    apUrl = `http://127.0.0.1:${(ap.address() as AddressInfo).port}/notify`;
  });
  afterAll(async () => new Promise<void>((r) => ap.close(() => r())));
  let notifiedId = '';

  it('REQUEST_OK at once, then MSS_Notification (schema-valid StatusResp with the signature) to AP_URL, retried after a failure, confirmed by the receipt', async () => {
    const res = await call(signatureReq({ messagingMode: 'asynchServerServer', apInfo: { ...header().apInfo, apUrl } }));
    expect(statusCodeOf(res.body)).toBe(100);
    notifiedId = attributeOf(res.body, 'MSSP_TransID') as string;
    let tx = await f.fx.store.mss.findTransaction(notifiedId);
    for (let i = 0; i < 50 && !tx?.notifiedAt; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      tx = await f.fx.store.mss.findTransaction(notifiedId);
    }
    expect(tx?.notifiedAt).toBeInstanceOf(Date);
    expect(tx?.notifyAttempts).toBe(2);
    expect(received).toHaveLength(2);
    const notification = received[1] as string;
    expect(xmllintValidate(notification).output).toBe('');
    expect(notification).toContain('<mss:MSS_StatusResp');
    expect(statusCodeOf(notification)).toBe(500);
    expect(opensslCmsVerify(/<mss:Base64Signature>([^<]+)</.exec(notification)?.[1] ?? '').ok).toBe(true);
  });
});

describe('asynchServerServer to an AP that never confirms', () => {
  let ap: Server;
  let hits = 0;
  beforeAll(async () => {
    ap = createServer((_req, res) => {
      hits += 1;
      res.writeHead(500).end('no');
    });
    await new Promise<void>((r) => ap.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => new Promise<void>((r) => ap.close(() => r())));

  it('gives up after 5 attempts with doubling back-off; the AP can still ask MSS_StatusQuery', async () => {
    const apUrl = `http://127.0.0.1:${(ap.address() as AddressInfo).port}/notify`;
    const res = await call(signatureReq({ messagingMode: 'asynchServerServer', apInfo: { ...header().apInfo, apUrl } }));
    const id = attributeOf(res.body, 'MSSP_TransID') as string;
    // 100 + 200 + 400 + 800 ms between the five tries.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(hits).toBe(5);
    expect(await f.fx.store.mss.findTransaction(id)).toMatchObject({ notifyAttempts: 5, notifiedAt: null, state: 'completed' });
    expect(statusCodeOf((await call({ kind: 'MSS_StatusReq', ...header(), msspTransId: id })).body)).toBe(500);
  });
});

describe('MSS_Handshake and MSS_Registration', () => {
  it('a handshake answers with no secured methods and the algorithms we share', async () => {
    const res = await call({
      kind: 'MSS_HandshakeReq',
      ...header(),
      secureMethods: { MSS_Signature: true, MSS_Registration: true, MSS_Notification: true, MSS_ProfileQuery: true, MSS_Receipt: true, MSS_Status: true },
      certificates: [],
      rootCaDns: [],
      signatureAlgorithms: [{ mssUri: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' }, { mssUri: 'http://example.invalid/alg' }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('MSS_Signature="false"');
    expect(res.body).toContain('<mss:mssURI>http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256</mss:mssURI>');
    expect(res.body).not.toContain('example.invalid');
  });

  it('registration by an AP without the registration permission: 104 (registration itself: registration.spec.ts)', async () => {
    expect(faultCodeOf((await call({ kind: 'MSS_RegistrationReq', ...header(), mobileUser: { msisdn: MSISDN.approve } })).body)).toBe(104);
  });
});

describe('MSS_Receipt, MSS_ProfileQuery, MSS_StatusQuery of someone else', () => {
  it('a receipt shows the AP message on the phone and answers 100', async () => {
    const signed = await call(signatureReq());
    const id = attributeOf(signed.body, 'MSSP_TransID') as string;
    const res = await call({ kind: 'MSS_ReceiptReq', ...header(), msspTransId: id, mobileUser: { msisdn: MSISDN.approve }, message: { value: 'Your return was filed', mimeType: 'text/plain' } });
    expect(statusCodeOf(res.body)).toBe(100);
    expect(f.approver.shown.at(-1)).toEqual({ msisdn: MSISDN.approve, text: 'Your return was filed' });
  });

  it('a profile query lists the profiles the SIM can serve; an unknown MSISDN is 105', async () => {
    const res = await call({ kind: 'MSS_ProfileReq', ...header(), mobileUser: { msisdn: MSISDN.approve } });
    expect(statusCodeOf(res.body)).toBe(100);
    expect(res.body).toContain(`<mss:mssURI>${FICOM_SIGNATURE_PROFILE}</mss:mssURI>`);
    expect(res.body).toContain(`<mss:mssURI>${FICOM_AUTHENTICATION_PROFILE}</mss:mssURI>`);
    expect(faultCodeOf((await call({ kind: 'MSS_ProfileReq', ...header(), mobileUser: { msisdn: MSISDN.unknown } })).body)).toBe(105);
  });

  it('a status query for a transaction that does not exist is 101', async () => {
    expect(faultCodeOf((await call({ kind: 'MSS_StatusReq', ...header(), msspTransId: 'Mnonesuch' })).body)).toBe(101);
  });
});

describe('hostile requests over HTTP get the right fault and store nothing', () => {
  it('a DOCTYPE with an external entity: env:Sender mss:_101', async () => {
    const xml = soapEnvelope('MSS_Signature', signatureReq()).replace('?>', '?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>').replace(MSISDN.approve, '&e;');
    const res = await postSoap(f.soapUrl, xml);
    expect(res.status).toBe(500);
    expect(faultCodeOf(res.body)).toBe(101);
    expect(res.body).not.toContain('root:');
    expect(xmllintValidate(res.body).ok).toBe(true);
  });

  it('a 10 MB body: 101, read no further than the limit', async () => {
    const res = await postSoap(f.soapUrl, Buffer.alloc(10 * 1024 * 1024, 0x20));
    expect(faultCodeOf(res.body)).toBe(101);
  });

  it('a well-formed request over the configured MSSP_MSS_MAX_REQUEST_BYTES (256 KiB here): 101', async () => {
    const big = soapEnvelope('MSS_Signature', signatureReq({ dataToBeSigned: { value: 'x'.repeat(300 * 1024) } }));
    const res = await postSoap(f.soapUrl, big);
    expect(faultCodeOf(res.body)).toBe(101);
    expect(res.body).toContain('larger than 262144 bytes');
  });

  it('a SOAP 1.1 envelope: env:VersionMismatch', async () => {
    const xml = soapEnvelope('MSS_Signature', signatureReq()).replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/');
    const res = await postSoap(f.soapUrl, xml);
    expect(res.body).toContain('<env:Value>env:VersionMismatch</env:Value>');
    expect(xmllintValidate(res.body).ok).toBe(true);
  });
});

describe('after the citizen\'s certificates are revoked (runs last: every demo MSISDN uses them)', () => {
  it('a validated signature answers 501 REVOKED_CERTIFICATE; without validation it is still 500', async () => {
    await f.ra.revoke({ mid: f.mid, officer: 'spec', reason: 'keyCompromise' });
    await publishCrl(f.fx.store, f.pki.cas.issuing);
    expect(statusCodeOf((await call(signatureReq({ additionalServices: [{ mssUri: VALIDATE_SERVICE }] }))).body)).toBe(501);
    expect(statusCodeOf((await call(signatureReq())).body)).toBe(500);
  });
});

test('openssl is installed (the CMS checks above need it)', () => {
  expect(execFileSync('openssl', ['version'], { encoding: 'utf8' })).toMatch(/OpenSSL/);
});

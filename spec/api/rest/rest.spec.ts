import { spawnSync } from 'node:child_process';
import { join as joinPath } from 'node:path';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FICOM_SIGNATURE_PROFILE } from '../../../src/mss/profiles';
import { toPem } from '../../pki/ca/support/pki-fixture';
import { AP_ID, AP_PASSWORD, MSISDN, startMssFixture, type MssFixture } from '../soap/mss-fixture';

/** The REST/JSON binding over a real socket: same validation, same service, same codes as SOAP. */
let f: MssFixture;
let n = 0;
beforeAll(async () => {
  f = await startMssFixture('rest');
}, 60_000);
afterAll(async () => f?.close());

type Obj = Record<string, unknown>;
const apInfo = (over: Obj = {}): Obj => ({ AP_ID, AP_TransID: `R${++n}${Date.now()}`, AP_PWD: AP_PASSWORD, Instant: new Date().toISOString(), ...over });
const head = (over: Obj = {}): Obj => ({ MajorVersion: 1, MinorVersion: 1, AP_Info: apInfo(over), MSSP_Info: { MSSP_ID: { URI: 'http://mssp.test' } } });

const signatureReq = (over: Obj = {}, ap: Obj = {}): Obj => ({
  MSS_SignatureReq: {
    ...head(ap),
    MessagingMode: 'synch',
    TimeOut: 30,
    MobileUser: { MSISDN: MSISDN.approve },
    DataToBeSigned: { value: 'Pay 10 EUR to the city', MimeType: 'text/plain', Encoding: 'UTF-8' },
    DataToBeDisplayed: 'Parking fine',
    SignatureProfile: { mssURI: FICOM_SIGNATURE_PROFILE },
    ...over,
  },
});

async function post(operation: string, body: unknown): Promise<{ status: number; json: Obj; type: string }> {
  const res = await fetch(`${f.url}/rest/v1/${operation}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Obj, type: res.headers.get('content-type') ?? '' };
}

const dig = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Obj)[k] : undefined), o);

function opensslVerifies(b64: string): boolean {
  const sig = join(f.tokens.dir, `rest-${n}.der`);
  const ca = join(f.tokens.dir, 'rest-root.pem');
  writeFileSync(sig, Buffer.from(b64, 'base64'));
  writeFileSync(ca, toPem(f.pki.init.root.certificate));
  const r = spawnSync('openssl', ['cms', '-verify', '-purpose', 'any', '-binary', '-inform', 'DER', '-in', sig, '-CAfile', ca, '-out', join(f.tokens.dir, 'rest-out.bin')], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return r.status === 0;
}

test('OpenAPI 3.1 document: every operation, every $ref resolves, the server is ours', async () => {
  const res = await fetch(`${f.url}/rest/v1/openapi.json`);
  const doc = (await res.json()) as Obj;
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths as Obj).sort()).toEqual(['/MSS_Handshake', '/MSS_ProfileQuery', '/MSS_Receipt', '/MSS_Registration', '/MSS_Signature', '/MSS_StatusQuery']);
  expect(dig(doc, 'servers')).toEqual([{ url: `${f.url}/rest/v1` }]);
  const schemas = dig(doc, 'components', 'schemas') as Obj;
  const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z_]+/g) ?? [];
  expect(refs.length).toBeGreaterThan(20);
  for (const r of refs) expect(Object.keys(schemas)).toContain(r.split('/').pop());
});

test('synch MSS_Signature: 200 with status 500 and a CMS openssl verifies', async () => {
  const res = await post('MSS_Signature', signatureReq());
  expect(res.status).toBe(200);
  expect(dig(res.json, 'MSS_SignatureResp', 'Status', 'StatusCode', 'Value')).toBe('500');
  expect(opensslVerifies(dig(res.json, 'MSS_SignatureResp', 'MSS_Signature', 'Base64Signature') as string)).toBe(true);
});

test('asynchClientServer: 202 REQUEST_OK, status 202 OUTSTANDING, then 200 with the signature', async () => {
  const res = await post('MSS_Signature', signatureReq({ MessagingMode: 'asynchClientServer', MobileUser: { MSISDN: MSISDN.slow } }));
  expect(res.status).toBe(202);
  const id = dig(res.json, 'MSS_SignatureResp', 'MSSP_TransID') as string;
  let status = await post('MSS_StatusQuery', { MSS_StatusReq: { ...head(), MSSP_TransID: id } });
  expect(status.status).toBe(202);
  expect(dig(status.json, 'MSS_StatusResp', 'Status', 'StatusCode', 'Value')).toBe('504');
  for (let i = 0; i < 40 && status.status === 202; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    status = await post('MSS_StatusQuery', { MSS_StatusReq: { ...head(), MSSP_TransID: id } });
  }
  expect(status.status).toBe(200);
  expect(dig(status.json, 'MSS_StatusResp', 'Status', 'StatusCode', 'Value')).toBe('500');
});

test('MSS_ProfileQuery lists profiles as an array', async () => {
  const res = await post('MSS_ProfileQuery', { MSS_ProfileReq: { ...head(), MobileUser: { MSISDN: MSISDN.approve } } });
  expect(res.status).toBe(200);
  expect(Array.isArray(dig(res.json, 'MSS_ProfileResp', 'SignatureProfile'))).toBe(true);
});

test.each([
  ['missing MSISDN', 400, 102, () => signatureReq({ MobileUser: {} })],
  ['wrong MessagingMode', 400, 101, () => signatureReq({ MessagingMode: 'fax' })],
  ['unknown MSISDN', 404, 105, () => signatureReq({ MobileUser: { MSISDN: MSISDN.unknown } })],
  ['user cancels', 409, 401, () => signatureReq({ MobileUser: { MSISDN: MSISDN.cancel } })],
  ['wrong password', 403, 104, () => signatureReq({}, { AP_PWD: 'nope' })],
  ['not JSON', 400, 101, (): unknown => '{"MSS_SignatureReq": '],
  ['wrong root', 400, 102, (): unknown => ({ Hello: {} })],
])('%s → problem+json HTTP %i, TS 102 204 code %i', async (_what, http, code, body) => {
  const res = await post('MSS_Signature', body());
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(res.status).toBe(http);
  expect(res.json).toMatchObject({ status: http, statusCode: code });
});

test('an unknown operation is 101', async () => {
  expect((await post('MSS_Teleport', {})).json).toMatchObject({ statusCode: 101 });
});

test('requests and answers match the OpenAPI components, checked by python3-jsonschema (Draft 2020-12)', async () => {
  const doc = (await (await fetch(`${f.url}/rest/v1/openapi.json`)).json()) as Obj;
  const signature = signatureReq();
  const synch = await post('MSS_Signature', signature);
  const asynch = await post('MSS_Signature', signatureReq({ MessagingMode: 'asynchClientServer', MobileUser: { MSISDN: MSISDN.slow } }));
  const statusReq = { MSS_StatusReq: { ...head(), MSSP_TransID: dig(asynch.json, 'MSS_SignatureResp', 'MSSP_TransID') } };
  const status = await post('MSS_StatusQuery', statusReq);
  const profileReq = { MSS_ProfileReq: { ...head(), MobileUser: { MSISDN: MSISDN.approve } } };
  const profile = await post('MSS_ProfileQuery', profileReq);
  const problem = await post('MSS_Signature', signatureReq({ MobileUser: { MSISDN: MSISDN.unknown } }));
  const checks = [
    { schema: 'MSS_SignatureReq', instance: signature.MSS_SignatureReq },
    { schema: 'MSS_SignatureResp', instance: synch.json.MSS_SignatureResp },
    { schema: 'MSS_SignatureResp', instance: asynch.json.MSS_SignatureResp },
    { schema: 'MSS_StatusReq', instance: statusReq.MSS_StatusReq },
    { schema: 'MSS_StatusResp', instance: status.json.MSS_StatusResp },
    { schema: 'MSS_ProfileReq', instance: profileReq.MSS_ProfileReq },
    { schema: 'MSS_ProfileResp', instance: profile.json.MSS_ProfileResp },
    { schema: 'Problem', instance: problem.json },
    // The check must be able to fail: a response without its Status is not a MSS_StatusResp.
    { schema: 'MSS_StatusResp', instance: { ...(status.json.MSS_StatusResp as Obj), Status: { StatusMessage: 'x' } } },
  ];
  const r = spawnSync('/usr/bin/python3', [joinPath(__dirname, 'openapi_check.py')], { input: JSON.stringify({ openapi: doc, checks }), encoding: 'utf8' });
  expect(r.stderr).toBe('');
  const results = JSON.parse(r.stdout) as string[][];
  expect(results.slice(0, -1)).toEqual(checks.slice(0, -1).map(() => []));
  expect(results.at(-1)?.join(' ')).toMatch(/StatusCode/);
});

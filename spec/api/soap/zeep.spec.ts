import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FICOM_AUTHENTICATION_PROFILE, FICOM_SIGNATURE_PROFILE } from '../../../src/mss/profiles';
import { AP_ID, AP_PASSWORD, MSISDN, startMssFixture, type MssFixture } from './mss-fixture';

/**
 * An independently written SOAP client, python3-zeep from Debian, builds its stubs only from our ?wsdl and runs
 * MSS_Signature (synch, asynchClientServer), MSS_StatusQuery, MSS_Receipt and MSS_ProfileQuery against the
 * running service. A missing zeep fails the test (scripts/setup.sh installs python3-zeep).
 */
let f: MssFixture;
beforeAll(async () => {
  f = await startMssFixture('zeep');
}, 60_000);
afterAll(async () => f?.close());

function runZeep(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/python3', [join(__dirname, 'zeep_client.py'), ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('python3-zeep from our ?wsdl: signature synch and asynch, status query, receipt, profile query, a fault', async () => {
  const r = await runZeep([`${f.url}/soap/services/?wsdl`, AP_ID, AP_PASSWORD, MSISDN.approve, MSISDN.slow]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as Record<string, Record<string, unknown> | null>;
  expect(out.synch?.status).toBe(500);
  expect(String(out.synch?.signature)).toMatch(/^30/); // DER SEQUENCE: the CMS ContentInfo
  expect(out.asynch).toMatchObject({ status: 100, msspTransId: expect.stringMatching(/^M[0-9a-f]{24}$/) });
  expect(out.statusQuery).toEqual({ first: 504, last: 500 });
  expect(out.receipt).toEqual({ status: 100 });
  expect(out.profileQuery).toEqual({ status: 100, profiles: [FICOM_AUTHENTICATION_PROFILE, FICOM_SIGNATURE_PROFILE] });
  expect(out.fault).toMatchObject({ code: expect.stringMatching(/Sender$/), subcodes: [expect.stringMatching(/_105$/)] });
}, 60_000);

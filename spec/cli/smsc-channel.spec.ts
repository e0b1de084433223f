import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cliEnv, runMssp, startMssp, type CliResult, type StartedMssp } from '../support/mssp-cli';

/**
 * The mobile channel without --demo, every part a separate process as in a deployment: the SMSC simulator with a
 * handset (hsm-sim/handset/main.ts), whose SIM was enrolled with the platform's RA (`mssp ra register` with
 * PKCS#10 requests signed inside the SIM's tokens) and personalised (`mssp sim transport-key`, the personaliser's
 * desk tool wrapping its OTA keys, `mssp sim import`); then `mssp start` with MSSP_SMSC_HOST binds to that SMSC.
 * A SOAP MSS_Signature to the SIM's number is answered 500 and its CMS verifies with `openssl cms -verify`.
 */
const ROOT = resolve(__dirname, '../..');
const MSISDN = '35850000421';
const UNIMPORTED = '35850000422';
const AP_ID = 'http://ap.example/smsc-test';
const AP_PASSWORD = 'smsc channel password 1';
const DATA = 'I accept contract 2026-421';

let env: Record<string, string>;
let dir: string;
let handsets: ChildProcessWithoutNullStreams | undefined;
let platform: StartedMssp | undefined;

function ok(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} exited ${String(r.code)}: ${r.stderr}`);
  return r;
}

/** An hsm-sim tool, in its own process with its own SoftHSM2 configuration (the SIM set's). */
function desk(script: string, args: readonly string[]): CliResult {
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', join(ROOT, script), ...args], { cwd: ROOT, env: { ...env, MSSP_LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startHandsets(sims: string): Promise<number> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'hsm-sim/handset/main.ts'), '--sims', sims, '--first', MSISDN, '--count', '2', '--port', '0', '--account', 'platform:secret', '--short-code', '12345'], { cwd: ROOT, env });
  handsets = child;
  let stdout = '';
  let stderr = '';
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`the handsets did not come up: ${stderr}`)), 120_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => reject(new Error(`the handsets exited ${String(code)}: ${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{"handsets":"ready"'));
      if (line !== undefined) {
        clearTimeout(timer);
        resolvePort((JSON.parse(line) as { port: number }).port);
      }
    });
  });
}

function soapSignature(msisdn: string, apTransId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><MSS_Signature xmlns="">
<mss:MSS_SignatureReq xmlns:mss="http://uri.etsi.org/TS102204/v1.1.2#" MajorVersion="1" MinorVersion="1" MessagingMode="synch" TimeOut="60">
<mss:AP_Info AP_ID="${AP_ID}" AP_TransID="${apTransId}" AP_PWD="${AP_PASSWORD}" Instant="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"/>
<mss:MSSP_Info><mss:MSSP_ID><mss:URI>http://mssp.invalid</mss:URI></mss:MSSP_ID></mss:MSSP_Info>
<mss:MobileUser><mss:MSISDN>+${msisdn}</mss:MSISDN></mss:MobileUser>
<mss:DataToBeSigned MimeType="text/plain" Encoding="UTF-8">${DATA}</mss:DataToBeSigned>
<mss:DataToBeDisplayed MimeType="text/plain" Encoding="UTF-8">Contract 2026-421</mss:DataToBeDisplayed>
<mss:SignatureProfile><mss:mssURI>http://mss.ficom.fi/TS102204/v1.0.0#signature</mss:mssURI></mss:SignatureProfile>
</mss:MSS_SignatureReq></MSS_Signature></env:Body></env:Envelope>`;
}

const statusOf = (xml: string): string | undefined => /<mss:StatusCode Value="(\d+)"/.exec(xml)?.[1] ?? /<env:Value>mss:_(\d+)<\/env:Value>/.exec(xml)?.[1];

beforeAll(async () => {
  env = cliEnv({ MSSP_PUBLIC_BASE_URL: 'http://127.0.0.1:8080' });
  dir = env.MSSP_DATA_DIR as string;
  const sims = join(dir, 'sim-set');
  ok(runMssp(['init'], env, 60_000), 'mssp init');
  ok(runMssp(['ca', 'init'], env, 60_000), 'mssp ca init');

  // Enrolment: the SIM signs two PKCS#10 requests in its tokens; the RA certifies them; the SIM gets the certificates.
  ok(desk('hsm-sim/handset/enrol.ts', ['requests', '--sims', sims, '--msisdn', MSISDN, '--out-dir', join(dir, 'csr')]), 'enrol requests');
  ok(
    runMssp(['ra', 'register', '--msisdn', `+${MSISDN}`, '--given-name', 'Liisa', '--family-name', 'Virtanen', '--national-id', '010180-123A', '--birth-date', '1980-01-01', '--mode', 'in-person', '--officer', 'desk', '--auth-csr', join(dir, 'csr/auth.csr'), '--sign-csr', join(dir, 'csr/sign.csr'), '--out-dir', join(dir, 'certs')], env, 60_000),
    'mssp ra register',
  );
  ok(desk('hsm-sim/handset/enrol.ts', ['install', '--sims', sims, '--msisdn', MSISDN, '--auth', join(dir, 'certs/auth.pem'), '--sign', join(dir, 'certs/sign.pem')]), 'enrol install');

  // Personalisation: the platform's transport key, the personaliser's file, the import into the platform HSM.
  const transport = ok(runMssp(['sim', 'transport-key', '--bits', '2048'], env, 60_000), 'mssp sim transport-key');
  expect(transport.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  writeFileSync(join(dir, 'transport.pem'), transport.stdout);
  ok(desk('hsm-sim/handset/personalise.ts', ['--sims', sims, '--transport-key', join(dir, 'transport.pem'), '--msisdn', MSISDN, '--out', join(dir, 'sims.jsonl')]), 'personalise');
  const imported = ok(runMssp(['sim', 'import', join(dir, 'sims.jsonl')], env, 60_000), 'mssp sim import');
  expect(imported.stdout).toMatch(/^1 imported, 0 already there, 0 refused$/m);

  // The SMSC simulator with the handsets of that SIM set, as its own process (a second SIM, never imported).
  const port = await startHandsets(sims);
  ok(runMssp(['ap', 'add', '--ap-id', AP_ID, '--profile', 'http://mss.ficom.fi/TS102204/v1.0.0#signature'], { ...env, MSSP_AP_PASSWORD: AP_PASSWORD }), 'mssp ap add');
  platform = await startMssp({ ...env, MSSP_SMSC_HOST: '127.0.0.1', MSSP_SMSC_PORT: String(port), MSSP_SMSC_SYSTEM_ID: 'platform', MSSP_SMSC_PASSWORD: 'secret', MSSP_SHORT_CODE: '12345' }, 60_000);
}, 300_000);

afterAll(async () => {
  await platform?.stop();
  if (handsets !== undefined && handsets.exitCode === null) {
    const exited = new Promise((r) => handsets?.once('exit', r));
    handsets.kill('SIGTERM');
    await exited;
  }
});

it('lists the imported SIM with its ICCID, TAR and OTA key version (never a key)', () => {
  const listed = ok(runMssp(['sim', 'list', '--json'], env), 'mssp sim list');
  const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(rows).toEqual([expect.objectContaining({ msisdn: `+${MSISDN}`, tar: 'b00010', keyVersion: 1, kicAlgorithm: 'AES-CBC', kidAlgorithm: 'AES-CMAC' })]);
  expect(listed.stdout).not.toMatch(/wrapped|"kic"|"kid"/);
});

it('signs over SMPP with the imported SIM keys: 500 SIGNATURE, and openssl cms -verify accepts the CMS against the CA', async () => {
  const res = await fetch(`${platform?.url}/soap/services/MSS_SignaturePort`, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body: soapSignature(MSISDN, `smsc-${Date.now()}`) });
  const xml = await res.text();
  expect(statusOf(xml)).toBe('500');
  const cms = /<mss:Base64Signature>([^<]+)</.exec(xml)?.[1] as string;
  writeFileSync(join(dir, 'sig.der'), Buffer.from(cms, 'base64'));
  writeFileSync(join(dir, 'data.txt'), DATA);
  ok(runMssp(['ca', 'export', 'chain', '--out', join(dir, 'chain.pem')], env), 'mssp ca export chain');
  const r = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'sig.der'), '-content', join(dir, 'data.txt'), '-CAfile', join(dir, 'chain.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
  expect(r.stderr).toMatch(/Verification successful/);
  // The signer is the certificate the RA issued for this SIM's signature key.
  const signer = spawnSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(dir, 'sig.der')], { encoding: 'utf8' }).stdout;
  const issuedSerial = spawnSync('openssl', ['x509', '-in', join(dir, 'certs/sign.pem'), '-noout', '-serial'], { encoding: 'utf8' }).stdout.trim().split('=')[1] as string;
  expect(signer.replace(/[:\s]/g, '').toUpperCase()).toContain(issuedSerial.toUpperCase());
}, 90_000);

it('a number whose SIM was never imported is 105; `mssp config show` masks the SMSC password; the file holds no clear key', async () => {
  const res = await fetch(`${platform?.url}/soap/services/MSS_SignaturePort`, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body: soapSignature(UNIMPORTED, `smsc-u-${Date.now()}`) });
  expect(statusOf(await res.text())).toBe('105');
  const shown = ok(runMssp(['config', 'show'], { ...env, MSSP_SMSC_HOST: '127.0.0.1', MSSP_SMSC_PASSWORD: 'secret' }), 'mssp config show');
  expect(shown.stdout).toMatch(/MSSP_SMSC_PASSWORD/);
  expect(shown.stdout).not.toMatch(/\bsecret\b/);
  expect(readFileSync(join(dir, 'sims.jsonl'), 'utf8')).not.toMatch(/"kic":"[0-9a-f]{32}"/);
});

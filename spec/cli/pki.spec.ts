import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Hsm } from '../../src/hsm';
import { openHsm } from '../../src/hsm';
import { cliEnv, runMssp, startMssp, type CliResult, type StartedMssp } from '../support/mssp-cli';
import { makeThrowAwayToken } from '../support/softhsm';
import { opensslAsync, simRequest, toPem } from '../pki/ca/support/pki-fixture';

/**
 * Issue 3 end to end, through the real `mssp` command as an operator runs it: `mssp init`, `mssp ca init`,
 * `mssp ra register` of a citizen whose keys were made in a separate SoftHSM2 token standing in for the SIM,
 * `mssp ra show`, then suspend / reinstate / revoke while `mssp start` serves OCSP and CRLs. The checks are
 * openssl's: `openssl ocsp -url` (it exits 0 whatever the status, so its output is read), `openssl crl -CAfile`
 * on the CRL fetched from the URL written in the certificate, and `openssl verify` on the issued chain.
 */
const MSISDN = '+37255560001';
const OFFICER = 'officer-anne';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** A refusal: exit 1 and exactly one line on stderr, starting "mssp:". */
function expectRefused(r: CliResult, pattern: RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('warning: '));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^mssp: /);
  expect(lines[0]).toMatch(pattern);
}

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`mssp exited ${r.code}: ${r.stderr}`);
  return r;
}

const opensslText = (args: readonly string[]): string => execFileSync('openssl', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let env: Record<string, string>;
let dir: string;
let sim: Hsm;
let platform: StartedMssp | undefined;
let files: { auth: string; sign: string; root: string; issuing: string; chain: string; certs: string };
/** Requests for a second citizen's two mobile IDs and a renewal: [auth, sign] pairs, made in the SIM token. */
let more: { gov: [string, string]; bank: [string, string]; renewal: [string, string] };

beforeAll(async () => {
  const port = await freePort();
  // The certificates carry this port in their OCSP and CRL URLs; the node looks for status changes every 100 ms.
  env = cliEnv({ MSSP_HTTP_PORT: String(port), MSSP_PKI_POLL_MS: '100', MSSP_CA_COUNTRY: 'EE' });
  dir = mkdtempSync(join(env.MSSP_DATA_DIR as string, 'files-'));

  // The SIM: its own SoftHSM2 token (in this process), two key pairs made inside it, PKCS#10 signed by each key.
  const simToken = makeThrowAwayToken('sim-cli', '0000');
  sim = await openHsm({ modulePath: simToken.env.modulePath, tokenLabel: simToken.label, pin: simToken.userPin, poolSize: 1 });
  files = {
    auth: join(dir, 'auth.csr'),
    sign: join(dir, 'sign.csr'),
    root: join(dir, 'root.pem'),
    issuing: join(dir, 'issuing.pem'),
    chain: join(dir, 'chain.pem'),
    certs: join(dir, 'certs'),
  };
  writeFileSync(files.auth, toPem(await simRequest(sim, { type: 'EC', curve: 'P-256' }, 'CN=SIM auth'), 'CERTIFICATE REQUEST'));
  writeFileSync(files.sign, await simRequest(sim, { type: 'EC', curve: 'P-256' }, 'CN=SIM sign'));
  const pair = async (name: string): Promise<[string, string]> => {
    const out: string[] = [];
    for (const use of ['auth', 'sign']) {
      const file = join(dir, `${name}-${use}.csr`);
      writeFileSync(file, await simRequest(sim, { type: 'EC', curve: 'P-256' }, `CN=${name} ${use}`));
      out.push(file);
    }
    return out as [string, string];
  };
  more = { gov: await pair('gov'), bank: await pair('bank'), renewal: await pair('renewal') };
});

afterAll(async () => {
  if (platform !== undefined) await platform.stop();
  await sim?.close();
});

/** `openssl ocsp -url` for the signature certificate, at the responder URL written in the certificate. */
async function ocspStatus(): Promise<string> {
  const cert = join(files.certs, 'sign.pem');
  const url = opensslText(['x509', '-in', cert, '-noout', '-ocsp_uri']).trim();
  expect(url).toBe(`${platform?.url}/ocsp`);
  const r = await opensslAsync(['ocsp', '-url', url, '-issuer', files.issuing, '-cert', cert, '-CAfile', files.chain]);
  expect(r.output).toMatch(/Response verify OK/);
  return r.output;
}

/** Asks until openssl's answer matches: the node learns of a change made by another process within its poll interval. */
async function ocspUntil(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const output = await ocspStatus();
    if (pattern.test(output) || Date.now() > deadline) return output;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('PKI through the mssp command', () => {
  it('init and ca init make the token, the store and the CAs; a second ca init is refused', () => {
    ok(runMssp(['init'], env));
    expectRefused(runMssp(['ra', 'register', '--msisdn', MSISDN, '--given-name', 'A', '--family-name', 'B', '--national-id', '1', '--birth-date', '1980-01-01', '--mode', 'remote', '--officer', OFFICER, '--auth-csr', files.auth, '--sign-csr', files.sign], env), /mssp ca init/);
    expectRefused(runMssp(['ca', 'init'], { ...env, MSSP_HTTP_PORT: '0' }), /MSSP_HTTP_PORT is 0.*MSSP_PUBLIC_BASE_URL or --base-url/);
    expectRefused(runMssp(['ca', 'init', '--base-url', 'ftp://pki.example'], env), /http:\/\/ or https:\/\/ URL/);
    expectRefused(runMssp(['ca', 'init', '--organization', 'O'.repeat(60)], env), /1 to 64 printable characters/);
    expectRefused(runMssp(['ca', 'init', '--country', 'Estonia'], env), /two upper-case letters/);
    // None of those refusals left a key in the token.
    expect(ok(runMssp(['hsm', 'keys'], env)).stdout).toMatch(/^0 object\(s\)$/m);
    const init = ok(runMssp(['ca', 'init'], env));
    expect(init.stdout).toMatch(/^root\s+C=EE, O=MSSP Platform, CN=MSSP Platform Root CA\s/m);
    expect(init.stdout).toMatch(/^ocsp-responder\s/m);
    expect(init.stdout).toMatch(/CA initialised \(keys made: ca-root, ca-issuing, ocsp-responder, tsa, audit/);
    expectRefused(runMssp(['ca', 'init'], env), /already/i);

    writeFileSync(files.root, ok(runMssp(['ca', 'export', 'root'], env)).stdout);
    writeFileSync(files.issuing, ok(runMssp(['ca', 'export', 'issuing'], env)).stdout);
    writeFileSync(files.chain, ok(runMssp(['ca', 'export', 'chain'], env)).stdout);
    expect(opensslText(['verify', '-CAfile', files.root, files.issuing])).toMatch(/: OK/);
    expectRefused(runMssp(['ca', 'export', 'everything'], env), /one of root, issuing, chain/);
  });

  it('ra register certifies the SIM token keys (proof of possession checked) and binds them to the MSISDN', () => {
    const r = ok(runMssp(['ra', 'register', '--msisdn', MSISDN, '--given-name', 'Mari', '--family-name', 'Maasikas', '--national-id', '48001010000',
      '--birth-date', '1980-01-01', '--mode', 'in-person', '--officer', OFFICER, '--auth-csr', files.auth, '--sign-csr', files.sign, '--out-dir', files.certs], env));
    expect(r.stdout).toMatch(new RegExp(`^mid:[0-9a-f-]{36} registered for \\${MSISDN} \\("government", in-person, up to level 4\\)$`, 'm'));
    const sign = join(files.certs, 'sign.pem');
    expect(opensslText(['verify', '-CAfile', files.root, '-untrusted', files.issuing, sign])).toMatch(/sign\.pem: OK/);
    const text = opensslText(['x509', '-in', sign, '-noout', '-text']);
    expect(text).toContain(`URI:tel:${MSISDN}`);
    expect(text).toMatch(/Non Repudiation/);
    expect(text).toMatch(/serialNumber\s*=\s*PNOEE-48001010000/);
    // The certified key is the one the SIM token holds: the same public key as in its request.
    const spki = (args: string[]): string => opensslText([...args, '-noout', '-pubkey']);
    expect(spki(['x509', '-in', sign])).toBe(spki(['req', '-inform', 'DER', '-in', files.sign]));
    expect(spki(['x509', '-in', join(files.certs, 'auth.pem')])).toBe(spki(['req', '-in', files.auth]));
  });

  it('ra show lists the mobile ID with its identity, certificates and history', () => {
    const r = ok(runMssp(['ra', 'show', MSISDN], env));
    expect(r.stdout).toMatch(new RegExp(`^mid:\\S+ {2}"government" {2}active {2}bound to \\${MSISDN}$`, 'm'));
    expect(r.stdout).toMatch(/Mari Maasikas, national id 48001010000, born 1980-01-01/);
    expect(r.stdout).toMatch(new RegExp(`registered \\S+ in-person by ${OFFICER}; highest level 4`));
    expect(r.stdout).toMatch(/citizen-auth\s+[0-9a-f]+\s+good/);
    expect(r.stdout).toMatch(/citizen-sign\s+[0-9a-f]+\s+good/);
    expect(r.stdout).toMatch(new RegExp(`registered\\s+active\\s+\\${MSISDN}\\s+${OFFICER}`));
    expect(ok(runMssp(['ra', 'show', '+37255569999'], env)).stdout.trim()).toBe('no mobile ID is bound to +37255569999');
  });

  it('bad input is refused with one clear line and a non-zero exit', () => {
    const base = ['ra', 'register', '--given-name', 'Jaan', '--family-name', 'Tamm', '--national-id', '38001010000', '--birth-date', '1980-01-01', '--mode', 'remote', '--officer', OFFICER];
    expectRefused(runMssp([...base, '--msisdn', '5551234', '--auth-csr', files.auth, '--sign-csr', files.sign], env), /not an international number/);
    expectRefused(runMssp([...base, '--msisdn', '+37255560002', '--auth-csr', join(dir, 'missing.csr'), '--sign-csr', files.sign], env), /cannot read the authentication request .*missing\.csr: no such file$/);
    const garbage = join(dir, 'garbage.csr');
    writeFileSync(garbage, 'not a certification request');
    expectRefused(runMssp([...base, '--msisdn', '+37255560002', '--auth-csr', garbage, '--sign-csr', files.sign], env), /request/i);
    // A request whose signature was altered proves no possession of the key.
    const forged = Buffer.from(readFileSync(files.sign));
    const flipped = forged.length - 5;
    forged[flipped] = (forged[flipped] ?? 0) ^ 0x01;
    const forgedFile = join(dir, 'forged.csr');
    writeFileSync(forgedFile, forged);
    expectRefused(runMssp([...base, '--msisdn', '+37255560002', '--auth-csr', files.auth, '--sign-csr', forgedFile], env), /^mssp: the signature request is not signed by the key it carries/);
    // The SIM's keys are already certified for Mari's mobile ID.
    expectRefused(runMssp([...base, '--msisdn', '+37255560002', '--auth-csr', files.auth, '--sign-csr', files.sign], env), /already/i);
    expectRefused(runMssp([...base.slice(0, -4), '--mode', 'by-post', '--officer', OFFICER, '--msisdn', '+37255560002', '--auth-csr', files.auth, '--sign-csr', files.sign], env), /mode/);
    expectRefused(runMssp(['ra', 'suspend', '--msisdn', '+37255569999', '--officer', OFFICER], env), /\+37255569999/);
    expectRefused(runMssp(['ra', 'revoke', '--msisdn', MSISDN, '--officer', OFFICER, '--reason', 'boredom'], env), /revocation reason must be one of/);
    expectRefused(runMssp(['ra', 'reinstate', '--msisdn', MSISDN, '--officer', OFFICER], env), /active|suspended|reinstate/i);
    expectRefused(runMssp(['ra', 'show', 'not-a-number'], env), /not an international number/);
    expectRefused(runMssp(['ca', 'status', 'xyz'], env), /serial number is hex/);
    // A wrong command line is a usage error (2), told by commander.
    const usage = runMssp(['ra', 'revoke', '--msisdn', MSISDN, '--reason', 'keyCompromise'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/required option '--officer <name>' not specified/);
    // Nothing of that changed Mari's mobile ID.
    expect(ok(runMssp(['ra', 'show', MSISDN], env)).stdout).toMatch(/ {2}active {2}bound to/);
  });

  it('over HTTP: openssl ocsp says good, revoked (certificateHold) on suspension, good on reinstatement, revoked after ra revoke', async () => {
    platform = await startMssp(env);
    const good = await ocspStatus();
    expect(good).toMatch(/sign\.pem: good/);

    expect(ok(runMssp(['ra', 'suspend', '--msisdn', MSISDN, '--officer', OFFICER, '--note', 'phone reported lost'], env)).stdout).toMatch(/^mid:\S+ suspended$/m);
    const held = await ocspUntil(/sign\.pem: revoked/);
    expect(held).toMatch(/sign\.pem: revoked/);
    expect(held).toMatch(/Reason: certificateHold/);

    expect(ok(runMssp(['ra', 'reinstate', '--msisdn', MSISDN, '--officer', OFFICER], env)).stdout).toMatch(/^mid:\S+ reinstated$/m);
    expect(await ocspUntil(/sign\.pem: good/)).toMatch(/sign\.pem: good/);

    const revoked = ok(runMssp(['ra', 'revoke', '--msisdn', MSISDN, '--officer', OFFICER, '--reason', 'keyCompromise', '--invalidity-date', '2026-01-02T03:04:05Z'], env));
    expect(revoked.stdout).toMatch(/^mid:\S+ revoked \(keyCompromise\) with its certificates$/m);
    const after = await ocspUntil(/sign\.pem: revoked/);
    expect(after).toMatch(/sign\.pem: revoked/);
    expect(after).toMatch(/Reason: keyCompromise/);
    expect(after).toMatch(/Revocation Time: /);
    expectRefused(runMssp(['ra', 'reinstate', '--msisdn', MSISDN, '--officer', OFFICER], env), /revoked/);
  });

  it('the platform TSA answers openssl ts -query over HTTP with a token openssl ts -verify accepts for that data only', async () => {
    const data = join(dir, 'document.txt');
    const other = join(dir, 'other.txt');
    writeFileSync(data, 'a document signed with a mobile ID');
    writeFileSync(other, 'another document');
    const query = join(dir, 'q.tsq');
    opensslText(['ts', '-query', '-data', data, '-sha256', '-cert', '-out', query]);
    const res = await fetch(`${platform?.url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: readFileSync(query) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
    const reply = join(dir, 'r.tsr');
    writeFileSync(reply, Buffer.from(await res.arrayBuffer()));
    const text = opensslText(['ts', '-reply', '-in', reply, '-text']);
    expect(text).toMatch(/Status: Granted\./);
    expect(text).toMatch(/Policy OID: 2\.25\.332905707516792268138615481188638803943/);
    expect(text).toMatch(/Accuracy: 0x01 seconds/);
    expect((await opensslAsync(['ts', '-verify', '-data', data, '-in', reply, '-CAfile', files.root])).output).toMatch(/Verification: OK/);
    const wrong = await opensslAsync(['ts', '-verify', '-data', other, '-in', reply, '-CAfile', files.root]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toMatch(/Verification: FAILED/);
    // Garbage is a TimeStampResp too: a rejection, never a crash.
    const bad = await fetch(`${platform?.url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: Buffer.from('not DER') });
    expect(bad.status).toBe(200);
    writeFileSync(reply, Buffer.from(await bad.arrayBuffer()));
    expect(opensslText(['ts', '-reply', '-in', reply, '-text'])).toMatch(/Status: Rejected/);
  });

  it('the CRL fetched from the URL in the certificate lists the revoked certificate and verifies with openssl crl -CAfile', async () => {
    const sign = join(files.certs, 'sign.pem');
    const serial = opensslText(['x509', '-in', sign, '-noout', '-serial']).trim().replace(/^serial=/, '');
    const cdp = /URI:(\S+)/.exec(opensslText(['x509', '-in', sign, '-noout', '-ext', 'crlDistributionPoints']))?.[1];
    expect(cdp).toBe(`${platform?.url}/crl/issuing.crl`);
    let text = '';
    const crlFile = join(dir, 'issuing.crl');
    const deadline = Date.now() + 10_000;
    // The node re-makes the CRL when it sees the change; ask until the new one is there.
    while (!text.includes(`Serial Number: ${serial}`) && Date.now() < deadline) {
      const res = await fetch(cdp as string);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pkix-crl');
      writeFileSync(crlFile, Buffer.from(await res.arrayBuffer()));
      text = opensslText(['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']);
      if (!text.includes(serial)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toContain(`Serial Number: ${serial}`);
    expect(text).toMatch(/Key Compromise/);
    expect(text).toMatch(/Invalidity Date:\s*\n?\s*Jan {2}2 03:04:05 2026 GMT/);
    const verified = await opensslAsync(['crl', '-inform', 'DER', '-in', crlFile, '-CAfile', files.chain, '-noout']);
    expect(verified.output).toMatch(/verify OK/);
    // openssl's own path validation with that CRL refuses the certificate.
    writeFileSync(join(dir, 'crl.pem'), toPem(readFileSync(crlFile), 'X509 CRL'));
    const check = await opensslAsync(['verify', '-crl_check', '-CAfile', files.root, '-untrusted', files.issuing, '-CRLfile', join(dir, 'crl.pem'), sign]);
    expect(check.status).not.toBe(0);
    expect(check.output).toMatch(/certificate revoked/);
  });

  it('several mobile IDs on one MSISDN; renew and change-msisdn re-certify, revoking the old certificates', async () => {
    const msisdn = '+37255560003';
    const register = (label: string, [auth, sign]: [string, string]): CliResult =>
      ok(runMssp(['ra', 'register', '--msisdn', msisdn, '--label', label, '--given-name', 'Jaan', '--family-name', 'Tamm', '--national-id', '38001010000',
        '--birth-date', '1980-01-01', '--mode', 'remote', '--officer', OFFICER, '--auth-csr', auth, '--sign-csr', sign, '--out-dir', join(dir, label)], env));
    expect(register('government', more.gov).stdout).toMatch(/\("government", remote, up to level 3\)/);
    expect(register('bank', more.bank).stdout).toMatch(/\("bank", remote, up to level 3\)/);
    const both = ok(runMssp(['ra', 'show', msisdn], env)).stdout;
    expect(both).toMatch(/"government" {2}active/);
    expect(both).toMatch(/"bank" {2}active/);
    // With two mobile IDs on the number, the officer must say which.
    expectRefused(runMssp(['ra', 'suspend', '--msisdn', msisdn, '--officer', OFFICER], env), /--label|--mid|several|which/i);

    const oldSign = join(dir, 'bank', 'sign.pem');
    const renewed = ok(runMssp(['ra', 'renew', '--msisdn', msisdn, '--label', 'bank', '--officer', OFFICER, '--auth-csr', more.renewal[0], '--sign-csr', more.renewal[1]], env));
    expect(renewed.stdout).toMatch(/^mid:\S+ renewed: authentication [0-9a-f]+, signature [0-9a-f]+$/m);
    const oldOcsp = async (): Promise<string> =>
      (await opensslAsync(['ocsp', '-url', `${platform?.url}/ocsp`, '-issuer', files.issuing, '-cert', oldSign, '-CAfile', files.chain])).output;
    const deadline = Date.now() + 10_000;
    let answer = await oldOcsp();
    while (!/sign\.pem: revoked/.test(answer) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await oldOcsp();
    }
    expect(answer).toMatch(/Response verify OK/);
    expect(answer).toMatch(/sign\.pem: revoked/);
    expect(answer).toMatch(/Reason: superseded/);

    const moved = ok(runMssp(['ra', 'change-msisdn', '--msisdn', msisdn, '--label', 'government', '--officer', OFFICER, '--to', '+37255560004'], env));
    expect(moved.stdout).toMatch(/^mid:\S+ is now bound to \+37255560004: authentication [0-9a-f]+, signature [0-9a-f]+$/m);
    const now = ok(runMssp(['ra', 'show', '+37255560004'], env)).stdout;
    expect(now).toMatch(/"government" {2}active {2}bound to \+37255560004/);
    expect(now).toMatch(/msisdn-changed\s+active\s+\+37255560004/);
    expect(now).toMatch(/citizen-sign\s+[0-9a-f]+\s+revoked \(affiliationChanged\)/);
    const left = ok(runMssp(['ra', 'show', msisdn], env)).stdout;
    expect(left).toMatch(/"bank" {2}active/);
    expect(left).not.toMatch(/"government"/);
  });

  it('ca issue certifies TLS keys from requests: the platform server (DNS names) and a relying party client', () => {
    const request = (name: string): string => {
      const csr = join(dir, `${name}.csr`);
      execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', csr], { stdio: 'pipe' });
      return csr;
    };
    const server = join(dir, 'server.pem');
    const issued = ok(runMssp(['ca', 'issue', '--profile', 'platform-tls-server', '--csr', request('server'), '--name', 'mssp.example', '--dns', 'mssp.example', 'localhost', '--out', server], env));
    expect(issued.stdout).toMatch(/^issued platform-tls-server certificate [0-9a-f]+ for CN=mssp\.example, valid until \S+$/m);
    expect(opensslText(['verify', '-purpose', 'sslserver', '-CAfile', files.root, '-untrusted', files.issuing, server])).toMatch(/server\.pem: OK/);
    const text = opensslText(['x509', '-in', server, '-noout', '-text']);
    expect(text).toMatch(/DNS:mssp\.example, DNS:localhost/);
    expect(text).toMatch(/TLS Web Server Authentication/);

    const client = ok(runMssp(['ca', 'issue', '--profile', 'rp-tls-client', '--csr', request('ministry'), '--name', 'Ministry portal', '--organization', 'Ministry'], env));
    expect(client.stdout.trim()).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
    writeFileSync(join(dir, 'client.pem'), client.stdout);
    expect(opensslText(['verify', '-purpose', 'sslclient', '-CAfile', files.root, '-untrusted', files.issuing, join(dir, 'client.pem')])).toMatch(/client\.pem: OK/);
    expect(client.stderr).toMatch(/issued rp-tls-client certificate ([0-9a-f]+) for O=Ministry, CN=Ministry portal/);
    const serial = /issued rp-tls-client certificate ([0-9a-f]+)/.exec(client.stderr)?.[1] as string;
    expect(ok(runMssp(['ca', 'status', serial], env)).stdout).toMatch(/profile rp-tls-client[\s\S]+good/);

    expectRefused(runMssp(['ca', 'issue', '--profile', 'citizen-sign', '--csr', files.auth, '--name', 'x'], env), /one of rp-tls-client, platform-tls-server.*mssp ra register/);
    expectRefused(runMssp(['ca', 'issue', '--profile', 'platform-tls-server', '--csr', request('nodns'), '--name', 'x'], env), /at least one DNS name/);
    expectRefused(runMssp(['ca', 'issue', '--profile', 'rp-tls-client', '--csr', join(dir, 'forged.csr'), '--name', 'x'], env), /not signed by the key it carries/);
    expectRefused(runMssp(['ca', 'issue', '--profile', 'platform-tls-server', '--csr', request('bad-host'), '--name', 'x', '--dns', 'not a host'], env), /"not a host" is not a DNS name/);
  });

  it('ra show keeps the whole history; mssp start stops cleanly', async () => {
    const r = ok(runMssp(['ra', 'show', MSISDN], env));
    expect(r.stdout).toMatch(/ {2}revoked {2}bound to/);
    const events = [...r.stdout.matchAll(/^\s+\S+Z\s+(registered|suspended|reinstated|revoked)\s/gm)].map((m) => m[1]);
    expect(events).toEqual(['registered', 'suspended', 'reinstated', 'revoked']);
    expect(r.stdout).toMatch(/citizen-sign\s+[0-9a-f]+\s+revoked \(keyCompromise\)/);
    expect(await platform?.stop()).toBe(0);
    platform = undefined;
  });
});

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { soapEnvelope } from '../../../src/api/soap/serialize';
import type { RegistrationPayload, RegistrationReq } from '../../../src/mss/messages/types';
import { addAp } from '../../../src/mss/aps/registry';
import { FICOM_SIGNATURE_PROFILE } from '../../../src/mss/profiles';
import { ISSUING_CA, parseCertificate } from '../../../src/pki';
import { raAuditRecorder } from '../../../src/cli/ra-audit';
import { simRequest, toPem } from '../../pki/ca/support/pki-fixture';
import { STORE_ENGINES } from '../../store/engines';
import { AP_ID, AP_PASSWORD, faultCodeOf, postSoap, startMssFixture, statusCodeOf, type MssFixture } from './mss-fixture';
import { xmllintValidate } from './xmllint';

/**
 * Issue 5 item 5: MSS_Registration reaches the RA. An AP with the registration permission registers a citizen
 * with PKCS#10 requests made in a SoftHSM2 SIM token (pending, certificates on hold), then activates it; over
 * real HTTP, every request and answer checked with xmllint against the ETSI schema (and ours for reg:Registration),
 * the issued certificate with `openssl verify` against the CA, the audit entries in the store. On both engines.
 */
const REG_AP = 'http://ap.example/bank-onboarding';
const REG_PASSWORD = 'bank onboarding password 1';
const OTHER_AP = 'http://ap.example/other-bank';

describe.each(STORE_ENGINES)('MSS_Registration to the RA (%s)', (engine, engineCase) => {
  let f: MssFixture;
  let counter = 0;
  let msisdnCounter = 0;

  beforeAll(async () => {
    f = await startMssFixture(`reg-${engine}`, engineCase, { recordRaEvent: await raAuditRecorder() });
    for (const apId of [REG_AP, OTHER_AP]) {
      await addAp(f.fx.store.mss, { apId, password: REG_PASSWORD, profiles: [FICOM_SIGNATURE_PROFILE], permissions: ['registration'], ratePerSecond: 1000 });
    }
  }, 90_000);
  afterAll(async () => f?.close());

  const nextMsisdn = (): string => `+3725561${String(++msisdnCounter).padStart(4, '0')}${engine === 'postgres' ? '1' : '2'}`;

  function request(msisdn: string, registration: RegistrationPayload | undefined, apId = REG_AP, apPwd = REG_PASSWORD): RegistrationReq {
    return {
      kind: 'MSS_RegistrationReq',
      majorVersion: 1,
      minorVersion: 1,
      apInfo: { apId, apTransId: `R${++counter}${Date.now()}`, apPwd, instant: new Date() },
      msspInfo: { msspId: { uri: 'http://mssp.test' } },
      mobileUser: { msisdn },
      ...(registration !== undefined ? { registration } : {}),
    };
  }

  async function call(req: RegistrationReq, opts: { requestValid?: boolean } = {}): Promise<string> {
    const xml = soapEnvelope('MSS_Registration', req);
    // What the AP sends validates against the ETSI schema and our registration schema (unless a test breaks it).
    if (opts.requestValid !== false) expect(xmllintValidate(xml).output).toBe('');
    const res = await postSoap(f.soapUrl, xml);
    expect(res.contentType).toMatch(/^application\/soap\+xml/);
    expect(xmllintValidate(res.body).output).toBe('');
    return res.body;
  }

  async function simKeys(): Promise<{ auth: string; sign: string }> {
    const auth = await simRequest(f.tokens.sim, { type: 'EC', curve: 'P-256' }, 'CN=auth');
    const sign = await simRequest(f.tokens.sim, { type: 'EC', curve: 'P-256' }, 'CN=sign');
    return { auth: auth.toString('base64'), sign: sign.toString('base64') };
  }

  function register(keys: { auth: string; sign: string }, over: Partial<Extract<RegistrationPayload, { action: 'register' }>> = {}): RegistrationPayload {
    return { action: 'register', givenName: 'Jaan', familyName: 'Tamm', nationalId: '38002020000', birthDate: '1980-02-02', authenticationRequest: keys.auth, signatureRequest: keys.sign, ...over };
  }

  const certificateOf = (xml: string): Buffer => Buffer.from(/<mss:X509Certificate>([^<]+)<\/mss:X509Certificate>/.exec(xml)?.[1] ?? '', 'base64');
  const midOf = (xml: string): string | undefined => /<mss:CertificateURI>([^<]+)<\/mss:CertificateURI>/.exec(xml)?.[1];

  function opensslVerify(der: Buffer): string {
    const dir = f.tokens.dir;
    const root = join(dir, `root-${engine}.pem`);
    const issuing = join(dir, `issuing-${engine}.pem`);
    const leaf = join(dir, `leaf-${engine}-${counter}.pem`);
    writeFileSync(root, toPem(f.pki.init.root.certificate));
    writeFileSync(issuing, toPem(f.pki.init.issuing.certificate));
    writeFileSync(leaf, toPem(der));
    return execFileSync('openssl', ['verify', '-CAfile', root, '-untrusted', issuing, leaf], { encoding: 'utf8' });
  }

  async function certificateStatus(der: Buffer): Promise<string | undefined> {
    const serial = Buffer.from(parseCertificate(der).serialNumber).toString('hex');
    return (await f.fx.store.certificates.currentStatus(ISSUING_CA, serial))?.status;
  }

  it('register → 100 with the signature certificate (openssl verify OK, on hold, mID pending) → activate → 100, good, active; audited with the AP as actor', async () => {
    const msisdn = nextMsisdn();
    const registered = await call(request(msisdn, register(await simKeys())));
    expect(statusCodeOf(registered)).toBe(100);
    const mid = midOf(registered) as string;
    expect(mid).toMatch(/^mid:[0-9a-f-]{36}$/);
    const cert = certificateOf(registered);
    expect(opensslVerify(cert)).toMatch(/: OK/);
    const parsed = parseCertificate(cert);
    expect(Buffer.from(parsed.der).toString('latin1')).toContain(`tel:${msisdn}`);
    expect(await certificateStatus(cert)).toBe('hold');
    const [pending] = await f.ra.show(msisdn);
    expect(pending?.current.status).toBe('pending');
    expect(pending?.mobileId).toMatchObject({ mid, registrationMode: 'remote', maxLevel: 3, officer: `ap:${REG_AP}`, givenName: 'Jaan' });

    const activated = await call(request(msisdn, { action: 'activate' }));
    expect(statusCodeOf(activated)).toBe(100);
    expect(midOf(activated)).toBe(mid);
    expect(certificateOf(activated).equals(cert)).toBe(true);
    expect(await certificateStatus(cert)).toBe('good');
    const [active] = await f.ra.show(msisdn);
    expect(active?.current.status).toBe('active');
    expect(active?.history.map((e) => e.event)).toEqual(['registered', 'activated']);

    const seqs = await f.fx.store.audit.seqsBySubject(mid, 10);
    const entries = await f.fx.store.audit.entriesBySeq(seqs);
    expect(entries.map((e) => [e.actorType, e.actorId, e.action])).toEqual([
      ['ap', REG_AP, 'registration.create'],
      ['ap', REG_AP, 'registration.update'],
    ]);

    // Activated once: a second activation finds nothing pending (105).
    expect(faultCodeOf(await call(request(msisdn, { action: 'activate', mobileId: mid })))).toBe(105);
  });

  it('the same over REST: register and activate answer 200 with the certificate; an AP without the permission gets 104 problem+json', async () => {
    const msisdn = nextMsisdn();
    const keys = await simKeys();
    const post = async (body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(`${f.url}/rest/v1/MSS_Registration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const base = (apId: string, apPwd: string) => ({
      MajorVersion: 1,
      MinorVersion: 1,
      AP_Info: { AP_ID: apId, AP_TransID: `J${++counter}${Date.now()}`, AP_PWD: apPwd, Instant: new Date().toISOString() },
      MSSP_Info: { MSSP_ID: { URI: 'http://mssp.test' } },
      MobileUser: { MSISDN: msisdn },
    });
    const registration = { Action: 'register', GivenName: 'Kati', FamilyName: 'Karu', NationalId: '49003030000', BirthDate: '1990-03-03', AuthenticationRequest: keys.auth, SignatureRequest: keys.sign };
    const refused = await post({ MSS_RegistrationReq: { ...base(AP_ID, AP_PASSWORD), Registration: registration } });
    expect(refused.status).toBe(403);
    expect(refused.json.statusCode).toBe(104);

    const registered = await post({ MSS_RegistrationReq: { ...base(REG_AP, REG_PASSWORD), Registration: registration } });
    expect(registered.status).toBe(200);
    const resp = registered.json.MSS_RegistrationResp as { Status: { StatusCode: { Value: string } }; CertificateURI: string; X509Certificate: string };
    expect(resp.Status.StatusCode.Value).toBe('100');
    expect(opensslVerify(Buffer.from(resp.X509Certificate, 'base64'))).toMatch(/: OK/);
    const activated = await post({ MSS_RegistrationReq: { ...base(REG_AP, REG_PASSWORD), Registration: { Action: 'activate', MobileId: resp.CertificateURI } } });
    expect(activated.status).toBe(200);
    expect((await f.ra.show(msisdn))[0]?.current.status).toBe('active');
  });

  it('refusals carry the right code and register nothing', async () => {
    const msisdn = nextMsisdn();
    const keys = await simKeys();
    // 104: the AP may sign but not register.
    expect(faultCodeOf(await call(request(msisdn, register(keys), AP_ID, AP_PASSWORD)))).toBe(104);
    // 102: no reg:Registration, or a required part of it missing.
    expect(faultCodeOf(await call(request(msisdn, undefined)))).toBe(102);
    const { givenName: _dropped, ...withoutName } = register(keys) as Extract<RegistrationPayload, { action: 'register' }>;
    expect(faultCodeOf(await call(request(msisdn, withoutName as RegistrationPayload), { requestValid: false }))).toBe(102);
    // 101: not a PKCS#10; a PKCS#10 whose signature does not verify (no proof of possession); a date that is not one.
    expect(faultCodeOf(await call(request(msisdn, register({ auth: Buffer.from('not a certification request').toString('base64'), sign: keys.sign }))))).toBe(101);
    const tampered = Buffer.from(keys.sign, 'base64');
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 0x01;
    expect(faultCodeOf(await call(request(msisdn, register({ auth: keys.auth, sign: tampered.toString('base64') }))))).toBe(101);
    expect(faultCodeOf(await call(request(msisdn, register(keys, { birthDate: '1980-02-30' })), { requestValid: false }))).toBe(101);
    // 101: the same key for authentication and signature.
    expect(faultCodeOf(await call(request(msisdn, register({ auth: keys.auth, sign: keys.auth }))))).toBe(101);
    // 105: nothing of this AP awaits activation for the number.
    expect(faultCodeOf(await call(request(msisdn, { action: 'activate' })))).toBe(105);
    expect(await f.ra.show(msisdn)).toEqual([]);

    // Registered once; another AP cannot activate it (105), and the same SIM keys cannot be registered again (407).
    expect(statusCodeOf(await call(request(msisdn, register(keys))))).toBe(100);
    expect(faultCodeOf(await call(request(msisdn, { action: 'activate' }, OTHER_AP)))).toBe(105);
    expect(faultCodeOf(await call(request(nextMsisdn(), register(keys))))).toBe(407);
    expect((await f.ra.show(msisdn)).map((v) => v.current.status)).toEqual(['pending']);
  });

  it('a wrong Action in reg:Registration is 101', async () => {
    const xml = soapEnvelope('MSS_Registration', request(nextMsisdn(), { action: 'activate' })).replace('Action="activate"', 'Action="delete"');
    const res = await postSoap(f.soapUrl, xml);
    expect(faultCodeOf(res.body)).toBe(101);
    expect(xmllintValidate(res.body).output).toBe('');
  });
});

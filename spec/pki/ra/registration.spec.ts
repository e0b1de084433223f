import {
  CaError,
  ISSUING_CA,
  RaError,
  RegistrationAuthority,
  currentPair,
  parseCertificate,
  trustAnchorFromCertificate,
  validateCertificate,
  type RegistrationInput,
} from '../../../src/pki';
import { STORE_ENGINES, type StoreFixture } from '../../store/engines';
import { initTestPki, openPkiTokens, openssl, opensslText, simRequest, softwareRequest, type PkiTokens, type TestPki, writePem } from '../ca/support/pki-fixture';

/**
 * The registration authority end to end on a real token and both store engines: a registration officer
 * registers a citizen whose keys were made in a SIM token (a second SoftHSM2 token), the RA checks proof of
 * possession and key policy, and the mobile ID goes through its lifecycle with every change kept as history.
 */
async function raError(p: Promise<unknown>): Promise<RaError | CaError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RaError) && !(err instanceof CaError)) throw new Error(`expected an RA or CA error, got ${String(err)}`);
  return err;
}

describe.each(STORE_ENGINES)('registration authority on %s', (engine, engineCase) => {
  let tokens: PkiTokens;
  let fx: StoreFixture;
  let pki: TestPki;
  let ra: RegistrationAuthority;
  const changes: string[] = [];

  const input = async (overrides: Partial<RegistrationInput> = {}): Promise<RegistrationInput> => ({
    identity: { givenName: 'Mari', familyName: 'Maasikas', nationalId: '48001010000', birthDate: '1980-01-01' },
    msisdn: '+372 5551 2345',
    label: 'government',
    mode: 'in-person',
    officer: 'officer-7',
    authenticationRequest: await simRequest(tokens.sim),
    signatureRequest: await simRequest(tokens.sim),
    ...overrides,
  });

  beforeAll(async () => {
    tokens = await openPkiTokens(`ra-${engine}`);
    fx = await engineCase.fresh();
    pki = await initTestPki(tokens.platform, fx.store);
    ra = new RegistrationAuthority({ store: fx.store, issuer: async () => pki.cas.issuing, onStatusChange: (ca, serial) => changes.push(`${ca}/${serial}`) });
  });
  afterAll(async () => {
    await fx?.close();
    await tokens?.close();
  });

  it('registers a citizen with SIM-made keys: an mID bound to the MSISDN, an authentication and a signature certificate', async () => {
    const result = await ra.register(await input());
    expect(result.mid).toMatch(/^mid:[0-9a-f-]{36}$/);
    expect(result.msisdn).toBe('+37255512345');
    expect(result.maxLevel).toBe(4);
    const auth = parseCertificate(result.authentication.der);
    const sign = parseCertificate(result.signature.der);
    expect(auth.ext.subjectAltName).toEqual([{ kind: 'uniformResourceIdentifier', value: 'tel:+37255512345' }]);
    expect(sign.ext.subjectAltName).toEqual([{ kind: 'uniformResourceIdentifier', value: 'tel:+37255512345' }]);
    const authText = opensslText(auth.der);
    expect(authText).toMatch(/Subject: C = EE, SN = Maasikas, GN = Mari, serialNumber = PNOEE-48001010000, CN = Mari Maasikas/);
    expect(authText).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\s/);
    expect(authText).toMatch(/TLS Web Client Authentication/);
    expect(authText).toMatch(/OCSP - URI:http:\/\/pki\.test\.invalid:8080\/ocsp/);
    expect(authText).toMatch(/CA Issuers - URI:http:\/\/pki\.test\.invalid:8080\/ca\/issuing\.cer/);
    expect(opensslText(sign.der)).toMatch(/X509v3 Key Usage: critical\s+Non Repudiation\s/);

    // The chain root → issuing → citizen: openssl and our validator.
    const rootPem = writePem(tokens.dir, 'root.pem', pki.init.root.certificate);
    const issuingPem = writePem(tokens.dir, 'issuing.pem', pki.init.issuing.certificate);
    for (const [name, cert] of [['auth', auth], ['sign', sign]] as const) {
      const leaf = writePem(tokens.dir, `${name}.pem`, cert.der);
      expect(openssl(['verify', '-CAfile', rootPem, '-untrusted', issuingPem, leaf]).output).toMatch(/: OK/);
      const ours = await validateCertificate({
        target: cert,
        intermediates: [parseCertificate(pki.init.issuing.certificate)],
        trustAnchors: [trustAnchorFromCertificate(parseCertificate(pki.init.root.certificate))],
        time: new Date(),
        revocation: { mode: 'off' },
      });
      expect(ours).toMatchObject({ valid: true });
    }

    const view = await ra.view(result.mid);
    expect(view.mobileId).toMatchObject({ label: 'government', registrationMode: 'in-person', maxLevel: 4, officer: 'officer-7', nationalId: '48001010000' });
    expect(view.current).toMatchObject({ event: 'registered', status: 'active', msisdn: '+37255512345', actor: 'officer-7' });
    expect(view.certificates.map((c) => [c.record.profile, c.status?.status])).toEqual([
      ['citizen-auth', 'good'],
      ['citizen-sign', 'good'],
    ]);
    expect(changes).toEqual([`${ISSUING_CA}/${result.authentication.serialHex}`, `${ISSUING_CA}/${result.signature.serialHex}`]);
  });

  it('lets one MSISDN hold several mIDs; a remote registration allows level 3 at most', async () => {
    const bank = await ra.register(await input({ label: 'bank', mode: 'remote', msisdn: '0037255512345' }));
    expect(bank.maxLevel).toBe(3);
    const shown = await ra.show('+37255512345');
    expect(shown.map((v) => v.mobileId.label)).toEqual(['government', 'bank']);
    await expect(ra.resolve({ msisdn: '+37255512345' })).rejects.toMatchObject({ code: 'MID_AMBIGUOUS' });
    await expect(ra.resolve({ msisdn: '+37255512345', label: 'bank' })).resolves.toBe(bank.mid);
  });

  it('a registration pending activation has both certificates on hold until activate; it may be revoked but not suspended or activated twice', async () => {
    const pending = await ra.register(await input({ msisdn: '+37255519999', label: 'pending', mode: 'remote', pendingActivation: true }));
    expect(pending.status).toBe('pending');
    const held = await ra.view(pending.mid);
    expect(held.current).toMatchObject({ event: 'registered', status: 'pending' });
    // RFC 5280 CRLReason certificateHold (6).
    expect(held.certificates.map((c) => [c.record.profile, c.status?.status, c.status?.reason])).toEqual([
      ['citizen-auth', 'hold', 6],
      ['citizen-sign', 'hold', 6],
    ]);
    await expect(ra.suspend({ mid: pending.mid, officer: 'officer-7' })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    const active = await ra.activate({ mid: pending.mid, officer: 'ap:http://bank.example' });
    expect(active.current).toMatchObject({ event: 'activated', status: 'active', actor: 'ap:http://bank.example' });
    expect(active.certificates.map((c) => c.status?.status)).toEqual(['good', 'good']);
    await expect(ra.activate({ mid: pending.mid, officer: 'officer-7' })).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });

    const another = await ra.register(await input({ msisdn: '+37255519998', label: 'pending', mode: 'remote', pendingActivation: true }));
    const revoked = await ra.revoke({ mid: another.mid, officer: 'officer-7', reason: 'cessationOfOperation' });
    expect(revoked.current.status).toBe('revoked');
    expect(revoked.certificates.map((c) => c.status?.status)).toEqual(['revoked', 'revoked']);
  });

  it('refuses bad identity data, MSISDNs and requests with a typed error', async () => {
    const cases: [Partial<RegistrationInput>, string][] = [
      [{ msisdn: '5551234' }, 'INVALID_MSISDN'],
      [{ msisdn: '+0123456789' }, 'INVALID_MSISDN'],
      [{ msisdn: '+1234567890123456' }, 'INVALID_MSISDN'],
      [{ identity: { givenName: 'Mari', familyName: 'M', nationalId: '1', birthDate: '1980-02-30' } }, 'INVALID_IDENTITY'],
      [{ identity: { givenName: 'Mari', familyName: 'M', nationalId: '1', birthDate: '2999-01-01' } }, 'INVALID_IDENTITY'],
      [{ identity: { givenName: '', familyName: 'M', nationalId: '1', birthDate: '1980-01-01' } }, 'INVALID_IDENTITY'],
      [{ mode: 'video' }, 'INVALID_IDENTITY'],
      [{ officer: ' ' }, 'INVALID_IDENTITY'],
      [{ authenticationRequest: Buffer.from('not a request') }, 'INVALID_CSR'],
    ];
    for (const [overrides, code] of cases) expect((await raError(ra.register(await input(overrides)))).code).toBe(code);
  });

  it('checks proof of possession: a request whose signature was tampered with is refused', async () => {
    const csr = await simRequest(tokens.sim);
    const tampered = Buffer.from(csr);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 0x01;
    const err = await raError(ra.register(await input({ signatureRequest: tampered })));
    expect(err.code).toBe('PROOF_OF_POSSESSION');
  });

  it('refuses weak or unsuitable keys, one key for both jobs, and a key already certified', async () => {
    const weak = await softwareRequest({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' });
    expect(await raError(ra.register(await input({ authenticationRequest: weak })))).toMatchObject({ code: 'KEY_NOT_ALLOWED', message: expect.stringMatching(/at least 2048 bits, not 1024/) });
    const p521 = await softwareRequest({ name: 'ECDSA', namedCurve: 'P-521' });
    expect((await raError(ra.register(await input({ signatureRequest: p521 })))).code).toBe('KEY_NOT_ALLOWED');
    const same = await simRequest(tokens.sim);
    expect((await raError(ra.register(await input({ authenticationRequest: same, signatureRequest: same })))).code).toBe('KEY_NOT_ALLOWED');
    const reused = await simRequest(tokens.sim);
    await ra.register(await input({ msisdn: '+37255500001', authenticationRequest: reused }));
    expect((await raError(ra.register(await input({ msisdn: '+37255500002', signatureRequest: reused })))).code).toBe('KEY_IN_USE');
    // RSA from the SIM token is fine.
    const rsa = await ra.register(await input({ msisdn: '+37255500003', authenticationRequest: await simRequest(tokens.sim, { type: 'RSA', modulusBits: 2048 }) }));
    expect(opensslText(rsa.authentication.der)).toMatch(/Public-Key: \(2048 bit\)/);
  });

  it('suspends (hold), reinstates, renews, changes MSISDN and revokes, keeping every change as history', async () => {
    const reg = await ra.register(await input({ msisdn: '+37255599999' }));
    const { mid } = reg;
    const serialsOf = (v: Awaited<ReturnType<typeof ra.view>>): [string, string | undefined, number | null | undefined][] =>
      v.certificates.map((c) => [c.record.serial, c.status?.status, c.status?.reason]);

    const suspended = await ra.suspend({ mid, officer: 'officer-8', note: 'lost phone' });
    expect(suspended.current).toMatchObject({ event: 'suspended', status: 'suspended' });
    expect(serialsOf(suspended).map(([, s, r]) => [s, r])).toEqual([
      ['hold', 6],
      ['hold', 6],
    ]);
    expect((await raError(ra.suspend({ mid, officer: 'officer-8' }))).code).toBe('INVALID_TRANSITION');
    expect((await raError(ra.renew({ mid, officer: 'o', authenticationRequest: await simRequest(tokens.sim), signatureRequest: await simRequest(tokens.sim) }))).code).toBe('INVALID_TRANSITION');

    const reinstated = await ra.reinstate({ mid, officer: 'officer-8' });
    expect(reinstated.current.status).toBe('active');
    expect(serialsOf(reinstated).map(([, s]) => s)).toEqual(['good', 'good']);
    const history = await fx.store.certificates.statusHistory(ISSUING_CA, reg.authentication.serialHex);
    expect(history.map((h) => h.status)).toEqual(['good', 'hold', 'good']);

    const renewed = await ra.renew({ mid, officer: 'officer-9', authenticationRequest: await simRequest(tokens.sim), signatureRequest: await simRequest(tokens.sim) });
    expect(serialsOf(renewed).map(([, s, r]) => [s, r])).toEqual([
      ['revoked', 4],
      ['revoked', 4],
      ['good', null],
      ['good', null],
    ]);
    const pair = currentPair(renewed);
    expect(pair.auth.serial).toBe(renewed.authentication.serialHex);

    const moved = await ra.changeMsisdn({ mid, officer: 'officer-9', msisdn: '+37255588888' });
    expect(moved.current).toMatchObject({ event: 'msisdn-changed', msisdn: '+37255588888', status: 'active' });
    expect(parseCertificate(moved.authentication.der).ext.subjectAltName).toEqual([{ kind: 'uniformResourceIdentifier', value: 'tel:+37255588888' }]);
    // Same keys, new certificates; the previous pair is revoked as affiliationChanged.
    expect(parseCertificate(moved.authentication.der).subjectPublicKeyInfo.der).toEqual(parseCertificate(renewed.authentication.der).subjectPublicKeyInfo.der);
    expect(serialsOf(moved).slice(2, 4).map(([, s, r]) => [s, r])).toEqual([
      ['revoked', 3],
      ['revoked', 3],
    ]);
    expect((await ra.show('+37255599999')).length).toBe(0);
    expect(await fx.store.mobileIds.formerlyBoundTo('+37255599999')).toEqual([mid]);
    expect((await ra.show('+37255588888')).map((v) => v.mobileId.mid)).toEqual([mid]);

    const revoked = await ra.revoke({ mid, officer: 'officer-10', reason: 'keyCompromise', invalidityDate: new Date(Date.now() - 3_600_000) });
    expect(revoked.current).toMatchObject({ event: 'revoked', status: 'revoked', reason: 'keyCompromise' });
    const last = revoked.certificates.slice(-2).map((c) => c.status);
    expect(last.map((s) => [s?.status, s?.reason])).toEqual([
      ['revoked', 1],
      ['revoked', 1],
    ]);
    expect(last[0]?.invalidityDate).toBeInstanceOf(Date);
    expect((await raError(ra.reinstate({ mid, officer: 'o' }))).code).toBe('INVALID_TRANSITION');
    expect((await raError(ra.revoke({ mid, officer: 'o', reason: 'unspecified' }))).code).toBe('INVALID_TRANSITION');
    expect(revoked.history.map((h) => h.event)).toEqual(['registered', 'suspended', 'reinstated', 'renewed', 'msisdn-changed', 'revoked']);
  });
});

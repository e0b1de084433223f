import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CrlReason,
  ISSUING_CA,
  RegistrationAuthority,
  parseCertificate,
  parseCrl,
  publishCrl,
  startPkiRuntime,
  trustAnchorFromCertificate,
  validateCertificate,
  type PkiRuntime,
  type RegistrationResult,
} from '../../../src/pki';
import { STORE_ENGINES, type StoreFixture } from '../../store/engines';
import { initTestPki, openPkiTokens, openssl, simRequest, toPem, type PkiTokens, type TestPki, writePem } from '../ca/support/pki-fixture';

/**
 * Full CRLs (RFC 5280 §5): reason codes and invalidity dates, CRL numbers that only go up, signed in the HSM;
 * `openssl crl -CAfile` verifies them, `openssl verify -crl_check` and our own path validation reject a revoked
 * certificate with them, and the runtime re-makes them when a status changes.
 */
describe.each(STORE_ENGINES)('CRLs on %s', (engine, engineCase) => {
  let tokens: PkiTokens;
  let fx: StoreFixture;
  let pki: TestPki;
  let runtime: PkiRuntime;
  let ra: RegistrationAuthority;
  let alice: RegistrationResult;
  let bob: RegistrationResult;

  const register = async (msisdn: string): Promise<RegistrationResult> =>
    ra.register({
      identity: { givenName: 'Test', familyName: 'Citizen', nationalId: msisdn.slice(-6), birthDate: '1970-05-05' },
      msisdn,
      label: 'government',
      mode: 'in-person',
      officer: 'crl-spec',
      authenticationRequest: await simRequest(tokens.sim),
      signatureRequest: await simRequest(tokens.sim),
    });

  beforeAll(async () => {
    tokens = await openPkiTokens(`crl-${engine}`);
    fx = await engineCase.fresh();
    pki = await initTestPki(tokens.platform, fx.store);
    runtime = await startPkiRuntime({ hsm: tokens.platform, store: fx.store, pollMs: 60_000 });
    ra = runtime.ra;
    alice = await register('+37255510001');
    bob = await register('+37255510002');
  });
  afterAll(async () => {
    await runtime?.stop();
    await fx?.close();
    await tokens?.close();
  });

  const files = (name: string, crlDer: Uint8Array): { root: string; issuing: string; crl: string; rootCrl: string } => {
    const dir = tokens.dir;
    const crl = join(dir, `${name}.crl.pem`);
    writeFileSync(crl, toPem(crlDer, 'X509 CRL'));
    const rootCrl = join(dir, `${name}-root.crl.pem`);
    writeFileSync(rootCrl, toPem(runtime.crls.current('root')?.der ?? Buffer.alloc(0), 'X509 CRL'));
    return { root: writePem(dir, 'root.pem', pki.init.root.certificate), issuing: writePem(dir, 'issuing.pem', pki.init.issuing.certificate), crl, rootCrl };
  };

  it('publishes an empty CRL for each CA that openssl verifies with the CA certificate', async () => {
    const crl = runtime.crls.current(ISSUING_CA);
    expect(crl).toBeDefined();
    const parsed = parseCrl(crl?.der ?? Buffer.alloc(0));
    expect(parsed.version).toBe(2);
    expect(parsed.entries).toHaveLength(0);
    expect(parsed.crlNumber).toBe(crl?.crlNumber);
    const f = files('empty', crl?.der ?? Buffer.alloc(0));
    const r = openssl(['crl', '-in', f.crl, '-CAfile', f.issuing, '-noout']);
    expect(r.output).toMatch(/verify OK/);
  });

  it('lists a revoked certificate with its reason and invalidity date, and re-makes the CRL on the change', async () => {
    const before = runtime.crls.current(ISSUING_CA)?.crlNumber ?? 0n;
    const invalidity = new Date(Date.now() - 7_200_000);
    await ra.revoke({ mid: alice.mid, officer: 'crl-spec', reason: 'keyCompromise', invalidityDate: invalidity });
    await ra.suspend({ mid: bob.mid, officer: 'crl-spec' });
    await runtime.tick();
    const crl = runtime.crls.current(ISSUING_CA);
    expect(crl?.crlNumber).toBeGreaterThan(before);
    const parsed = parseCrl(crl?.der ?? Buffer.alloc(0));
    const bySerial = new Map(parsed.entries.map((e) => [Buffer.from(e.serialNumber).toString('hex'), e]));
    expect(bySerial.get(alice.authentication.serialHex)?.reasonCode).toBe(CrlReason.keyCompromise);
    expect(bySerial.get(alice.signature.serialHex)?.reasonCode).toBe(CrlReason.keyCompromise);
    expect(bySerial.get(bob.signature.serialHex)?.reasonCode).toBe(CrlReason.certificateHold);
    expect(parsed.entries).toHaveLength(4);

    const f = files('revoked', crl?.der ?? Buffer.alloc(0));
    const text = openssl(['crl', '-in', f.crl, '-CAfile', f.issuing, '-noout', '-text']);
    expect(text.output).toMatch(/verify OK/);
    expect(text.output).toMatch(/Key Compromise/);
    expect(text.output).toMatch(/Certificate Hold/);
    expect(text.output).toMatch(/Invalidity Date:\s+\n?\s*\w{3}\s+\d+ \d\d:\d\d:\d\d \d{4} GMT/);
    expect(text.output).toMatch(/X509v3 CRL Number:\s+\n?\s*\d+/);
  });

  it('makes openssl verify -crl_check and our path validation reject the revoked certificate and accept a good one', async () => {
    const crl = runtime.crls.current(ISSUING_CA)?.der ?? Buffer.alloc(0);
    const f = files('check', crl);
    const chain = join(tokens.dir, 'chain-with-crls.pem');
    writeFileSync(chain, `${readFileSync(f.root, 'utf8')}${readFileSync(f.issuing, 'utf8')}${readFileSync(f.crl, 'utf8')}${readFileSync(f.rootCrl, 'utf8')}`);
    const revoked = writePem(tokens.dir, 'alice-auth.pem', alice.authentication.der);
    const other = await register('+37255510003');
    await runtime.tick();
    const good = writePem(tokens.dir, 'good-auth.pem', other.authentication.der);
    const fresh = join(tokens.dir, 'chain-fresh.pem');
    writeFileSync(fresh, `${readFileSync(f.root, 'utf8')}${readFileSync(f.issuing, 'utf8')}${toPem(runtime.crls.current(ISSUING_CA)?.der ?? Buffer.alloc(0), 'X509 CRL')}${readFileSync(f.rootCrl, 'utf8')}`);

    const bad = openssl(['verify', '-crl_check_all', '-CAfile', chain, revoked]);
    expect(bad.output).toMatch(/certificate revoked/);
    expect(bad.status).not.toBe(0);
    const ok = openssl(['verify', '-crl_check_all', '-CAfile', fresh, good]);
    expect(ok.output).toMatch(/: OK/);

    const anchor = trustAnchorFromCertificate(parseCertificate(pki.init.root.certificate));
    const issuing = parseCertificate(pki.init.issuing.certificate);
    const crls = [parseCrl(runtime.crls.current(ISSUING_CA)?.der ?? Buffer.alloc(0)), parseCrl(runtime.crls.current('root')?.der ?? Buffer.alloc(0))];
    const rejected = await validateCertificate({ target: parseCertificate(alice.authentication.der), intermediates: [issuing], trustAnchors: [anchor], time: new Date(), revocation: { mode: 'required', crls } });
    expect(rejected).toMatchObject({ valid: false, rule: 'revoked' });
    const accepted = await validateCertificate({ target: parseCertificate(other.authentication.der), intermediates: [issuing], trustAnchors: [anchor], time: new Date(), revocation: { mode: 'required', crls } });
    expect(accepted).toMatchObject({ valid: true });
  });

  it('drops a reinstated certificate from the next CRL, and numbers CRLs upwards', async () => {
    const before = runtime.crls.current(ISSUING_CA)?.crlNumber ?? 0n;
    await ra.reinstate({ mid: bob.mid, officer: 'crl-spec' });
    await runtime.tick();
    const crl = runtime.crls.current(ISSUING_CA);
    expect(crl?.crlNumber).toBeGreaterThan(before);
    const serials = parseCrl(crl?.der ?? Buffer.alloc(0)).entries.map((e) => Buffer.from(e.serialNumber).toString('hex'));
    expect(serials).not.toContain(bob.signature.serialHex);
    expect(serials).toContain(alice.signature.serialHex);
    // A CLI process (`mssp ca crl`) publishing in between does not make numbers go back.
    const manual = await publishCrl(fx.store, pki.cas.issuing);
    expect(manual.crlNumber).toBeGreaterThan(crl?.crlNumber ?? 0n);
  });
});

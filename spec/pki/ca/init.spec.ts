import { readFileSync } from 'node:fs';
import {
  CaError,
  PKI_KEY_LABELS,
  parseCertificate,
  timeStampingCertificateProblem,
  trustAnchorFromCertificate,
  validateCertificate,
  initCertificationAuthority,
  latestServiceCertificate,
} from '../../../src/pki';
import { STORE_ENGINES, type StoreFixture } from '../../store/engines';
import { listToolObjects } from '../../hsm/support';
import { BASE_URL, initTestPki, openPkiTokens, openssl, opensslText, type PkiTokens, type TestPki, writePem } from './support/pki-fixture';

/**
 * `mssp ca init` on a real token and both store engines: root and issuing CA keys made in the token and never
 * extractable, the service certificates the platform needs, chains that openssl and our own RFC 5280 validation
 * accept, and a second init refused.
 */
describe.each(STORE_ENGINES)('ca init on %s', (_engine, engineCase) => {
  let tokens: PkiTokens;
  let fx: StoreFixture;
  let pki: TestPki;

  beforeAll(async () => {
    tokens = await openPkiTokens(`ca-init-${_engine}`);
    fx = await engineCase.fresh();
    pki = await initTestPki(tokens.platform, fx.store);
  });
  afterAll(async () => {
    await fx?.close();
    await tokens?.close();
  });

  it('makes the CA and service keys in the token: sensitive, never extractable, recorded in the inventory', async () => {
    const objects = listToolObjects(tokens.platformToken);
    for (const label of Object.values(PKI_KEY_LABELS)) {
      const priv = objects.find((o) => o.label === label && o.kind.startsWith('Private Key'));
      expect(priv).toBeDefined();
      expect(priv?.access).toEqual(expect.arrayContaining(['sensitive', 'always sensitive', 'never extractable']));
      expect(priv?.access).not.toContain('extractable');
    }
    const keys = await fx.store.keys.list();
    expect(keys.map((k) => [k.label, k.purpose, k.algorithm]).sort()).toEqual(
      [
        ['audit', 'audit', 'P-256'],
        ['ca-issuing', 'ca-issuing', 'P-256'],
        ['ca-root', 'ca-root', 'P-256'],
        ['ocsp-responder', 'ocsp', 'P-256'],
        ['tsa', 'tsa', 'P-256'],
      ].sort(),
    );
  });

  it('refuses a second root and says what exists', async () => {
    const err = await initCertificationAuthority(tokens.platform, fx.store, { organization: 'Other', publicBaseUrl: BASE_URL, actor: 'spec' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaError);
    expect((err as CaError).code).toBe('ALREADY_INITIALISED');
    expect((err as CaError).message).toMatch(/^the CA is already initialised: "root" \(C=EE, O=Test Platform, CN=Test Platform Root CA, serial [0-9a-f]{32}, key "ca-root".*"issuing"/);
  });

  it('writes the profiles: CA constraints, AIA and CDP from the base URL, nocheck on the responder, timeStamping critical on the TSA', async () => {
    const root = parseCertificate(pki.init.root.certificate);
    const issuing = parseCertificate(pki.init.issuing.certificate);
    expect(root.ext.basicConstraints).toEqual({ ca: true, pathLenConstraint: 1 });
    expect(issuing.ext.basicConstraints).toEqual({ ca: true, pathLenConstraint: 0 });
    expect(issuing.ext.cRLDistributionPoints?.[0]?.distributionPoint).toEqual({ kind: 'fullName', names: [{ kind: 'uniformResourceIdentifier', value: `${BASE_URL}/crl/root.crl` }] });
    const issuingText = opensslText(issuing.der);
    expect(issuingText).toMatch(/CA Issuers - URI:http:\/\/pki\.test\.invalid:8080\/ca\/root\.cer/);
    expect(issuingText).not.toMatch(/OCSP - URI/);

    const ocsp = await latestServiceCertificate(fx.store, 'ocsp-responder');
    const ocspText = opensslText(ocsp?.der ?? Buffer.alloc(0));
    expect(ocspText).toMatch(/OCSP Signing/);
    expect(ocspText).toMatch(/OCSP No Check/);
    expect(ocspText).toMatch(/URI:http:\/\/pki\.test\.invalid:8080\/crl\/issuing\.crl/);

    const tsa = await latestServiceCertificate(fx.store, 'tsa');
    expect(timeStampingCertificateProblem(parseCertificate(tsa?.der ?? Buffer.alloc(0)))).toBeUndefined();
    const tsaText = opensslText(tsa?.der ?? Buffer.alloc(0));
    expect(tsaText).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping/);
    expect(tsaText).toMatch(/OCSP - URI:http:\/\/pki\.test\.invalid:8080\/ocsp/);
    for (const cert of [root, issuing]) {
      // 16 octets, top bit clear: 127 random bits, a positive minimal INTEGER.
      expect(cert.serialNumber.length).toBe(16);
      expect((cert.serialNumber[0] as number) & 0x80).toBe(0);
    }
  });

  it('gives chains that openssl verify and our path validation accept (OCSP responder, TSA, audit)', async () => {
    const rootPem = writePem(tokens.dir, 'root.pem', pki.init.root.certificate);
    const issuingPem = writePem(tokens.dir, 'issuing.pem', pki.init.issuing.certificate);
    const anchor = trustAnchorFromCertificate(parseCertificate(pki.init.root.certificate));
    const issuing = parseCertificate(pki.init.issuing.certificate);
    for (const profile of ['ocsp-responder', 'tsa', 'audit-signing'] as const) {
      const record = await latestServiceCertificate(fx.store, profile);
      const leaf = writePem(tokens.dir, `${profile}.pem`, record?.der ?? Buffer.alloc(0));
      const purpose = profile === 'tsa' ? ['-purpose', 'timestampsign'] : [];
      const r = openssl(['verify', '-CAfile', rootPem, '-untrusted', issuingPem, ...purpose, leaf]);
      expect(r.output).toMatch(/: OK/);
      expect(r.status).toBe(0);
      const ours = await validateCertificate({
        target: parseCertificate(record?.der ?? Buffer.alloc(0)),
        intermediates: [issuing],
        trustAnchors: [anchor],
        time: new Date(),
        revocation: { mode: 'off' },
      });
      expect(ours).toMatchObject({ valid: true });
    }
    expect(readFileSync(rootPem, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });
});

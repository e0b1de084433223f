import { openPkiTokens, initTestPki, lastSimKeyLabel, simRequest, type PkiTokens, type TestPki } from '../../pki/ca/support/pki-fixture';
import { ISSUING_CA, ROOT_CA, RegistrationAuthority, hsmSigner, parseCertificate, parseCrl, trustAnchorFromCertificate, type CmsSigner, type RegistrationAuthorityOptions } from '../../../src/pki';
import { startHttpServer, type RunningHttpServer } from '../../../src/api/http-server';
import { startMss, type RunningMss } from '../../../src/api/mss';
import { addAp } from '../../../src/mss/aps/registry';
import { FICOM_AUTHENTICATION_PROFILE, FICOM_SIGNATURE_PROFILE } from '../../../src/mss/profiles';
import { createLogger } from '../../../src/log';
import { ScriptedApprover } from '../../../hsm-sim/scripted-approver';
import { sqliteEngine, type StoreEngineCase, type StoreFixture } from '../../store/engines';

/**
 * Test-only: a platform with the TS 102 204 service on a real socket, a test CA, one citizen registered by the
 * real RA with keys made in a SIM token, and demo MSISDNs that sign with those keys but act as scripted.
 */
export const AP_ID = 'http://ap.example/tax-office';
export const AP_PASSWORD = 'tax office password 2026';
export const MSISDN = {
  approve: '+37255500001',
  cancel: '+37255500002',
  noAnswer: '+37255500003',
  slow: '+37255500004',
  pinBlocked: '+37255500005',
  unknown: '+37255509999',
} as const;

export interface MssFixture {
  readonly url: string;
  readonly soapUrl: string;
  readonly tokens: PkiTokens;
  readonly pki: TestPki;
  readonly fx: StoreFixture;
  readonly approver: ScriptedApprover;
  readonly mss: RunningMss;
  readonly server: RunningHttpServer;
  readonly ra: RegistrationAuthority;
  /** The registered citizen's mobile ID (all demo MSISDNs sign with its keys). */
  readonly mid: string;
  close(): Promise<void>;
}

export interface MssFixtureOptions {
  /** The RA's audit hook (the platform's is src/cli/ra-audit.ts). */
  readonly recordRaEvent?: RegistrationAuthorityOptions['record'];
}

export async function startMssFixture(name: string, engine: StoreEngineCase = sqliteEngine, options: MssFixtureOptions = {}): Promise<MssFixture> {
  const tokens = await openPkiTokens(`mss-${name}`);
  const fx = await engine.fresh();
  const pki = await initTestPki(tokens.platform, fx.store);
  const ra = new RegistrationAuthority({ store: fx.store, issuer: async () => pki.cas.issuing, ...(options.recordRaEvent !== undefined ? { record: options.recordRaEvent } : {}) });
  const authRequest = await simRequest(tokens.sim, { type: 'EC', curve: 'P-256' }, 'CN=auth');
  const authLabel = lastSimKeyLabel();
  const signRequest = await simRequest(tokens.sim, { type: 'EC', curve: 'P-256' }, 'CN=sign');
  const signLabel = lastSimKeyLabel();
  const registered = await ra.register({
    identity: { givenName: 'Mari', familyName: 'Maasikas', nationalId: '48001010000', birthDate: '1980-01-01' },
    msisdn: MSISDN.approve,
    label: 'government',
    mode: 'in-person',
    officer: 'spec',
    authenticationRequest: authRequest,
    signatureRequest: signRequest,
  });
  const chain = [pki.init.issuing.certificate];
  const signer = async (label: string, certificate: Buffer): Promise<CmsSigner> =>
    hsmSigner(tokens.sim, (await tokens.sim.findKeyPair({ label })).privateKey, { algorithm: 'ES256', certificate, chain });
  const keys = { authentication: await signer(authLabel, registered.authentication.der), signature: await signer(signLabel, registered.signature.der) };
  const approver = new ScriptedApprover([
    { msisdn: MSISDN.approve, keys, script: { act: 'approve' } },
    { msisdn: MSISDN.cancel, keys, script: { act: 'cancel' } },
    { msisdn: MSISDN.noAnswer, keys, script: { act: 'no-answer' } },
    { msisdn: MSISDN.slow, keys, script: { act: 'approve', delayMs: 1_500 } },
    { msisdn: MSISDN.pinBlocked, keys, script: { act: 'pin-blocked' } },
  ]);
  await addAp(fx.store.mss, {
    apId: AP_ID,
    password: AP_PASSWORD,
    profiles: [FICOM_SIGNATURE_PROFILE, FICOM_AUTHENTICATION_PROFILE],
    formats: ['http://uri.etsi.org/TS102204/v1.1.2#PKCS7', 'http://uri.etsi.org/TS102204/v1.1.2#PKCS1'],
    ratePerSecond: 1000,
  });
  const logger = createLogger({ level: 'silent' });
  let url = '';
  const validation = {
    trustAnchors: [trustAnchorFromCertificate(parseCertificate(pki.init.root.certificate))],
    // The CRLs in force, as the platform's CRL publisher leaves them in the store.
    revocation: async () => {
      const crls = await Promise.all([fx.store.certificates.latestCrl(ROOT_CA), fx.store.certificates.latestCrl(ISSUING_CA)]);
      return { mode: 'required' as const, crls: crls.filter((c) => c !== undefined).map((c) => parseCrl(c.der)) };
    },
  };
  const mss = startMss({ repo: fx.store.mss, events: fx.store.events, approver, logger, publicUrl: () => url, msspUri: 'http://mssp.test', notificationFirstRetryMs: 100, validation, registrationAuthority: ra, config: { mssMaxRequestBytes: 256 * 1024, mssInstantWindowSeconds: 300, mssDefaultTimeoutSeconds: 30 } });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, health: [], routes: mss.routes, logger });
  url = server.url;
  return {
    url,
    soapUrl: `${url}/soap/services/MSS_SignaturePort`,
    tokens,
    pki,
    fx,
    approver,
    mss,
    server,
    ra,
    mid: registered.mid,
    close: async () => {
      await server.close();
      await mss.stop();
      await fx.close();
      await tokens.close();
    },
  };
}

export async function postSoap(url: string, body: string | Buffer): Promise<{ status: number; body: string; contentType: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8' }, body });
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

export const statusCodeOf = (xml: string): number | undefined => {
  const m = /<mss:StatusCode Value="(\d+)"/.exec(xml);
  return m?.[1] ? Number(m[1]) : undefined;
};
export const faultCodeOf = (xml: string): number | undefined => {
  const m = /<env:Value>mss:_(\d+)<\/env:Value>/.exec(xml);
  return m?.[1] ? Number(m[1]) : undefined;
};
export const attributeOf = (xml: string, name: string): string | undefined => new RegExp(`${name}="([^"]*)"`).exec(xml)?.[1];

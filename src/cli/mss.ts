import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { Hsm } from '../hsm';
import type { Logger } from '../log';
import type { Route } from '../api/http-server';
import type { AppletRequester, Approver, CitizenCertificates } from '../approval';
import type { AuditLog } from '../audit';
import type { MssAudit } from '../mss/operations/context';
import type { RegistrationAuthority } from '../pki';
import type { Store } from '../store';
import type { RunningPki } from './ca';
import type { CallbackSigner } from '../api/callback-signature';
import type { DemoEnrolment } from '../../hsm-sim/handset/demo';

/**
 * The TS 102 204 service inside `mssp start`: the SIM-applet channel behind the Approver, the mobile-ID directory
 * for the citizens' certificates, validation against the platform CA, and with `--demo` the sandbox: demo SIMs
 * enrolled through the RA, an SMSC simulator with their handsets, a demo AP. Only types at the top (see main.ts).
 */

export const DEMO_AP_ID = 'http://demo.mssp.invalid/ap';
/** How long a citizen's certificates from the RA are reused (approval/cached-certificates.ts says why). */
const DIRECTORY_CACHE_MS = 5_000;
/** How often validation re-reads the CRLs from the store (mss/validation.ts refreshedEvery). */
const REVOCATION_REFRESH_MS = 1_000;
const DEMO_AP_PASSWORD_SETTING = 'demo.ap.password';

export interface DemoInfo {
  readonly apId: string;
  readonly apPassword: string;
  readonly msisdns: { readonly approve: string; readonly cancel: string; readonly pinBlocked: string; readonly noAnswer: string; readonly slow: string };
}

export interface RunningPlatformMss {
  readonly routes: readonly Route[];
  readonly demo: DemoInfo | undefined;
  /** The one way to ask a citizen (payments use it too), the citizens' certificates, and how signatures are validated. */
  readonly approver: Approver;
  readonly certificates: CitizenCertificates;
  readonly validation: PlatformValidation | undefined;
  /** With --demo: the simulated mobile channel (SMSC bind, demo handsets), for client payments (mps-clients.ts). */
  readonly demoChannel: import('../../hsm-sim/handset/demo').DemoChannel | undefined;
  stop(): Promise<void>;
}

/** The current authentication and signature certificates of the first active mobile ID bound to an MSISDN. */
function directoryCertificates(ra: RegistrationAuthority, currentPair: typeof import('../pki').currentPair): CitizenCertificates {
  return {
    async current(msisdn) {
      let views;
      try {
        views = await ra.show(msisdn);
      } catch {
        return undefined;
      }
      const active = views.find((v) => v.current.status === 'active');
      if (active === undefined) return undefined;
      const pair = currentPair(active);
      return { authentication: pair.auth.der, signature: pair.sign.der };
    },
  };
}

export interface PlatformValidation {
  readonly trustAnchors: readonly import('../pki').TrustAnchor[];
  /** Parsed once, so that their signatures are checked once (the path checker remembers per object). */
  readonly intermediates: readonly import('../pki').Certificate[];
  readonly certificateCache: import('../pki').CertificateCache;
  readonly revocation: () => Promise<import('../pki').RevocationSettings>;
}

/**
 * Enrolment of simulated SIMs with the platform RA: a SIM whose signature certificate is not the directory's
 * current one registers afresh with the PKCS#10 requests it signed in its tokens.
 */
export function raEnrolment(ra: RegistrationAuthority, certificates: CitizenCertificates): DemoEnrolment {
  return {
    enrolled: async (record) => {
      const current = await certificates.current(`+${record.msisdn}`);
      return current?.signature !== undefined && Buffer.from(current.signature).toString('base64') === record.certificates.sign;
    },
    certify: async (msisdn, requests) => {
      const number = `+${msisdn}`;
      // A demo SIM made afresh (its folder deleted) replaces the mobile ID of the one before.
      for (const view of await ra.show(number)) {
        if (view.current.status !== 'revoked') await ra.revoke({ mid: view.mobileId.mid, officer: 'demo', reason: 'superseded', note: 'demo SIM made afresh' });
      }
      const registered = await ra.register({
        identity: { givenName: 'Demo', familyName: `Citizen ${'ABCDEFGHIJ'.charAt(Number(msisdn.slice(-1)))}`, nationalId: `DEMO-${msisdn}`, birthDate: '1990-01-01' },
        msisdn: number,
        label: 'demo',
        mode: 'in-person',
        officer: 'demo',
        authenticationRequest: requests.auth,
        signatureRequest: requests.sign,
      });
      return { auth: registered.authentication.der, sign: registered.signature.der };
    },
  };
}

/**
 * A SIM channel set up by the caller (a benchmark's SMSC simulator in another process): given the HSM for the
 * OTA keys and the RA enrolment for its SIMs, it returns the channel and the MSISDNs it reaches.
 */
export type SimChannelFactory = (deps: { readonly hsm: Hsm; readonly logger: Logger; readonly enrol: DemoEnrolment }) => Promise<{
  readonly channel: AppletRequester;
  readonly msisdns: readonly string[];
  close(): Promise<void>;
}>;

export async function startPlatformMss(options: {
  readonly config: Config;
  readonly hsm: Hsm;
  readonly store: Store;
  readonly logger: Logger;
  readonly pki: RunningPki;
  readonly publicUrl: () => string;
  readonly demo: boolean;
  /** The platform's audit log: requests, transaction ends and the evidence of each signature go into it. */
  readonly auditLog?: Pick<AuditLog, 'append'>;
  /** Signs MSS_Notification calls (the payment webhooks' key). */
  readonly callbackSigner?: CallbackSigner;
  /** A SIM channel other than the demo's; ignored with `demo`. */
  readonly simChannel?: SimChannelFactory;
}): Promise<RunningPlatformMss> {
  const { config, hsm, store, logger, pki } = options;
  const { startMss } = await import('../api/mss');
  const { SimApprover, cachedCertificates } = await import('../approval');
  const { refreshedEvery } = await import('../mss/validation');
  const pkiModule = await import('../pki');
  const runtime = pki.runtime;
  const cleanups: (() => Promise<void>)[] = [];
  let approver: Approver;
  let demoInfo: DemoInfo | undefined;
  let certificates: CitizenCertificates = { current: async () => undefined };
  let demoChannel: RunningPlatformMss['demoChannel'];
  const ra = runtime?.ra;

  if (options.demo) {
    if (ra === undefined) throw new Error('--demo needs the CA: run `mssp ca init` first');
    const { startDemoChannel, DEMO_NUMBERS } = await import('../../hsm-sim/handset/demo');
    const directory = directoryCertificates(ra, pkiModule.currentPair);
    // Enrolment asks the directory itself: a remembered answer would outlive the certificate it replaces.
    certificates = cachedCertificates(directory, DIRECTORY_CACHE_MS);
    const { clusterChannelParts } = await import('./cluster');
    const demo = await startDemoChannel({
      hsm,
      dataDir: config.dataDir,
      logger,
      // Counters in the store: two nodes with the same demo SIMs never send one the same CNTR.
      ...clusterChannelParts(store),
      enrol: raEnrolment(ra, directory),
    });
    cleanups.push(() => demo.close());
    demoChannel = demo;
    const numbers = new Set(demo.records.map((r) => `+${r.msisdn}`));
    approver = new SimApprover({ channel: demo.channel, certificates, reachable: (msisdn) => numbers.has(msisdn) });
    const apPassword = await store.settings.setIfAbsent(DEMO_AP_PASSWORD_SETTING, randomBytes(12).toString('base64url'));
    if ((await store.mss.findAp(DEMO_AP_ID)) === undefined) {
      const { addAp } = await import('../mss/aps/registry');
      const { DEFAULT_PROFILES, MSS_FORMATS } = await import('../mss/profiles');
      await addAp(store.mss, { apId: DEMO_AP_ID, password: apPassword, profiles: DEFAULT_PROFILES.map((p) => p.uri), formats: Object.keys(MSS_FORMATS), ratePerSecond: 1000 });
    }
    const byBehaviour = (i: number): string => `+${(DEMO_NUMBERS[i] as { msisdn: string }).msisdn}`;
    demoInfo = { apId: DEMO_AP_ID, apPassword, msisdns: { approve: byBehaviour(0), cancel: byBehaviour(1), pinBlocked: byBehaviour(2), noAnswer: byBehaviour(3), slow: byBehaviour(4) } };
  } else if (options.simChannel !== undefined) {
    if (ra === undefined) throw new Error('a SIM channel needs the CA: run `mssp ca init` first');
    const directory = directoryCertificates(ra, pkiModule.currentPair);
    certificates = cachedCertificates(directory, DIRECTORY_CACHE_MS);
    const sims = await options.simChannel({ hsm, logger, enrol: raEnrolment(ra, directory) });
    cleanups.push(() => sims.close());
    const numbers = new Set(sims.msisdns.map((m) => `+${m}`));
    approver = new SimApprover({ channel: sims.channel, certificates, reachable: (msisdn) => numbers.has(msisdn) });
  } else {
    // MSSP_SMSC_HOST: a real SMSC and the SIMs of `mssp sim import` (src/cli/mobile-channel.ts).
    if (config.smscHost !== undefined && ra === undefined) throw new Error('MSSP_SMSC_HOST needs the CA for the citizens\' certificates: run `mssp ca init` first');
    const { startMobileChannel } = await import('./mobile-channel');
    if (ra !== undefined) certificates = directoryCertificates(ra, pkiModule.currentPair);
    const mobile = ra === undefined ? undefined : await startMobileChannel({ config, hsm, store, logger, certificates });
    if (mobile !== undefined) {
      approver = mobile.approver;
      cleanups.push(() => mobile.close());
    } else {
      logger.warn('no mobile channel is configured: every MSISDN is unknown (105) until MSSP_SMSC_HOST is set; `mssp start --demo` runs the simulated one');
      const { AppletChannelError } = await import('../channel/sim');
      approver = new SimApprover({
        channel: { request: () => Promise.reject(new AppletChannelError('CLOSED')) },
        certificates: { current: async () => undefined },
        reachable: () => false,
      });
    }
  }

  const [root, issuing] = await Promise.all([store.certificates.findCa(pkiModule.ROOT_CA), store.certificates.findCa(pkiModule.ISSUING_CA)]);
  const validation: PlatformValidation | undefined =
    root === undefined
      ? undefined
      : {
          trustAnchors: [pkiModule.trustAnchorFromCertificate(pkiModule.parseCertificate(root.certificate))],
          // Parsed once, so that their signatures are checked once (the path checker remembers per object).
          intermediates: issuing === undefined ? [] : [pkiModule.parseCertificate(issuing.certificate)],
          certificateCache: new pkiModule.CertificateCache(),
          revocation: refreshedEvery(REVOCATION_REFRESH_MS, async () => {
            const crls = await Promise.all([store.certificates.latestCrl(pkiModule.ROOT_CA), store.certificates.latestCrl(pkiModule.ISSUING_CA)]);
            return { mode: 'required' as const, crls: crls.filter((c) => c !== undefined).map((c) => pkiModule.parseCrl(c.der)) };
          }),
        };
  const audit: MssAudit | undefined =
    options.auditLog === undefined
      ? undefined
      : {
          append: (entry) => (options.auditLog as Pick<AuditLog, 'append'>).append(entry),
          evidenceFor: async (signature) => {
            // The signer's status from our own responder and a time-stamp over the signature, kept in the log.
            const sd = pkiModule.parseSignedData(signature);
            const signerDer = sd.certificates[0];
            let ocspResponse: Uint8Array | undefined;
            if (signerDer !== undefined && runtime !== undefined && issuing !== undefined) {
              const signer = pkiModule.parseCertificate(signerDer);
              const certId = pkiModule.encodeCertId({ issuerName: signer.issuer, issuerKey: pkiModule.parseCertificate(issuing.certificate).subjectPublicKeyInfo, serialNumber: signer.serialNumber });
              ocspResponse = (await runtime.responder.respond(pkiModule.encodeOcspRequest([certId]))).der;
            }
            const timeStampToken = pki.tsa === undefined ? undefined : await pki.tsa.stamp(createHash('sha256').update(signature).digest());
            return { ...(ocspResponse !== undefined ? { ocspResponse } : {}), ...(timeStampToken !== undefined ? { timeStampToken } : {}) };
          },
        };
  const tsa = pki.tsa;
  const mss = startMss({
    ...(audit !== undefined ? { audit } : {}),
    ...(tsa !== undefined ? { signatureTimeStamper: (digest: Buffer) => tsa.stamp(digest) } : {}),
    repo: store.mss,
    events: store.events,
    approver,
    logger,
    publicUrl: options.publicUrl,
    config,
    ...(validation !== undefined ? { validation } : {}),
    // MSS_Registration goes to the same RA (and audit hook) as `mssp ra`, for APs with the registration permission.
    ...(ra !== undefined ? { registrationAuthority: ra } : {}),
    ...(options.callbackSigner !== undefined ? { callbackSigner: options.callbackSigner } : {}),
  });
  return {
    routes: mss.routes,
    demo: demoInfo,
    approver,
    certificates,
    validation,
    demoChannel,
    stop: async () => {
      await mss.stop();
      for (const c of cleanups.reverse()) await c().catch((err: unknown) => logger.error({ err }, 'stopping the demo channel failed'));
    },
  };
}

import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SimApprover, type CitizenCertificates } from '../../src/approval';
import { AuditLog } from '../../src/audit';
import { createLogger } from '../../src/log';
import { ClientDirectory, InstrumentService, cmsApprovalVerifier, paymentApprover, type ApprovalSignatureVerifier } from '../../src/mps';
import { Ledger } from '../../src/mps/ledger';
import { ISSUING_CA, ROOT_CA, RegistrationAuthority, parseCertificate, parseCrl, trustAnchorFromCertificate } from '../../src/pki';
import { startDemoChannel, DEMO_NUMBERS, type DemoChannel } from '../../hsm-sim/handset/demo';
import type { UserBehaviour } from '../../hsm-sim/handset/user';
import { initTestPki, openPkiTokens, type PkiTokens } from '../pki/ca/support/pki-fixture';
import { sqliteEngine, type StoreEngineCase, type StoreFixture } from '../store/engines';
import { twoBanks } from './support';

/**
 * The real parts a client payment goes through, for the client specs: a platform token and store, the CA and RA
 * (`ca init`), the demo SIMs (their own SoftHSM2 tokens) enrolled with that RA behind an SMSC simulator on TCP,
 * the SIM approver over SMPP, the ledger with two banks, and the client directory and instrument service.
 */

export const demoNumber = (i: number): string => `+${(DEMO_NUMBERS[i] as { msisdn: string }).msisdn}`;
/** Approves at once. */
export const ALICE = demoNumber(0);
/** Cancels every request (can still be paid). */
export const BOB = demoNumber(1);
/** Types a wrong PIN three times. */
export const CAROL = demoNumber(2);

export interface ClientWorld {
  readonly tokens: PkiTokens;
  readonly fx: StoreFixture;
  readonly ra: RegistrationAuthority;
  readonly demo: DemoChannel;
  readonly ledger: Ledger;
  readonly audit: AuditLog;
  readonly directory: ClientDirectory;
  readonly verifier: ApprovalSignatureVerifier;
  readonly instruments: InstrumentService;
  /** Overrides of the demo numbers' scripted persons, by +E.164 (read per request). */
  readonly behaviours: Map<string, UserBehaviour>;
  close(): Promise<void>;
}

export async function startClientWorld(label: string, engine: StoreEngineCase = sqliteEngine): Promise<ClientWorld> {
  const tokens = await openPkiTokens(label);
  const fx = await engine.fresh();
  const pki = await initTestPki(tokens.platform, fx.store);
  const ra = new RegistrationAuthority({ store: fx.store, issuer: async () => pki.cas.issuing });
  const directory = new ClientDirectory({ store: fx.store, mobileIds: ra });
  const certificates: CitizenCertificates = {
    async current(msisdn) {
      const client = await directory.find(msisdn);
      return client === undefined ? undefined : { authentication: client.certificates.authentication, signature: client.certificates.signature };
    },
  };
  const behaviours = new Map<string, UserBehaviour>();
  const demo = await startDemoChannel({
    hsm: tokens.platform,
    behaviour: (msisdn) => behaviours.get(`+${msisdn}`),
    dataDir: mkdtempSync(join(tokens.dir, 'demo-')),
    logger: createLogger({ level: 'silent' }),
    timeoutMs: 20_000,
    enrol: {
      enrolled: async () => false,
      certify: async (msisdn, requests) => {
        const r = await ra.register({
          identity: { givenName: 'Client', familyName: `Demo ${'ABCDEFGHIJ'.charAt(Number(msisdn.slice(-1)))}`, nationalId: `CLI-${msisdn}`, birthDate: '1990-01-01' },
          msisdn: `+${msisdn}`,
          label: 'payments',
          mode: 'in-person',
          officer: 'spec',
          authenticationRequest: requests.auth,
          signatureRequest: requests.sign,
        });
        return { auth: r.authentication.der, sign: r.signature.der };
      },
    },
  });
  const ledger = new Ledger({ store: fx.store, reservationMs: 60_000 });
  await twoBanks(ledger);
  // Carol's own account, so that a test can tell her money from the others'.
  await ledger.createParticipant({ id: 'carol', kind: 'client', name: 'Carol', bankId: 'bank-b' });
  await ledger.createAccount({ id: 'carol-EUR', participantId: 'carol', currency: 'EUR' });
  for (const who of ['alice', 'bob', 'carol']) await ledger.pay({ id: `fund-${who}`, debitAccountId: 'bank-a-issuance-EUR', creditAccountId: `${who}-EUR`, currency: 'EUR', amount: '10000' });
  const [root, issuing] = await Promise.all([fx.store.certificates.findCa(ROOT_CA), fx.store.certificates.findCa(ISSUING_CA)]);
  const crls = (await Promise.all([fx.store.certificates.latestCrl(ROOT_CA), fx.store.certificates.latestCrl(ISSUING_CA)])).flatMap((c) => (c === undefined ? [] : [parseCrl(c.der)]));
  const verifier = cmsApprovalVerifier({
    trustAnchors: [trustAnchorFromCertificate(parseCertificate((root as { certificate: Buffer }).certificate))],
    intermediates: [(issuing as { certificate: Buffer }).certificate],
    revocation: { mode: 'required', crls },
    certificateFor: (msisdn) => directory.signatureCertificate(msisdn),
  });
  const audit = await AuditLog.open({ store: fx.store });
  const approver = paymentApprover(new SimApprover({ channel: demo.channel, certificates, reachable: () => true }));
  const instruments = new InstrumentService({ store: fx.store, directory, approver, verifier, audit });
  return {
    tokens,
    fx,
    ra,
    demo,
    ledger,
    audit,
    directory,
    verifier,
    instruments,
    behaviours,
    close: async () => {
      await demo.close();
      await fx.close();
      await tokens.close();
    },
  };
}

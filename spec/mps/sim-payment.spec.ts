import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { SimApprover, type CitizenCertificates } from '../../src/approval';
import { AuditLog, verifyStoredLog } from '../../src/audit';
import { createLogger } from '../../src/log';
import { cmsApprovalVerifier, OfferService, offerTransferId, paymentApprover, type PayerDirectory } from '../../src/mps';
import { Ledger } from '../../src/mps/ledger';
import { ISSUING_CA, ROOT_CA, RegistrationAuthority, currentPair, parseCertificate, parseCrl, trustAnchorFromCertificate } from '../../src/pki';
import { startDemoChannel, DEMO_NUMBERS, type DemoChannel } from '../../hsm-sim/handset/demo';
import { initTestPki, openPkiTokens, type PkiTokens, type TestPki } from '../pki/ca/support/pki-fixture';
import { sqliteEngine, type StoreFixture } from '../store/engines';
import { expectBalanced, twoBanks } from './support';

/**
 * A merchant's payment offer approved the way a signature is: the offer goes as an OTA-secured SMS over SMPP to
 * the SMSC simulator, the demo handset's SIM (its own SoftHSM2 tokens, certificates from the platform RA) shows
 * merchant, amount and code, checks the PIN and signs the offer's canonical bytes; the platform verifies the
 * CMS against its CA and the certificate on record for the MSISDN, then books. Cancel and a blocked PIN book nothing.
 */

let tokens: PkiTokens;
let fx: StoreFixture;
let pki: TestPki;
let demo: DemoChannel;
let ledger: Ledger;
let offers: OfferService;

const number = (i: number): string => `+${(DEMO_NUMBERS[i] as { msisdn: string }).msisdn}`;
const APPROVE = number(0);
const CANCEL = number(1);
const BLOCKED = number(2);

beforeAll(async () => {
  tokens = await openPkiTokens('sim-payment');
  fx = await sqliteEngine.fresh();
  pki = await initTestPki(tokens.platform, fx.store);
  const ra = new RegistrationAuthority({ store: fx.store, issuer: async () => pki.cas.issuing });
  const certificates: CitizenCertificates = {
    async current(msisdn) {
      const active = (await ra.show(msisdn)).find((v) => v.current.status === 'active');
      if (active === undefined) return undefined;
      const pair = currentPair(active);
      return { authentication: pair.auth.der, signature: pair.sign.der };
    },
  };
  demo = await startDemoChannel({
    hsm: tokens.platform,
    dataDir: mkdtempSync(join(tokens.dir, 'demo-')),
    logger: createLogger({ level: 'silent' }),
    timeoutMs: 20_000,
    enrol: {
      enrolled: async () => false,
      certify: async (msisdn, requests) => {
        const r = await ra.register({
          identity: { givenName: 'Pay', familyName: 'Demo', nationalId: `PAY-${msisdn}`, birthDate: '1990-01-01' },
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
  const approver = new SimApprover({ channel: demo.channel, certificates, reachable: () => true });
  ledger = new Ledger({ store: fx.store, reservationMs: 60_000 });
  await twoBanks(ledger);
  for (const who of ['alice', 'bob']) await ledger.pay({ id: `fund-${who}`, debitAccountId: 'bank-a-issuance-EUR', creditAccountId: `${who}-EUR`, currency: 'EUR', amount: '10000' });
  const accounts = new Map([
    [APPROVE, 'alice-EUR'],
    [CANCEL, 'bob-EUR'],
    [BLOCKED, 'bob-EUR'],
  ]);
  const directory: PayerDirectory = { accountFor: async (msisdn, currency) => (currency === 'EUR' ? accounts.get(msisdn) : undefined) };
  const [root, issuing] = await Promise.all([fx.store.certificates.findCa(ROOT_CA), fx.store.certificates.findCa(ISSUING_CA)]);
  offers = new OfferService({
    store: fx.store,
    ledger,
    approver: paymentApprover(approver),
    directory,
    audit: await AuditLog.open({ store: fx.store }),
    verifier: cmsApprovalVerifier({
      trustAnchors: [trustAnchorFromCertificate(parseCertificate((root as { certificate: Buffer }).certificate))],
      intermediates: [(issuing as { certificate: Buffer }).certificate],
      revocation: { mode: 'required', crls: (await Promise.all([fx.store.certificates.latestCrl(ROOT_CA), fx.store.certificates.latestCrl(ISSUING_CA)])).flatMap((c) => (c === undefined ? [] : [parseCrl(c.der)])) },
      certificateFor: async (msisdn) => (await certificates.current(msisdn))?.signature,
    }),
  });
}, 120_000);
afterAll(async () => {
  await demo?.close();
  await fx?.close();
  await tokens?.close();
});

const offer = (id: string, clientMsisdn: string) => ({
  id,
  merchantId: 'shop',
  merchantAccountId: 'shop-EUR',
  clientMsisdn,
  currency: 'EUR',
  amount: '1250',
  reference: `INV-${id}`,
  expiresAt: new Date(Date.now() + 60_000),
});

it('pays once the SIM has signed the offer over SMPP, and books exactly once', async () => {
  const before = (await ledger.account('alice-EUR')).posted;
  const made = await offers.create(offer('sim-1', APPROVE));
  const paid = await offers.run(made.id);
  expect(paid).toMatchObject({ state: 'paid', transferId: offerTransferId(made.id) });
  expect((await ledger.account('alice-EUR')).posted).toBe(before - 1250n);
  expect((await ledger.account('shop-EUR')).posted).toBe(1250n);
  await expectBalanced(fx.store);
  expect((await verifyStoredLog(fx.store)).ok).toBe(true);
}, 60_000);

it('ends with nothing booked when the citizen cancels or the PIN is blocked', async () => {
  const before = await ledger.account('bob-EUR');
  expect((await offers.run((await offers.create(offer('sim-2', CANCEL))).id)).state).toBe('cancelled');
  const blocked = await offers.run((await offers.create(offer('sim-3', BLOCKED))).id);
  expect(blocked).toMatchObject({ state: 'failed' });
  expect(blocked.detail).toMatch(/^APPROVAL_WRONG_PIN: /);
  expect(await ledger.account('bob-EUR')).toEqual(before);
  await expectBalanced(fx.store);
}, 60_000);

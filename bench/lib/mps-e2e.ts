import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startHttpServer } from '../../src/api/http-server';
import { startMpsApi, type MpsApi } from '../../src/api/mps';
import { SimApprover, type CitizenCertificates } from '../../src/approval';
import { AuditLog } from '../../src/audit';
import { openCallbackSigner } from '../../src/cli/mps';
import { createLogger } from '../../src/log';
import { ApiKeys, agreementLevelPolicy, cmsApprovalVerifier, IdempotencyAnswers, Ledger, MpsDirectory, OfferService, OneTimeTickets, paymentApprover, Settlement } from '../../src/mps';
import { ISSUING_CA, ROOT_CA, RegistrationAuthority, currentPair, parseCertificate, parseCrl, trustAnchorFromCertificate, type CmsSigner } from '../../src/pki';
import type { Store } from '../../src/store';
import { startDemoChannel, DEMO_NUMBERS, extraApprovingNumbers } from '../../hsm-sim/handset/demo';
import { initTestPki, openPkiTokens } from '../../spec/pki/ca/support/pki-fixture';

/**
 * The end-to-end payment: a merchant POSTs an offer to the REST API → the offer goes to the phone as an
 * OTA-secured SMS over SMPP to the SMSC simulator → the demo handset's SIM (its own SoftHSM2 token) shows it,
 * checks the PIN and signs the canonical bytes → back over SMPP → the platform verifies the CMS (path to the
 * platform CA, CRL, the certificate registered for the number) → reserve and commit in the ledger → the signed
 * webhook reaches the merchant. Latency is from the POST to the webhook's arrival; every payment is checked.
 */

export interface E2eResult {
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly payments: number;
  readonly failures: number;
  readonly seconds: number;
  readonly cpuMsPerPayment: number;
  readonly sims: number;
}

export async function measureE2e(store: Store, options: { label: string; payments: number; concurrency: number; sims: number }): Promise<E2eResult> {
  const logger = createLogger({ level: 'silent' });
  const tokens = await openPkiTokens(options.label);
  const pki = await initTestPki(tokens.platform, store);
  const ra = new RegistrationAuthority({ store, issuer: async () => pki.cas.issuing });
  const certificates: CitizenCertificates = {
    async current(msisdn) {
      const active = (await ra.show(msisdn)).find((v) => v.current.status === 'active');
      if (active === undefined) return undefined;
      const pair = currentPair(active);
      return { authentication: pair.auth.der, signature: pair.sign.der };
    },
  };
  const demo = await startDemoChannel({
    hsm: tokens.platform,
    dataDir: mkdtempSync(join(tokens.dir, 'demo-')),
    logger,
    timeoutMs: 60_000,
    extraApprovingSims: options.sims,
    enrol: {
      enrolled: async () => false,
      certify: async (msisdn, requests) => {
        const r = await ra.register({
          identity: { givenName: 'Bench', familyName: 'Payer', nationalId: `BENCH-${msisdn}`, birthDate: '1990-01-01' },
          msisdn: `+${msisdn}`,
          label: 'bench',
          mode: 'in-person',
          officer: 'bench',
          authenticationRequest: requests.auth,
          signatureRequest: requests.sign,
        });
        return { auth: r.authentication.der, sign: r.signature.der };
      },
    },
  });
  // Payers: the approving demo SIM and the extra ones; each has its own account.
  const payers = [`+${(DEMO_NUMBERS[0] as { msisdn: string }).msisdn}`, ...extraApprovingNumbers(options.sims).map((n) => `+${n.msisdn}`)];
  const ledger = new Ledger({ store });
  await ledger.createParticipant({ id: 'bank-a', kind: 'bank', name: 'Bank A' });
  await ledger.createParticipant({ id: 'bank-b', kind: 'bank', name: 'Bank B' });
  await ledger.createAccount({ id: 'issue-a', participantId: 'bank-a', currency: 'EUR', floor: null });

  await ledger.createParticipant({ id: 'shop', kind: 'merchant', name: 'Bench Shop', bankId: 'bank-b' });
  await ledger.createAccount({ id: 'shop-EUR', participantId: 'shop', currency: 'EUR' });


  // Webhooks: each arrival resolves the waiting payment by offer id.
  const waiting = new Map<string, (state: string) => void>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString()) as { offer: { id: string; state: string } };
      waiting.get(event.offer.id)?.(event.offer.state);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const directory = new MpsDirectory(store);
  await directory.putMerchant({ participantId: 'shop', accountId: 'shop-EUR', webhookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` });
  for (const [i, msisdn] of payers.entries()) {
    await ledger.createParticipant({ id: `payer${i}`, kind: 'client', name: `Payer ${i}`, bankId: 'bank-a' });
    await ledger.createAccount({ id: `payer${i}-EUR`, participantId: `payer${i}`, currency: 'EUR' });
    await ledger.pay({ id: `fund-${i}`, debitAccountId: 'issue-a', creditAccountId: `payer${i}-EUR`, currency: 'EUR', amount: '100000000000' });
    await directory.putPayer({ msisdn, accountId: `payer${i}-EUR` });
  }

  const [root, issuing] = await Promise.all([store.certificates.findCa(ROOT_CA), store.certificates.findCa(ISSUING_CA)]);
  const crls = (await Promise.all([store.certificates.latestCrl(ROOT_CA), store.certificates.latestCrl(ISSUING_CA)])).flatMap((c) => (c === undefined ? [] : [parseCrl(c.der)]));
  const keys = new ApiKeys(store);
  const apiKey = (await keys.create({ participantId: 'shop', role: 'merchant' })).key;
  let api: MpsApi | undefined;
  const offers = new OfferService({
    store,
    ledger,
    approver: paymentApprover(new SimApprover({ channel: demo.channel, certificates, reachable: () => true })),
    directory: directory.payers(),
    audit: await AuditLog.open({ store }),
    levels: agreementLevelPolicy({ store, levelOf: async () => 4 }),
    onFinal: (o) => api?.offerEnded(o),
    verifier: cmsApprovalVerifier({
      trustAnchors: [trustAnchorFromCertificate(parseCertificate((root as { certificate: Buffer }).certificate))],
      intermediates: [(issuing as { certificate: Buffer }).certificate],
      revocation: { mode: 'required', crls },
      certificateFor: async (msisdn) => (await certificates.current(msisdn))?.signature,
    }),
  });
  const unusedSigner: CmsSigner = { algorithm: 'ES256', certificate: new Uint8Array(), sign: () => Promise.reject(new Error('not in this bench')) };
  api = startMpsApi({
    offers,
    ledger,
    settlement: new Settlement({ store, signer: unusedSigner }),
    tickets: new OneTimeTickets({ store, issuers: new Map() }),
    directory,
    keys,
    answers: new IdempotencyAnswers(store),
    signer: await openCallbackSigner(tokens.platform),
    logger,
    publicUrl: () => '',
  });
  const server = await startHttpServer({ host: '127.0.0.1', port: 0, health: [], routes: api.routes, logger });

  const pay = async (i: number): Promise<{ ms: number; ok: boolean }> => {
    const start = performance.now();
    const res = await fetch(`${server.url}/mps/v1/offers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'idempotency-key': `${options.label}-${i}` },
      body: JSON.stringify({ payerMsisdn: payers[Math.abs(i) % payers.length], amount: String(100 + (i % 900)), currency: 'EUR', reference: `B-${i}`, expiresInSeconds: 120 }),
    });
    const made = (await res.json()) as { id?: string };
    if (res.status !== 201 || made.id === undefined) return { ms: performance.now() - start, ok: false };
    const id = made.id;
    const state = await new Promise<string>((resolve) => {
      waiting.set(id, resolve);
      setTimeout(() => resolve('lost'), 120_000).unref();
    });
    waiting.delete(id);
    return { ms: performance.now() - start, ok: state === 'paid' };
  };

  try {
    // Warm-up: the API key's scrypt, the SIM's first session, the JIT.
    await Promise.all(payers.map((_, i) => pay(-1 - i)));
    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < options.payments) {
          const r = await pay(next++);
          latencies.push(r.ms);
          if (!r.ok) failures += 1;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    latencies.sort((a, b) => a - b);
    const pct = (p: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN);
    const totals = await store.ledger.postingTotals();
    if ((totals.get('EUR') ?? 0n) !== 0n) throw new Error('postings do not sum to zero after the e2e bench');
    return {
      perSec: Math.round((options.payments / seconds) * 10) / 10,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      payments: options.payments,
      failures,
      seconds: Math.round(seconds * 10) / 10,
      cpuMsPerPayment: Math.round(((cpu.user + cpu.system) / 1000 / options.payments) * 10) / 10,
      sims: payers.length,
    };
  } finally {
    await server.close();
    await api.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
    await demo.close();
    await tokens.close();
  }
}

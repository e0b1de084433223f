import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../../../src/api/http-server';
import { startMpsApi, type MpsApi } from '../../../src/api/mps';
import type { CallbackSigner } from '../../../src/api/callback-signature';
import { AuditLog } from '../../../src/audit';
import { openCallbackSigner } from '../../../src/cli/mps';
import { createLogger } from '../../../src/log';
import {
  agreementLevelPolicy,
  ApiKeys,
  cmsApprovalVerifier,
  IdempotencyAnswers,
  MpsDirectory,
  OfferService,
  OneTimeTickets,
  Settlement,
  type ApprovalRequest,
  type ApprovalOutcome,
  type CitizenApprover,
} from '../../../src/mps';
import { hsmSigner, parseCertificate, trustAnchorFromCertificate } from '../../../src/pki';
import { openTestToken, type TestToken } from '../../hsm/support';
import { makeTokenChain, type TokenChain } from '../../pki/support/token-pki';
import type { StoreEngineCase } from '../../store/engines';
import { SimApprover } from '../../mps/sim-approver';
import { freshLedger, twoBanks, type LedgerFixture } from '../../mps/support';

/**
 * The MPS API on a real socket over a real store (either engine): the ledger with two banks, the shop and a second
 * merchant, a PSP, payers reached by phone number whose "SIM" is a key in a SoftHSM token (spec/mps/sim-approver),
 * a merchant webhook receiver on its own socket, and the callback key in the token.
 */

export const ALICE = '+3725550001';
/** Reached only at security level 2 (levelOf below): small amounts only. */
export const LOW = '+3725550003';
export const UNKNOWN = '+3725559999';
export const LOW_LEVEL_CAP = 500n;

export interface ReceivedHook {
  readonly signature: string;
  readonly body: Buffer;
}

export interface MpsApiFixture {
  readonly t: LedgerFixture;
  readonly token: TestToken;
  readonly url: string;
  readonly api: MpsApi;
  readonly sim: SimApprover;
  readonly offers: OfferService;
  readonly tickets: OneTimeTickets;
  readonly signer: CallbackSigner;
  readonly bankChain: TokenChain;
  readonly keys: { shop: string; shop2: string; psp: string; bank: string };
  readonly hooks: ReceivedHook[];
  /** How the webhook receiver answers the next calls (status codes, then 200). */
  readonly hookAnswers: number[];
  /** While set, approvals of this MSISDN wait for it to be released (the offer stays "sent"). */
  hold: { msisdn: string; release: Promise<void> } | undefined;
  close(): Promise<void>;
}

export async function startMpsApiFixture(engine: StoreEngineCase, name: string, tls?: HttpServerOptions['tls']): Promise<MpsApiFixture> {
  const token = await openTestToken(`mps-api-${name}`);
  const citizen = await makeTokenChain(token.hsm, { label: 'citizen', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
  const bankChain = await makeTokenChain(token.hsm, { label: 'bank', caAlgorithm: 'ES256', leafAlgorithm: 'ES256' });
  const signer = await openCallbackSigner(token.hsm);
  const t = await freshLedger(engine);
  await twoBanks(t.ledger);
  await t.ledger.pay({ id: 'fund-alice', debitAccountId: 'bank-a-issuance-EUR', creditAccountId: 'alice-EUR', currency: 'EUR', amount: '1000000' });
  await t.ledger.createParticipant({ id: 'shop2', kind: 'merchant', name: 'Other Shop', bankId: 'bank-b' });
  await t.ledger.createAccount({ id: 'shop2-EUR', participantId: 'shop2', currency: 'EUR' });
  await t.ledger.createParticipant({ id: 'psp-1', kind: 'operator', name: 'PSP One', bankId: 'bank-b' });
  const logger = createLogger({ level: 'silent' });
  const store = t.store;
  // The API runs on the wall clock: offers expire in real seconds here.
  const clock = (): Date => new Date();

  const hooks: ReceivedHook[] = [];
  const hookAnswers: number[] = [];
  const receiver: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = hookAnswers.shift() ?? 200;
      if (status === 200) hooks.push({ signature: String(req.headers['x-mssp-signature'] ?? ''), body: Buffer.concat(chunks) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const directory = new MpsDirectory(store);
  await directory.putMerchant({ participantId: 'shop', accountId: 'shop-EUR', webhookUrl: hookUrl, pspId: 'psp-1' });
  await directory.putMerchant({ participantId: 'shop2', accountId: 'shop2-EUR', webhookUrl: null });
  await directory.putPayer({ msisdn: ALICE, accountId: 'alice-EUR' });
  await directory.putPayer({ msisdn: LOW, accountId: 'alice-EUR' });
  await store.mpsAccess.putLevelLimit({ merchantId: 'shop', level: 2, currency: 'EUR', maxAmount: LOW_LEVEL_CAP });

  const sim = new SimApprover(token.hsm, citizen.leaf.pair.privateKey, citizen.leaf.der, [citizen.issuing.der]);
  const holder: { hold: MpsApiFixture['hold'] } = { hold: undefined };
  const approver: CitizenApprover = {
    async approve(request: ApprovalRequest): Promise<ApprovalOutcome> {
      const hold = holder.hold;
      if (hold !== undefined && hold.msisdn === request.msisdn) await hold.release;
      return sim.approve(request);
    },
  };
  const settlementSigner = hsmSigner(token.hsm, bankChain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: bankChain.leaf.der, chain: [bankChain.issuing.der] });
  const tickets = new OneTimeTickets({ store, issuers: new Map([['bank-a', { signer: settlementSigner }]]) });
  const keys = new ApiKeys(store);
  let api: MpsApi | undefined;
  const offers = new OfferService({
    store,
    ledger: t.ledger,
    approver,
    directory: directory.payers(),
    clock,
    audit: await AuditLog.open({ store }),
    levels: agreementLevelPolicy({ store, levelOf: async (msisdn) => (msisdn === LOW ? 2 : 4) }),
    onFinal: (o) => api?.offerEnded(o),
    verifier: cmsApprovalVerifier({
      trustAnchors: [trustAnchorFromCertificate(parseCertificate(citizen.root.der))],
      revocation: { mode: 'required', ocsp: async () => 'good' },
      certificateFor: async (msisdn) => (msisdn === ALICE || msisdn === LOW ? citizen.leaf.der : undefined),
    }),
  });
  let server: RunningHttpServer | undefined;
  api = startMpsApi({
    offers,
    ledger: t.ledger,
    settlement: new Settlement({ store, signer: settlementSigner }),
    tickets,
    directory,
    keys,
    answers: new IdempotencyAnswers(store),
    signer,
    logger,
    publicUrl: () => server?.url ?? '',
    webhookFirstRetryMs: 50,
    webhookMaxAttempts: 4,
  });
  server = await startHttpServer({ host: '127.0.0.1', port: 0, health: [], routes: api.routes, logger, ...(tls !== undefined ? { tls } : {}) });
  const made = {
    shop: (await keys.create({ participantId: 'shop', role: 'merchant' })).key,
    shop2: (await keys.create({ participantId: 'shop2', role: 'merchant' })).key,
    psp: (await keys.create({ participantId: 'psp-1', role: 'psp' })).key,
    bank: (await keys.create({ participantId: 'bank-a', role: 'bank' })).key,
  };
  const runningServer = server;
  const runningApi = api;
  const fixture: MpsApiFixture = {
    t,
    token,
    url: server.url,
    api,
    sim,
    offers,
    tickets,
    signer,
    bankChain,
    keys: made,
    hooks,
    hookAnswers,
    get hold() {
      return holder.hold;
    },
    set hold(h) {
      holder.hold = h;
    },
    async close() {
      await runningServer.close();
      await runningApi.stop();
      await new Promise<void>((r) => receiver.close(() => r()));
      await t.fx.close();
      await token.hsm.close();
    },
  };
  return fixture;
}

/** Checks JSON instances against the components of an OpenAPI document with python3-jsonschema (spec/api/rest). */
export function schemaErrors(openapi: unknown, checks: readonly { schema: string; instance: unknown }[]): string[][] {
  const r = spawnSync('/usr/bin/python3', [`${__dirname}/../rest/openapi_check.py`], { input: JSON.stringify({ openapi, checks }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openapi_check.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[][];
}

import type { Route } from '../api/http-server';
import type { AuditLog } from '../audit';
import type { AppletChannel, MoCounterStore } from '../channel/sim';
import type { Logger } from '../log';
import type { ApprovalSignatureVerifier, ClientDirectory, ClientOrderResult, InstrumentService, InstrumentView, Ledger, Payee, ReceiptSender } from '../mps';
import type { RegistrationAuthority } from '../pki';
import type { Store } from '../store';
import type { DemoChannel } from '../../hsm-sim/handset/demo';

/**
 * Client-initiated payments inside `mssp start`: the SIM inbox (MO client orders over the SMSC bind) feeding
 * ClientPayments, receipts shown on the phone through the applet channel, and the counters the inbox's replay
 * guard needs kept in the store. Only types at the top (see main.ts): the modules load when the service starts.
 */

/** The last MO counter accepted from each SIM, in the store's counters table (`ota-mo/<ICCID>`), across restarts. */
export function storeMoCounters(store: Pick<Store, 'counters'>): MoCounterStore {
  const name = (sim: string): string => `ota-mo/${sim}`;
  return {
    last: async (sim) => (await store.counters.current(name(sim))) ?? 0n,
    accept: (sim, counter) => store.counters.advanceTo(name(sim), counter),
  };
}

/** Receipts as the applet's show-receipt: the phone shows the text until the client confirms it. */
export function appletReceipts(channel: Pick<AppletChannel, 'request'>, newRef: () => Buffer, timeoutMs = 60_000): ReceiptSender {
  return {
    async send(msisdn, text) {
      // The applet's display limit (160 GSM 7-bit septets): a long text is cut rather than the receipt lost.
      const displayText = text.length > 160 ? `${text.slice(0, 157)}...` : text;
      const result = await channel.request(msisdn, { transactionRef: newRef(), operation: 'show-receipt', displayText }, { timeoutMs });
      if (result.response.outcome !== 'displayed') throw new Error(`the phone answered ${result.response.outcome}`);
    },
  };
}

/** Demo ledger names (`mssp start --demo`): one bank, one merchant, an account per demo number. */
export const DEMO_BANK = 'demo-bank';
export const DEMO_MERCHANT_ACCOUNT = 'demo-shop-EUR';
const DEMO_FUNDS = 10_000n;
const ORDER_WAIT_MS = 30_000;

export interface MpsClientsDemo {
  /** Where the demo merchant is paid: `merchant:<this>` in an order. */
  readonly merchantAccount: string;
  /** Demo numbers whose instruments are enrolled (on their SIMs) at start. */
  readonly payers: readonly string[];
  /** POST {from, payee, amount, currency?, reference?}: the demo handset composes, signs and sends an order. */
  readonly orderUrlPath: string;
}

export interface RunningMpsClients {
  readonly routes: readonly Route[];
  readonly demo: MpsClientsDemo | undefined;
  stop(): Promise<void>;
}

/**
 * Starts client payments: with a mobile channel (today the demo one), a SimInbox on its SMSC bind hands client
 * orders to ClientPayments, and receipts go back through the applet channel. With --demo it also sets up a demo
 * bank, merchant and accounts, enrols an e-money wallet for the demo numbers that approve (approved on their
 * SIMs, like any enrolment) and serves POST /demo/v1/orders, which makes a demo handset pay.
 */
export async function startMpsClients(options: {
  readonly store: Store;
  readonly logger: Logger;
  readonly ra: RegistrationAuthority | undefined;
  readonly demoChannel: DemoChannel | undefined;
  readonly auditLog?: Pick<AuditLog, 'append'>;
}): Promise<RunningMpsClients> {
  const { store, logger, ra, demoChannel: demo } = options;
  if (demo === undefined || ra === undefined) {
    logger.info('client payments from the phone need a mobile channel and the CA: `mssp start --demo` runs the simulated one');
    return { routes: [], demo: undefined, stop: async () => undefined };
  }
  const mps = await import('../mps');
  const pkiModule = await import('../pki');
  const { SimInbox, newTransactionRef } = await import('../channel/sim');
  const { SimApprover } = await import('../approval');
  const { readBody } = await import('../api/body');

  const directory = new mps.ClientDirectory({ store, mobileIds: ra });
  // CRLs are read for every check, so a revocation counts from the moment it is published.
  const verifier: ApprovalSignatureVerifier = {
    async verify(signature, content, msisdn) {
      const [root, issuing] = await Promise.all([store.certificates.findCa(pkiModule.ROOT_CA), store.certificates.findCa(pkiModule.ISSUING_CA)]);
      if (root === undefined) return { valid: false, reason: 'the platform has no CA' };
      const crls = await Promise.all([store.certificates.latestCrl(pkiModule.ROOT_CA), store.certificates.latestCrl(pkiModule.ISSUING_CA)]);
      return mps
        .cmsApprovalVerifier({
          trustAnchors: [pkiModule.trustAnchorFromCertificate(pkiModule.parseCertificate(root.certificate))],
          intermediates: issuing === undefined ? [] : [issuing.certificate],
          revocation: { mode: 'required', crls: crls.filter((c) => c !== undefined).map((c) => pkiModule.parseCrl(c.der)) },
          certificateFor: (m) => directory.signatureCertificate(m),
        })
        .verify(signature, content, msisdn);
    },
  };
  const ledger = new mps.Ledger({ store, logger });
  const payments = new mps.ClientPayments({
    store,
    ledger,
    directory,
    verifier,
    receipts: appletReceipts(demo.channel, newTransactionRef),
    logger,
    ...(options.auditLog !== undefined ? { audit: options.auditLog } : {}),
  });
  const waiting = new Map<string, (result: ClientOrderResult) => void>();
  const inbox = new SimInbox({ transport: demo.transport, crypto: demo.otaCrypto, sims: demo.sims, counters: storeMoCounters(store), logger });
  inbox.onOrder(async (order, context) => {
    const result = await payments.receive(context.msisdn, { orderRef: order.orderRef, order: order.order, signature: order.signature });
    waiting.get(`${context.msisdn} ${order.orderRef}`)?.(result);
  });

  const numbers = new Set(demo.records.map((r) => `+${r.msisdn}`));
  const approver = mps.paymentApprover(
    new SimApprover({
      channel: demo.channel,
      certificates: { current: async (m) => (await directory.find(m))?.certificates },
      reachable: (m) => numbers.has(m),
    }),
  );
  const instruments = new mps.InstrumentService({ store, directory, approver, verifier, logger, ...(options.auditLog !== undefined ? { audit: options.auditLog } : {}) });
  const { DEMO_NUMBERS } = await import('../../hsm-sim/handset/demo');
  const payers = [0, 4].map((i) => `+${(DEMO_NUMBERS[i] as { msisdn: string }).msisdn}`);
  await demoLedger(ledger, store, [...numbers]);
  const enrolments = new Set<Promise<void>>();
  for (const msisdn of payers) {
    // Number 5 approves after 10 s: enrolments run in the background so the platform is up meanwhile.
    const enrolled: Promise<void> = enrolDemoWallet(instruments, directory, msisdn)
      .then((view) => logger.info({ msisdn, instrument: view.id, state: view.state }, 'demo wallet enrolment'))
      .catch((err: unknown) => logger.error({ err, msisdn }, 'demo wallet enrolment failed'))
      .finally(() => enrolments.delete(enrolled));
    enrolments.add(enrolled);
  }

  const { composeOrder } = await import('../../hsm-sim/handset/orders');
  const orderRoute: Route = {
    method: 'POST',
    path: '/demo/v1/orders',
    async handle(req, res) {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let input: DemoOrderInput;
      try {
        input = demoOrderInput(JSON.parse((await readBody(req, 4096)).toString('utf8')) as unknown, numbers);
      } catch (err) {
        reply(400, { code: 'INVALID_REQUEST', detail: err instanceof Error ? err.message : String(err) });
        return;
      }
      const client = await directory.find(input.from);
      const instrument = client?.instruments.find((i) => i.state === 'active' && i.currency === input.currency);
      if (instrument === undefined) {
        reply(409, { code: 'UNKNOWN_INSTRUMENT', detail: `${input.from} has no active ${input.currency} instrument (yet)` });
        return;
      }
      const order = composeOrder({ payer: input.from, payee: input.payee, instrumentId: instrument.id, amount: input.amount, currency: input.currency, reference: input.reference });
      const key = `${input.from} ${order.orderRef}`;
      const result = new Promise<ClientOrderResult | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), ORDER_WAIT_MS);
        waiting.set(key, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
      try {
        const sent = await demo.sendOrder(input.from, order);
        if (sent.outcome !== 'ready') {
          reply(409, { code: 'NOT_SENT', detail: `the handset did not send the order: ${sent.outcome}` });
          return;
        }
        const answer = await result;
        if (answer === undefined) reply(504, { code: 'TIMEOUT', orderRef: order.orderRef });
        else reply(answer.outcome === 'paid' ? 200 : 422, answer);
      } finally {
        waiting.delete(key);
      }
    },
  };
  logger.info({ merchantAccount: DEMO_MERCHANT_ACCOUNT, payers }, 'client payments from the demo handsets: POST /demo/v1/orders');
  return {
    routes: [orderRoute],
    demo: { merchantAccount: DEMO_MERCHANT_ACCOUNT, payers, orderUrlPath: '/demo/v1/orders' },
    stop: async () => {
      inbox.close();
      await Promise.all([...enrolments]);
      await payments.idle();
    },
  };
}

interface DemoOrderInput {
  readonly from: string;
  readonly payee: Payee;
  readonly amount: bigint;
  readonly currency: string;
  readonly reference: string;
}

function demoOrderInput(body: unknown, numbers: ReadonlySet<string>): DemoOrderInput {
  if (typeof body !== 'object' || body === null) throw new Error('the body is a JSON object');
  const b = body as Record<string, unknown>;
  const from = typeof b.from === 'string' ? b.from : '';
  if (!numbers.has(from)) throw new Error('from: one of the demo numbers (+999...)');
  const payeeText = typeof b.payee === 'string' ? b.payee : '';
  const payee: Payee = payeeText.startsWith('merchant:') ? { kind: 'merchant', accountId: payeeText.slice(9) } : { kind: 'phone', msisdn: payeeText };
  if (typeof b.amount !== 'string' || !/^[1-9]\d{0,18}$/.test(b.amount)) throw new Error('amount: minor units as a decimal string');
  const currency = typeof b.currency === 'string' ? b.currency : 'EUR';
  const reference = typeof b.reference === 'string' && /^[\x20-\x7e]{1,64}$/.test(b.reference) ? b.reference : 'demo';
  return { from, payee, amount: BigInt(b.amount), currency, reference };
}

/** The demo bank, merchant and one funded account per demo number; each step skipped when it was done before. */
async function demoLedger(ledger: Ledger, store: Store, msisdns: readonly string[]): Promise<void> {
  const participant = async (id: string, kind: 'bank' | 'merchant' | 'client', name: string): Promise<void> => {
    if ((await store.ledger.participant(id)) === undefined) await ledger.createParticipant({ id, kind, name, ...(kind === 'bank' ? {} : { bankId: DEMO_BANK }) });
  };
  const account = async (id: string, participantId: string, floor?: null): Promise<void> => {
    if ((await store.ledger.account(id)) === undefined) await ledger.createAccount({ id, participantId, currency: 'EUR', ...(floor === null ? { floor: null } : {}) });
  };
  await participant(DEMO_BANK, 'bank', 'Demo Bank');
  await account(`${DEMO_BANK}-issuance-EUR`, DEMO_BANK, null);
  await participant('demo-shop', 'merchant', 'Demo Shop');
  await account(DEMO_MERCHANT_ACCOUNT, 'demo-shop');
  for (const msisdn of msisdns) {
    const id = `demo-${msisdn.slice(1)}`;
    await participant(id, 'client', `Demo client ${msisdn}`);
    await account(`${id}-EUR`, id);
    await ledger.pay({ id: `demo-fund-${msisdn.slice(1)}`, debitAccountId: `${DEMO_BANK}-issuance-EUR`, creditAccountId: `${id}-EUR`, currency: 'EUR', amount: DEMO_FUNDS });
  }
}

/** An e-money wallet per demo SIM's mobile ID (a SIM made afresh gets a new mID, so a new wallet). */
async function enrolDemoWallet(instruments: InstrumentService, directory: ClientDirectory, msisdn: string): Promise<InstrumentView> {
  const client = await directory.find(msisdn);
  if (client === undefined) throw new Error(`${msisdn} has no active mobile ID`);
  const digits = msisdn.slice(1);
  return instruments.enrol({
    id: `demo-wallet-${digits}-${client.mid.replace(/^mid:/, '').slice(0, 8)}`,
    clientMsisdn: msisdn,
    kind: 'e-money',
    currency: 'EUR',
    ledgerAccountId: `demo-${digits}-EUR`,
    details: { provider: 'Demo Wallet', walletId: `w-${digits}` },
    makeDefault: true,
  });
}

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppletChannel, ClockSeededCounters, deviceOtaCrypto, type CounterSource, type PorRelay, type SmsTransport } from '../../src/channel/sim';
import type { OtaCrypto } from '../../src/channel/ota';
import { EsmeClient } from '../../src/channel/smpp';
import { CardTokenDirectory, type Hsm } from '../../src/hsm';
import { createLogger, type Logger } from '../../src/log';
import { InMemoryHandsetDirectory } from '../smsc/handsets';
import { SmscSimulator } from '../smsc/smsc-server';
import { HandsetFarm } from './farm';
import { importOtaKeys, simDirectory } from './platform';
import { certificationRequest } from './enrolment';
import { openSimCard } from './open-card';
import { provisionSimSet, readSimRecords, saveRecords, type SimKeyType, type SimRecord } from './sim-set';
import type { UserBehaviour } from './user';
import type { ComposedOrder, OrderToSign } from './applet';
import { sendUserData } from './handset';
import type { MemorySimDirectory } from '../../src/channel/sim';

/**
 * Demo numbers: handsets that always behave the same way, as public mobile-ID services publish test numbers
 * that trigger each outcome. Country code 999 is unassigned (ITU-T E.164 reserve), so these can never reach
 * a real subscriber.
 */
export interface DemoNumber {
  readonly msisdn: string;
  readonly behaviour: UserBehaviour;
  /** What a relying party sees. */
  readonly outcome: string;
}

export const DEMO_NUMBERS: readonly DemoNumber[] = [
  { msisdn: '99900000001', behaviour: { kind: 'approve' }, outcome: 'approves at once with the right PIN: signed (500 SIGNATURE)' },
  { msisdn: '99900000002', behaviour: { kind: 'cancel' }, outcome: 'presses Cancel: user-cancelled (401 USER_CANCEL)' },
  { msisdn: '99900000003', behaviour: { kind: 'wrong-pin', times: 3 }, outcome: 'types a wrong PIN three times: pin-blocked (402 PIN_NR_BLOCKED), and blocked for every later request' },
  { msisdn: '99900000004', behaviour: { kind: 'off' }, outcome: 'phone off: no answer at all; the platform times out (208 EXPIRED_TRANSACTION)' },
  { msisdn: '99900000005', behaviour: { kind: 'approve', delayMs: 10_000 }, outcome: 'approves after 10 s: signed' },
  { msisdn: '99900000006', behaviour: { kind: 'ignore' }, outcome: 'never touches the phone: the applet answers timeout after its 60 s (208 EXPIRED_TRANSACTION)' },
];

export interface DemoChannelOptions {
  /** The platform's HSM: the demo SIMs' OTA keys are imported into it. */
  readonly hsm: Hsm;
  /** The platform's data folder: the demo SIM set lives in <dataDir>/demo-sims. */
  readonly dataDir: string;
  /** The platform's short code. Default '12345'. */
  readonly shortCode?: string;
  /** Port of the in-process SMSC simulator; 0 (default) picks a free one. */
  readonly smscPort?: number;
  readonly keyType?: SimKeyType;
  /** How long the demo applets wait for their (scripted) user. Default 60 s. */
  readonly userTimeoutMs?: number;
  /** Default wait of AppletChannel.request. Default 120 s. */
  readonly timeoutMs?: number;
  /**
   * Enrolment with the platform's RA: asked for each demo SIM whose certificates it does not recognise (see
   * `enrolled`), with PKCS#10 requests the SIM signed inside its tokens; answers with the certificates, which the
   * SIM then presents. Without it the demo SIMs keep the stand-in CA's certificates (hsm-sim/handset/issuer.ts).
   */
  readonly enrol?: DemoEnrolment;
  /** Several platform nodes on one store: their shared OTA counters and PoR relay (src/cli/cluster.ts). Default: memory counters, no relay. */
  readonly counters?: CounterSource;
  readonly relay?: PorRelay;
  /** Overrides a demo number's scripted person (read per request); undefined keeps DEMO_NUMBERS' behaviour. */
  readonly behaviour?: (msisdn: string) => UserBehaviour | undefined;
  readonly logger?: Logger;
  /**
   * More SIMs, numbered 99900010000, 99900010001, …, that approve at once (load tests: a phone shows one request
   * at a time, so the channel queues per MSISDN and one SIM bounds the rate).
   */
  readonly extraApprovingSims?: number;
}

/** The numbers of the extra approving SIMs of `extraApprovingSims`. */
export function extraApprovingNumbers(count: number): DemoNumber[] {
  return Array.from({ length: count }, (_, i) => ({ msisdn: String(99900010000 + i), behaviour: { kind: 'approve' as const }, outcome: 'approves at once (load tests)' }));
}

export interface DemoEnrolment {
  /** Whether this SIM's certificates are already the platform's (so nothing is asked). */
  enrolled(record: SimRecord): Promise<boolean>;
  certify(msisdn: string, requests: { readonly auth: Buffer; readonly sign: Buffer }): Promise<{ readonly auth: Uint8Array; readonly sign: Uint8Array }>;
}

/** Makes each SIM that needs it sign its two PKCS#10 requests and installs the certificates the RA answers with. */
async function enrolDemoSims(dir: string, tokens: CardTokenDirectory, records: readonly SimRecord[], enrol: DemoEnrolment): Promise<SimRecord[]> {
  const all = readSimRecords(dir);
  const updated: SimRecord[] = [];
  for (const record of records) {
    if (await enrol.enrolled(record)) {
      updated.push(record);
      continue;
    }
    const card = openSimCard(dir, tokens, record);
    let requests: { auth: Buffer; sign: Buffer };
    try {
      for (const which of ['auth', 'sign'] as const) {
        const pin = await card.verifyPin(which, record.pins[which]);
        if (pin !== 'ok') throw new Error(`demo SIM ${record.msisdn}: its ${which} PIN is ${pin}; delete ${dir} to make the demo SIMs afresh`);
      }
      requests = { auth: await certificationRequest(card, 'auth'), sign: await certificationRequest(card, 'sign') };
    } finally {
      await card.close();
    }
    const certificates = await enrol.certify(record.msisdn, requests);
    const next: SimRecord = { ...record, certificates: { auth: Buffer.from(certificates.auth).toString('base64'), sign: Buffer.from(certificates.sign).toString('base64') } };
    updated.push(next);
    const i = all.findIndex((r) => r.msisdn === record.msisdn);
    if (i >= 0) all[i] = next;
    saveRecords(dir, all);
  }
  return updated;
}

export interface DemoChannel {
  /** The service approval/ calls: request(msisdn, appletRequest) → checked applet response. */
  readonly channel: AppletChannel;
  readonly numbers: readonly DemoNumber[];
  readonly records: readonly SimRecord[];
  readonly smscPort: number;
  /** What a platform-side SimInbox needs: the bound ESME, the SIM profiles and the platform's OTA crypto. */
  readonly transport: SmsTransport;
  readonly sims: MemorySimDirectory;
  readonly otaCrypto: OtaCrypto;
  readonly shortCode: string;
  /** The demo client `msisdn` (digits, or +digits) composes and sends a payment order from the handset. */
  sendOrder(msisdn: string, order: OrderToSign, behaviour?: UserBehaviour): Promise<ComposedOrder>;
  /** Signs and packs an order on the handset without sending it. */
  prepareOrder(msisdn: string, order: OrderToSign, behaviour?: UserBehaviour): Promise<ComposedOrder>;
  /** Sends TP-UDs as MO SMs from `msisdn` (a test replays a packet with it). */
  sendRaw(msisdn: string, userData: readonly Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Provisions the demo SIMs (once: kept in <dataDir>/demo-sims, tokens in the platform's SoftHSM2 token
 * folder, so it runs in the platform's process), imports their OTA keys into the platform HSM, starts an
 * SMSC simulator with their handsets on 127.0.0.1 and binds an ESME to it over TCP.
 */
export async function startDemoChannel(options: DemoChannelOptions): Promise<DemoChannel> {
  const logger = options.logger ?? createLogger({ name: 'demo-channel' });
  const shortCode = options.shortCode ?? '12345';
  const dir = join(options.dataDir, 'demo-sims');
  const tokens = CardTokenDirectory.open(options.hsm.modulePath);
  const cleanups: (() => Promise<void>)[] = [() => tokens.close()];
  const closeAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const numbers = [...DEMO_NUMBERS, ...extraApprovingNumbers(options.extraApprovingSims ?? 0)];
    const provisioned = await provisionSimSet({ dir, tokens, msisdns: numbers.map((n) => n.msisdn), keyType: options.keyType ?? 'P-256' });
    const { created, ms } = provisioned;
    const records = options.enrol === undefined ? provisioned.records : await enrolDemoSims(dir, tokens, provisioned.records, options.enrol);
    const otaKeys = await importOtaKeys(options.hsm, records);
    logger.info({ event: 'demo.sims', created, ms: Math.round(ms) }, 'demo SIMs ready');
    const behaviours = new Map(numbers.map((n) => [n.msisdn, n.behaviour]));
    const directory = new InMemoryHandsetDirectory();
    const farm = HandsetFarm.open({ dir, tokens, records, directory, behaviour: (m) => options.behaviour?.(m) ?? behaviours.get(m) ?? { kind: 'off' }, userTimeoutMs: options.userTimeoutMs ?? 60_000, logger });
    cleanups.push(() => farm.close());
    const password = randomBytes(4).toString('hex');
    const smsc = new SmscSimulator({
      accounts: [{ systemId: 'mssp-demo', password, allowedIps: ['127.0.0.1'], moAddresses: [shortCode] }],
      handsets: directory,
      host: '127.0.0.1',
      port: options.smscPort ?? 0,
      logger,
    });
    const address = await smsc.start();
    cleanups.push(() => smsc.stop());
    // The simulator on this machine has no contract rate; the ESME's default of 50 submit_sm/s (a real SMSC's) would
    // cap the sandbox at ~16 payments/s, an offer taking three segments.
    const esme = new EsmeClient({ host: '127.0.0.1', port: address.port, systemId: 'mssp-demo', password, logger, submitsPerSecond: 5_000 });
    await esme.start();
    cleanups.push(() => esme.close());
    const otaCrypto = deviceOtaCrypto(options.hsm, undefined, otaKeys);
    const sims = simDirectory(records);
    const channel = new AppletChannel({
      transport: esme,
      crypto: otaCrypto,
      sims,
      counters: options.counters ?? new ClockSeededCounters(),
      ...(options.relay !== undefined ? { relay: options.relay } : {}),
      shortCode,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      logger,
    });
    cleanups.push(async () => channel.close());
    const digits = (msisdn: string): string => msisdn.replace(/^\+/, '');
    return {
      channel,
      numbers,
      records,
      smscPort: address.port,
      transport: esme,
      sims,
      otaCrypto,
      shortCode,
      sendOrder: async (msisdn, order, behaviour) => {
        const handset = farm.handsets.get(digits(msisdn));
        if (handset === undefined) throw new Error(`no demo handset ${msisdn}`);
        return handset.sendOrder(order, smsc, shortCode, behaviour);
      },
      prepareOrder: async (msisdn, order, behaviour) => {
        const handset = farm.handsets.get(digits(msisdn));
        if (handset === undefined) throw new Error(`no demo handset ${msisdn}`);
        return handset.prepareOrder(order, behaviour);
      },
      sendRaw: (msisdn, userData) => sendUserData(digits(msisdn), userData, smsc, shortCode),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppletChannel, ClockSeededCounters, deviceOtaCrypto } from '../../src/channel/sim';
import { EsmeClient } from '../../src/channel/smpp';
import { CardTokenDirectory, type Hsm } from '../../src/hsm';
import { createLogger, type Logger } from '../../src/log';
import { InMemoryHandsetDirectory } from '../smsc/handsets';
import { SmscSimulator } from '../smsc/smsc-server';
import { HandsetFarm } from './farm';
import { importOtaKeys, simDirectory } from './platform';
import { provisionSimSet, type SimKeyType, type SimRecord } from './sim-set';
import type { UserBehaviour } from './user';

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
  readonly logger?: Logger;
}

export interface DemoChannel {
  /** The service approval/ calls: request(msisdn, appletRequest) → checked applet response. */
  readonly channel: AppletChannel;
  readonly numbers: readonly DemoNumber[];
  readonly records: readonly SimRecord[];
  readonly smscPort: number;
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
    const { records, created, ms } = await provisionSimSet({ dir, tokens, msisdns: DEMO_NUMBERS.map((n) => n.msisdn), keyType: options.keyType ?? 'P-256' });
    const otaKeys = await importOtaKeys(options.hsm, records);
    logger.info({ event: 'demo.sims', created, ms: Math.round(ms) }, 'demo SIMs ready');
    const behaviours = new Map(DEMO_NUMBERS.map((n) => [n.msisdn, n.behaviour]));
    const directory = new InMemoryHandsetDirectory();
    const farm = HandsetFarm.open({ dir, tokens, records, directory, behaviour: (m) => behaviours.get(m) ?? { kind: 'off' }, userTimeoutMs: options.userTimeoutMs ?? 60_000, logger });
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
    const esme = new EsmeClient({ host: '127.0.0.1', port: address.port, systemId: 'mssp-demo', password, logger });
    await esme.start();
    cleanups.push(() => esme.close());
    const channel = new AppletChannel({
      transport: esme,
      crypto: deviceOtaCrypto(options.hsm, undefined, otaKeys),
      sims: simDirectory(records),
      counters: new ClockSeededCounters(),
      shortCode,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      logger,
    });
    cleanups.push(async () => channel.close());
    return { channel, numbers: DEMO_NUMBERS, records, smscPort: address.port, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

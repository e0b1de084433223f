import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { Payee } from '../../src/mps/clients';
import type { MoSender } from '../smsc/handsets';
import { composeOrder } from './orders';
import { resolve } from 'node:path';
import { CardTokenDirectory } from '../../src/hsm';
import { createLogger } from '../../src/log';
import { InMemoryHandsetDirectory } from '../smsc/handsets';
import { SmscSimulator } from '../smsc/smsc-server';
import { SOFTHSM_MODULE_PATH } from '../softhsm';
import { DEMO_NUMBERS } from './demo';
import { HandsetFarm } from './farm';
import type { PinCheck } from './sim-card';
import { provisionSimSet, simSetEnvironment, type SimKeyType } from './sim-set';
import type { UserBehaviour } from './user';

/**
 * Handsets and the SMSC simulator in one process (the SMSC routes to handsets in-process, as a network
 * does to its subscribers):
 *
 *   node -r @swc-node/register hsm-sim/handset/main.ts --sims DIR (--demo | --first MSISDN --count N)
 *        [--key-type P-256|RSA-2048] [--behaviour approve|cancel|ignore|off|wrong-pin:N|slow:MS]
 *        [--user-timeout-ms MS] [--pin-check card-session|token-every-time]
 *        [--port 2775] [--host 127.0.0.1] --account sysid:password[/rate] [--short-code 12345] [--log-level LEVEL]
 *        [--mo-spread subscriber|message]   (message: answers round-robin over the binds, for several nodes)
 *        [--orders]
 *
 * DIR is a SIM set (sim-set.ts): made on first use, reused afterwards; its softhsm2.conf is this process's
 * SOFTHSM2_CONF. The platform reads DIR/sims.json for the SIM profiles and OTA keys. Prints one JSON line
 * {"handsets":"ready",...} on standard output when the SMSC listens; stops on SIGTERM / SIGINT.
 *
 * --orders: the handsets' owners pay from their phones. Each line on standard input is one order, JSON:
 *   {"from":"35850000000","payee":"merchant:<account>" | "+<number>","instrument":"<id>","amount":"1250",
 *    "currency":"EUR","reference":"coffee","orderRef":"<optional>"}
 * The handset shows it, its SIM signs it (the signing PIN, as --behaviour says) and sends it as an OTA-secured MO
 * packet to the short code; one JSON line {"order":<ref>,"from":...,"outcome":"sent"|<why not>} answers each.
 */

function behaviourOf(spec: string): UserBehaviour {
  const [kind, arg] = spec.split(':');
  switch (kind) {
    case 'approve':
    case 'cancel':
      return { kind };
    case 'ignore':
    case 'off':
      return { kind };
    case 'wrong-pin':
      return { kind: 'wrong-pin', times: Number(arg ?? '3') };
    case 'slow':
      return { kind: 'approve', delayMs: Number(arg ?? '10000') };
    default:
      throw new Error(`--behaviour ${spec}: expected approve, cancel, ignore, off, wrong-pin:N or slow:MS`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sims: { type: 'string' },
      demo: { type: 'boolean', default: false },
      first: { type: 'string', default: '35850000000' },
      count: { type: 'string', default: '1000' },
      'key-type': { type: 'string', default: 'P-256' },
      behaviour: { type: 'string', default: 'approve' },
      'user-timeout-ms': { type: 'string', default: '60000' },
      'pin-check': { type: 'string', default: 'card-session' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '2775' },
      account: { type: 'string', default: 'platform:secret' },
      'short-code': { type: 'string', default: '12345' },
      'log-level': { type: 'string', default: 'warn' },
      'mo-spread': { type: 'string', default: 'subscriber' },
      orders: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.sims === undefined) throw new Error('--sims DIR is required');
  const moSpread = values['mo-spread'];
  if (moSpread !== 'subscriber' && moSpread !== 'message') throw new Error('--mo-spread: subscriber or message');
  const keyType = values['key-type'] as SimKeyType;
  if (keyType !== 'P-256' && keyType !== 'RSA-2048') throw new Error('--key-type: P-256 or RSA-2048');
  const dir = resolve(values.sims);
  const env = simSetEnvironment(dir);
  // Before the library loads: SoftHSM2 reads SOFTHSM2_CONF in C_Initialize.
  process.env.SOFTHSM2_CONF = env.confPath;
  const logger = createLogger({ name: 'handsets', level: values['log-level'], destination: process.stderr });

  const msisdns = values.demo
    ? DEMO_NUMBERS.map((n) => n.msisdn)
    : Array.from({ length: Number(values.count) }, (_, i) => (BigInt(values.first) + BigInt(i)).toString());
  const tokens = CardTokenDirectory.open(SOFTHSM_MODULE_PATH);
  const provisioned = await provisionSimSet({
    dir,
    tokens,
    msisdns,
    keyType,
    onProgress: (done, total) => logger.warn({ done, total }, 'provisioning SIMs'),
  });
  const fixed = behaviourOf(values.behaviour);
  const demo = new Map(DEMO_NUMBERS.map((n) => [n.msisdn, n.behaviour]));
  const directory = new InMemoryHandsetDirectory();
  const farm = HandsetFarm.open({
    dir,
    tokens,
    records: provisioned.records,
    directory,
    behaviour: (m) => (values.demo ? (demo.get(m) ?? fixed) : fixed),
    userTimeoutMs: Number(values['user-timeout-ms']),
    pinCheck: values['pin-check'] as PinCheck,
    logger,
  });
  const [systemId = 'platform', rest = 'secret'] = values.account.split(':');
  const [password = 'secret', rate] = rest.split('/');
  const smsc = new SmscSimulator({
    accounts: [{ systemId, password, allowedIps: ['127.0.0.1'], moAddresses: [values['short-code']], ...(rate !== undefined ? { submitsPerSecond: Number(rate), burst: Number(rate) } : {}) }],
    handsets: directory,
    host: values.host,
    port: Number(values.port),
    // Thousands of handsets answer at once: let more deliver_sm be in flight than the default 10.
    deliverWindow: 200,
    moSpread,
    logger,
  });
  const address = await smsc.start();
  process.stdout.write(
    `${JSON.stringify({ handsets: 'ready', host: address.address, port: address.port, pid: process.pid, count: provisioned.records.length, created: provisioned.created, provisionMs: Math.round(provisioned.ms) })}\n`,
  );
  if (values.orders) {
    createInterface({ input: process.stdin }).on('line', (line) => {
      void sendOrderLine(line, farm, smsc, values['short-code']).then((answer) => process.stdout.write(`${JSON.stringify(answer)}\n`));
    });
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await smsc.stop();
      await farm.close();
      await tokens.close();
      process.stdout.write(`${JSON.stringify({ handsets: 'stopped', stats: smsc.stats() })}\n`);
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** One --orders line: compose on the handset, sign on its SIM, send to the platform. Never throws. */
async function sendOrderLine(line: string, farm: HandsetFarm, network: MoSender, shortCode: string): Promise<Record<string, string>> {
  let input: { from?: unknown; payee?: unknown; instrument?: unknown; amount?: unknown; currency?: unknown; reference?: unknown; orderRef?: unknown };
  try {
    input = JSON.parse(line) as typeof input;
  } catch {
    return { outcome: 'refused', detail: 'not a JSON line' };
  }
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const from = text(input.from).replace(/^\+/, '');
  const handset = farm.handsets.get(from);
  if (handset === undefined) return { outcome: 'refused', detail: `no handset ${from}` };
  const payeeText = text(input.payee);
  const payee: Payee = payeeText.startsWith('merchant:') ? { kind: 'merchant', accountId: payeeText.slice(9) } : { kind: 'phone', msisdn: payeeText };
  try {
    const order = composeOrder({
      payer: from,
      payee,
      instrumentId: text(input.instrument),
      amount: BigInt(text(input.amount)),
      currency: text(input.currency) || 'EUR',
      reference: text(input.reference) || 'order',
      ...(typeof input.orderRef === 'string' ? { orderRef: input.orderRef } : {}),
    });
    const sent = await handset.sendOrder(order, network, shortCode);
    return { order: order.orderRef, from, outcome: sent.outcome === 'ready' ? 'sent' : sent.outcome };
  } catch (err) {
    return { from, outcome: 'refused', detail: err instanceof Error ? err.message : String(err) };
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`handsets: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(2);
});

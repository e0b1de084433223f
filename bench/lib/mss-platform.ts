import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { AppletChannel, ClockSeededCounters, deviceOtaCrypto } from '../../src/channel/sim';
import { EsmePool } from '../../src/channel/smpp';
import { loadConfig } from '../../src/config';
import type { SimChannelFactory } from '../../src/cli/mss';
import { startPlatform } from '../../src/cli/start';
import { importOtaKeys, simDirectory } from '../../hsm-sim/handset/platform';
import { readSimRecords, saveRecords, type SimRecord } from '../../hsm-sim/handset/sim-set';
import { readEnrolmentRequests } from './sim-requests';

/**
 * bench/mss's platform process: `mssp start` (startPlatform, configured from the environment as the CLI is)
 * with its SIM channel bound over SMPP to the handsets' SMSC simulator in another process. Driven by the
 * benchmark over the IPC channel:
 *
 *   child → {type:'enrolled'}         the SIM set's certificates now come from this platform's RA (sims.json)
 *   parent → {type:'smsc', port}      the SMSC simulator listens there (started after the enrolment)
 *   child → {type:'ready', url}
 *   parent → {type:'cpu'}             child → {type:'cpu', user, system} (process.cpuUsage, µs)
 *   parent → {type:'stop'}            the platform stops, the process exits
 *
 * MSS_BENCH_SIMS (the SIM set folder), MSS_BENCH_FIRST and MSS_BENCH_HANDSETS name the SIMs; MSS_BENCH_BINDS
 * the number of SMPP binds (default 2).
 */

export type ParentMessage = { readonly type: 'smsc'; readonly port: number } | { readonly type: 'cpu' } | { readonly type: 'stop' };
export type ChildMessage =
  | { readonly type: 'enrolled'; readonly enrolled: number; readonly ms: number }
  | { readonly type: 'ready'; readonly url: string }
  | { readonly type: 'cpu'; readonly user: number; readonly system: number };

const SHORT_CODE = '12345';

function send(message: ChildMessage): void {
  process.send?.(message);
}

function nextMessage<T extends ParentMessage['type']>(type: T): Promise<Extract<ParentMessage, { type: T }>> {
  return new Promise((resolve) => {
    const listener = (message: ParentMessage): void => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve(message as Extract<ParentMessage, { type: T }>);
    };
    process.on('message', listener);
  });
}

function benchSims(): { dir: string; msisdns: Set<string> } {
  const dir = process.env.MSS_BENCH_SIMS;
  if (dir === undefined) throw new Error('MSS_BENCH_SIMS is not set');
  const first = BigInt(process.env.MSS_BENCH_FIRST ?? '0');
  const count = Number(process.env.MSS_BENCH_HANDSETS ?? '0');
  return { dir, msisdns: new Set(Array.from({ length: count }, (_, i) => (first + BigInt(i)).toString())) };
}

/** Enrols the SIMs with this platform's RA, waits for the SMSC simulator and binds to it. */
const simChannel: SimChannelFactory = async ({ hsm, logger, enrol }) => {
  const { dir, msisdns } = benchSims();
  const started = performance.now();
  const all = readSimRecords(dir);
  const requests = new Map(readEnrolmentRequests(dir).map((r) => [r.msisdn, r]));
  const records: SimRecord[] = [];
  for (const [i, record] of all.entries()) {
    if (!msisdns.has(record.msisdn)) continue;
    let current = record;
    if (!(await enrol.enrolled(record))) {
      const request = requests.get(record.msisdn);
      if (request === undefined) throw new Error(`SIM ${record.msisdn} has no enrolment requests (bench/lib/sim-requests.ts)`);
      const certs = await enrol.certify(record.msisdn, { auth: Buffer.from(request.auth, 'base64'), sign: Buffer.from(request.sign, 'base64') });
      current = { ...record, certificates: { auth: Buffer.from(certs.auth).toString('base64'), sign: Buffer.from(certs.sign).toString('base64') } };
      all[i] = current;
    }
    records.push(current);
  }
  if (records.length !== msisdns.size) throw new Error(`${dir} holds ${records.length} of the ${msisdns.size} SIMs asked for`);
  saveRecords(dir, all);
  send({ type: 'enrolled', enrolled: records.length, ms: Math.round(performance.now() - started) });
  const { port } = await nextMessage('smsc');
  // Session objects: the set's OTA keys are test material, and a token object costs SoftHSM2 a file each.
  const otaKeys = await importOtaKeys(hsm, records, { token: false });
  const binds = Number(process.env.MSS_BENCH_BINDS ?? '2');
  const pool = new EsmePool(
    Array.from({ length: binds }, () => ({ host: '127.0.0.1', port, systemId: 'platform', password: 'secret', window: 64, submitsPerSecond: 100_000, submitBurst: 256, enquireLinkMs: 0, logger })),
  );
  await pool.start();
  const channel = new AppletChannel({ transport: pool, crypto: deviceOtaCrypto(hsm, undefined, otaKeys), sims: simDirectory(records), counters: new ClockSeededCounters(), shortCode: SHORT_CODE, timeoutMs: 60_000, logger });
  return {
    channel,
    msisdns: records.map((r) => r.msisdn),
    close: async () => {
      channel.close();
      await pool.close();
    },
  };
};

/**
 * MSS_BENCH_PROFILE_DIR: a CPU profile of the measured requests only (from the first 'cpu' message to the
 * second), written there as platform-<pid>.cpuprofile for Chrome DevTools; startup and enrolment stay out of it.
 */
function measuredWindowProfiler(): () => Promise<void> {
  const dir = process.env.MSS_BENCH_PROFILE_DIR;
  let session: Session | undefined;
  const post = <T>(method: string): Promise<T> =>
    new Promise((resolve, reject) => session?.post(method, (err, result) => (err ? reject(err) : resolve(result as T))));
  return async () => {
    if (dir === undefined) return;
    if (session === undefined) {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
      return;
    }
    const { profile } = await post<{ profile: object }>('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `platform-${process.pid}.cpuprofile`), JSON.stringify(profile));
  };
}

async function main(): Promise<void> {
  const platform = await startPlatform(loadConfig(), { simChannel });
  const profiler = measuredWindowProfiler();
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      void profiler().then(
        () => send({ type: 'cpu', user, system }),
        (err: unknown) => {
          process.stderr.write(`mss-platform: profiler: ${String(err)}\n`);
          send({ type: 'cpu', user, system });
        },
      );
    } else if (message.type === 'stop') {
      platform.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`mss-platform: stop: ${String(err)}\n`);
          process.exit(1);
        },
      );
    }
  });
  send({ type: 'ready', url: platform.url });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`mss-platform: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  });
}

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/log';
import { parseAccounts, type SmscAccount } from './accounts';
import { EchoHandset, InMemoryHandsetDirectory, RecordingHandset } from './handsets';
import { SmscSimulator } from './smsc-server';

/**
 * The SMSC simulator as its own process:
 *
 *   node -r @swc-node/register hsm-sim/smsc/main.ts --port 2775 --accounts accounts.json \
 *        [--account sysid:password[@ip,ip][/rate]]... [--echo MSISDN]... [--recorder MSISDN]... \
 *        [--record-file FILE] [--reply-to SHORTCODE] [--latency MS] [--drop SHARE] [--log-level LEVEL]
 *
 * --accounts reads a JSON array of accounts ({systemId, password, allowedIps?, submitsPerSecond?, burst?,
 * moAddresses?}); --account adds one inline. --echo registers an echo handset, --recorder a recording one
 * (appending a JSON line per SM to --record-file). It prints one JSON line {"smsc":"listening",...} on
 * standard output when ready (logs go to standard error) and stops gracefully on SIGTERM / SIGINT.
 */

function inlineAccount(spec: string): SmscAccount {
  const m = /^([^:]+):([^@/]*)(?:@([^/]+))?(?:\/(\d+(?:\.\d+)?))?$/.exec(spec);
  if (m === null) throw new Error(`--account ${spec}: expected sysid:password[@ip,ip][/rate]`);
  const [, systemId = '', password = '', ips, rate] = m;
  return {
    systemId,
    password,
    ...(ips !== undefined ? { allowedIps: ips.split(',') } : {}),
    ...(rate !== undefined ? { submitsPerSecond: Number(rate) } : {}),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '2775' },
      accounts: { type: 'string' },
      account: { type: 'string', multiple: true, default: [] },
      echo: { type: 'string', multiple: true, default: [] },
      recorder: { type: 'string', multiple: true, default: [] },
      'record-file': { type: 'string' },
      'reply-to': { type: 'string' },
      latency: { type: 'string' },
      drop: { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const accounts = [...(values.accounts !== undefined ? parseAccounts(readFileSync(values.accounts, 'utf8')) : []), ...values.account.map(inlineAccount)];
  if (accounts.length === 0) throw new Error('no accounts: give --accounts FILE or --account sysid:password');
  const handsets = new InMemoryHandsetDirectory();
  for (const msisdn of values.echo) handsets.register(msisdn, new EchoHandset(values['reply-to'] !== undefined ? { replyTo: values['reply-to'] } : {}));
  const recordFile = values['record-file'];
  for (const msisdn of values.recorder) handsets.register(msisdn, new RecordingHandset(recordFile !== undefined ? { recordFile } : {}));
  const logger = createLogger({ name: 'smsc-sim', level: values['log-level'], destination: process.stderr });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port: expected 0..65535');
  const smsc = new SmscSimulator({ accounts, handsets, host: values.host, port, logger });
  if (values.latency !== undefined) smsc.setLatency(Number(values.latency));
  if (values.drop !== undefined) smsc.setDropShare(Number(values.drop));
  const address = await smsc.start();
  process.stdout.write(`${JSON.stringify({ smsc: 'listening', host: address.address, port: address.port, pid: process.pid })}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'smsc simulator stopping');
    smsc.stop().then(
      () => {
        process.stdout.write(`${JSON.stringify({ smsc: 'stopped', stats: smsc.stats() })}\n`);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: String(error) }, 'smsc simulator stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`smsc simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});

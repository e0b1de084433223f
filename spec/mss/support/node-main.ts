import { openHsm } from '../../../src/hsm';
import { createLogger } from '../../../src/log';
import { openStore } from '../../../src/store';
import { readSimRecords } from '../../../hsm-sim/handset/sim-set';
import { SOFTHSM_MODULE_PATH } from '../../../hsm-sim/softhsm';
import { startPlatformNode } from './platform-node';

/**
 * One platform node in its own OS process, for spec/mss/several-nodes.spec.ts:
 *   node -r @swc-node/register spec/mss/support/node-main.ts NAME DATABASE_URL SCHEMA SIMS_DIR SMSC_PORT
 * with SOFTHSM2_CONF naming the platform token ('platform', PIN 1234) that holds the SIMs' OTA keys. Prints
 * {"node":"ready","url":…} when it serves, and on SIGTERM stops and prints {"node":"stopped","relay":{…}}.
 */
async function main(): Promise<void> {
  const [name, databaseUrl, schema, simsDir, smscPort] = process.argv.slice(2);
  if (name === undefined || databaseUrl === undefined || schema === undefined || simsDir === undefined || smscPort === undefined) throw new Error('usage: NAME DATABASE_URL SCHEMA SIMS_DIR SMSC_PORT');
  const logger = createLogger({ name, level: process.env.NODE_LOG_LEVEL ?? 'warn', destination: process.stderr });
  const hsm = await openHsm({ modulePath: SOFTHSM_MODULE_PATH, tokenLabel: 'platform', pin: '1234', poolSize: 2 });
  const store = await openStore({ databaseUrl, sqliteFile: '', postgresSchema: schema, logger });
  const node = await startPlatformNode({ name, store, hsm, records: readSimRecords(simsDir), smsc: { port: Number(smscPort), systemId: 'nodes', password: 'secret' }, logger });
  process.stdout.write(`${JSON.stringify({ node: 'ready', name, url: node.url, soapUrl: node.soapUrl })}\n`);
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await node.stop();
      await store.close();
      await hsm.close();
      process.stdout.write(`${JSON.stringify({ node: 'stopped', name, relay: node.relayStats() })}\n`);
      process.exit(0);
    })();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`node: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});

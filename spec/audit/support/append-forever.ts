import { AuditLog } from '../../../src/audit';
import { openStore } from '../../../src/store';

/**
 * A child process for the crash test: appends audit entries from many concurrent callers, as fast as it can,
 * until it is killed. Prints "appending" once the first entry is durable, then the highest acknowledged seq
 * after every acknowledgement batch, so the test knows what was promised before the kill.
 *   node -r @swc-node/register append-forever.ts SQLITE_FILE | DATABASE_URL
 */
async function main(): Promise<void> {
  const [target] = process.argv.slice(2);
  if (target === undefined) throw new Error('usage: append-forever.ts SQLITE_FILE | DATABASE_URL');
  const store = target.startsWith('postgres') ? await openStore({ databaseUrl: target, sqliteFile: '' }) : await openStore({ sqliteFile: target });
  const log = await AuditLog.open({ store });
  let acknowledged = -1;
  let said = false;
  let i = 0;
  const caller = async (): Promise<void> => {
    for (;;) {
      const { seq } = await log.append({ actor: { type: 'system', id: `pid-${process.pid}` }, action: 'transaction.state', subject: `transaction:${i++}`, outcome: 'ok', details: { n: i } });
      if (seq > acknowledged) acknowledged = seq;
      if (!said) {
        said = true;
        process.stdout.write('appending\n');
      }
    }
  };
  setInterval(() => process.stdout.write(`ack ${acknowledged}\n`), 5).unref();
  await Promise.all(Array.from({ length: 64 }, caller));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

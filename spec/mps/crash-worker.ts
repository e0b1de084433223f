import { Ledger, type LedgerOperation } from '../../src/mps/ledger';
import { openStore } from '../../src/store';

/**
 * Child process for ledger-crash.spec.ts: books batches of payments and reservations, then commits the
 * reservations, printing a line after each acknowledged step, until it is killed. It starts by running the batch
 * it is told again (the one the previous life may have been killed in): every request carries its id, so that
 * is safe, and it finishes that batch's reservations.
 *   node -r @swc-node/register spec/mps/crash-worker.ts <sqlite file | postgres schema> <engine> <first batch> [last batch]
 */
const [target = '', engine = 'sqlite', first = '0', last = '1000000'] = process.argv.slice(2);

export function batchOps(b: number): { book: LedgerOperation[]; commit: LedgerOperation[] } {
  const book: LedgerOperation[] = [];
  const commit: LedgerOperation[] = [];
  for (let i = 0; i < 20; i += 1) {
    const reserve = i % 2 === 1;
    book.push({ op: 'transfer', id: `b${b}-${i}`, debitAccountId: 'payer', creditAccountId: `shop${i % 3}`, currency: 'EUR', amount: String(1 + ((b * 20 + i) % 7)), kind: 'payment', reserve });
    if (reserve) commit.push({ op: 'commit', transferId: `b${b}-${i}` });
  }
  return { book, commit };
}

async function main(): Promise<void> {
  const store =
    engine === 'postgres'
      ? await openStore({ databaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://mssp_test:mssp_test@127.0.0.1:5432/mssp_test', sqliteFile: '', postgresSchema: target })
      : await openStore({ sqliteFile: target });
  const ledger = new Ledger({ store, reservationMs: 3_600_000 });
  process.stdout.write('ready\n');
  for (let b = Number(first); b <= Number(last); b += 1) {
    const { book, commit } = batchOps(b);
    const booked = await ledger.submit(book);
    if (booked.some((r) => !r.ok)) throw new Error(`batch ${b} refused: ${JSON.stringify(booked.find((r) => !r.ok))}`);
    process.stdout.write(`booked ${b}\n`);
    const committed = await ledger.submit(commit);
    if (committed.some((r) => !r.ok)) throw new Error(`commit ${b} refused: ${JSON.stringify(committed.find((r) => !r.ok))}`);
    process.stdout.write(`committed ${b}\n`);
  }
  await store.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`crash-worker: ${(err as Error).message}\n`);
    process.exit(1);
  });
}

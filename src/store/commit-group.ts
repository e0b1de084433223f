import type { Knex } from 'knex';

/**
 * Group commit for single-statement writes on SQLite. Each commit in WAL mode with synchronous FULL waits for
 * an fsync (~2.5 ms on the benchmark machine), and with one connection those waits follow one another: four
 * commits per signature capped the platform near 80 signatures/s. Here statements that arrive while a commit is
 * under way wait for it and then run together, in arrival order, in one transaction: one fsync for the lot.
 * Each caller's promise settles only after the commit, so a resolved write is as durable as before.
 *
 * Only for one statement per call. A statement refused by a constraint (a replayed AP_TransID, say) undoes
 * itself alone in SQLite and fails only its caller; any other failure (I/O, disk full, busy) may have ended the
 * transaction, so the whole batch is rolled back and every caller in it gets the error.
 */
export class CommitGroup {
  private readonly pending: { readonly statement: (trx: Knex.Transaction) => PromiseLike<unknown>; resolve(value: unknown): void; reject(error: unknown): void }[] = [];
  private flushing = false;

  constructor(
    private readonly knex: Knex,
    private readonly maxBatch = 512,
  ) {}

  run<T>(statement: (trx: Knex.Transaction) => PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ statement, resolve: resolve as (value: unknown) => void, reject });
      this.flush();
    });
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    void (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        const outcomes: ({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown })[] = [];
        try {
          await this.knex.transaction(async (trx) => {
            for (const item of batch) {
              try {
                outcomes.push({ ok: true, value: await item.statement(trx) });
              } catch (error) {
                if (!isConstraintError(error)) throw error;
                outcomes.push({ ok: false, error });
              }
            }
          });
        } catch (error) {
          for (const item of batch) item.reject(error);
          continue;
        }
        batch.forEach((item, i) => {
          const outcome = outcomes[i];
          if (outcome?.ok === true) item.resolve(outcome.value);
          else item.reject(outcome?.error);
        });
      }
      this.flushing = false;
    })();
  }
}

function isConstraintError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('SQLITE_CONSTRAINT');
}

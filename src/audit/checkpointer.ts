import type { Logger } from '../log';
import type { AuditLog, CheckpointOutcome } from './log';

/**
 * Makes checkpoints while the platform runs: after every N entries or every T milliseconds, whichever comes
 * first. Entry counts are global (an append's seq tells how far the log is), so on several nodes whichever node
 * crosses the threshold checkpoints, and the store keeps a single chain of them.
 */

export interface CheckpointerOptions {
  /** Checkpoint when this many entries have come since the latest checkpoint. */
  readonly everyEntries: number;
  /** Checkpoint at least this often while entries keep coming. */
  readonly everyMs: number;
  readonly logger?: Logger;
}

export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private coveredSize = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly log: AuditLog,
    private readonly options: CheckpointerOptions,
  ) {
    if (!Number.isSafeInteger(options.everyEntries) || options.everyEntries < 1) throw new RangeError('everyEntries must be a positive integer');
    if (!Number.isSafeInteger(options.everyMs) || options.everyMs < 1) throw new RangeError('everyMs must be a positive integer');
  }

  async start(): Promise<void> {
    this.coveredSize = (await this.log.latestCheckpoint())?.treeSize ?? 0;
    this.unsubscribe = this.log.onAppend((entry) => {
      if (entry.seq + 1 - this.coveredSize >= this.options.everyEntries) this.trigger();
    });
    this.timer = setInterval(() => this.trigger(), this.options.everyMs);
    // The timer alone must not keep a CLI process or a test alive.
    this.timer.unref();
  }

  /** Asks for a checkpoint now; while one is being made, one more follows it. */
  trigger(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again && this.timer !== undefined) {
        this.again = false;
        this.trigger();
      }
    });
  }

  /** Resolves when no checkpoint is being made (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async run(): Promise<void> {
    let outcome: CheckpointOutcome;
    try {
      outcome = await this.log.checkpoint();
    } catch (err) {
      // A failed checkpoint is retried at the next trigger; entries are safe in the store meanwhile.
      this.options.logger?.error({ err }, 'audit checkpoint failed');
      return;
    }
    if (outcome.checkpoint !== undefined) this.coveredSize = Math.max(this.coveredSize, outcome.checkpoint.treeSize);
  }

  /** Stops the timer and waits for a checkpoint in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.again = false;
    await this.idle();
  }
}

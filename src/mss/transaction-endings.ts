import type { Logger } from '../log';
import type { EventBus, Topic } from '../store';

/**
 * Tells every node when a transaction ends, wherever it ended (DESIGN.md: several nodes share one store). A
 * synch request waits on the node that took it; its transaction may be ended elsewhere (expired by another
 * node's sweep or status query), and then it answers at once instead of at its own deadline. The event only
 * wakes the waiter: what it answers is read from the store, so a lost event costs time, never a wrong answer.
 */

export const ENDINGS_TOPIC = 'mss.ended';

interface Ending {
  readonly msspTransId: string;
}

function parseEnding(value: unknown): Ending | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Record<string, unknown>).msspTransId;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? { msspTransId: id } : undefined;
}

export class TransactionEndings {
  private readonly topic: Topic<Ending> | undefined;
  private readonly waiters = new Map<string, Set<() => void>>();
  private unsubscribe: (() => void) | undefined;

  /** Without `events` only this process's endings are heard (one node). */
  constructor(
    events: EventBus | undefined,
    private readonly logger: Logger,
  ) {
    this.topic = events?.topic(ENDINGS_TOPIC, parseEnding);
    // At once, not at the first wait: events.ready() then covers this topic, and no early end is missed.
    this.unsubscribe = this.topic?.subscribe((e) => this.wake(e.msspTransId));
  }

  /**
   * Announces an end to every node, this one included (the bus delivers to its own subscribers too; the local
   * approval has usually answered by then). A failure is logged: waiters fall back on their deadline.
   */
  announce(msspTransId: string): void {
    this.topic?.publish({ msspTransId }).catch((err: unknown) => this.logger.warn({ err, msspTransId }, 'the end of this transaction was not announced to the other nodes'));
  }

  /** Resolves when `msspTransId` is announced as ended, here or on another node. */
  wait(msspTransId: string): { readonly promise: Promise<void>; cancel(): void } {
    let wake: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let set = this.waiters.get(msspTransId);
    if (set === undefined) {
      set = new Set();
      this.waiters.set(msspTransId, set);
    }
    set.add(wake);
    const mine = set;
    return {
      promise,
      cancel: () => {
        mine.delete(wake);
        if (mine.size === 0 && this.waiters.get(msspTransId) === mine) this.waiters.delete(msspTransId);
      },
    };
  }

  /** Synch requests waiting on this node. */
  get waiting(): number {
    return this.waiters.size;
  }

  private wake(msspTransId: string): void {
    const set = this.waiters.get(msspTransId);
    if (set === undefined) return;
    this.waiters.delete(msspTransId);
    for (const wake of set) wake();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

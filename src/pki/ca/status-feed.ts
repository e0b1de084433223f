import type { Repositories, StatusRecord } from '../../store';

export interface StatusFeedOptions {
  /** Rows read per query. Default 1000. */
  readonly batch?: number;
  /**
   * How long a transaction may take between taking its row id and committing. On PostgreSQL ids come from a
   * sequence, so a row with a smaller id can become visible after a larger one; the feed keeps re-reading
   * this far back and delivers each row once. Default 30 s (our status transactions take milliseconds).
   */
  readonly settleMs?: number;
  readonly clock?: () => number;
}

/** Rows below the newest at start that are re-read once, in case one of them is still in flight. */
const START_MARGIN = 1000n;

/**
 * How a node learns of certificate status changes made elsewhere (`mssp ra revoke` in another process, another
 * node on the same PostgreSQL): it reads the status rows added since it last looked. Rows are append-only;
 * each is delivered exactly once, including one that commits late with a smaller id than rows already seen.
 */
export class StatusFeed {
  /** Rows with an id at or below this were all seen (nothing can still commit there). */
  private floor: bigint;
  private readonly delivered = new Set<bigint>();
  /** (time, highest id seen by then): the floor moves to the last mark older than settleMs. */
  private readonly marks: { readonly at: number; readonly maxId: bigint }[] = [];
  private readonly batch: number;
  private readonly settleMs: number;
  private readonly clock: () => number;

  private constructor(
    private readonly store: Pick<Repositories, 'certificates'>,
    start: bigint,
    options: StatusFeedOptions,
  ) {
    this.floor = start;
    this.batch = options.batch ?? 1000;
    this.settleMs = options.settleMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
    this.marks.push({ at: this.clock(), maxId: start });
  }

  /**
   * A feed that delivers only rows committed from now on: what is already in the store is reflected in whatever
   * the node reads on demand. The newest rows at start are marked seen rather than skipped by id, so a row with
   * a smaller id that commits just after start is still delivered.
   */
  static async fromNow(store: Pick<Repositories, 'certificates'>, options: StatusFeedOptions = {}): Promise<StatusFeed> {
    const newest = await store.certificates.latestStatusId();
    const start = newest > START_MARGIN ? newest - START_MARGIN : 0n;
    const feed = new StatusFeed(store, start, options);
    await feed.poll();
    return feed;
  }

  /** The rows not delivered before, oldest id first. */
  async poll(): Promise<StatusRecord[]> {
    const now = this.clock();
    const out: StatusRecord[] = [];
    let from = this.floor;
    let maxId = this.marks[this.marks.length - 1]?.maxId ?? this.floor;
    for (;;) {
      const rows = await this.store.certificates.statusChangesAfter(from, this.batch);
      for (const row of rows) {
        if (row.id > maxId) maxId = row.id;
        if (this.delivered.has(row.id)) continue;
        this.delivered.add(row.id);
        out.push(row);
      }
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < this.batch) break;
      from = last.id;
    }
    this.marks.push({ at: now, maxId });
    // Advance the floor to the newest mark that has settled, and forget what lies below it.
    while (this.marks.length > 1 && (this.marks[1] as { at: number }).at <= now - this.settleMs) this.marks.shift();
    const settled = this.marks[0];
    if (settled !== undefined && settled.at <= now - this.settleMs && settled.maxId > this.floor) {
      this.floor = settled.maxId;
      for (const id of this.delivered) if (id <= this.floor) this.delivered.delete(id);
    }
    return out;
  }
}

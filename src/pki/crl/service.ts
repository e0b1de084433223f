import type { Logger } from '../../log';
import type { CrlRecord, Repositories } from '../../store';
import type { CertificationAuthority } from '../ca/authority';
import { crlRefreshReason, publishCrl } from './publish';

export interface CrlServiceOptions {
  readonly store: Pick<Repositories, 'certificates' | 'counters'>;
  readonly cas: readonly CertificationAuthority[];
  readonly logger?: Logger;
  /** Re-issue when this fraction of a CRL's lifetime has passed. Default 0.5. */
  readonly refreshFraction?: number;
  readonly clock?: () => number;
}

/**
 * Keeps each CA's newest CRL in memory for the HTTP route, and makes a new one when a status changed (by
 * this node or another: the store says which status row the newest CRL covers) or when nextUpdate nears.
 * Refreshes run one at a time; a refresh asked for while one runs is run once after it.
 */
export class CrlService {
  private readonly latest = new Map<string, CrlRecord>();
  private readonly refreshFraction: number;
  private readonly clock: () => number;
  /** CA → when this node first saw a status change its CRL must reflect (a CRL made since covers it). */
  private readonly pending = new Map<string, number>();
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: CrlServiceOptions) {
    this.refreshFraction = options.refreshFraction ?? 0.5;
    this.clock = options.clock ?? Date.now;
  }

  /** The newest CRL of the CA named, as last loaded or made by this node. */
  current(ca: string): CrlRecord | undefined {
    return this.latest.get(ca);
  }

  get caNames(): readonly string[] {
    return this.options.cas.map((c) => c.name);
  }

  /**
   * Brings every CA's CRL up to date; resolves when this node's view is current. `changed` names CAs with a
   * status change this node has just seen: their CRL is re-made unless one was made after the change was seen
   * (this catches a change that committed late with a smaller status id than the newest CRL covers).
   */
  refresh(changed: Iterable<string> = []): Promise<void> {
    const seen = this.clock();
    for (const ca of changed) if (!this.pending.has(ca)) this.pending.set(ca, seen);
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          for (const ca of this.options.cas) await this.refreshOne(ca);
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Resolves once no refresh is running (a node stopping must not close the store under one). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async refreshOne(ca: CertificationAuthority): Promise<void> {
    const { store } = this.options;
    try {
      const latestStatusId = await store.certificates.latestStatusId(ca.name);
      let latest = await store.certificates.latestCrl(ca.name);
      const seen = this.pending.get(ca.name);
      if (seen !== undefined && latest !== undefined && latest.thisUpdate.getTime() >= seen) this.pending.delete(ca.name);
      const why =
        crlRefreshReason(latest, latestStatusId, this.clock(), this.refreshFraction) ?? (this.pending.has(ca.name) ? 'a certificate status changed' : undefined);
      if (why !== undefined) {
        const start = this.clock();
        latest = await publishCrl(store, ca, { now: new Date(start) });
        const waiting = this.pending.get(ca.name);
        if (waiting !== undefined && waiting <= start) this.pending.delete(ca.name);
        this.options.logger?.info({ ca: ca.name, crlNumber: latest.crlNumber.toString(), why }, 'CRL published');
      }
      if (latest !== undefined) this.latest.set(ca.name, latest);
    } catch (err) {
      // The previous CRL stays served; the next tick tries again.
      this.options.logger?.error({ err, ca: ca.name }, 'CRL refresh failed');
    }
  }
}

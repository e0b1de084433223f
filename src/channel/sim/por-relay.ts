import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log';

/**
 * Several platform nodes bound to one SMSC account: the SMSC hands a handset's PoR (MO) to any of their binds,
 * not necessarily to the node that sent the request and waits for it. The node that got it, finding no request
 * of its own that the PoR answers, publishes it; each node tries it against its own waiting request for that
 * number, and the one whose keys, TAR and CNTR it verifies under (counters are unique across nodes: at most one)
 * takes it and says so. A relayed PoR nobody claims in time is logged: never silently dropped.
 *
 * The topics are the store's events (src/store/events.ts) in the platform; src/channel does not import the
 * store, so they come in as this narrow shape.
 */

export interface RelayTopic<T> {
  publish(payload: T): Promise<void>;
  subscribe(handler: (payload: T) => void): () => void;
}

/** A PoR passed on: the raw secured response packet and the number it came from. */
export interface RelayedPor {
  readonly id: string;
  /** The node that received it from the SMSC. */
  readonly from: string;
  readonly msisdn: string;
  /** The joined response packet, base64. */
  readonly packet: string;
}

export interface RelayClaim {
  readonly id: string;
  readonly by: string;
}

export interface PorRelay {
  /** This node's name, unique among the nodes (host:pid will do). */
  readonly node: string;
  readonly pors: RelayTopic<RelayedPor>;
  readonly claims: RelayTopic<RelayClaim>;
  /** How long a relayed PoR may wait for a claim before it is logged as unclaimed. Default 10 s. */
  readonly unclaimedAfterMs?: number;
}

export interface RelayStats {
  /** PoRs this node received but passed on. */
  readonly relayed: number;
  /** PoRs other nodes passed on that this node took. */
  readonly claimed: number;
  /** PoRs this node passed on that no node took in time. */
  readonly unclaimed: number;
}

export const POR_TOPIC = 'channel.por';
export const POR_CLAIM_TOPIC = 'channel.por.claim';
/** A PoR of a signature is a few concatenated SMs: well under the store's event limit once base64. */
const MAX_PACKET_BASE64 = 4_000;

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

export function parseRelayedPor(value: unknown): RelayedPor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  if (!isText(o.id, 64) || !isText(o.from, 200) || !isText(o.msisdn, 21) || !isText(o.packet, MAX_PACKET_BASE64)) return undefined;
  if (!/^\d+$/.test(o.msisdn) || !/^[A-Za-z0-9+/]+=*$/.test(o.packet)) return undefined;
  return { id: o.id, from: o.from, msisdn: o.msisdn, packet: o.packet };
}

export function parseRelayClaim(value: unknown): RelayClaim | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  return isText(o.id, 64) && isText(o.by, 200) ? { id: o.id, by: o.by } : undefined;
}

/** The relay's bookkeeping for one AppletChannel. `take` tries a relayed PoR against this node's waiting request. */
export class PorRelayer {
  private readonly outstanding = new Map<string, NodeJS.Timeout>();
  private readonly stopPors: () => void;
  private readonly stopClaims: () => void;
  private counts = { relayed: 0, claimed: 0, unclaimed: 0 };

  constructor(
    private readonly options: PorRelay,
    private readonly log: Logger,
    private readonly take: (msisdn: string, packet: Buffer) => Promise<boolean>,
  ) {
    this.stopPors = options.pors.subscribe((por) => {
      if (por.from !== options.node) void this.offered(por);
    });
    this.stopClaims = options.claims.subscribe((claim) => this.claimed(claim));
  }

  get stats(): RelayStats {
    return { ...this.counts };
  }

  /** Passes on a PoR this node has no use for. */
  async relay(msisdn: string, packet: Buffer): Promise<void> {
    const encoded = packet.toString('base64');
    if (encoded.length > MAX_PACKET_BASE64) {
      this.log.warn({ event: 'applet.por.unexpected', msisdn, octets: packet.length }, 'response packet too long to relay: dropped');
      return;
    }
    const id = randomBytes(8).toString('hex');
    const timer = setTimeout(() => {
      this.outstanding.delete(id);
      this.counts.unclaimed += 1;
      this.log.warn({ event: 'applet.por.unclaimed', msisdn, relayId: id }, 'response packet no node was waiting for (a late PoR, or a forgery): dropped');
    }, this.options.unclaimedAfterMs ?? 10_000);
    timer.unref();
    this.outstanding.set(id, timer);
    this.counts.relayed += 1;
    try {
      await this.options.pors.publish({ id, from: this.options.node, msisdn, packet: encoded });
      this.log.debug({ event: 'applet.por.relayed', msisdn, relayId: id }, 'response packet passed to the other nodes');
    } catch (err) {
      clearTimeout(timer);
      this.outstanding.delete(id);
      this.counts.unclaimed += 1;
      this.log.error({ event: 'applet.por.unclaimed', msisdn, relayId: id, reason: err instanceof Error ? err.message : String(err) }, 'response packet could not be relayed: dropped');
    }
  }

  private async offered(por: RelayedPor): Promise<void> {
    let taken: boolean;
    try {
      taken = await this.take(por.msisdn, Buffer.from(por.packet, 'base64'));
    } catch (err) {
      this.log.error({ event: 'applet.por.failed', msisdn: por.msisdn, relayId: por.id, reason: err instanceof Error ? err.message : String(err) }, 'relayed PoR could not be checked');
      return;
    }
    if (!taken) return;
    this.counts.claimed += 1;
    this.log.debug({ event: 'applet.por.claimed', msisdn: por.msisdn, relayId: por.id, from: por.from }, 'relayed response packet taken');
    await this.options.claims.publish({ id: por.id, by: this.options.node }).catch((err: unknown) => {
      this.log.warn({ event: 'applet.por.claim.failed', relayId: por.id, reason: err instanceof Error ? err.message : String(err) }, 'claim not announced: the sender will log the PoR as unclaimed');
    });
  }

  private claimed(claim: RelayClaim): void {
    const timer = this.outstanding.get(claim.id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.outstanding.delete(claim.id);
  }

  close(): void {
    this.stopPors();
    this.stopClaims();
    for (const timer of this.outstanding.values()) clearTimeout(timer);
    this.outstanding.clear();
  }
}

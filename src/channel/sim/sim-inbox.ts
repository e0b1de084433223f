import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from '../../log';
import { decodeClientOrder, type ClientOrder } from '../applet';
import { IEI_COMMAND_PACKET, openCommandPacket, type CommandOutcome, type MinimumSecurityLevel, type OtaCrypto, type PorStatusName } from '../ota';
import type { InboundMessage } from '../smpp';
import type { SmsTransport } from './applet-channel';
import { normaliseMsisdn, type SimDirectory } from './profiles';

/**
 * The platform's side of messages a SIM sends unasked (applet/FORMAT.md, "Client order"): MO SMs carrying an OTA
 * command packet (UDH IEI '70') addressed to the platform. For each one:
 *
 *   the SIM by the originating MSISDN → checksum (KID) and deciphering (KIc) with that SIM's keys in the HSM →
 *   counter strictly above the last one accepted from that SIM (else refused: a replayed or reordered packet) →
 *   the new counter stored → the client order decoded → handed to the registered receiver
 *
 * Packets from one SIM are taken one at a time, in arrival order, so two copies of one packet arriving together
 * cannot both pass the counter check. Refusals are logged and dropped: a packet that fails these checks proves
 * nothing about its sender, so answering it would let anyone make the platform send SMs to a number.
 */

/** Where the last counter accepted from each SIM is kept; it must survive restarts (the store, in a deployment). */
export interface MoCounterStore {
  /** The last counter accepted from this SIM, 0n before the first. */
  last(sim: string): Promise<bigint>;
  /** Records a newly accepted counter; never moves one back. */
  accept(sim: string, counter: bigint): Promise<void>;
}

/** At least what a client order must carry: a checksum, ciphering, and a counter that must go up. */
export const ORDER_MINIMUM_SECURITY: MinimumSecurityLevel = { checksum: 'cc', ciphered: true, counter: 'higher' };

export interface SimInboxOptions {
  readonly transport: Pick<SmsTransport, 'on' | 'off'>;
  /** The platform's OtaCrypto (deviceOtaCrypto over the HSM): the same SIM keys the AppletChannel uses. */
  readonly crypto: OtaCrypto;
  readonly sims: SimDirectory;
  readonly counters: MoCounterStore;
  readonly logger?: Logger;
}

/** What a receiver gets besides the order: who sent it (+E.164, authenticated by the OTA checksum) and how. */
export interface InboxContext {
  readonly msisdn: string;
  readonly sim: string;
  readonly counter: bigint;
}

export type OrderReceiver = (order: ClientOrder, context: InboxContext) => Promise<void>;

export type InboxRefusal = 'unknown-sim' | 'bad-message' | 'no-receiver' | PorStatusName;

export interface SimInboxEvents {
  /** A packet was refused; `reason` is the OTA PoR status name, or why the inbox itself refused it. */
  refused: [{ readonly msisdn: string; readonly reason: InboxRefusal }];
  /** The receiver finished with an order (or threw: then `error` is set). */
  handled: [{ readonly context: InboxContext; readonly orderRef: string; readonly error?: unknown }];
}

export class SimInbox extends EventEmitter<SimInboxEvents> {
  private readonly log: Logger;
  private receiver: OrderReceiver | undefined;
  private readonly turns = new Map<string, Promise<void>>();
  private readonly onMessage = (m: InboundMessage): void => {
    if (!m.udh.some((ie) => ie.iei === IEI_COMMAND_PACKET)) return;
    const msisdn = normaliseMsisdn(m.sourceAddr);
    const previous = this.turns.get(msisdn) ?? Promise.resolve();
    const mine = previous.then(() => this.receive(msisdn, m.payload)).catch((err: unknown) => {
      this.log.error({ event: 'inbox.failed', msisdn, reason: err instanceof Error ? err.message : String(err) }, 'MO packet could not be processed');
    });
    this.turns.set(msisdn, mine);
    void mine.then(() => {
      if (this.turns.get(msisdn) === mine) this.turns.delete(msisdn);
    });
  };
  private closed = false;

  constructor(private readonly options: SimInboxOptions) {
    super();
    this.log = options.logger ?? createLogger({ name: 'channel.inbox' });
    options.transport.on('message', this.onMessage);
  }

  /** The one receiver of client orders (the payment system); replaces any earlier one. */
  onOrder(receiver: OrderReceiver): void {
    this.receiver = receiver;
  }

  /** Resolves when every packet received so far has been handled. */
  async idle(): Promise<void> {
    while (this.turns.size > 0) await Promise.all([...this.turns.values()]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.transport.off('message', this.onMessage);
  }

  private refuse(msisdn: string, reason: InboxRefusal, detail?: string): void {
    this.log.warn({ event: 'inbox.refused', msisdn, reason, ...(detail !== undefined ? { detail } : {}) }, 'MO packet refused');
    this.emit('refused', { msisdn, reason });
  }

  private async receive(msisdn: string, packet: Buffer): Promise<void> {
    const profile = await this.options.sims.lookup(msisdn);
    if (profile === undefined) return this.refuse(msisdn, 'unknown-sim');
    const tar = Buffer.from(profile.tar);
    const outcome: CommandOutcome = await openCommandPacket(packet, {
      sim: profile.sim,
      crypto: this.options.crypto,
      log: this.log,
      lookupTar: async (t) => (t.equals(tar) ? { minimumSecurity: ORDER_MINIMUM_SECURITY, counter: await this.options.counters.last(profile.sim) } : undefined),
    });
    if (!outcome.ok) return this.refuse(msisdn, outcome.status);
    // Stored before the order is acted on, as a SIM does: a crash after this never lets the packet in again.
    if (outcome.counterToStore !== undefined) await this.options.counters.accept(profile.sim, outcome.counterToStore);
    let order: ClientOrder;
    try {
      order = decodeClientOrder(outcome.payload);
    } catch (err) {
      return this.refuse(msisdn, 'bad-message', err instanceof Error ? err.message : String(err));
    }
    const receiver = this.receiver;
    if (receiver === undefined) return this.refuse(msisdn, 'no-receiver');
    const context: InboxContext = { msisdn: `+${msisdn}`, sim: profile.sim, counter: outcome.counter };
    this.log.debug({ event: 'inbox.order', msisdn, order: order.orderRef, counter: outcome.counter.toString() }, 'client order received');
    try {
      await receiver(order, context);
      this.emit('handled', { context, orderRef: order.orderRef });
    } catch (err) {
      this.log.error({ event: 'inbox.receiver.failed', msisdn, order: order.orderRef, reason: err instanceof Error ? err.message : String(err) }, 'the receiver failed on a client order');
      this.emit('handled', { context, orderRef: order.orderRef, error: err });
    }
  }
}

/** Counters in memory: for tests and a single demo node only (a restart would accept old packets again). */
export class MemoryMoCounters implements MoCounterStore {
  private readonly values = new Map<string, bigint>();
  last(sim: string): Promise<bigint> {
    return Promise.resolve(this.values.get(sim) ?? 0n);
  }
  accept(sim: string, counter: bigint): Promise<void> {
    if (counter > (this.values.get(sim) ?? 0n)) this.values.set(sim, counter);
    return Promise.resolve();
  }
}

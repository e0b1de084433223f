import { ESM_CLASS, concatInfo, parseUserData } from '../../src/channel/smpp';
import { IEI_COMMAND_PACKET, OTA_SMS_DCS, OTA_SMS_PID } from '../../src/channel/ota';
import { createLogger, type Logger } from '../../src/log';
import type { Handset, MoSender, MtMessage } from '../smsc/handsets';
import type { ComposedOrder, OrderToSign, SignatureApplet } from './applet';
import type { UserBehaviour } from './user';

/**
 * A virtual handset: takes the MT SMs the SMSC simulator routes to its MSISDN, joins concatenated ones
 * (3GPP TS 23.040), hands SIM data download messages (UDH IEI 0x70) to its SIM's applet, and sends the
 * applet's PoR back as MO SMs to whoever sent the command. The SM is acknowledged at once, the answer goes
 * when the applet (and the person) is done, as on a phone.
 */

interface PartialSet {
  readonly parts: (Buffer | undefined)[];
  received: number;
  readonly timer: NodeJS.Timeout;
}

/** Parts of a concatenated SM are dropped after this long without the rest. */
const REASSEMBLY_MS = 60_000;

export class VirtualHandset implements Handset {
  private readonly partials = new Map<number, PartialSet>();
  private readonly log: Logger;
  /** MO SMs this handset sent (for tests). */
  sent = 0;

  constructor(
    readonly msisdn: string,
    private readonly applet: SignatureApplet,
    logger?: Logger,
  ) {
    this.log = logger ?? createLogger({ name: 'hsm-sim.handset' });
  }

  deliver(message: MtMessage, network: MoSender): Promise<void> {
    if ((message.esmClass & ESM_CLASS.UDHI) === 0) return Promise.resolve(); // plain text: shown, nothing to answer
    let segments: Buffer[] | undefined;
    try {
      segments = this.collect(message.userData);
    } catch (err) {
      this.log.warn({ event: 'handset.sm.refused', msisdn: this.msisdn, reason: err instanceof Error ? err.message : String(err) }, 'unreadable SM dropped');
      return Promise.resolve();
    }
    if (segments !== undefined) void this.run(segments, message.sourceAddr, network);
    return Promise.resolve();
  }

  /** The complete set of TP-UD this SM finishes, or undefined while parts are missing. */
  private collect(userData: Buffer): Buffer[] | undefined {
    const info = concatInfo(parseUserData(userData).ies);
    if (info === undefined) return [userData];
    let partial = this.partials.get(info.reference);
    if (partial === undefined || partial.parts.length !== info.total) {
      if (partial !== undefined) clearTimeout(partial.timer);
      const reference = info.reference;
      partial = {
        parts: new Array<Buffer | undefined>(info.total).fill(undefined),
        received: 0,
        timer: setTimeout(() => this.partials.delete(reference), REASSEMBLY_MS).unref(),
      };
      this.partials.set(info.reference, partial);
    }
    if (partial.parts[info.sequence - 1] === undefined) {
      partial.parts[info.sequence - 1] = userData;
      partial.received += 1;
    }
    if (partial.received < info.total) return undefined;
    clearTimeout(partial.timer);
    this.partials.delete(info.reference);
    return partial.parts as Buffer[];
  }

  /**
   * The client pays from the phone: the applet shows the order, takes the PIN and signs it, and the handset sends
   * the secured packet as MO SMs to the platform's short code. Resolves with what the applet did and, when sent,
   * the TP-UD of each SM (a test may send them again to play a replay).
   */
  async sendOrder(order: OrderToSign, network: MoSender, platformAddress: string, behaviour?: UserBehaviour): Promise<ComposedOrder> {
    const composed = await this.prepareOrder(order, behaviour);
    if (composed.outcome !== 'ready') return composed;
    await sendUserData(this.msisdn, composed.userData, network, platformAddress);
    this.sent += composed.userData.length;
    return composed;
  }

  /** The order signed and packed as sendOrder does, but not sent (tests send the SMs in another order). */
  prepareOrder(order: OrderToSign, behaviour?: UserBehaviour): Promise<ComposedOrder> {
    return this.applet.composeOrder(order, behaviour);
  }

  private async run(segments: Buffer[], replyTo: string, network: MoSender): Promise<void> {
    const first = segments[0];
    if (first === undefined || !parseUserData(first).ies.some((ie) => ie.iei === IEI_COMMAND_PACKET)) return;
    try {
      const por = await this.applet.process(segments);
      this.log.debug({ event: 'handset.answer', msisdn: this.msisdn, segments: por?.length ?? 0 }, 'applet answered');
      if (por === undefined) return;
      for (const tpud of por) {
        const { ies, payload } = parseUserData(tpud);
        await network.sendMo({ sourceAddr: this.msisdn, destinationAddr: replyTo, dataCoding: OTA_SMS_DCS, protocolId: OTA_SMS_PID, udh: ies, payload });
        this.sent += 1;
        this.log.debug({ event: 'handset.mo.sent', msisdn: this.msisdn }, 'MO sent');
      }
    } catch (err) {
      // The applet never throws for bytes; this is the token or the network failing under it.
      this.log.error({ event: 'handset.failed', msisdn: this.msisdn, reason: err instanceof Error ? err.message : String(err) }, 'handset could not answer');
    }
  }
}

/** Sends secured-packet TP-UDs as binary MO SMs (PID 7F, DCS F6), the way the handset sends PoRs and orders. */
export async function sendUserData(msisdn: string, userData: readonly Buffer[], network: MoSender, destinationAddr: string): Promise<void> {
  for (const tpud of userData) {
    const { ies, payload } = parseUserData(tpud);
    await network.sendMo({ sourceAddr: msisdn, destinationAddr, dataCoding: OTA_SMS_DCS, protocolId: OTA_SMS_PID, udh: ies, payload });
  }
}

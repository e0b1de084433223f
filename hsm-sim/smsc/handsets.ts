import { appendFileSync } from 'node:fs';
import type { InformationElement } from '../../src/channel/smpp';

/**
 * What the SMSC simulator routes to and hears from: handsets, each owning an MSISDN. The simulator only
 * knows this interface, so the real handsets with SIM applets (a later piece of work) plug in here.
 * One MtMessage / MoMessage is one SM: concatenation is the sender's business, as on a real network.
 */

/** A mobile-terminated SM as the handset receives it. */
export interface MtMessage {
  /** The id the SMSC gave it in submit_sm_resp. */
  readonly messageId: string;
  readonly sourceAddr: string;
  /** The handset's MSISDN. */
  readonly destinationAddr: string;
  readonly dataCoding: number;
  readonly esmClass: number;
  readonly protocolId: number;
  /** Header elements when esm_class has UDHI (the raw octets are in userData). */
  readonly udh?: readonly InformationElement[];
  /** The content after the header. */
  readonly payload: Buffer;
  /** short_message exactly as the ESME sent it, header included: binary OTA packets arrive untouched. */
  readonly userData: Buffer;
  readonly registeredDelivery: number;
}

/** A mobile-originated SM a handset sends. */
export interface MoMessage {
  /** The handset's MSISDN. */
  readonly sourceAddr: string;
  /** Where to: a platform short code (routed to the account serving it). */
  readonly destinationAddr: string;
  readonly dataCoding: number;
  /** UDHI is set by the SMSC when udh is given. */
  readonly esmClass?: number;
  readonly protocolId?: number;
  readonly udh?: readonly InformationElement[];
  readonly payload: Buffer;
}

/** The network side a handset talks back to. */
export interface MoSender {
  /** Accepts one MO SM for delivery to the bound platform; resolves with its message id. */
  sendMo(message: MoMessage): Promise<string>;
}

export interface HandsetDirectory {
  /** Whether an MSISDN has a handset: submit_sm to others is refused with ESME_RINVDSTADR. */
  has(msisdn: string): boolean;
  /** Hands one MT SM to the MSISDN's handset; rejects when the handset cannot take it (→ UNDELIV receipt). */
  deliver(msisdn: string, message: MtMessage, network: MoSender): Promise<void>;
}

export interface Handset {
  deliver(message: MtMessage, network: MoSender): Promise<void>;
}

/** '+4479...' and '4479...' are the same subscriber. */
export function normaliseMsisdn(address: string): string {
  return address.replace(/^\+/, '').replace(/\s+/g, '');
}

export class InMemoryHandsetDirectory implements HandsetDirectory {
  private readonly handsets = new Map<string, Handset>();

  register(msisdn: string, handset: Handset): this {
    this.handsets.set(normaliseMsisdn(msisdn), handset);
    return this;
  }

  unregister(msisdn: string): void {
    this.handsets.delete(normaliseMsisdn(msisdn));
  }

  has(msisdn: string): boolean {
    return this.handsets.has(normaliseMsisdn(msisdn));
  }

  deliver(msisdn: string, message: MtMessage, network: MoSender): Promise<void> {
    const handset = this.handsets.get(normaliseMsisdn(msisdn));
    if (handset === undefined) return Promise.reject(new Error(`no handset for ${msisdn}`));
    return handset.deliver(message, network);
  }
}

/** Keeps every MT SM it gets; can be told to refuse some (to produce failure receipts). */
export class RecordingHandset implements Handset {
  readonly received: MtMessage[] = [];
  private refusals = 0;

  constructor(
    private readonly options: {
      /** Appends one JSON line per SM to this file, before the SMSC counts the SM delivered (survives an SMSC restart). */
      readonly recordFile?: string;
      readonly onMessage?: (message: MtMessage) => void;
    } = {},
  ) {}

  refuseNext(count: number): void {
    this.refusals = count;
  }

  deliver(message: MtMessage): Promise<void> {
    if (this.refusals > 0) {
      this.refusals -= 1;
      return Promise.reject(new Error('handset refused the message'));
    }
    this.received.push(message);
    if (this.options.recordFile !== undefined) {
      appendFileSync(
        this.options.recordFile,
        `${JSON.stringify({ messageId: message.messageId, to: message.destinationAddr, from: message.sourceAddr, userData: message.userData.toString('hex') })}\n`,
      );
    }
    this.options.onMessage?.(message);
    return Promise.resolve();
  }
}

/**
 * A test handset that answers every MT SM with an MO SM carrying the same coding, header and payload,
 * sent to `replyTo` (the platform's short code) or back to the sender. With a 0x70 command packet header
 * it answers with 0x71 (response packet), as a SIM's PoR would be flagged.
 */
export class EchoHandset implements Handset {
  readonly received: MtMessage[] = [];

  constructor(private readonly options: { readonly replyTo?: string; readonly delayMs?: number } = {}) {}

  async deliver(message: MtMessage, network: MoSender): Promise<void> {
    this.received.push(message);
    const udh = message.udh?.map((ie) => (ie.iei === 0x70 ? { iei: 0x71, data: ie.data } : ie));
    const reply: MoMessage = {
      sourceAddr: message.destinationAddr,
      destinationAddr: this.options.replyTo ?? message.sourceAddr,
      dataCoding: message.dataCoding,
      protocolId: message.protocolId,
      payload: message.payload,
      ...(udh !== undefined && udh.length > 0 ? { udh } : {}),
    };
    const send = async (): Promise<void> => {
      if (this.options.delayMs !== undefined) await new Promise((r) => setTimeout(r, this.options.delayMs));
      await network.sendMo(reply);
    };
    // The MO goes after the MT is accepted, as a phone answers after it has the message.
    void send().catch(() => undefined);
  }
}

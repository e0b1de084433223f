import { randomInt, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Logger } from '../../log';
import { Reassembler, splitMessage } from './concat';
import { isDeliveryReceipt, messageIdVariants, parseDeliveryReceipt, type DeliveryReceipt } from './delivery-receipt';
import {
  SmppBindRefusedError,
  SmppClientClosedError,
  SmppCommandStatusError,
  SmppInvalidArgumentError,
  SmppQueueFullError,
  isSmppError,
} from './errors';
import { resolveEsmeOptions, type EsmeClientOptions, type ResolvedEsmeOptions } from './options';
import { COMMAND_ID, ESM_CLASS, SMPP_VERSION_34, type Pdu, type PduInput, type SmPdu } from './pdu';
import { TokenBucket, backoffDelay } from './rate';
import { SmppSession } from './session';
import { isBackoffStatus, statusName, statusValue } from './status';
import { IEI, concatElement, parseUserData, type InformationElement, type UserData } from './udh';

/**
 * The platform's ESME: one bind_transceiver (interface_version 0x34) to an SMSC, kept up for as long as the
 * client runs, with an outbound queue that survives reconnects.
 *
 * Delivery semantics, per message id (the caller's, or one we make):
 *   - a message is acknowledged (submit_sm_resp OK) at most once: once it has its message_id it is never
 *     sent again, and submit() with an id already queued, in flight or done returns that same outcome;
 *   - a segment still queued when the connection drops stays queued, in order, and goes after the re-bind;
 *   - a segment sent but unanswered when the connection drops is sent again after the re-bind. SMPP has no
 *     way to ask whether the SMSC took it; an SMSC that answers what it acted on before closing (ours
 *     does: hsm-sim/smsc) gives exactly-once, and the OTA counter makes a repeat harmless at the SIM;
 *   - a response timeout leaves the outcome unknown, so by default the message fails with
 *     SmppResponseTimeoutError (a later submit() with the same id gets the same error); `timeoutRetries`
 *     trades that for at-least-once;
 *   - ESME_RTHROTTLED / ESME_RMSGQFUL: the segment goes back to the head of the queue and the whole bind
 *     pauses for a growing back-off; after `maxThrottleRetries` the message fails.
 * The queue is in memory for now: a process restart loses it (the store will hold it later).
 */

export interface OutboundMessage {
  /** The caller's id for at-most-once; a UUID when absent. */
  readonly id?: string;
  readonly sourceAddr: string;
  readonly sourceAddrTon?: number;
  readonly sourceAddrNpi?: number;
  readonly destinationAddr: string;
  readonly destAddrTon?: number;
  readonly destAddrNpi?: number;
  /** The content; split into concatenated SMs when it does not fit one. */
  readonly payload: Buffer;
  readonly dataCoding?: number;
  /** UDHI is added by the client whenever a header is sent. */
  readonly esmClass?: number;
  readonly protocolId?: number;
  /** Header elements to send (a 0x70 command packet identifier...): in the first segment when split. */
  readonly udh?: readonly InformationElement[];
  readonly registeredDelivery?: number;
  readonly serviceType?: string;
  readonly priorityFlag?: number;
  readonly validityPeriod?: string;
  readonly scheduleDeliveryTime?: string;
}

export interface SubmitResult {
  readonly id: string;
  /** The SMSC's message_id for each segment, in segment order. */
  readonly messageIds: readonly string[];
  readonly segments: number;
}

export interface InboundMessage {
  readonly sourceAddr: string;
  readonly sourceAddrTon: number;
  readonly sourceAddrNpi: number;
  readonly destinationAddr: string;
  readonly destAddrTon: number;
  readonly destAddrNpi: number;
  readonly dataCoding: number;
  readonly esmClass: number;
  readonly protocolId: number;
  /** Header elements of the (first) SM, without the concatenation IE. */
  readonly udh: readonly InformationElement[];
  readonly payload: Buffer;
  readonly segments: number;
  /** The bind it came in on. */
  readonly bind: string;
}

export interface ReceiptEvent {
  readonly receipt: DeliveryReceipt;
  /** Our message id and segment (0-based) when the receipt names a message_id this client was given. */
  readonly id?: string;
  readonly segment?: number;
  readonly bind: string;
}

export interface EsmeEvents {
  message: [message: InboundMessage];
  receipt: [event: ReceiptEvent];
  bound: [bind: string];
  disconnected: [bind: string, reason: string];
}

export type EsmeState = 'idle' | 'connecting' | 'bound' | 'disconnected' | 'failed' | 'closing' | 'closed';

export interface EsmeStats {
  readonly state: EsmeState;
  readonly queued: number;
  readonly inFlight: number;
  readonly submitted: number;
  readonly acknowledged: number;
  readonly throttled: number;
  readonly retriedAfterDrop: number;
  readonly binds: number;
  readonly received: number;
  readonly receipts: number;
}

interface Job {
  readonly id: string;
  readonly segments: Segment[];
  readonly messageIds: (string | undefined)[];
  remaining: number;
  settled: boolean;
  readonly promise: Promise<SubmitResult>;
  resolve(result: SubmitResult): void;
  reject(error: Error): void;
}

interface Segment {
  readonly job: Job;
  readonly index: number;
  /** Enqueue order: the queue stays sorted by it, so retries keep their place. */
  readonly order: number;
  readonly pdu: PduInput;
  throttleAttempts: number;
  timeoutAttempts: number;
  sentAt: number;
}

/** Refusals a retry will not change: wrong password, unknown system_id, IP not allowed. */
const PERMANENT_BIND_STATUS = new Set([statusValue('ESME_RINVPASWD'), statusValue('ESME_RINVSYSID'), statusValue('ESME_RBINDFAIL')]);
const REMEMBERED_IDS = 100_000;

export class EsmeClient extends EventEmitter<EsmeEvents> {
  readonly options: ResolvedEsmeOptions;
  private readonly log: Logger;
  private readonly bucket: TokenBucket;
  private readonly reassembler: Reassembler<SmPdu>;
  private session: SmppSession | undefined;
  private stateValue: EsmeState = 'idle';
  private everBound = false;
  private connectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pausedUntil = 0;
  /** When the current throttle back-off began: throttled answers to PDUs sent before it belong to the same episode. */
  private pauseStartedAt = 0;
  private throttleStreak = 0;
  /**
   * Requests allowed in flight right now (≤ window): halved when the SMSC throttles, grown back by one per
   * window of acknowledgements, so a throttled bind settles near the SMSC's rate instead of bursting into it.
   */
  private congestionWindow: number;
  private orderCounter = 0;
  private concatReference = randomInt(0, 0x10000);
  private readonly queue: Segment[] = [];
  private readonly inFlight = new Set<Segment>();
  private readonly jobs = new Map<string, Job>();
  private readonly finished = new Map<string, { result?: SubmitResult; error?: Error }>();
  private readonly byMessageId = new Map<string, { id: string; segment: number }>();
  private startWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private counters = { submitted: 0, acknowledged: 0, throttled: 0, retriedAfterDrop: 0, binds: 0, received: 0, receipts: 0 };

  constructor(options: EsmeClientOptions) {
    super();
    this.options = resolveEsmeOptions(options);
    this.log = this.options.logger.child({ bind: this.options.name });
    this.bucket = new TokenBucket(this.options.submitsPerSecond, this.options.submitBurst);
    this.reassembler = new Reassembler<SmPdu>({ timeoutMs: this.options.reassemblyTimeoutMs, logger: this.log });
    this.congestionWindow = this.options.window;
  }

  get state(): EsmeState {
    return this.stateValue;
  }

  get name(): string {
    return this.options.name;
  }

  stats(): EsmeStats {
    return { state: this.stateValue, queued: this.queue.length, inFlight: this.inFlight.size, ...this.counters };
  }

  /**
   * Connects and binds. Resolves at the first successful bind; rejects with SmppBindRefusedError when the
   * first bind is refused for good (password, system_id, IP), and with SmppClientClosedError on close().
   * Connection failures before that are retried with back-off.
   */
  start(): Promise<void> {
    if (this.stateValue === 'bound') return Promise.resolve();
    if (this.stateValue === 'closing' || this.stateValue === 'closed' || this.stateValue === 'failed') {
      return Promise.reject(new SmppClientClosedError());
    }
    const waiter = new Promise<void>((resolve, reject) => this.startWaiters.push({ resolve, reject }));
    if (this.stateValue === 'idle') void this.connectOnce();
    return waiter;
  }

  /** Queues a message. See the class comment for what is guaranteed per id. */
  submit(message: OutboundMessage): Promise<SubmitResult> {
    const id = message.id ?? randomUUID();
    const existing = this.jobs.get(id);
    if (existing !== undefined) return existing.promise;
    const done = this.finished.get(id);
    if (done !== undefined) return done.result !== undefined ? Promise.resolve(done.result) : Promise.reject(done.error);
    if (this.stateValue === 'closing' || this.stateValue === 'closed' || this.stateValue === 'failed') {
      return Promise.reject(new SmppClientClosedError());
    }
    if (this.jobs.size >= this.options.maxQueue) return Promise.reject(new SmppQueueFullError(this.options.maxQueue));
    let pdus: PduInput[];
    try {
      pdus = this.segmentsOf(message);
    } catch (error) {
      return Promise.reject(error);
    }
    let resolve!: (r: SubmitResult) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<SubmitResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { id, segments: [], messageIds: pdus.map(() => undefined), remaining: pdus.length, settled: false, promise, resolve, reject };
    pdus.forEach((pdu, index) => {
      const segment: Segment = { job, index, order: this.orderCounter++, pdu, throttleAttempts: 0, timeoutAttempts: 0, sentAt: 0 };
      job.segments.push(segment);
      this.queue.push(segment);
    });
    this.jobs.set(id, job);
    this.pump();
    return promise;
  }

  /**
   * Stops: queued messages fail with SmppClientClosedError, requests in flight get up to the response
   * timeout to be answered, then unbind and close.
   */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    const wasBound = this.stateValue === 'bound';
    this.stateValue = 'closing';
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    if (this.pumpTimer !== undefined) clearTimeout(this.pumpTimer);
    for (const segment of this.queue.splice(0)) this.failJob(segment.job, new SmppClientClosedError());
    for (const w of this.startWaiters.splice(0)) w.reject(new SmppClientClosedError());
    const deadline = Date.now() + this.options.responseTimeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline && this.session?.state === 'open') {
      await new Promise((r) => setTimeout(r, 20));
    }
    const session = this.session;
    if (session !== undefined) {
      if (wasBound && session.state === 'open') await session.unbind();
      else await session.end('client closed');
    }
    this.reassembler.clear();
    this.stateValue = 'closed';
  }

  // ---- connection --------------------------------------------------------------------------------------

  private async connectOnce(): Promise<void> {
    if (this.stateValue === 'closing' || this.stateValue === 'closed') return;
    this.stateValue = 'connecting';
    this.connectAttempt += 1;
    let socket: Socket;
    try {
      socket = await this.openSocket();
    } catch (error) {
      this.log.info({ err: String(error), attempt: this.connectAttempt }, 'smpp connect failed');
      this.scheduleReconnect();
      return;
    }
    if (this.stateValue !== 'connecting') {
      socket.destroy();
      return;
    }
    const session = new SmppSession(socket, {
      logger: this.log,
      maxFrameLength: this.options.maxFrameLength,
      responseTimeoutMs: this.options.responseTimeoutMs,
      window: this.options.window + 2, // room for enquire_link and unbind beside a full window of submits
      enquireLinkMs: this.options.enquireLinkMs,
    });
    this.session = session;
    session.on('request', (pdu) => this.onRequest(session, pdu));
    session.on('close', (reason) => this.onSessionClose(session, reason));
    try {
      const resp = await session.request({
        command: 'bind_transceiver',
        systemId: this.options.systemId,
        password: this.options.password,
        systemType: this.options.systemType,
        interfaceVersion: SMPP_VERSION_34,
        addrTon: this.options.addrTon,
        addrNpi: this.options.addrNpi,
        addressRange: this.options.addressRange,
      });
      if (this.session !== session || session.state !== 'open') return;
      this.stateValue = 'bound';
      this.everBound = true;
      this.connectAttempt = 0;
      this.counters.binds += 1;
      const scVersion = resp.command === 'bind_transceiver_resp' ? resp.scInterfaceVersion : undefined;
      this.log.info({ smsc: resp.command === 'bind_transceiver_resp' ? resp.systemId : undefined, scInterfaceVersion: scVersion }, 'smpp bound');
      for (const w of this.startWaiters.splice(0)) w.resolve();
      this.emit('bound', this.name);
      this.pump();
    } catch (error) {
      if (error instanceof SmppCommandStatusError && PERMANENT_BIND_STATUS.has(error.status) && !this.everBound) {
        // A configuration error: retrying would only lock the account. Fail the start and stop.
        this.log.error({ status: statusName(error.status) }, 'smpp bind refused');
        const refusal = new SmppBindRefusedError(error.status, this.options.systemId);
        this.stateValue = 'failed';
        for (const w of this.startWaiters.splice(0)) w.reject(refusal);
        for (const segment of this.queue.splice(0)) this.failJob(segment.job, refusal);
        void session.end('bind refused');
        return;
      }
      this.log.warn({ err: String(error) }, 'smpp bind failed: will retry');
      session.destroy('bind failed');
    }
  }

  private openSocket(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host: this.options.host, port: this.options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timeout after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      });
    });
  }

  private onSessionClose(session: SmppSession, reason: string): void {
    if (this.session !== session) return;
    this.session = undefined;
    if (this.stateValue === 'closing' || this.stateValue === 'closed' || this.stateValue === 'failed') return;
    const wasBound = this.stateValue === 'bound';
    this.stateValue = 'disconnected';
    if (wasBound) {
      this.log.warn({ reason, queued: this.queue.length, inFlight: this.inFlight.size }, 'smpp connection lost: reconnecting');
      this.emit('disconnected', this.name, reason);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stateValue === 'closing' || this.stateValue === 'closed' || this.stateValue === 'failed') return;
    this.stateValue = 'disconnected';
    const delay = backoffDelay(Math.max(1, this.connectAttempt), this.options.reconnect);
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connectOnce();
    }, delay);
  }

  // ---- outbound ----------------------------------------------------------------------------------------

  private segmentsOf(message: OutboundMessage): PduInput[] {
    if (!Buffer.isBuffer(message.payload)) throw new SmppInvalidArgumentError('payload', 'must be a Buffer');
    const dataCoding = message.dataCoding ?? 0;
    this.concatReference = (this.concatReference + 1) & 0xffff;
    const split = splitMessage({
      payload: message.payload,
      dataCoding,
      ies: message.udh ?? [],
      reference: this.options.concatReferenceBits === 8 ? this.concatReference & 0xff : this.concatReference,
      referenceBits: this.options.concatReferenceBits,
    });
    const esmClass = (message.esmClass ?? 0) | (split.udhi ? ESM_CLASS.UDHI : 0);
    return split.segments.map((shortMessage) => ({
      command: 'submit_sm' as const,
      serviceType: message.serviceType ?? '',
      sourceAddrTon: message.sourceAddrTon ?? 0,
      sourceAddrNpi: message.sourceAddrNpi ?? 0,
      sourceAddr: message.sourceAddr,
      destAddrTon: message.destAddrTon ?? 0,
      destAddrNpi: message.destAddrNpi ?? 0,
      destinationAddr: message.destinationAddr,
      esmClass,
      protocolId: message.protocolId ?? 0,
      priorityFlag: message.priorityFlag ?? 0,
      scheduleDeliveryTime: message.scheduleDeliveryTime ?? '',
      validityPeriod: message.validityPeriod ?? '',
      registeredDelivery: message.registeredDelivery ?? 0,
      dataCoding,
      shortMessage,
    }));
  }

  /** Sends queued segments while the bind is up, the window has room, the throttle allows and no back-off runs. */
  private pump(): void {
    if (this.stateValue !== 'bound' || this.session === undefined) return;
    const session = this.session;
    while (this.queue.length > 0 && this.inFlight.size < Math.floor(this.congestionWindow)) {
      const wait = Math.max(this.pausedUntil - Date.now(), this.bucket.waitMs());
      if (wait > 0) {
        this.schedulePump(wait);
        return;
      }
      if (!this.bucket.tryTake()) {
        this.schedulePump(1);
        return;
      }
      const segment = this.queue.shift();
      if (segment === undefined) return;
      if (segment.job.settled) continue;
      this.inFlight.add(segment);
      segment.sentAt = performance.now();
      this.counters.submitted += 1;
      session.request(segment.pdu).then(
        (resp) => this.onAck(segment, resp),
        (error: unknown) => this.onFail(segment, error),
      );
    }
  }

  private schedulePump(ms: number): void {
    if (this.pumpTimer !== undefined) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pump();
    }, ms);
  }

  private requeue(segment: Segment): void {
    // Keep enqueue order so a retried segment goes before later ones (concatenated parts stay together).
    let at = this.queue.findIndex((s) => s.order > segment.order);
    if (at < 0) at = this.queue.length;
    this.queue.splice(at, 0, segment);
  }

  private onAck(segment: Segment, resp: Pdu): void {
    this.inFlight.delete(segment);
    this.counters.acknowledged += 1;
    this.throttleStreak = 0;
    this.congestionWindow = Math.min(this.options.window, this.congestionWindow + 1 / this.congestionWindow);
    const job = segment.job;
    const messageId = resp.command === 'submit_sm_resp' ? resp.messageId : '';
    job.messageIds[segment.index] = messageId;
    if (messageId !== '') this.remember(this.byMessageId, messageId, { id: job.id, segment: segment.index });
    job.remaining -= 1;
    if (job.remaining === 0 && !job.settled) {
      job.settled = true;
      this.jobs.delete(job.id);
      const result: SubmitResult = { id: job.id, messageIds: job.messageIds.map((m) => m ?? ''), segments: job.segments.length };
      this.remember(this.finished, job.id, { result });
      job.resolve(result);
    }
    this.pump();
  }

  private onFail(segment: Segment, error: unknown): void {
    this.inFlight.delete(segment);
    const job = segment.job;
    if (job.settled || this.stateValue === 'closing' || this.stateValue === 'closed') {
      if (!job.settled) this.failJob(job, new SmppClientClosedError());
      return;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    if (isSmppError(err)) {
      switch (err.code) {
        case 'COMMAND_STATUS':
          if (isBackoffStatus(err.status)) {
            segment.throttleAttempts += 1;
            this.counters.throttled += 1;
            if (segment.throttleAttempts > this.options.maxThrottleRetries) break;
            this.requeue(segment);
            // One back-off per episode: the other answers to the same burst neither lengthen it nor shrink the window again.
            if (segment.sentAt < this.pauseStartedAt) {
              this.pump();
              return;
            }
            this.throttleStreak += 1;
            this.congestionWindow = Math.max(1, this.congestionWindow / 2);
            const delay = backoffDelay(this.throttleStreak, this.options.throttleBackoff);
            this.pauseStartedAt = performance.now();
            this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
            this.log.info({ status: err.statusName, streak: this.throttleStreak, window: Math.floor(this.congestionWindow), delayMs: delay }, 'smpp throttled: backing off');
            this.pump();
            return;
          }
          break;
        case 'RESPONSE_TIMEOUT':
          segment.timeoutAttempts += 1;
          if (segment.timeoutAttempts > this.options.timeoutRetries) {
            this.failJob(job, err, true);
            return;
          }
          this.requeue(segment);
          this.pump();
          return;
        case 'CONNECTION_LOST':
          // Back in the queue; the reconnect sends it again (see the class comment).
          if (err.sent) this.counters.retriedAfterDrop += 1;
          this.requeue(segment);
          return;
        default:
          break;
      }
    }
    this.failJob(job, err);
  }

  /** Fails a message; `unknownOutcome` remembers the failure so the same id is not sent twice. */
  private failJob(job: Job, error: Error, unknownOutcome = false): void {
    if (job.settled) return;
    job.settled = true;
    this.jobs.delete(job.id);
    for (let i = this.queue.length - 1; i >= 0; i -= 1) if (this.queue[i]?.job === job) this.queue.splice(i, 1);
    if (unknownOutcome) this.remember(this.finished, job.id, { error });
    this.log.warn({ id: job.id, err: error.message }, 'smpp message failed');
    job.reject(error);
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.set(key, value);
    if (map.size > REMEMBERED_IDS) {
      const oldest = map.keys().next();
      if (oldest.done !== true) map.delete(oldest.value);
    }
  }

  // ---- inbound -----------------------------------------------------------------------------------------

  private onRequest(session: SmppSession, pdu: Pdu): void {
    if (pdu.command !== 'deliver_sm') {
      // An SMSC sends us deliver_sm (and enquire_link / unbind, which the session answers); nothing else.
      const commandId = pdu.command === 'unsupported' ? pdu.commandId : COMMAND_ID[pdu.command];
      this.log.info({ command: pdu.command }, 'smpp request not expected from an SMSC');
      session.respondStatus({ sequenceNumber: pdu.sequenceNumber, commandId }, 'ESME_RINVCMDID');
      return;
    }
    if (isDeliveryReceipt(pdu.esmClass)) {
      this.onReceipt(pdu);
      session.respond(pdu, { command: 'deliver_sm_resp', messageId: '' });
      return;
    }
    this.counters.received += 1;
    const content = pdu.shortMessage.length > 0 ? pdu.shortMessage : (pdu.tlvs.messagePayload ?? Buffer.alloc(0));
    let userData: UserData = { ies: [], headerOctets: 0, payload: content };
    if ((pdu.esmClass & ESM_CLASS.UDHI) !== 0) {
      try {
        userData = parseUserData(content);
      } catch (error) {
        // Binary content must reach the application untouched even when its header is odd: pass it whole.
        this.log.warn({ err: String(error), sourceAddr: pdu.sourceAddr }, 'deliver_sm UDH unreadable: passed on as payload');
      }
    }
    userData = withSarConcat(userData, pdu);
    const assembled = this.reassembler.push(`${pdu.sourceAddr}|${pdu.destinationAddr}`, userData, pdu);
    session.respond(pdu, { command: 'deliver_sm_resp', messageId: '' });
    if (assembled === undefined) return;
    const first = assembled.meta;
    this.emit('message', {
      sourceAddr: first.sourceAddr,
      sourceAddrTon: first.sourceAddrTon,
      sourceAddrNpi: first.sourceAddrNpi,
      destinationAddr: first.destinationAddr,
      destAddrTon: first.destAddrTon,
      destAddrNpi: first.destAddrNpi,
      dataCoding: first.dataCoding,
      esmClass: first.esmClass,
      protocolId: first.protocolId,
      udh: assembled.ies,
      payload: assembled.payload,
      segments: assembled.segments,
      bind: this.name,
    });
  }

  private onReceipt(pdu: SmPdu): void {
    let receipt: DeliveryReceipt;
    try {
      receipt = parseDeliveryReceipt(pdu);
    } catch (error) {
      // Acknowledged anyway: refusing it would only make the SMSC send the same unreadable receipt again.
      this.log.warn({ err: String(error), text: pdu.shortMessage.toString('latin1').slice(0, 160) }, 'delivery receipt unreadable');
      return;
    }
    this.counters.receipts += 1;
    const owner = messageIdVariants(receipt.messageId)
      .map((v) => this.byMessageId.get(v))
      .find((o) => o !== undefined);
    if (owner === undefined) this.log.info({ messageId: receipt.messageId, state: receipt.state }, 'delivery receipt for an unknown message_id');
    this.emit('receipt', owner === undefined ? { receipt, bind: this.name } : { receipt, id: owner.id, segment: owner.segment, bind: this.name });
  }
}

/** SMPP's own segmentation TLVs (sar_*, §5.3.2.22-24) read as a 16-bit concatenation IE, so one reassembler serves both. */
function withSarConcat(userData: UserData, pdu: SmPdu): UserData {
  const { sarMsgRefNum, sarTotalSegments, sarSegmentSeqnum } = pdu.tlvs;
  if (sarMsgRefNum === undefined || sarTotalSegments === undefined || sarSegmentSeqnum === undefined) return userData;
  if (userData.ies.some((ie) => ie.iei === IEI.CONCAT_8 || ie.iei === IEI.CONCAT_16)) return userData;
  return { ...userData, ies: [concatElement(16, sarMsgRefNum, sarTotalSegments, sarSegmentSeqnum), ...userData.ies] };
}

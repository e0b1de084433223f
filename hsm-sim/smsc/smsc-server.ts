import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createLogger, type Logger } from '../../src/log';
import {
  COMMAND_ID,
  ESM_CLASS,
  MESSAGE_STATE,
  MAX_SHORT_MESSAGE_OCTETS,
  PACKAGE_MAX_FRAME,
  SMPP_VERSION_34,
  SmppSession,
  TokenBucket,
  backoffDelay,
  concatInfo,
  encodeUdh,
  formatReceiptText,
  isSmppError,
  parseUserData,
  type BackoffPolicy,
  type BindCommand,
  type BindPdu,
  type CommandStatusName,
  type InformationElement,
  type MessageState,
  type Pdu,
  type PduInput,
  type SmPdu,
} from '../../src/channel/smpp';
import { MessageIdGenerator, ipAllowed, type SmscAccount } from './accounts';
import { normaliseMsisdn, type HandsetDirectory, type MoMessage, type MoSender, type MtMessage } from './handsets';

/**
 * The SMSC simulator: an SMPP 3.4 server standing in for the operator's SMSC in tests and demos.
 *   - binds (transceiver, transmitter, receiver) checked against accounts: system_id, password, source IP;
 *   - submit_sm routed to the handset owning destination_addr (ESME_RINVDSTADR when none does), with a
 *     message id, and a delivery receipt when registered_delivery asks;
 *   - MO SMs from handsets routed to a bound receiver of the account serving the destination address,
 *     queued while none is bound, retried until the ESME acknowledges;
 *   - a throughput limit per account (token bucket; ESME_RTHROTTLED beyond it);
 *   - fault controls: added latency, a share of submit_sm silently dropped, down for a while.
 * Every refusal has its SMPP status and a log line. It runs in-process (tests) or alone (main.ts).
 */

export interface SmscOptions {
  readonly accounts: readonly SmscAccount[];
  readonly handsets: HandsetDirectory;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** system_id the SMSC answers binds with. */
  readonly systemId?: string;
  readonly logger?: Logger;
  readonly maxFrameLength?: number;
  /** How long a deliver_sm waits for deliver_sm_resp before it is retried. */
  readonly responseTimeoutMs?: number;
  /** Silence after which the SMSC sends enquire_link; 0: off. */
  readonly enquireLinkMs?: number;
  /** deliver_sm outstanding at once per account. */
  readonly deliverWindow?: number;
  readonly deliverRetry?: BackoffPolicy;
  /** Seed of the drop-share random draws, for reproducible fault runs. */
  readonly faultSeed?: number;
  /**
   * How MO SMs are spread over an account's receiving binds. 'subscriber' (default): all of one subscriber's
   * SMs take one bind. 'message': round-robin per message, the parts of a concatenated SM kept together, so
   * that with several platform nodes bound to one account answers really reach nodes that did not ask.
   */
  readonly moSpread?: 'subscriber' | 'message';
}

export interface SmscEvents {
  /** A submit_sm was accepted (answered with this message id). */
  accepted: [message: MtMessage, systemId: string];
  /** An MO SM or receipt was acknowledged by an ESME. */
  delivered: [messageId: string, kind: 'mo' | 'receipt', systemId: string];
  bound: [systemId: string, type: BindCommand, remoteAddress: string];
}

export interface SmscStats {
  readonly binds: number;
  readonly refusedBinds: number;
  readonly submits: number;
  readonly accepted: number;
  readonly throttled: number;
  readonly dropped: number;
  readonly moAccepted: number;
  readonly moDelivered: number;
  readonly receiptsDelivered: number;
  readonly sessions: number;
}

interface Binding {
  readonly account: AccountState;
  readonly type: BindCommand;
  readonly session: SmppSession;
}

interface Connection {
  readonly session: SmppSession;
  readonly work: Set<Promise<void>>;
  binding?: Binding;
}

interface Outbound {
  readonly messageId: string;
  readonly kind: 'mo' | 'receipt';
  readonly pdu: PduInput;
  /** MO: the subscriber, whose SMs all take one bind. */
  readonly subscriber?: string;
  /** MO with moSpread 'message': the round-robin turn of its message (every part of it the same). */
  readonly slot?: number;
  attempts: number;
}

interface AccountState {
  readonly account: SmscAccount;
  readonly bucket: TokenBucket | undefined;
  readonly queue: Outbound[];
  inFlight: number;
  next: number;
  retryAt: number;
  retryTimer?: NodeJS.Timeout;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a seeded generator for the drop share. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SmscSimulator extends EventEmitter<SmscEvents> implements MoSender {
  private readonly log: Logger;
  private readonly accounts = new Map<string, AccountState>();
  private readonly connections = new Set<Connection>();
  private readonly background = new Set<Promise<void>>();
  private readonly ids = new MessageIdGenerator();
  private readonly random: () => number;
  private server: Server | undefined;
  private stopping = false;
  private downUntil = 0;
  private latencyMs = 0;
  private dropShare = 0;
  /** moSpread 'message': turns handed out, and the turn of each concatenated SM still arriving. */
  private moTurns = 0;
  private readonly concatTurns = new Map<string, number>();
  private counters = { binds: 0, refusedBinds: 0, submits: 0, accepted: 0, throttled: 0, dropped: 0, moAccepted: 0, moDelivered: 0, receiptsDelivered: 0 };

  constructor(private readonly options: SmscOptions) {
    super();
    this.log = (options.logger ?? createLogger({ name: 'smsc-sim' })).child({ component: 'smsc-sim' });
    for (const account of options.accounts) {
      const bucket = account.submitsPerSecond === undefined ? undefined : new TokenBucket(account.submitsPerSecond, account.burst ?? Math.max(1, Math.ceil(account.submitsPerSecond / 10)));
      this.accounts.set(account.systemId, { account, bucket, queue: [], inFlight: 0, next: 0, retryAt: 0 });
    }
    this.random = options.faultSeed === undefined ? Math.random : seeded(options.faultSeed);
  }

  /** Listens; resolves with the address (the port when 0 was asked for). */
  start(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.onConnection(socket));
      this.server = server;
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        server.removeListener('error', reject);
        const address = server.address() as AddressInfo;
        this.log.info({ host: address.address, port: address.port }, 'smsc simulator listening');
        resolve(address);
      });
    });
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  stats(): SmscStats {
    return { ...this.counters, sessions: this.connections.size };
  }

  // ---- fault controls ----------------------------------------------------------------------------------

  /** Adds this many milliseconds before every submit_sm is answered. */
  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** This share (0..1) of submit_sm is silently dropped: no response, no delivery. */
  setDropShare(share: number): void {
    this.dropShare = Math.min(1, Math.max(0, share));
  }

  /**
   * Goes down for `ms`: every session is closed (after answering what it already acted on) and binds are
   * refused with ESME_RSYSERR until the time is up. Resolves once the sessions are closed.
   */
  async goDown(ms: number): Promise<void> {
    this.downUntil = Date.now() + ms;
    this.log.warn({ ms }, 'smsc simulator going down');
    await this.closeSessions('smsc down');
  }

  /** Stops: no new connections, every session answers what it acted on, then closes. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const server = this.server;
    const closed = new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    await this.closeSessions('smsc stopping');
    for (const state of this.accounts.values()) if (state.retryTimer !== undefined) clearTimeout(state.retryTimer);
    await closed;
    this.log.info('smsc simulator stopped');
  }

  /** Resolves when every queued MO / receipt has been acknowledged and no handset delivery is running. */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy = this.background.size > 0 || [...this.accounts.values()].some((s) => s.queue.length > 0 || s.inFlight > 0);
      if (!busy) return;
      if (Date.now() > deadline) throw new Error('smsc simulator not idle in time');
      await sleep(10);
    }
  }

  private async closeSessions(reason: string): Promise<void> {
    const connections = [...this.connections];
    for (const c of connections) c.session.stopReading();
    // What was read has been acted on: let those handlers write their responses before the FIN.
    await Promise.allSettled(connections.flatMap((c) => [...c.work]));
    await Promise.allSettled([...this.background]);
    await Promise.all(connections.map((c) => c.session.end(reason)));
  }

  // ---- sessions ----------------------------------------------------------------------------------------

  private onConnection(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const session = new SmppSession(socket, {
      logger: this.log,
      maxFrameLength: this.options.maxFrameLength ?? PACKAGE_MAX_FRAME,
      responseTimeoutMs: this.options.responseTimeoutMs ?? 5_000,
      window: (this.options.deliverWindow ?? 10) + 2,
      enquireLinkMs: this.options.enquireLinkMs ?? 30_000,
    });
    const connection: Connection = { session, work: new Set() };
    this.connections.add(connection);
    session.on('request', (pdu) => {
      const job = this.onRequest(connection, pdu).catch((error: unknown) => {
        this.log.error({ err: String(error) }, 'smsc request handler failed');
      });
      connection.work.add(job);
      void job.finally(() => connection.work.delete(job));
    });
    session.on('close', (reason) => {
      this.connections.delete(connection);
      if (connection.binding !== undefined) {
        this.log.info({ systemId: connection.binding.account.account.systemId, reason }, 'smsc session unbound');
        connection.binding = undefined;
      }
    });
  }

  private async onRequest(connection: Connection, pdu: Pdu): Promise<void> {
    const { session } = connection;
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        this.onBind(connection, pdu);
        return;
      case 'submit_sm':
        await this.onSubmit(connection, pdu);
        return;
      default: {
        const commandId = pdu.command === 'unsupported' ? pdu.commandId : COMMAND_ID[pdu.command];
        this.log.info({ command: pdu.command }, 'smsc: command not served');
        session.respondStatus({ sequenceNumber: pdu.sequenceNumber, commandId }, 'ESME_RINVCMDID');
      }
    }
  }

  private refuseBind(connection: Connection, pdu: BindPdu, status: CommandStatusName, why: string, close: boolean): void {
    this.counters.refusedBinds += 1;
    this.log.warn({ systemId: pdu.systemId, remoteAddress: connection.session.remoteAddress, status }, `smsc bind refused: ${why}`);
    connection.session.respondStatus({ sequenceNumber: pdu.sequenceNumber, commandId: COMMAND_ID[pdu.command] }, status);
    if (close) void connection.session.end('bind refused');
  }

  private onBind(connection: Connection, pdu: BindPdu): void {
    if (connection.binding !== undefined) return this.refuseBind(connection, pdu, 'ESME_RALYBND', 'already bound', false);
    if (Date.now() < this.downUntil) return this.refuseBind(connection, pdu, 'ESME_RSYSERR', 'smsc down', true);
    const state = this.accounts.get(pdu.systemId);
    if (state === undefined) return this.refuseBind(connection, pdu, 'ESME_RINVSYSID', 'unknown system_id', true);
    if (state.account.password !== pdu.password) return this.refuseBind(connection, pdu, 'ESME_RINVPASWD', 'wrong password', true);
    if (!ipAllowed(state.account, connection.session.remoteAddress)) return this.refuseBind(connection, pdu, 'ESME_RBINDFAIL', 'address not allowed', true);
    connection.binding = { account: state, type: pdu.command, session: connection.session };
    this.counters.binds += 1;
    const resp: PduInput = {
      command: `${pdu.command}_resp`,
      systemId: this.options.systemId ?? 'HSMSIM',
      // §5.3.2.25: announce our version only to an ESME that speaks 3.4 or later.
      ...(pdu.interfaceVersion >= SMPP_VERSION_34 ? { scInterfaceVersion: SMPP_VERSION_34 } : {}),
    };
    connection.session.respond(pdu, resp);
    this.log.info({ systemId: pdu.systemId, type: pdu.command, interfaceVersion: pdu.interfaceVersion, remoteAddress: connection.session.remoteAddress }, 'smsc bound');
    this.emit('bound', pdu.systemId, pdu.command, connection.session.remoteAddress);
    this.pumpAccount(state);
  }

  private async onSubmit(connection: Connection, pdu: SmPdu): Promise<void> {
    const { session } = connection;
    const binding = connection.binding;
    const reply = (status: CommandStatusName, why: string): void => {
      this.log.info({ systemId: binding?.account.account.systemId, destinationAddr: pdu.destinationAddr, status }, `smsc submit_sm refused: ${why}`);
      session.respondStatus({ sequenceNumber: pdu.sequenceNumber, commandId: COMMAND_ID.submit_sm }, status);
    };
    this.counters.submits += 1;
    if (binding === undefined || binding.type === 'bind_receiver') return reply('ESME_RINVBNDSTS', 'not bound to transmit');
    if (binding.account.bucket !== undefined && !binding.account.bucket.tryTake()) {
      this.counters.throttled += 1;
      return reply('ESME_RTHROTTLED', 'throughput limit');
    }
    if (this.dropShare > 0 && this.random() < this.dropShare) {
      this.counters.dropped += 1;
      this.log.info({ sequenceNumber: pdu.sequenceNumber, destinationAddr: pdu.destinationAddr }, 'smsc fault: submit_sm dropped');
      return;
    }
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    if (session.state === 'closed') {
      // The ESME is gone and will send this again on its next bind: acting on it now would deliver it twice.
      this.log.info({ sequenceNumber: pdu.sequenceNumber }, 'smsc: submit_sm not acted on, its session closed');
      return;
    }
    const msisdn = normaliseMsisdn(pdu.destinationAddr);
    if (!this.options.handsets.has(msisdn)) return reply('ESME_RINVDSTADR', 'no handset owns the MSISDN');
    const userData = pdu.shortMessage.length > 0 ? pdu.shortMessage : (pdu.tlvs.messagePayload ?? Buffer.alloc(0));
    let udh: readonly InformationElement[] | undefined;
    let payload = userData;
    if ((pdu.esmClass & ESM_CLASS.UDHI) !== 0) {
      try {
        const parsed = parseUserData(userData);
        udh = parsed.ies;
        payload = parsed.payload;
      } catch (error) {
        return reply('ESME_RINVESMCLASS', `UDHI set but ${String(error)}`);
      }
    }
    const messageId = this.ids.next();
    const message: MtMessage = {
      messageId,
      sourceAddr: pdu.sourceAddr,
      destinationAddr: msisdn,
      dataCoding: pdu.dataCoding,
      esmClass: pdu.esmClass,
      protocolId: pdu.protocolId,
      ...(udh !== undefined ? { udh } : {}),
      payload,
      userData,
      registeredDelivery: pdu.registeredDelivery,
    };
    session.respond(pdu, { command: 'submit_sm_resp', messageId });
    this.counters.accepted += 1;
    this.emit('accepted', message, binding.account.account.systemId);
    this.track(this.deliverToHandset(binding.account, message, new Date()));
  }

  private track(job: Promise<void>): void {
    this.background.add(job);
    void job.finally(() => this.background.delete(job));
  }

  private async deliverToHandset(account: AccountState, message: MtMessage, submitted: Date): Promise<void> {
    let state: MessageState = 'DELIVERED';
    try {
      await this.options.handsets.deliver(message.destinationAddr, message, this);
    } catch (error) {
      state = 'UNDELIVERABLE';
      this.log.info({ messageId: message.messageId, err: String(error) }, 'smsc: handset did not take the message');
    }
    const wanted = message.registeredDelivery & 0x03;
    if (wanted === 1 || (wanted === 2 && state !== 'DELIVERED')) this.queueReceipt(account, message, state, submitted);
  }

  private queueReceipt(account: AccountState, message: MtMessage, state: MessageState, submitted: Date): void {
    const text = formatReceiptText({
      messageId: message.messageId,
      state,
      submitDate: submitted,
      doneDate: new Date(),
      err: state === 'DELIVERED' ? 0 : 1,
      text: message.payload.toString('latin1').replace(/[^\x20-\x7e]/g, '.'),
    });
    account.queue.push({
      messageId: message.messageId,
      kind: 'receipt',
      attempts: 0,
      pdu: {
        command: 'deliver_sm',
        sourceAddr: message.destinationAddr,
        destinationAddr: message.sourceAddr,
        esmClass: ESM_CLASS.TYPE_DELIVERY_RECEIPT,
        shortMessage: Buffer.from(text, 'latin1'),
        tlvs: { receiptedMessageId: message.messageId, messageState: MESSAGE_STATE[state].value },
      },
    });
    this.pumpAccount(account);
  }

  // ---- mobile-originated -------------------------------------------------------------------------------

  /** MoSender: a handset's SM towards the platform. Resolves with its message id once queued. */
  sendMo(message: MoMessage): Promise<string> {
    const state = this.routeMo(message.destinationAddr);
    if (state === undefined) return Promise.reject(new Error(`no ESME account serves ${message.destinationAddr}`));
    const header = message.udh !== undefined && message.udh.length > 0 ? encodeUdh(message.udh) : Buffer.alloc(0);
    const shortMessage = Buffer.concat([header, message.payload]);
    if (shortMessage.length > MAX_SHORT_MESSAGE_OCTETS) return Promise.reject(new Error('MO SM longer than 254 octets: split it'));
    const messageId = this.ids.next();
    this.counters.moAccepted += 1;
    const slot = this.moTurn(normaliseMsisdn(message.sourceAddr), message.udh ?? []);
    state.queue.push({
      messageId,
      kind: 'mo',
      subscriber: normaliseMsisdn(message.sourceAddr),
      ...(slot !== undefined ? { slot } : {}),
      attempts: 0,
      pdu: {
        command: 'deliver_sm',
        sourceAddr: normaliseMsisdn(message.sourceAddr),
        destinationAddr: message.destinationAddr,
        esmClass: (message.esmClass ?? 0) | (header.length > 0 ? ESM_CLASS.UDHI : 0),
        protocolId: message.protocolId ?? 0,
        dataCoding: message.dataCoding,
        shortMessage,
      },
    });
    this.pumpAccount(state);
    return Promise.resolve(messageId);
  }

  /** The round-robin turn of an MO SM when spreading per message: a concatenated SM's parts share their first part's. */
  private moTurn(subscriber: string, udh: readonly InformationElement[]): number | undefined {
    if (this.options.moSpread !== 'message') return undefined;
    const concat = concatInfo(udh);
    if (concat === undefined) return this.moTurns++;
    const key = `${subscriber}/${concat.referenceBits}/${concat.reference}`;
    let turn = this.concatTurns.get(key);
    if (turn === undefined) {
      turn = this.moTurns++;
      this.concatTurns.set(key, turn);
    }
    if (concat.sequence === concat.total) this.concatTurns.delete(key);
    return turn;
  }

  private routeMo(destinationAddr: string): AccountState | undefined {
    const states = [...this.accounts.values()];
    return states.find((s) => s.account.moAddresses?.includes(destinationAddr)) ?? (states.length === 1 ? states[0] : undefined);
  }

  private receivers(state: AccountState): SmppSession[] {
    return [...this.connections]
      .filter((c) => c.binding?.account === state && c.binding.type !== 'bind_transmitter' && c.session.state === 'open')
      .map((c) => c.session);
  }

  /** Sends queued deliver_sm to the account's receivers (MO by subscriber, receipts round-robin), within the window, after any back-off. */
  private pumpAccount(state: AccountState): void {
    if (this.stopping) return;
    const window = this.options.deliverWindow ?? 10;
    const wait = state.retryAt - Date.now();
    if (wait > 0) {
      if (state.retryTimer === undefined) {
        state.retryTimer = setTimeout(() => {
          state.retryTimer = undefined;
          this.pumpAccount(state);
        }, wait);
      }
      return;
    }
    while (state.queue.length > 0 && state.inFlight < window) {
      const receivers = this.receivers(state);
      if (receivers.length === 0) return; // waits for a bind (onBind pumps)
      const item = state.queue.shift() as Outbound;
      // MO SMs of one subscriber always take the same bind, so the parts of a concatenated MO (a SIM's PoR
      // with a signature is two to five SMs) meet in one ESME's reassembler; receipts go round-robin.
      const pick = item.slot ?? (item.subscriber !== undefined ? subscriberHash(item.subscriber) : state.next++);
      const session = receivers[pick % receivers.length] as SmppSession;
      state.inFlight += 1;
      session.request(item.pdu).then(
        () => {
          state.inFlight -= 1;
          if (item.kind === 'mo') this.counters.moDelivered += 1;
          else this.counters.receiptsDelivered += 1;
          this.emit('delivered', item.messageId, item.kind, state.account.systemId);
          this.pumpAccount(state);
        },
        (error: unknown) => {
          state.inFlight -= 1;
          item.attempts += 1;
          // Back to the head: an MO is retried until an ESME takes it (a real SMSC keeps it for its validity period).
          state.queue.unshift(item);
          const lost = isSmppError(error) && error.code === 'CONNECTION_LOST';
          if (!lost) {
            const delay = backoffDelay(item.attempts, this.options.deliverRetry ?? { initialMs: 100, maxMs: 5_000 });
            state.retryAt = Date.now() + delay;
            this.log.info({ messageId: item.messageId, err: String(error), delayMs: delay }, 'smsc deliver_sm not acknowledged: retrying');
          }
          this.pumpAccount(state);
        },
      );
    }
  }
}

/** A small stable hash of an address (FNV-1a), to pin a subscriber's MO SMs to one bind. */
function subscriberHash(address: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i += 1) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

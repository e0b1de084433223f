import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '../../log';
import {
  checkResponseMatches,
  decodeResponse,
  encodeRequest,
  type AppletRequest,
  type AppletResponse,
  type CodecOptions,
} from '../applet';
import {
  IEI_COMMAND_PACKET,
  IEI_RESPONSE_PACKET,
  OTA_SMS_DCS,
  OTA_SMS_PID,
  buildCommandPacket,
  isOtaError,
  parseResponsePacket,
  type OtaCrypto,
  type PorExpectation,
  type ProofOfReceipt,
  type Spi,
} from '../ota';
import type { InboundMessage, OutboundMessage, SubmitResult } from '../smpp';
import { AppletChannelError } from './errors';
import { PorRelayer, type PorRelay, type RelayStats } from './por-relay';
import { APPLET_SPI, normaliseMsisdn, type CounterSource, type SimDirectory, type SimProfile } from './profiles';

/**
 * "Send this applet request to an MSISDN and await the decoded applet response": the whole mobile channel
 * behind one call, for approval/.
 *
 *   request ─encodeRequest─► OTA command packet (KIc/KID in the HSM, next CNTR) ─submit_sm─► SMSC ─► SIM
 *   SIM ─PoR in SMS-SUBMIT─► SMSC ─deliver_sm─► here: PoR checked (CC, TAR, CNTR) ─decodeResponse─► caller
 *
 * Correlation: one request at a time per MSISDN (a SIM runs one toolkit dialogue at a time; later requests
 * to the same number wait their turn), the PoR must verify under that request's TAR and CNTR, and the
 * applet response must carry its transaction reference. Anything else arriving from the number (a late PoR
 * of a request that already timed out, a forgery) is logged and dropped without disturbing the one waiting;
 * with a relay (several nodes on one SMSC account) it is first offered to the other nodes (por-relay.ts).
 */

/** The part of an EsmeClient / EsmePool this uses. */
export interface SmsTransport {
  submit(message: OutboundMessage): Promise<SubmitResult>;
  on(event: 'message', listener: (message: InboundMessage) => void): unknown;
  off(event: 'message', listener: (message: InboundMessage) => void): unknown;
}

export interface AppletChannelOptions {
  readonly transport: SmsTransport;
  /** The platform's OtaCrypto (deviceOtaCrypto over the HSM). */
  readonly crypto: OtaCrypto;
  readonly sims: SimDirectory;
  readonly counters: CounterSource;
  /** The platform's short code: source_addr of requests, and where handsets send their answers. */
  readonly shortCode: string;
  /** Default time to wait for the answer, from the submit: a person reads and types a PIN. Default 120 s. */
  readonly timeoutMs?: number;
  /** SPI of the command packets; default APPLET_SPI ('16 39'). */
  readonly spi?: Spi;
  /** Display limits etc. for encoding requests. */
  readonly codec?: CodecOptions;
  readonly logger?: Logger;
  /** Several nodes behind one SMSC account: PoRs that reached the wrong node are passed on (por-relay.ts). */
  readonly relay?: PorRelay;
}

export interface RequestOptions {
  /** Overrides the channel's default timeout for this request. */
  readonly timeoutMs?: number;
}

export interface AppletResult {
  readonly msisdn: string;
  /** The applet's answer, already checked against the request (reference, outcome kind, signature format). */
  readonly response: AppletResponse;
  /** The PoR that carried it (secured, status 'por-ok'). */
  readonly por: ProofOfReceipt;
  /** The CNTR the command went with. */
  readonly counter: bigint;
  /** From submit to the decoded answer. */
  readonly elapsedMs: number;
}

interface Pending {
  readonly msisdn: string;
  readonly request: AppletRequest;
  readonly expect: PorExpectation;
  readonly started: number;
  readonly resolve: (result: AppletResult) => void;
  readonly reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/** A fresh 8-octet transaction reference. */
export function newTransactionRef(): Buffer {
  return randomBytes(8);
}

export class AppletChannel {
  private readonly log: Logger;
  private readonly waiting = new Map<string, Pending>();
  /** Tail of the queue of requests per MSISDN. */
  private readonly turns = new Map<string, Promise<unknown>>();
  private readonly onMessage = (m: InboundMessage): void => {
    void this.receive(m);
  };
  private closed = false;
  private readonly relayer: PorRelayer | undefined;

  constructor(private readonly options: AppletChannelOptions) {
    this.log = options.logger ?? createLogger({ name: 'channel.applet' });
    options.transport.on('message', this.onMessage);
    this.relayer =
      options.relay === undefined
        ? undefined
        : new PorRelayer(options.relay, this.log, (msisdn, payload) => this.takeRelayed(msisdn, payload));
  }

  /** PoRs passed to other nodes and taken from them (all zero without a relay). */
  get relayStats(): RelayStats {
    return this.relayer?.stats ?? { relayed: 0, claimed: 0, unclaimed: 0 };
  }

  /** Requests waiting for their answer (not those queued behind one for the same MSISDN). */
  get pendingCount(): number {
    return this.waiting.size;
  }

  /**
   * Sends `request` to the applet of the SIM behind `msisdn` and resolves with its checked response.
   * Rejects with AppletChannelError: UNKNOWN_MSISDN, BAD_REQUEST, SUBMIT_FAILED, TIMEOUT, POR_ERROR,
   * BAD_RESPONSE, CLOSED. A user who cancels, a blocked PIN or an applet timeout are responses, not errors.
   */
  request(msisdn: string, request: AppletRequest, options: RequestOptions = {}): Promise<AppletResult> {
    const number = normaliseMsisdn(msisdn);
    const previous = this.turns.get(number) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(() => this.run(number, request, options));
    const tail = mine.catch(() => undefined);
    this.turns.set(number, tail);
    void tail.then(() => {
      if (this.turns.get(number) === tail) this.turns.delete(number);
    });
    return mine;
  }

  private async run(msisdn: string, request: AppletRequest, options: RequestOptions): Promise<AppletResult> {
    if (this.closed) throw new AppletChannelError('CLOSED', { msisdn });
    const profile = await this.options.sims.lookup(msisdn);
    if (profile === undefined) throw new AppletChannelError('UNKNOWN_MSISDN', { msisdn });
    let payload: Buffer;
    try {
      payload = encodeRequest(request, this.options.codec);
    } catch (err) {
      throw new AppletChannelError('BAD_REQUEST', { msisdn }, { cause: err });
    }
    const spi = this.options.spi ?? APPLET_SPI;
    const counter = await this.options.counters.next(profile.sim);
    const expect = expectation(profile, spi, counter);
    let built: Awaited<ReturnType<typeof buildCommandPacket>>;
    try {
      built = await buildCommandPacket({ ...expect, payload }, this.options.crypto);
    } catch (err) {
      this.log.error({ event: 'applet.ota.keys', msisdn, sim: profile.sim, reason: err instanceof Error ? err.message : String(err) }, 'command packet not built');
      throw new AppletChannelError('OTA_KEYS', { msisdn }, { cause: err });
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 120_000;

    return new Promise<AppletResult>((resolve, reject) => {
      const pending: Pending = { msisdn, request, expect, started: performance.now(), resolve, reject, timer: undefined, settled: false };
      this.waiting.set(msisdn, pending);
      pending.timer = setTimeout(() => this.settle(pending, new AppletChannelError('TIMEOUT', { msisdn, timeoutMs })), timeoutMs);
      const message: OutboundMessage = {
        sourceAddr: this.options.shortCode,
        destinationAddr: msisdn,
        protocolId: OTA_SMS_PID,
        dataCoding: OTA_SMS_DCS,
        udh: [{ iei: IEI_COMMAND_PACKET, data: Buffer.alloc(0) }],
        payload: built.packet,
      };
      this.options.transport.submit(message).catch((err: unknown) => {
        this.log.warn({ event: 'applet.submit.failed', msisdn, reason: err instanceof Error ? err.message : String(err) }, 'applet request not accepted by the SMSC');
        this.settle(pending, new AppletChannelError('SUBMIT_FAILED', { msisdn }, { cause: err }));
      });
    });
  }

  private settle(pending: Pending, outcome: AppletResult | Error): void {
    if (pending.settled) return;
    pending.settled = true;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (this.waiting.get(pending.msisdn) === pending) this.waiting.delete(pending.msisdn);
    if (outcome instanceof Error) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  private async receive(message: InboundMessage): Promise<void> {
    if (!message.udh.some((ie) => ie.iei === IEI_RESPONSE_PACKET)) return;
    const msisdn = normaliseMsisdn(message.sourceAddr);
    const pending = this.waiting.get(msisdn);
    if (pending === undefined) {
      if (this.relayer !== undefined) return this.relayer.relay(msisdn, message.payload);
      this.log.warn({ event: 'applet.por.unexpected', msisdn }, 'response packet from a number with no request waiting: dropped');
      return;
    }
    const por = await this.check(pending, message.payload);
    // Not the answer to our request: with several nodes, most likely the answer to another node's.
    if (por === undefined) return this.relayer?.relay(msisdn, message.payload);
    this.accept(pending, por);
  }

  /**
   * A PoR another node received: ours if a request to that number waits here and the PoR verifies under its keys,
   * TAR and CNTR (counters are unique across nodes, so at most one node can take it).
   */
  private async takeRelayed(msisdn: string, payload: Buffer): Promise<boolean> {
    const pending = this.waiting.get(msisdn);
    if (pending === undefined || pending.settled) return false;
    const por = await this.check(pending, payload, true);
    if (por === undefined) return false;
    this.accept(pending, por);
    return true;
  }

  /** The PoR if it verifies under the waiting request's expectation; undefined (logged) otherwise. */
  private async check(pending: Pending, payload: Buffer, quiet = false): Promise<ProofOfReceipt | undefined> {
    try {
      return await parseResponsePacket(payload, pending.expect, this.options.crypto, quiet ? undefined : this.log);
    } catch (err) {
      // parseResponsePacket logged an OtaError; a PoR that does not verify under this request's keys, TAR and
      // CNTR is not its answer (a late PoR of an expired request, a forgery): the request keeps waiting.
      if (!isOtaError(err)) this.log.error({ event: 'applet.por.failed', msisdn: pending.msisdn, reason: err instanceof Error ? err.message : String(err) }, 'PoR could not be checked');
      return undefined;
    }
  }

  private accept(pending: Pending, por: ProofOfReceipt): void {
    const { msisdn } = pending;
    if (pending.settled) return;
    if (por.status !== 'por-ok' || !por.secured) {
      this.log.warn({ event: 'applet.por.error', msisdn, status: por.status, secured: por.secured }, 'the SIM refused the command packet');
      this.settle(pending, new AppletChannelError('POR_ERROR', { msisdn, porStatus: por.status, secured: por.secured }));
      return;
    }
    let response: AppletResponse;
    try {
      response = decodeResponse(por.data);
      checkResponseMatches(pending.request, response);
    } catch (err) {
      this.log.warn({ event: 'applet.response.bad', msisdn, reason: err instanceof Error ? err.message : String(err) }, 'applet response refused');
      this.settle(pending, new AppletChannelError('BAD_RESPONSE', { msisdn }, { cause: err }));
      return;
    }
    this.settle(pending, { msisdn, response, por, counter: pending.expect.counter, elapsedMs: performance.now() - pending.started });
  }

  /** Stops listening; requests still waiting fail with CLOSED. The transport is the caller's to close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.transport.off('message', this.onMessage);
    this.relayer?.close();
    for (const pending of [...this.waiting.values()]) this.settle(pending, new AppletChannelError('CLOSED', { msisdn: pending.msisdn }));
  }
}

function expectation(profile: SimProfile, spi: Spi, counter: bigint): PorExpectation {
  return { sim: profile.sim, spi, kic: profile.kic, kid: profile.kid, tar: profile.tar, counter };
}

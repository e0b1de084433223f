import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from '../../log';
import { decodePdu, encodePdu, readHeader, responseCommandFor } from './codec';
import {
  SmppCommandStatusError,
  SmppConnectionLostError,
  SmppMalformedPduError,
  SmppResponseTimeoutError,
  isSmppError,
} from './errors';
import { FrameGuard } from './frame-guard';
import { COMMAND_ID, commandName, isResponseId, type Pdu, type PduInput } from './pdu';
import { statusName, statusValue, type CommandStatusName } from './status';

/**
 * One SMPP connection, either side: framing through the frame guard, sequence numbers, a window of
 * outstanding requests, a response timeout on every request, enquire_link both ways, and the protocol's
 * own answer to every bad input (generic_nack or the command's _resp with an error status).
 * Binding, routing and retries belong to the owner (esme-client.ts, the SMSC simulator).
 */

export interface SessionOptions {
  readonly logger: Logger;
  /** Largest command_length accepted. */
  readonly maxFrameLength: number;
  /** How long a request waits for its response before it fails with SmppResponseTimeoutError. */
  readonly responseTimeoutMs: number;
  /** Requests outstanding at once; more wait their turn in order. */
  readonly window: number;
  /** Send enquire_link after this much silence from the peer; 0 turns it off. */
  readonly enquireLinkMs: number;
  /** Invalid PDUs in a row after which the peer is taken not to speak SMPP and the connection is closed. */
  readonly maxInvalidPdus?: number;
}

export type SessionState = 'open' | 'closing' | 'closed';

interface SessionEvents {
  /** A request for the owner: everything but enquire_link and unbind, which the session answers itself. */
  request: [pdu: Pdu];
  /** The peer unbound; the session has answered and is closing. */
  unbind: [];
  close: [reason: string];
}

interface Outstanding {
  readonly command: string;
  readonly expect: number;
  readonly resolve: (pdu: Pdu) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Waiting {
  readonly input: PduInput;
  readonly timeoutMs: number;
  readonly resolve: (pdu: Pdu) => void;
  readonly reject: (error: Error) => void;
}

const MAX_SEQUENCE = 0x7fffffff;
const DEFAULT_MAX_INVALID = 10;

export class SmppSession extends EventEmitter<SessionEvents> {
  private readonly guard: FrameGuard;
  private readonly log: Logger;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly waiting: Waiting[] = [];
  private sequence = 0;
  private invalidInRow = 0;
  private reading = true;
  private lastHeard = Date.now();
  private enquireTimer: NodeJS.Timeout | undefined;
  private closeReason = 'closed';
  private stateValue: SessionState = 'open';
  /** A cork is on until the next tick (see output()). */
  private corked = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: SessionOptions,
  ) {
    super();
    this.guard = new FrameGuard({ maxFrameLength: options.maxFrameLength });
    this.log = options.logger.child({ peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => {
      this.closeReason = `socket error: ${error.message}`;
      this.log.debug({ err: error.message }, 'smpp socket error');
    });
    socket.on('end', () => {
      if (this.closeReason === 'closed') this.closeReason = 'peer closed the connection';
      // Half-open connections serve no SMPP purpose: finish our side as soon as what we wrote is flushed.
      socket.end();
    });
    socket.on('close', () => this.onClose());
    this.scheduleEnquireLink(options.enquireLinkMs);
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get remoteAddress(): string {
    return socket4(this.socket.remoteAddress);
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.outstanding.size;
  }

  /** Requests waiting for a place in the window. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Sends a request and resolves with its response. Rejects with SmppCommandStatusError (non-zero status or
   * generic_nack), SmppResponseTimeoutError, SmppConnectionLostError (`sent` tells whether it left us),
   * or SmppInvalidArgumentError (a value SMPP cannot carry; nothing is sent).
   */
  request(input: PduInput, timeoutMs = this.options.responseTimeoutMs): Promise<Pdu> {
    return new Promise<Pdu>((resolve, reject) => {
      if (this.stateValue !== 'open') {
        reject(new SmppConnectionLostError(input.command, false));
        return;
      }
      if (this.outstanding.size >= this.options.window) {
        this.waiting.push({ input, timeoutMs, resolve, reject });
        return;
      }
      this.send(input, timeoutMs, resolve, reject);
    });
  }

  /** Answers a request. A non-zero status sends the header only, as SMPP 3.4 allows for error responses. */
  respond(request: Pdu, input: PduInput, status = 0): void {
    this.write(input, request.sequenceNumber, status);
  }

  /** Answers a request with an error status in its own _resp (or generic_nack when it has none). */
  respondStatus(request: { readonly sequenceNumber: number; readonly commandId: number }, status: CommandStatusName): void {
    const resp = responseCommandFor(request.commandId);
    if (resp === undefined) this.genericNack(status, request.sequenceNumber);
    else this.writeRaw(resp, request.sequenceNumber, statusValue(status));
  }

  genericNack(status: CommandStatusName, sequenceNumber: number): void {
    this.write({ command: 'generic_nack' }, sequenceNumber, statusValue(status));
  }

  /**
   * Stops taking PDUs from the peer (before a graceful shutdown): later frames are dropped unanswered, so the
   * peer sees them fail with the connection and sends them again elsewhere. The socket keeps being read
   * (and the octets discarded) so the peer's FIN is still seen and the close completes.
   */
  stopReading(): void {
    this.reading = false;
  }

  /** Sends unbind, waits for unbind_resp (or the timeout), then closes. */
  async unbind(): Promise<void> {
    if (this.stateValue === 'open') {
      try {
        await this.request({ command: 'unbind' });
      } catch (error) {
        this.log.debug({ err: String(error) }, 'unbind not answered');
      }
    }
    await this.end('unbound');
  }

  /** Closes after flushing what was written; resolves once the socket is closed. */
  end(reason = 'closed by us'): Promise<void> {
    return new Promise((resolve) => {
      if (this.stateValue === 'closed') {
        resolve();
        return;
      }
      this.closeReason = reason;
      this.stateValue = 'closing';
      this.once('close', () => resolve());
      this.socket.end();
      // A peer that never finishes its side must not keep us waiting.
      const timer = setTimeout(() => this.socket.destroy(), Math.max(1_000, this.options.responseTimeoutMs));
      timer.unref();
    });
  }

  /** Drops the connection at once (no unbind): outstanding requests fail with SmppConnectionLostError. */
  destroy(reason: string): void {
    if (this.stateValue === 'closed') return;
    this.closeReason = reason;
    this.socket.destroy();
  }

  private nextSequence(): number {
    do {
      this.sequence = this.sequence >= MAX_SEQUENCE ? 1 : this.sequence + 1;
    } while (this.outstanding.has(this.sequence));
    return this.sequence;
  }

  private send(input: PduInput, timeoutMs: number, resolve: (pdu: Pdu) => void, reject: (error: Error) => void): void {
    const sequenceNumber = this.nextSequence();
    let bytes: Buffer;
    try {
      bytes = encodePdu(input, sequenceNumber);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      this.pump();
      return;
    }
    const requestId = COMMAND_ID[input.command];
    const entry: Outstanding = {
      command: input.command,
      expect: (requestId | 0x80000000) >>> 0,
      resolve,
      reject,
    };
    entry.timer = setTimeout(() => {
      if (this.outstanding.get(sequenceNumber) !== entry) return;
      this.outstanding.delete(sequenceNumber);
      this.log.warn({ command: input.command, sequenceNumber, timeoutMs }, 'smpp response timeout');
      reject(new SmppResponseTimeoutError(input.command, sequenceNumber, timeoutMs));
      this.pump();
    }, timeoutMs);
    this.outstanding.set(sequenceNumber, entry);
    this.output(bytes);
  }

  /**
   * Writes one PDU. PDUs written in the same tick leave in one TCP write (cork until the next tick): under
   * load, a syscall and a segment per PDU (noDelay is on for latency) cost more than the PDUs themselves.
   */
  private output(bytes: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(bytes);
  }

  /** Moves waiting requests into the window as places free up. */
  private pump(): void {
    while (this.stateValue === 'open' && this.waiting.length > 0 && this.outstanding.size < this.options.window) {
      const next = this.waiting.shift();
      if (next !== undefined) this.send(next.input, next.timeoutMs, next.resolve, next.reject);
    }
  }

  private write(input: PduInput, sequenceNumber: number, status: number): void {
    if (!this.socket.writable) return;
    try {
      this.output(encodePdu(input, sequenceNumber, status));
    } catch (error) {
      // Our own response could not be encoded (a value out of range): tell the peer we failed rather than go silent.
      this.log.error({ err: String(error), command: input.command }, 'smpp response not encodable');
      if (status === 0) this.writeRaw(input.command, sequenceNumber, statusValue('ESME_RSYSERR'));
    }
  }

  private writeRaw(command: keyof typeof COMMAND_ID, sequenceNumber: number, status: number): void {
    if (!this.socket.writable) return;
    const header = Buffer.alloc(16);
    header.writeUInt32BE(16, 0);
    header.writeUInt32BE(COMMAND_ID[command], 4);
    header.writeUInt32BE(status >>> 0, 8);
    header.writeUInt32BE(sequenceNumber >>> 0, 12);
    this.output(header);
  }

  private onData(chunk: Buffer): void {
    if (!this.reading) return;
    for (const event of this.guard.push(chunk)) {
      if (!this.reading || this.stateValue === 'closed') return;
      if (event.kind === 'invalid') {
        this.log.warn(
          { reason: event.reason, commandLength: event.commandLength, recovery: event.recovery, sequenceNumber: event.sequenceNumber },
          'smpp invalid command_length: generic_nack ESME_RINVCMDLEN',
        );
        this.genericNack('ESME_RINVCMDLEN', event.sequenceNumber);
        this.countInvalid();
        continue;
      }
      this.onFrame(event.frame);
    }
  }

  private countInvalid(): void {
    this.invalidInRow += 1;
    if (this.invalidInRow >= (this.options.maxInvalidPdus ?? DEFAULT_MAX_INVALID)) {
      this.log.warn({ invalidInRow: this.invalidInRow }, 'smpp peer keeps sending invalid PDUs: closing');
      void this.end('too many invalid PDUs');
    }
  }

  private onFrame(frame: Buffer): void {
    this.lastHeard = Date.now();
    let pdu: Pdu;
    try {
      pdu = decodePdu(frame);
    } catch (error) {
      if (!(error instanceof SmppMalformedPduError)) throw error;
      this.onMalformed(frame, error);
      return;
    }
    this.invalidInRow = 0;
    if (pdu.command === 'generic_nack' || (pdu.command === 'unsupported' ? isResponseId(pdu.commandId) : isResponseId(COMMAND_ID[pdu.command]))) {
      this.onResponse(pdu, readHeader(frame).commandId);
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        this.respond(pdu, { command: 'enquire_link_resp' });
        return;
      case 'unbind':
        this.respond(pdu, { command: 'unbind_resp' });
        this.emit('unbind');
        void this.end('peer unbound');
        return;
      case 'unsupported':
        this.log.info({ command: pdu.name, sequenceNumber: pdu.sequenceNumber }, 'smpp command not served: generic_nack ESME_RINVCMDID');
        this.genericNack('ESME_RINVCMDID', pdu.sequenceNumber);
        return;
      default:
        if (this.stateValue !== 'open') {
          this.respondStatus({ sequenceNumber: pdu.sequenceNumber, commandId: COMMAND_ID[pdu.command] }, 'ESME_RSYSERR');
          return;
        }
        // Deferred by one microtask: responses that arrived in the same chunk settle their promises first,
        // so a delivery receipt right behind its submit_sm_resp finds the message_id already known.
        queueMicrotask(() => this.emit('request', pdu));
    }
  }

  private onMalformed(frame: Buffer, error: SmppMalformedPduError): void {
    const header = readHeader(frame);
    this.countInvalid();
    if (isResponseId(header.commandId) && header.commandId !== COMMAND_ID.generic_nack) {
      // A broken response: the request it answers fails now rather than waiting for its timeout.
      const entry = this.outstanding.get(header.sequenceNumber);
      this.log.warn({ reason: error.reason, sequenceNumber: header.sequenceNumber }, 'smpp malformed response');
      if (entry !== undefined) {
        this.outstanding.delete(header.sequenceNumber);
        clearTimeout(entry.timer);
        entry.reject(error);
        this.pump();
      }
      return;
    }
    const status = statusName(error.status);
    this.log.warn({ reason: error.reason, command: commandName(header.commandId), sequenceNumber: header.sequenceNumber, status }, 'smpp malformed PDU answered');
    if (error.status === statusValue('ESME_RINVCMDLEN') || error.status === statusValue('ESME_RINVCMDID') || responseCommandFor(header.commandId) === undefined) {
      this.write({ command: 'generic_nack' }, header.sequenceNumber, error.status);
    } else {
      this.respondStatus({ sequenceNumber: header.sequenceNumber, commandId: header.commandId }, status as CommandStatusName);
    }
  }

  private onResponse(pdu: Pdu, commandId: number): void {
    const entry = this.outstanding.get(pdu.sequenceNumber);
    if (entry === undefined || (commandId !== entry.expect && pdu.command !== 'generic_nack')) {
      this.log.info({ command: commandName(commandId), sequenceNumber: pdu.sequenceNumber }, 'smpp response to no outstanding request: dropped');
      return;
    }
    this.outstanding.delete(pdu.sequenceNumber);
    clearTimeout(entry.timer);
    if (pdu.commandStatus !== 0 || pdu.command === 'generic_nack') {
      const status = pdu.command === 'generic_nack' && pdu.commandStatus === 0 ? statusValue('ESME_RUNKNOWNERR') : pdu.commandStatus;
      entry.reject(new SmppCommandStatusError(status, entry.command, commandName(commandId) ?? 'unknown'));
    } else {
      entry.resolve(pdu);
    }
    this.pump();
  }

  private scheduleEnquireLink(delayMs: number): void {
    if (this.options.enquireLinkMs <= 0 || this.stateValue !== 'open') return;
    this.enquireTimer = setTimeout(() => {
      const silentFor = Date.now() - this.lastHeard;
      if (silentFor < this.options.enquireLinkMs) {
        this.scheduleEnquireLink(this.options.enquireLinkMs - silentFor);
        return;
      }
      this.request({ command: 'enquire_link' }).then(
        () => this.scheduleEnquireLink(this.options.enquireLinkMs),
        (error: unknown) => {
          if (this.stateValue !== 'open') return;
          // A timeout means the link is dead even if TCP has not noticed yet; an error status still proves it alive.
          if (isSmppError(error) && error.code === 'COMMAND_STATUS') {
            this.scheduleEnquireLink(this.options.enquireLinkMs);
            return;
          }
          this.log.warn({ err: String(error) }, 'smpp enquire_link unanswered: dropping the connection');
          this.destroy('enquire_link unanswered');
        },
      );
    }, delayMs);
    this.enquireTimer.unref();
  }

  private onClose(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    if (this.enquireTimer !== undefined) clearTimeout(this.enquireTimer);
    for (const [seq, entry] of this.outstanding) {
      clearTimeout(entry.timer);
      this.outstanding.delete(seq);
      entry.reject(new SmppConnectionLostError(entry.command, true));
    }
    for (const w of this.waiting.splice(0)) w.reject(new SmppConnectionLostError(w.input.command, false));
    this.log.debug({ reason: this.closeReason }, 'smpp session closed');
    this.emit('close', this.closeReason);
  }
}

/** '::ffff:127.0.0.1' → '127.0.0.1': allowed-IP lists are written in plain IPv4. */
export function socket4(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

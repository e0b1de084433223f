import { COMMAND_ID, isResponseId } from './pdu';

/**
 * Cuts a TCP byte stream into SMPP frames by command_length (SMPP v3.4 §3.2), and keeps cutting after a bad one.
 *
 * A command_length below 16 (the header alone) or above our maximum frame is reported as an 'invalid' event,
 * which the session answers with generic_nack / ESME_RINVCMDLEN. Then it recovers:
 *   - 'skip':   the length is over our maximum but plausible (≤ skipLimit) and the command_id is one SMPP
 *               defines: a real PDU we will not take. Its octets are discarded as they arrive, without
 *               buffering them, and framing continues right after it.
 *   - 'resync': the length cannot be trusted (too small, absurdly large, garbage). We slide forward one
 *               octet at a time until 16 octets read as a plausible header (length within bounds, a known
 *               command_id, status 0 on a request, sequence number in SMPP's range) and resume there.
 * The guard never waits for more than 16 octets before deciding, so no input can make it hang, and it
 * never holds more than one maximum frame in memory.
 */

export const HEADER_OCTETS = 16;
/** Past this length we do not trust command_length enough to skip that many octets. */
export const DEFAULT_SKIP_LIMIT = 70_000;

export type InvalidFrameReason = 'TOO_SHORT' | 'TOO_LONG';

export type FrameEvent =
  | { readonly kind: 'frame'; readonly frame: Buffer }
  | {
      readonly kind: 'invalid';
      readonly reason: InvalidFrameReason;
      readonly commandLength: number;
      /** From the header when at least 8 octets were there. */
      readonly commandId: number | undefined;
      /** From the header when all 16 octets were there, else 0 (the generic_nack then carries 0). */
      readonly sequenceNumber: number;
      readonly recovery: 'skip' | 'resync';
    };

const KNOWN_IDS: ReadonlySet<number> = new Set(Object.values(COMMAND_ID));

export interface FrameGuardOptions {
  /** Largest command_length accepted (octets, header included). */
  readonly maxFrameLength: number;
  readonly skipLimit?: number;
}

export class FrameGuard {
  private pending: Buffer = Buffer.alloc(0);
  private mode: 'header' | 'skip' | 'resync' = 'header';
  private skipRemaining = 0;
  private discarded = 0;
  private readonly maxFrameLength: number;
  private readonly skipLimit: number;

  constructor(options: FrameGuardOptions) {
    if (!Number.isInteger(options.maxFrameLength) || options.maxFrameLength < HEADER_OCTETS) {
      throw new RangeError('maxFrameLength must be an integer ≥ 16');
    }
    this.maxFrameLength = options.maxFrameLength;
    this.skipLimit = Math.max(options.skipLimit ?? DEFAULT_SKIP_LIMIT, options.maxFrameLength);
  }

  /** Octets thrown away so far while skipping or resynchronising. */
  get discardedOctets(): number {
    return this.discarded;
  }

  get resynchronising(): boolean {
    return this.mode !== 'header';
  }

  /** Feeds received octets; returns what they complete, in order. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.mode === 'skip') {
        const drop = Math.min(this.skipRemaining, this.pending.length);
        this.drop(drop);
        this.skipRemaining -= drop;
        if (this.skipRemaining > 0) break;
        this.mode = 'header';
        continue;
      }
      if (this.mode === 'resync') {
        if (!this.resync()) break;
        continue;
      }
      if (this.pending.length < 4) break;
      const length = this.pending.readUInt32BE(0);
      if (length >= HEADER_OCTETS && length <= this.maxFrameLength) {
        if (this.pending.length < length) break;
        events.push({ kind: 'frame', frame: Buffer.from(this.pending.subarray(0, length)) });
        this.pending = this.pending.subarray(length);
        continue;
      }
      if (length > this.maxFrameLength && length <= this.skipLimit) {
        // Worth skipping only if it looks like a real PDU: wait for the command_id to tell.
        if (this.pending.length < HEADER_OCTETS) break;
        const commandId = this.pending.readUInt32BE(4);
        if (KNOWN_IDS.has(commandId)) {
          events.push(this.invalid('TOO_LONG', length, 'skip'));
          this.mode = 'skip';
          this.skipRemaining = length;
          continue;
        }
      }
      events.push(this.invalid(length < HEADER_OCTETS ? 'TOO_SHORT' : 'TOO_LONG', length, 'resync'));
      this.mode = 'resync';
      this.drop(1);
    }
    if (this.pending.length === 0) this.pending = Buffer.alloc(0);
    return events;
  }

  private invalid(reason: InvalidFrameReason, commandLength: number, recovery: 'skip' | 'resync'): FrameEvent {
    const p = this.pending;
    return {
      kind: 'invalid',
      reason,
      commandLength,
      commandId: p.length >= 8 ? p.readUInt32BE(4) : undefined,
      sequenceNumber: p.length >= HEADER_OCTETS ? p.readUInt32BE(12) : 0,
      recovery,
    };
  }

  private drop(octets: number): void {
    this.discarded += octets;
    this.pending = this.pending.subarray(octets);
  }

  /** Looks for a plausible header; true when framing can resume. */
  private resync(): boolean {
    const p = this.pending;
    for (let at = 0; at + HEADER_OCTETS <= p.length; at += 1) {
      if (this.plausibleHeader(p, at)) {
        this.drop(at);
        this.mode = 'header';
        return true;
      }
    }
    // Keep the tail that could still be the start of a header.
    this.drop(Math.max(0, p.length - (HEADER_OCTETS - 1)));
    return false;
  }

  private plausibleHeader(p: Buffer, at: number): boolean {
    const length = p.readUInt32BE(at);
    if (length < HEADER_OCTETS || length > this.maxFrameLength) return false;
    const id = p.readUInt32BE(at + 4);
    if (!KNOWN_IDS.has(id)) return false;
    if (!isResponseId(id) && p.readUInt32BE(at + 8) !== 0) return false;
    const seq = p.readUInt32BE(at + 12);
    return seq <= 0x7fffffff;
  }
}

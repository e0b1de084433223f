import type { Logger } from '../../log';
import { SmppInvalidArgumentError } from './errors';
import {
  IEI,
  USER_DATA_OCTETS,
  concatElement,
  concatInfo,
  encodeUdh,
  type ConcatInfo,
  type InformationElement,
  type UserData,
} from './udh';

/**
 * Concatenated SMS (3GPP TS 23.040 §9.2.3.24.1 and .8): splitting a payload over several SMs with a
 * concatenation IE (IEI 0x00, 8-bit reference, or 0x08, 16-bit reference), and putting them back together
 * in any order, with a timeout that drops incomplete sets.
 *
 * Other elements of the caller's header go in the first segment only: that is where TS 31.115 puts the
 * command / response packet identifier (IEI 0x70 / 0x71) of a concatenated secured packet, and the
 * concatenation IE comes first, as in the TS 31.115 layout (UDHL, 00 03 ref total seq, 70 00). The
 * exceptions are elements that govern every segment's decoding or delivery, which TS 23.040 has repeated
 * in each: application port addressing (0x04, 0x05) and the national language shifts (0x24, 0x25).
 */

export type Alphabet = 'gsm7' | '8bit' | 'ucs2';

/** The alphabet implied by SMPP data_coding (SMPP v3.4 §5.2.19; TS 23.038 §4 for the GSM groups). */
export function alphabetOf(dataCoding: number): Alphabet {
  const dc = dataCoding & 0xff;
  if (dc === 0x00 || dc === 0x01) return 'gsm7'; // SMSC default alphabet; IA5 is carried one character per octet too
  if (dc === 0x08) return 'ucs2';
  if (dc >= 0x10 && dc <= 0x3f) {
    // TS 23.038 general data coding: bits 3-2 give the alphabet.
    const bits = (dc >> 2) & 0x03;
    return bits === 0 ? 'gsm7' : bits === 2 ? 'ucs2' : '8bit';
  }
  if (dc >= 0xc0 && dc <= 0xdf) return 'gsm7';
  if (dc >= 0xe0 && dc <= 0xef) return 'ucs2';
  if (dc >= 0xf0) return (dc & 0x04) === 0 ? 'gsm7' : '8bit';
  // Latin-1, binary, and the national character sets: count octets, the safe reading.
  return '8bit';
}

/**
 * Characters (gsm7, one septet per octet as SMPP carries them) or octets that fit one SM beside a header of
 * `headerOctets` octets (UDHL included). A 7-bit header is padded to a septet boundary (TS 23.040 §9.2.3.24).
 */
export function capacity(alphabet: Alphabet, headerOctets: number): number {
  if (alphabet === 'gsm7') return 160 - Math.ceil((headerOctets * 8) / 7);
  const octets = USER_DATA_OCTETS - headerOctets;
  return alphabet === 'ucs2' ? octets - (octets % 2) : octets;
}

const REPEATED_IN_EVERY_SEGMENT: ReadonlySet<number> = new Set([IEI.PORT_8, IEI.PORT_16, IEI.LANGUAGE_SINGLE_SHIFT, IEI.LANGUAGE_LOCKING_SHIFT]);
const MAX_SEGMENTS = 255;

export interface SplitInput {
  readonly payload: Buffer;
  readonly dataCoding: number;
  /** Header elements the message already has (a 0x70 command packet identifier, ports...). */
  readonly ies?: readonly InformationElement[];
  /** Concatenation reference; only its low 8 or 16 bits are used. */
  readonly reference: number;
  readonly referenceBits?: 8 | 16;
}

export interface SplitResult {
  /** One short_message per SM, header included. */
  readonly segments: readonly Buffer[];
  /** Whether esm_class must carry UDHI (0x40). */
  readonly udhi: boolean;
}

/** Splits a payload into SMs; a payload that fits one SM (with its header) is returned as is. */
export function splitMessage(input: SplitInput): SplitResult {
  const alphabet = alphabetOf(input.dataCoding);
  const ies = input.ies ?? [];
  const referenceBits = input.referenceBits ?? 8;
  const header = encodeUdh(ies);
  if (input.payload.length <= capacity(alphabet, header.length)) {
    return { segments: [Buffer.concat([header, input.payload])], udhi: ies.length > 0 };
  }
  const later = ies.filter((ie) => REPEATED_IN_EVERY_SEGMENT.has(ie.iei));
  const probe = concatElement(referenceBits, input.reference, 1, 1);
  const firstRoom = capacity(alphabet, encodeUdh([probe, ...ies]).length);
  const laterRoom = capacity(alphabet, encodeUdh([probe, ...later]).length);
  if (firstRoom < 2 || laterRoom < 2) throw new SmppInvalidArgumentError('udh', 'header leaves no room for concatenated payload');
  const cuts: [number, number][] = [];
  for (let start = 0; start < input.payload.length; ) {
    const room = cuts.length === 0 ? firstRoom : laterRoom;
    let end = Math.min(start + room, input.payload.length);
    if (end < input.payload.length) end = safeCut(input.payload, start, end, alphabet);
    cuts.push([start, end]);
    start = end;
  }
  if (cuts.length > MAX_SEGMENTS) throw new SmppInvalidArgumentError('payload', `needs ${cuts.length} segments, more than ${MAX_SEGMENTS}`, 'ESME_RINVMSGLEN');
  const total = cuts.length;
  const segments = cuts.map(([start, end], index) => {
    const own = concatElement(referenceBits, input.reference, total, index + 1);
    return Buffer.concat([encodeUdh([own, ...(index === 0 ? ies : later)]), input.payload.subarray(start, end)]);
  });
  return { segments, udhi: true };
}

/** Moves a cut back so it splits neither a GSM escape pair (0x1B x) nor a UTF-16 surrogate pair. */
function safeCut(payload: Buffer, start: number, end: number, alphabet: Alphabet): number {
  if (alphabet === 'gsm7' && end - 1 > start && payload[end - 1] === 0x1b) return end - 1;
  if (alphabet === 'ucs2' && end - 2 > start) {
    const hi = payload[end - 2] ?? 0;
    if (hi >= 0xd8 && hi <= 0xdb) return end - 2;
  }
  return end;
}

// ---- reassembly -----------------------------------------------------------------------------------------

export interface Assembled<M> {
  /** What the caller attached to the first segment (addresses, data_coding...). */
  readonly meta: M;
  /** Header elements of the first segment, without the concatenation IE. */
  readonly ies: readonly InformationElement[];
  readonly payload: Buffer;
  readonly segments: number;
  readonly concat: ConcatInfo | undefined;
}

export interface ReassemblerOptions {
  /** How long a set may stay incomplete after its first segment arrives. */
  readonly timeoutMs: number;
  /** Sets held at once; beyond it the oldest is dropped (bounds memory against a flood of first segments). */
  readonly maxPending?: number;
  readonly logger: Logger;
}

interface PendingSet<M> {
  readonly total: number;
  readonly parts: Map<number, { readonly userData: UserData; readonly meta: M }>;
  readonly timer: NodeJS.Timeout;
  readonly firstAt: number;
}

export class Reassembler<M> {
  private readonly sets = new Map<string, PendingSet<M>>();
  private droppedSets = 0;

  constructor(private readonly options: ReassemblerOptions) {}

  get pending(): number {
    return this.sets.size;
  }

  /** Incomplete sets dropped so far (timeout or overflow). */
  get dropped(): number {
    return this.droppedSets;
  }

  /**
   * Adds one SM. `origin` names the conversation (source and destination addresses) so references from
   * different senders never mix. Returns the whole message once its last segment is in.
   */
  push(origin: string, userData: UserData, meta: M): Assembled<M> | undefined {
    const info = concatInfo(userData.ies);
    if (info === undefined) {
      return { meta, ies: userData.ies, payload: userData.payload, segments: 1, concat: undefined };
    }
    const key = `${origin}|${info.referenceBits}|${info.reference}|${info.total}`;
    let set = this.sets.get(key);
    if (set === undefined) {
      this.makeRoom();
      const timer = setTimeout(() => this.expire(key), this.options.timeoutMs);
      timer.unref();
      set = { total: info.total, parts: new Map(), timer, firstAt: Date.now() };
      this.sets.set(key, set);
    }
    if (set.parts.has(info.sequence)) {
      this.options.logger.debug({ origin, reference: info.reference, sequence: info.sequence }, 'duplicate concatenated segment ignored');
      return undefined;
    }
    set.parts.set(info.sequence, { userData, meta });
    if (set.parts.size < set.total) return undefined;
    clearTimeout(set.timer);
    this.sets.delete(key);
    const ordered = [...set.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, part]) => part);
    const first = ordered[0];
    if (first === undefined) return undefined;
    return {
      meta: first.meta,
      ies: first.userData.ies.filter((ie) => ie.iei !== IEI.CONCAT_8 && ie.iei !== IEI.CONCAT_16),
      payload: Buffer.concat(ordered.map((p) => p.userData.payload)),
      segments: set.total,
      concat: info,
    };
  }

  /** Drops every pending set (on shutdown). */
  clear(): void {
    for (const set of this.sets.values()) clearTimeout(set.timer);
    this.sets.clear();
  }

  private expire(key: string): void {
    const set = this.sets.get(key);
    if (set === undefined) return;
    this.sets.delete(key);
    this.droppedSets += 1;
    this.options.logger.warn(
      { set: key, received: [...set.parts.keys()].sort((a, b) => a - b), total: set.total, waitedMs: Date.now() - set.firstAt },
      'incomplete concatenated message dropped after the reassembly timeout',
    );
  }

  private makeRoom(): void {
    const max = this.options.maxPending ?? 10_000;
    while (this.sets.size >= max) {
      const oldest = this.sets.keys().next();
      if (oldest.done === true) return;
      const set = this.sets.get(oldest.value);
      if (set !== undefined) clearTimeout(set.timer);
      this.sets.delete(oldest.value);
      this.droppedSets += 1;
      this.options.logger.warn({ set: oldest.value }, 'incomplete concatenated message dropped: too many sets pending');
    }
  }
}

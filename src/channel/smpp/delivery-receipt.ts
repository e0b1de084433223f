import { SmppReceiptError } from './errors';
import { ESM_CLASS, type SmPdu } from './pdu';

/**
 * SMSC delivery receipts: a deliver_sm whose esm_class message type is 0x04 (SMPP v3.4 §5.2.12), carrying
 * the receipted message's id and final state in the TLVs receipted_message_id / message_state (§5.3.2.12,
 * §5.3.2.35) and, by the de-facto format of Appendix B, in short_message:
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
 * TLVs win where both are present: they are typed, the text is free-form and vendors vary its spelling.
 */

/** message_state values (§5.2.28) with the stat text Appendix B gives each. */
export const MESSAGE_STATE = {
  ENROUTE: { value: 1, stat: 'ENROUTE', final: false },
  DELIVERED: { value: 2, stat: 'DELIVRD', final: true },
  EXPIRED: { value: 3, stat: 'EXPIRED', final: true },
  DELETED: { value: 4, stat: 'DELETED', final: true },
  UNDELIVERABLE: { value: 5, stat: 'UNDELIV', final: true },
  ACCEPTED: { value: 6, stat: 'ACCEPTD', final: true },
  UNKNOWN: { value: 7, stat: 'UNKNOWN', final: false },
  REJECTED: { value: 8, stat: 'REJECTD', final: true },
} as const;

export type MessageState = keyof typeof MESSAGE_STATE;
const STATES = Object.keys(MESSAGE_STATE) as MessageState[];

export function messageStateOf(value: number): MessageState | undefined {
  return STATES.find((s) => MESSAGE_STATE[s].value === value);
}

function stateOfStat(stat: string): MessageState | undefined {
  const upper = stat.toUpperCase();
  return STATES.find((s) => MESSAGE_STATE[s].stat === upper || s === upper);
}

export function isDeliveryReceipt(esmClass: number): boolean {
  return (esmClass & ESM_CLASS.TYPE_MASK) === ESM_CLASS.TYPE_DELIVERY_RECEIPT;
}

export interface ReceiptText {
  readonly id?: string;
  readonly submitted?: number;
  readonly delivered?: number;
  /** As written: YYMMDDhhmm (some SMSCs add ss). */
  readonly submitDate?: string;
  readonly doneDate?: string;
  readonly stat?: string;
  readonly err?: string;
  readonly text?: string;
}

export interface DeliveryReceipt {
  /** The message_id the SMSC gave the receipted message in its submit_sm_resp. */
  readonly messageId: string;
  readonly state: MessageState;
  readonly final: boolean;
  readonly err?: string;
  readonly submitted?: number;
  readonly delivered?: number;
  readonly submitDate?: Date;
  readonly doneDate?: Date;
  readonly text?: string;
  readonly networkErrorCode?: Buffer;
  /** Where the id and state were read: the TLVs, or the short_message text alone. */
  readonly source: 'tlv' | 'text';
}

const FIELD = /(?:^|\s)(id|sub|dlvrd|submit date|done date|stat|err|text):/gi;

/** Reads the Appendix B text. Unknown words are skipped; missing fields stay undefined. */
export function parseReceiptText(text: string): ReceiptText {
  const found: Record<string, string> = {};
  const marks = [...text.matchAll(FIELD)];
  marks.forEach((mark, i) => {
    const name = (mark[1] ?? '').toLowerCase();
    const start = (mark.index ?? 0) + mark[0].length;
    const next = marks[i + 1];
    // text: runs to the end (it may contain spaces and colons); every other field is one token.
    const raw = name === 'text' ? text.slice(start) : text.slice(start, next === undefined ? undefined : next.index).trim().split(/\s+/)[0] ?? '';
    if (!(name in found)) found[name] = raw;
  });
  const int = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  const date = (s: string | undefined): string | undefined => (s !== undefined && /^\d{10}(\d{2})?$/.test(s) ? s : undefined);
  const out: { -readonly [K in keyof ReceiptText]: ReceiptText[K] } = {};
  if (found.id !== undefined && found.id !== '') out.id = found.id;
  const submitted = int(found.sub);
  if (submitted !== undefined) out.submitted = submitted;
  const delivered = int(found.dlvrd);
  if (delivered !== undefined) out.delivered = delivered;
  const submitDate = date(found['submit date']);
  if (submitDate !== undefined) out.submitDate = submitDate;
  const doneDate = date(found['done date']);
  if (doneDate !== undefined) out.doneDate = doneDate;
  if (found.stat !== undefined && found.stat !== '') out.stat = found.stat;
  if (found.err !== undefined && found.err !== '') out.err = found.err;
  if (found.text !== undefined) out.text = found.text;
  return out;
}

/** YYMMDDhhmm[ss] read as UTC in 2000-2099 (the format carries no zone; the SMSC's clock is all we have). */
export function receiptDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(value);
  if (m === null) return undefined;
  const [, yy, mo, dd, hh, mi, ss] = m;
  const d = new Date(Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh), Number(mi), Number(ss ?? '0')));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Reads a delivery receipt deliver_sm. Throws SmppReceiptError when no id or no state can be found. */
export function parseDeliveryReceipt(pdu: Pick<SmPdu, 'shortMessage' | 'tlvs'>): DeliveryReceipt {
  const body = pdu.shortMessage.length > 0 ? pdu.shortMessage : (pdu.tlvs.messagePayload ?? Buffer.alloc(0));
  const text = parseReceiptText(body.toString('latin1'));
  const tlvId = pdu.tlvs.receiptedMessageId;
  const tlvState = pdu.tlvs.messageState === undefined ? undefined : messageStateOf(pdu.tlvs.messageState);
  const messageId = tlvId !== undefined && tlvId !== '' ? tlvId : text.id;
  if (messageId === undefined) throw new SmppReceiptError('no receipted_message_id and no id: in the text');
  const state = tlvState ?? (text.stat === undefined ? undefined : stateOfStat(text.stat));
  if (state === undefined) throw new SmppReceiptError(`no message_state and no known stat: (${text.stat ?? 'absent'})`);
  const receipt: { -readonly [K in keyof DeliveryReceipt]: DeliveryReceipt[K] } = {
    messageId,
    state,
    final: MESSAGE_STATE[state].final,
    source: tlvId !== undefined && tlvState !== undefined ? 'tlv' : 'text',
  };
  if (text.err !== undefined) receipt.err = text.err;
  if (text.submitted !== undefined) receipt.submitted = text.submitted;
  if (text.delivered !== undefined) receipt.delivered = text.delivered;
  const submitDate = receiptDate(text.submitDate);
  if (submitDate !== undefined) receipt.submitDate = submitDate;
  const doneDate = receiptDate(text.doneDate);
  if (doneDate !== undefined) receipt.doneDate = doneDate;
  if (text.text !== undefined) receipt.text = text.text;
  if (pdu.tlvs.networkErrorCode !== undefined) receipt.networkErrorCode = pdu.tlvs.networkErrorCode;
  return receipt;
}

function yymmddhhmm(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}`;
}

export interface ReceiptTextInput {
  readonly messageId: string;
  readonly state: MessageState;
  readonly submitted?: number;
  readonly delivered?: number;
  readonly submitDate: Date;
  readonly doneDate: Date;
  readonly err?: number;
  /** The first characters of the original message, as Appendix B shows (20 at most). */
  readonly text?: string;
}

/** Writes the Appendix B text (the SMSC simulator's receipts). */
export function formatReceiptText(r: ReceiptTextInput): string {
  const three = (n: number): string => String(n).padStart(3, '0');
  const delivered = r.delivered ?? (r.state === 'DELIVERED' ? 1 : 0);
  return (
    `id:${r.messageId} sub:${three(r.submitted ?? 1)} dlvrd:${three(delivered)} ` +
    `submit date:${yymmddhhmm(r.submitDate)} done date:${yymmddhhmm(r.doneDate)} ` +
    `stat:${MESSAGE_STATE[r.state].stat} err:${three(r.err ?? 0)} text:${(r.text ?? '').slice(0, 20)}`
  );
}

/** Ids as SMSCs write them may differ in case or base (hex in the response, decimal in the text). */
export function messageIdVariants(id: string): string[] {
  const out = new Set<string>([id, id.toLowerCase()]);
  if (/^\d{1,30}$/.test(id)) out.add(BigInt(id).toString(16));
  if (/^[0-9a-f]{1,24}$/i.test(id)) out.add(BigInt(`0x${id}`).toString(10));
  return [...out];
}

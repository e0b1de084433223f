import { MpsError } from '../errors';
import { checkCurrency, formatAmount, parseAmount } from '../money';
import { checkText } from '../offers/canonical';

/**
 * The canonical bytes a client's SIM signs for an instrument enrolment (`mps-instrument/1`) and for a payment
 * order composed on the phone (`mps-order/1`). Same rules as the offers' bytes (offers/canonical.ts): a version
 * line, then "name=value" lines in a fixed order, LF line ends, UTF-8, values without control characters, so two
 * different requests never give the same bytes. An order arrives from the phone as bytes: `parseOrder` reads it
 * strictly and re-encodes it, and anything that does not come back byte for byte is refused.
 */

export const INSTRUMENT_CANONICAL_VERSION = 'mps-instrument/1';
export const ORDER_CANONICAL_VERSION = 'mps-order/1';

export const MSISDN = /^\+[1-9]\d{6,14}$/;
/** Order references are chosen by the phone; they become part of a ledger transfer id. */
export const ORDER_REF = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export interface EnrolmentFields {
  readonly instrumentId: string;
  readonly clientMsisdn: string;
  readonly clientMid: string | null;
  readonly kind: string;
  readonly label: string;
  readonly currency: string;
  readonly ledgerAccountId: string;
  readonly isDefault: boolean;
  readonly details: Readonly<Record<string, string>>;
  readonly requestedAt: Date;
  readonly verificationCode: string;
}

export function canonicalEnrolment(f: EnrolmentFields): Buffer {
  const lines = [
    INSTRUMENT_CANONICAL_VERSION,
    `instrument=${f.instrumentId}`,
    `client=${f.clientMsisdn}`,
    `mid=${f.clientMid ?? '-'}`,
    `kind=${f.kind}`,
    `label=${f.label}`,
    `currency=${f.currency}`,
    `account=${f.ledgerAccountId}`,
    `default=${f.isDefault ? 'yes' : 'no'}`,
    // Details in key order, each prefixed, so a detail can never pose as one of the fixed fields.
    ...Object.keys(f.details)
      .sort()
      .map((k) => `detail.${k}=${f.details[k] ?? ''}`),
    `requested=${f.requestedAt.toISOString()}`,
    `code=${f.verificationCode}`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

export function enrolmentDisplay(f: Pick<EnrolmentFields, 'label' | 'currency' | 'verificationCode'>): string {
  return `Add ${f.label} (${f.currency}) for payments from this phone? Code ${f.verificationCode}`;
}

/** Who is paid: a merchant's account (from the till's QR code or the merchant's payee id) or a phone number. */
export type Payee = { readonly kind: 'merchant'; readonly accountId: string } | { readonly kind: 'phone'; readonly msisdn: string };

export interface OrderFields {
  readonly orderRef: string;
  readonly payerMsisdn: string;
  readonly payee: Payee;
  readonly instrumentId: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly reference: string;
  readonly createdAt: Date;
}

const payeeText = (p: Payee): string => (p.kind === 'merchant' ? `merchant:${p.accountId}` : `phone:${p.msisdn}`);

export function canonicalOrder(f: OrderFields): Buffer {
  const lines = [
    ORDER_CANONICAL_VERSION,
    `order=${f.orderRef}`,
    `payer=${f.payerMsisdn}`,
    `payee=${payeeText(f.payee)}`,
    `instrument=${f.instrumentId}`,
    `amount=${f.amount.toString()}`,
    `currency=${f.currency}`,
    `display-amount=${formatAmount(f.amount, f.currency)} ${f.currency}`,
    `reference=${f.reference}`,
    `created=${f.createdAt.toISOString()}`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** What the phone shows before the PIN: the amount, the payee, the reference. */
export function orderDisplay(f: Pick<OrderFields, 'payee' | 'currency' | 'amount' | 'reference'>, payeeName?: string): string {
  const to = payeeName ?? (f.payee.kind === 'merchant' ? f.payee.accountId : f.payee.msisdn);
  return `Pay ${formatAmount(f.amount, f.currency)} ${f.currency} to ${to}? Ref ${f.reference}`;
}

const ORDER_NAMES = ['order', 'payer', 'payee', 'instrument', 'amount', 'currency', 'display-amount', 'reference', 'created'] as const;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function bad(why: string): MpsError {
  return new MpsError('INVALID_REQUEST', `the order is not mps-order/1: ${why}`);
}

/** Reads an order's bytes; throws INVALID_REQUEST (or the money codes) unless they are exactly canonicalOrder's output. */
export function parseOrder(bytes: Uint8Array): OrderFields {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw bad('not UTF-8');
  }
  if (!text.endsWith('\n')) throw bad('no final line end');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== ORDER_CANONICAL_VERSION) throw bad('wrong version line');
  if (lines.length !== ORDER_NAMES.length + 1) throw bad(`${lines.length - 1} fields, ${ORDER_NAMES.length} expected`);
  const v: Record<string, string> = {};
  ORDER_NAMES.forEach((name, i) => {
    const line = lines[i + 1] ?? '';
    if (!line.startsWith(`${name}=`)) throw bad(`field ${i + 1} is not ${name}`);
    v[name] = line.slice(name.length + 1);
  });
  const get = (name: (typeof ORDER_NAMES)[number]): string => v[name] ?? '';
  const orderRef = get('order');
  if (!ORDER_REF.test(orderRef)) throw bad('order reference');
  const payerMsisdn = get('payer');
  if (!MSISDN.test(payerMsisdn)) throw bad('payer is not an E.164 number with +');
  const payeeRaw = get('payee');
  let payee: Payee;
  if (payeeRaw.startsWith('merchant:') && ID.test(payeeRaw.slice(9))) payee = { kind: 'merchant', accountId: payeeRaw.slice(9) };
  else if (payeeRaw.startsWith('phone:') && MSISDN.test(payeeRaw.slice(6))) payee = { kind: 'phone', msisdn: payeeRaw.slice(6) };
  else throw bad('payee is neither merchant:<account> nor phone:<+number>');
  const instrumentId = get('instrument');
  if (!ID.test(instrumentId)) throw bad('instrument id');
  if (!/^[1-9]\d{0,18}$/.test(get('amount'))) throw new MpsError('INVALID_AMOUNT', 'the order amount must be a positive integer in minor units');
  const amount = parseAmount(get('amount'));
  const currency = checkCurrency(get('currency'));
  const reference = checkText(get('reference'), 'reference', 128);
  const created = get('created');
  if (!ISO_TIME.test(created) || Number.isNaN(Date.parse(created))) throw bad('created is not an ISO 8601 UTC time');
  const fields: OrderFields = { orderRef, payerMsisdn, payee, instrumentId, currency, amount, reference, createdAt: new Date(created) };
  // One-to-one: the display amount and every value must be exactly what we would write.
  if (!canonicalOrder(fields).equals(Buffer.from(bytes))) throw bad('not in canonical form');
  return fields;
}

import { MpsError } from '../errors';
import { formatAmount } from '../money';

/**
 * The canonical bytes of a payment offer: what the SIM signs and what the platform verifies the signature over.
 * One field per line, in a fixed order, "name=value", LF line ends, UTF-8, a version line first. Values may not
 * hold line breaks or other control characters (checked when the offer is made), so the encoding is one-to-one:
 * two different offers never give the same bytes. The amount appears both as the integer the ledger books and as
 * the decimal the citizen reads.
 */

export const CANONICAL_VERSION = 'mps-offer/1';

export interface OfferFields {
  readonly offerId: string;
  readonly merchantId: string;
  readonly merchantName: string;
  readonly clientMsisdn: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly reference: string;
  readonly expiresAt: Date;
  readonly verificationCode: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function checkText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || CONTROL.test(value)) {
    throw new MpsError('INVALID_REQUEST', `${what} must be 1 to ${max} characters without line breaks or control characters`);
  }
  return value;
}

export function canonicalOffer(f: OfferFields): Buffer {
  const lines = [
    CANONICAL_VERSION,
    `offer=${f.offerId}`,
    `merchant=${f.merchantId}`,
    `merchant-name=${f.merchantName}`,
    `payer=${f.clientMsisdn}`,
    `amount=${f.amount.toString()}`,
    `currency=${f.currency}`,
    `display-amount=${formatAmount(f.amount, f.currency)} ${f.currency}`,
    `reference=${f.reference}`,
    `expires=${f.expiresAt.toISOString()}`,
    `code=${f.verificationCode}`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** What the phone shows: short, the merchant, the amount, the reference and the code. */
export function offerDisplay(f: OfferFields): string {
  return `Pay ${formatAmount(f.amount, f.currency)} ${f.currency} to ${f.merchantName}? Ref ${f.reference}. Code ${f.verificationCode}`;
}

import { randomBytes } from 'node:crypto';
import { canonicalOrder, orderDisplay, type Payee } from '../../src/mps/clients';
import type { OrderToSign } from './applet';

/**
 * What the payment app on the phone does before the SIM signs: puts the client's choices (payee, amount,
 * instrument, reference) into the order's canonical bytes (mps-order/1) and the line the screen shows. The
 * reference of the order is fresh per order unless the caller gives one (a retry of the same order).
 */
export interface OrderInput {
  readonly payer: string;
  readonly payee: Payee;
  readonly instrumentId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly reference: string;
  readonly orderRef?: string;
  readonly createdAt?: Date;
}

export function composeOrder(input: OrderInput): OrderToSign & { readonly orderRef: string } {
  const orderRef = input.orderRef ?? `o-${randomBytes(8).toString('hex')}`;
  const payer = input.payer.startsWith('+') ? input.payer : `+${input.payer}`;
  const fields = { orderRef, payerMsisdn: payer, payee: input.payee, instrumentId: input.instrumentId, currency: input.currency, amount: input.amount, reference: input.reference, createdAt: input.createdAt ?? new Date() };
  return { orderRef, order: canonicalOrder(fields), display: orderDisplay(fields) };
}

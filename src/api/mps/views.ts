import type { OfferView, TransferView } from '../../mps';

/** The JSON shapes of the API (the OpenAPI document describes the same): amounts as decimal strings. */

export function offerJson(o: OfferView): Record<string, unknown> {
  const ended = ['refused', 'cancelled', 'expired', 'failed'].includes(o.state);
  const code = ended && o.detail !== null ? o.detail.slice(0, o.detail.indexOf(':') > 0 ? o.detail.indexOf(':') : undefined) : null;
  return {
    id: o.id,
    state: o.state,
    merchant: o.merchantId,
    payerMsisdn: o.clientMsisdn,
    amount: o.amount.toString(),
    currency: o.currency,
    reference: o.reference,
    verificationCode: o.verificationCode,
    expiresAt: o.expiresAt.toISOString(),
    transferId: o.transferId,
    code,
    detail: o.detail,
    history: o.history.map((h) => ({ state: h.state, at: h.at.toISOString() })),
  };
}

export function transferJson(t: TransferView): Record<string, unknown> {
  return {
    id: t.id,
    kind: t.kind,
    state: t.state,
    amount: t.amount.toString(),
    currency: t.currency,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    linkedTransferId: t.linkedTransferId,
  };
}

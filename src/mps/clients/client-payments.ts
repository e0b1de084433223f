import { createHash } from 'node:crypto';
import { hashEvidence, type AuditLog } from '../../audit';
import { createLogger, type Logger } from '../../log';
import { isStoreError, type ClientOrderRecord, type Store } from '../../store';
import type { ApprovalSignatureVerifier } from '../approval-port';
import { MpsError, isMpsError, type MpsErrorCode } from '../errors';
import type { Ledger } from '../ledger';
import { formatAmount } from '../money';
import { parseOrder, type OrderFields } from './canonical';
import { belongsTo, type ClientDirectory } from './directory';

/**
 * Client-initiated payments (Y.2741 "operations initiated by the client") and P2P: the client composes the order
 * on the phone (payee, amount, instrument), the SIM signs its canonical bytes (`mps-order/1`) with the signature
 * key after the PIN, and the order arrives as an OTA-secured MO packet (src/channel/sim SimInbox, which has
 * already checked the packet's checksum and counter with the SIM's keys). Here, in order:
 *
 *   bytes are a canonical order → the payer in it is the SIM that sent it → same (payer, order ref) seen before:
 *   the earlier result → the CMS signature verifies over exactly these bytes, with the certificate registered
 *   for the payer → the instrument is the payer's and active → the payee is a merchant account or the default
 *   instrument of a client known by that phone number → one ledger transfer, idempotent by `order.<payer>.<ref>`
 *   → the result recorded, a receipt to the phone (and to a P2P payee).
 *
 * Refusals before the signature verifies are not stored (only logged and audited): nothing in them can be
 * trusted to name an order. Refusals after it are final for that order reference, like a payment.
 */

export interface ClientOrderMessage {
  /** The applet message's order reference; must be the order's. */
  readonly orderRef: string;
  /** The canonical order bytes the SIM signed. */
  readonly order: Uint8Array;
  /** CMS SignedData over `order` (detached or attached). */
  readonly signature: Uint8Array;
}

export type ClientOrderResult =
  | { readonly outcome: 'paid'; readonly orderRef: string; readonly transferId: string; readonly duplicate: boolean }
  | { readonly outcome: 'refused'; readonly orderRef: string; readonly code: MpsErrorCode; readonly detail: string; readonly duplicate: boolean };

/** Shows a short text on a phone (the applet's show-receipt); the channel decides how. */
export interface ReceiptSender {
  send(msisdn: string, text: string): Promise<void>;
}

export interface ClientPaymentsOptions {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly directory: ClientDirectory;
  readonly verifier: ApprovalSignatureVerifier;
  readonly receipts?: ReceiptSender;
  readonly audit?: Pick<AuditLog, 'append'>;
  readonly logger?: Logger;
  readonly clock?: () => Date;
}

export const orderTransferId = (payerMsisdn: string, orderRef: string): string => `order.${payerMsisdn.replace(/^\+/, '')}.${orderRef}`;

interface Refusal {
  readonly code: MpsErrorCode;
  readonly detail: string;
}

export class ClientPayments {
  private readonly log: Logger;
  private readonly clock: () => Date;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: ClientPaymentsOptions) {
    this.log = o.logger ?? createLogger({ name: 'mps.clients' });
    this.clock = o.clock ?? (() => new Date());
  }

  /** Handles one order from the SIM behind `fromMsisdn` (+E.164). Never throws for what the phone sent. */
  async receive(fromMsisdn: string, message: ClientOrderMessage): Promise<ClientOrderResult> {
    let fields: OrderFields;
    try {
      fields = parseOrder(message.order);
    } catch (err) {
      return this.refuseUnstored(fromMsisdn, message, isMpsError(err) ? err.code : 'INVALID_REQUEST', (err as Error).message);
    }
    if (fields.payerMsisdn !== fromMsisdn) return this.refuseUnstored(fromMsisdn, message, 'INVALID_REQUEST', 'the payer named in the order is not the SIM that sent it');
    if (fields.orderRef !== message.orderRef) return this.refuseUnstored(fromMsisdn, message, 'INVALID_REQUEST', 'the order reference differs from the message reference');

    const canonical = Buffer.from(message.order);
    const payloadHash = createHash('sha256').update(canonical).digest('hex');
    const earlier = await this.o.store.instruments.order(fromMsisdn, fields.orderRef);
    if (earlier !== undefined) {
      if (earlier.payloadHash !== payloadHash) return this.refuseUnstored(fromMsisdn, message, 'IDEMPOTENCY_CONFLICT', `order ${fields.orderRef} was sent before with other terms`);
      return this.answer(fields, earlier, true);
    }

    const check = await this.o.verifier.verify(message.signature, canonical, fromMsisdn);
    if (!check.valid) return this.refuseUnstored(fromMsisdn, message, 'SIGNATURE_INVALID', check.reason);

    const decided = await this.decide(fields);
    const record: ClientOrderRecord = {
      payerMsisdn: fromMsisdn,
      orderRef: fields.orderRef,
      payloadHash,
      canonical,
      signature: Buffer.from(message.signature),
      outcome: 'code' in decided ? 'refused' : 'paid',
      code: 'code' in decided ? decided.code : null,
      transferId: 'code' in decided ? null : decided.transferId,
      detail: 'code' in decided ? decided.detail.slice(0, 512) : null,
      at: this.clock(),
    };
    try {
      await this.o.store.instruments.insertOrder(record);
    } catch (err) {
      if (!isStoreError(err, 'UNIQUE_VIOLATION')) throw err;
      // The same order arrived twice at once: the ledger booked it once; the first record stands.
      const first = await this.o.store.instruments.order(fromMsisdn, fields.orderRef);
      if (first !== undefined) return this.answer(fields, first, true);
    }
    await this.o.audit?.append({
      actor: { type: 'citizen', id: fromMsisdn },
      action: 'payment.event',
      subject: `order:${orderTransferId(fromMsisdn, fields.orderRef)}`,
      outcome: record.outcome,
      evidenceHash: hashEvidence(record.signature),
      details: {
        payee: fields.payee.kind === 'merchant' ? `merchant:${fields.payee.accountId}` : `phone:${fields.payee.msisdn}`,
        amount: fields.amount.toString(),
        currency: fields.currency,
        orderHash: hashEvidence(canonical).toString('hex'),
        transfer: record.transferId,
        code: record.code,
      },
    });
    this.log.info({ event: 'mps.order', payer: fromMsisdn, order: fields.orderRef, outcome: record.outcome, code: record.code ?? undefined }, 'client order handled');
    return this.answer(fields, record, false);
  }

  /** Resolves when every receipt sent so far has been shown or has failed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** The money part, for an order whose signature verified. */
  private async decide(f: OrderFields): Promise<{ readonly transferId: string } | Refusal> {
    const instrument = await this.o.store.instruments.instrument(f.instrumentId);
    if (instrument === undefined) return { code: 'UNKNOWN_INSTRUMENT', detail: `instrument ${f.instrumentId} is unknown` };
    const payer = await this.o.directory.find(f.payerMsisdn);
    if (payer === undefined) return { code: 'UNKNOWN_CLIENT', detail: 'the payer has no active mobile ID' };
    if (!belongsTo(instrument, payer)) return { code: 'INSTRUMENT_NOT_OWNED', detail: `instrument ${f.instrumentId} is not the payer's` };
    const states = await this.o.store.instruments.states(instrument.id);
    const state = states[states.length - 1]?.state;
    if (state !== 'active') return { code: 'INSTRUMENT_STATE', detail: `instrument ${f.instrumentId} is ${state ?? 'unknown'}` };
    if (instrument.currency !== f.currency) return { code: 'CURRENCY_MISMATCH', detail: `instrument ${f.instrumentId} holds ${instrument.currency}, not ${f.currency}` };

    let creditAccountId: string;
    if (f.payee.kind === 'merchant') {
      const account = await this.o.store.ledger.account(f.payee.accountId);
      const owner = account === undefined ? undefined : await this.o.store.ledger.participant(account.participantId);
      if (account === undefined || owner?.kind !== 'merchant') return { code: 'UNKNOWN_PAYEE', detail: `no merchant account ${f.payee.accountId}` };
      if (account.currency !== f.currency) return { code: 'CURRENCY_MISMATCH', detail: `merchant account ${f.payee.accountId} holds ${account.currency}` };
      creditAccountId = account.id;
    } else {
      if (f.payee.msisdn === f.payerMsisdn) return { code: 'INVALID_REQUEST', detail: 'a client cannot pay their own number' };
      const target = await this.o.directory.defaultInstrument(f.payee.msisdn, f.currency);
      if (target === undefined) return { code: 'UNKNOWN_PAYEE', detail: `no client with a ${f.currency} instrument is known by ${f.payee.msisdn}` };
      creditAccountId = target.ledgerAccountId;
    }
    const transferId = orderTransferId(f.payerMsisdn, f.orderRef);
    try {
      await this.o.ledger.pay({
        id: transferId,
        kind: 'payment',
        debitAccountId: instrument.ledgerAccountId,
        creditAccountId,
        currency: f.currency,
        amount: f.amount,
        reference: f.reference,
      });
    } catch (err) {
      if (err instanceof MpsError) return { code: err.code, detail: err.message };
      throw err;
    }
    return { transferId };
  }

  private answer(f: OrderFields, record: ClientOrderRecord, duplicate: boolean): ClientOrderResult {
    const amount = `${formatAmount(f.amount, f.currency)} ${f.currency}`;
    if (record.outcome === 'paid' && record.transferId !== null) {
      const to = f.payee.kind === 'merchant' ? f.payee.accountId : f.payee.msisdn;
      this.receipt(f.payerMsisdn, `Paid ${amount} to ${to}. Ref ${f.reference}`);
      if (f.payee.kind === 'phone' && !duplicate) this.receipt(f.payee.msisdn, `Received ${amount} from ${f.payerMsisdn}. Ref ${f.reference}`);
      return { outcome: 'paid', orderRef: f.orderRef, transferId: record.transferId, duplicate };
    }
    const code = (record.code ?? 'APPROVAL_FAILED') as MpsErrorCode;
    this.receipt(f.payerMsisdn, `Payment of ${amount} refused (${code}). Ref ${f.reference}`);
    return { outcome: 'refused', orderRef: f.orderRef, code, detail: record.detail ?? '', duplicate };
  }

  private async refuseUnstored(fromMsisdn: string, message: ClientOrderMessage, code: MpsErrorCode, detail: string): Promise<ClientOrderResult> {
    this.log.warn({ event: 'mps.order.refused', payer: fromMsisdn, order: message.orderRef, code, reason: detail.slice(0, 200) }, 'client order refused');
    await this.o.audit?.append({
      actor: { type: 'citizen', id: fromMsisdn },
      action: 'payment.event',
      subject: `order:${orderTransferId(fromMsisdn, message.orderRef)}`,
      outcome: 'refused',
      evidenceHash: hashEvidence(Buffer.from(message.signature)),
      details: { code, orderHash: hashEvidence(Buffer.from(message.order)).toString('hex'), detail: detail.slice(0, 256) },
    });
    this.receipt(fromMsisdn, `Payment order ${message.orderRef.slice(0, 16)} refused (${code}).`);
    return { outcome: 'refused', orderRef: message.orderRef, code, detail, duplicate: false };
  }

  /** Receipts go in the background: a phone that is off must not hold the order, nor fail it. */
  private receipt(msisdn: string, text: string): void {
    if (this.o.receipts === undefined) return;
    const sent: Promise<void> = this.o.receipts
      .send(msisdn, text)
      .catch((err: unknown) => this.log.warn({ event: 'mps.receipt.failed', msisdn, reason: err instanceof Error ? err.message : String(err) }, 'receipt not shown'))
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }
}

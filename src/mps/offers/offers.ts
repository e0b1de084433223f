import { createHash, randomInt } from 'node:crypto';
import { hashEvidence, type AuditLog, type NewAuditEntry } from '../../audit';
import type { Logger } from '../../log';
import { FINAL_OFFER_STATES, isStoreError, type OfferCursor, type Repositories, type OfferRecord, type OfferStateName, type OfferStateRecord, type Store } from '../../store';
import type { ApprovalOutcome, ApprovalSignatureVerifier, CitizenApprover, PayerDirectory } from '../approval-port';
import { MpsError, type MpsErrorCode } from '../errors';
import type { Ledger, LedgerOperation, OperationResult, TransferView } from '../ledger';
import { checkId } from '../ledger/validate';
import { checkCurrency, parseAmount } from '../money';
import type { PaymentLevelPolicy } from '../security-level';
import { canonicalOffer, checkText, offerDisplay, type OfferFields } from './canonical';

/**
 * Merchant-initiated payments (Y.2741 "operations initiated by the merchant"), as a state machine whose every
 * step is a new row:
 *
 *   created → sent → approved → paid
 *        ↘      ↘ refused (signature does not verify), cancelled, expired (deadline or no answer), failed (wrong PIN,
 *                  channel failure, or the ledger refused the money)
 *
 * The SIM signs the offer's canonical bytes as stored when the offer was made; the platform verifies the signature
 * over those same stored bytes, so a signature over anything else (another amount, another merchant) is refused
 * and nothing is booked. Money moves as reserve then commit under the transfer id `offer.<offer id>`, so running
 * the last step twice (two nodes, or a retry after a crash) books it once.
 */

export interface NewOffer {
  /** The merchant's idempotency key for this offer. */
  readonly id: string;
  readonly merchantId: string;
  readonly merchantAccountId: string;
  readonly clientMsisdn: string;
  readonly currency: string;
  readonly amount: bigint | string;
  readonly reference: string;
  readonly expiresAt: Date;
}

export interface OfferView {
  readonly id: string;
  readonly state: OfferStateName;
  readonly merchantId: string;
  readonly clientMsisdn: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly reference: string;
  readonly verificationCode: string;
  readonly expiresAt: Date;
  readonly transferId: string | null;
  readonly detail: string | null;
  readonly history: readonly OfferStateRecord[];
}

export interface OfferServiceOptions {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly approver: CitizenApprover;
  readonly verifier: ApprovalSignatureVerifier;
  readonly directory: PayerDirectory;
  readonly clock?: () => Date;
  readonly logger?: Logger;
  /**
   * When given, every state the offer reaches is an audit entry (`payment.event`, subject `offer:<id>`) whose
   * evidence hash is the citizen's signature when there is one, else the offer's canonical bytes, and whose
   * details name the transfer: so the evidence for a payment links who approved, what they approved, and the money.
   * With `appendIn` (an AuditLog has it) the entry is written in the transaction that records the state, so a crash
   * cannot leave one without the other; with `append` alone it follows the state, and a crash between loses it.
   */
  readonly audit?: Pick<AuditLog, 'append'> & Partial<Pick<AuditLog, 'appendIn'>>;
  /** Longest offer life accepted. Default 15 minutes. */
  readonly maxOfferMs?: number;
  /** Caps by the security level of the approval (item 9); judged when the offer is made, before it is stored. */
  readonly levels?: PaymentLevelPolicy;
  /** Called once an offer reaches a final state on this node (paid, refused, cancelled, expired, failed): webhooks. */
  readonly onFinal?: (offer: OfferView) => void;
}

const FINAL: readonly OfferStateName[] = FINAL_OFFER_STATES;
const RECOVERY_PAGE = 200;
const MSISDN = /^\+[1-9]\d{6,14}$/;
const DEFAULT_MAX_OFFER_MS = 15 * 60_000;

export const offerTransferId = (offerId: string): string => `offer.${offerId}`;

interface Ending {
  readonly state: 'paid' | 'expired' | 'failed';
  readonly detail: string | null;
  readonly extra?: AuditExtra;
}

/** Details an audit entry carries beyond the offer's own. */
type AuditExtra = Record<string, string | null | readonly Record<string, string>[]>;

/** Thrown inside the booking transaction to roll it back: another node ended the offer first. */
class OfferAlreadyEnded extends Error {}

/** What one recovery pass did. `waiting` offers are still within their time and were left to their phone. */
export interface RecoveryReport {
  readonly examined: number;
  readonly paid: number;
  readonly ended: number;
  readonly waiting: number;
  /** Offers whose recovery threw something other than a refusal (logged; the next pass tries again). */
  readonly errors: number;
  /** Ledger reservations released because they lapsed (offers' or anyone's). */
  readonly lapsedReservations: number;
}

export interface RecoverySweep {
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
}

export class OfferService {
  private readonly o: OfferServiceOptions;
  private readonly clock: () => Date;

  constructor(options: OfferServiceOptions) {
    this.o = options;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Records a merchant's offer; same id and same offer returns the earlier one, a different offer is refused. */
  async create(n: NewOffer): Promise<OfferView> {
    const id = checkId(n.id, 'offer id');
    const merchantId = checkId(n.merchantId, 'merchant id');
    const merchantAccountId = checkId(n.merchantAccountId, 'merchant account id');
    if (typeof n.clientMsisdn !== 'string' || !MSISDN.test(n.clientMsisdn)) throw new MpsError('INVALID_REQUEST', 'the client is named by an E.164 number with the leading +');
    const currency = checkCurrency(n.currency);
    const amount = parseAmount(n.amount);
    const reference = checkText(n.reference, 'reference', 128);
    const now = this.clock();
    if (!(n.expiresAt instanceof Date) || Number.isNaN(n.expiresAt.getTime())) throw new MpsError('INVALID_REQUEST', 'expiresAt must be a date');
    if (n.expiresAt.getTime() <= now.getTime()) throw new MpsError('OFFER_EXPIRED', 'the offer expires before it could be shown');
    if (n.expiresAt.getTime() - now.getTime() > (this.o.maxOfferMs ?? DEFAULT_MAX_OFFER_MS)) throw new MpsError('INVALID_REQUEST', 'the offer lives longer than allowed');
    const payloadHash = createHash('sha256')
      .update(JSON.stringify([merchantId, merchantAccountId, n.clientMsisdn, currency, amount.toString(), reference, n.expiresAt.toISOString()]))
      .digest('hex');

    const earlier = await this.o.store.offers.offer(id);
    if (earlier !== undefined) {
      if (earlier.payloadHash !== payloadHash) throw new MpsError('IDEMPOTENCY_CONFLICT', `offer ${id} was made before with different terms`);
      return this.view(id);
    }
    const merchant = await this.o.store.ledger.participant(merchantId);
    const account = await this.o.store.ledger.account(merchantAccountId);
    if (merchant === undefined || account === undefined || account.participantId !== merchant.id) throw new MpsError('UNKNOWN_ACCOUNT', `merchant ${merchantId} has no account ${merchantAccountId}`);
    if (account.currency !== currency) throw new MpsError('CURRENCY_MISMATCH', `account ${merchantAccountId} holds ${account.currency}, not ${currency}`);
    const payer = await this.o.directory.accountFor(n.clientMsisdn, currency);
    if (payer === undefined) throw new MpsError('UNKNOWN_CLIENT', 'no client with a payment account in that currency is known by that number');
    await this.o.levels?.check({ merchantId, clientMsisdn: n.clientMsisdn, currency, amount });

    const verificationCode = randomInt(0, 10_000).toString().padStart(4, '0');
    const fields: OfferFields = { offerId: id, merchantId, merchantName: merchant.name, clientMsisdn: n.clientMsisdn, currency, amount, reference, expiresAt: n.expiresAt, verificationCode };
    const record: OfferRecord = { id, payloadHash, merchantId, merchantAccountId, clientMsisdn: n.clientMsisdn, currency, amount, reference, verificationCode, expiresAt: n.expiresAt, canonical: canonicalOffer(fields), createdAt: now };
    try {
      await this.o.store.transaction(async (tx) => {
        await tx.offers.insertOffer(record);
        await tx.offers.insertState({ offerId: id, state: 'created', at: now, transferId: null, detail: null, signature: null });
      });
    } catch (err) {
      if (isStoreError(err, 'UNIQUE_VIOLATION')) return this.create(n);
      throw err;
    }
    return this.view(id);
  }

  async view(id: string): Promise<OfferView> {
    const offer = await this.o.store.offers.offer(checkId(id, 'offer id'));
    if (offer === undefined) throw new MpsError('UNKNOWN_OFFER', `offer ${id} is unknown`);
    const history = await this.o.store.offers.states(id);
    const last = history[history.length - 1];
    const withTransfer = history.find((h) => h.transferId !== null);
    return {
      id,
      state: last?.state ?? 'created',
      merchantId: offer.merchantId,
      clientMsisdn: offer.clientMsisdn,
      currency: offer.currency,
      amount: offer.amount,
      reference: offer.reference,
      verificationCode: offer.verificationCode,
      expiresAt: offer.expiresAt,
      transferId: withTransfer?.transferId ?? null,
      detail: last?.detail ?? null,
      history,
    };
  }

  /**
   * Sends the offer to the citizen's phone through the approver and carries it to its end: paid, or a final
   * state saying why not. Returns the offer as it ends; a refusal is a state, not an exception.
   */
  async run(id: string): Promise<OfferView> {
    const offer = await this.load(id);
    const current = await this.view(id);
    if (current.state !== 'created') throw new MpsError('OFFER_STATE', `offer ${id} is ${current.state}`);
    if (this.expired(offer)) return this.end(offer, 'expired', 'OFFER_EXPIRED', 'the offer expired before it was sent');
    // Two nodes told to run the same offer: the one that records "sent" asks the phone, the other stops here.
    if (!(await this.step(offer, 'sent', null, null, null))) throw new MpsError('OFFER_STATE', `offer ${id} is being sent by another node`);
    const fields = this.fields(offer, (await this.o.store.ledger.participant(offer.merchantId))?.name ?? offer.merchantId);
    let outcome: ApprovalOutcome;
    try {
      outcome = await this.o.approver.approve({
        msisdn: offer.clientMsisdn,
        reference: offer.id,
        display: offerDisplay(fields),
        dataToBeSigned: offer.canonical,
        verificationCode: offer.verificationCode,
        deadline: offer.expiresAt,
      });
    } catch (err) {
      outcome = { status: 'failed', detail: (err as Error).message };
    }
    return this.complete(id, outcome);
  }

  /** Applies the citizen's answer (from run(), or delivered later by the channel to whichever node holds the offer). */
  async complete(id: string, outcome: ApprovalOutcome): Promise<OfferView> {
    const offer = await this.load(id);
    const current = await this.view(id);
    if (current.state !== 'sent' && current.state !== 'approved') throw new MpsError('OFFER_STATE', `offer ${id} is ${current.state}`);
    if (current.state === 'sent') {
      switch (outcome.status) {
        case 'cancelled':
          return this.end(offer, 'cancelled', 'APPROVAL_CANCELLED', outcome.detail ?? 'the client cancelled');
        case 'wrong-pin':
          return this.end(offer, 'failed', 'APPROVAL_WRONG_PIN', outcome.detail ?? 'wrong PIN');
        case 'timeout':
          return this.end(offer, 'expired', 'APPROVAL_TIMEOUT', outcome.detail ?? 'no answer from the phone');
        case 'failed':
          return this.end(offer, 'failed', 'APPROVAL_FAILED', outcome.detail ?? 'approval failed');
        case 'signed':
          break;
      }
      if (this.expired(offer)) return this.end(offer, 'expired', 'OFFER_EXPIRED', 'the approval arrived after the offer expired');
      const check = await this.o.verifier.verify(outcome.signature, offer.canonical, offer.clientMsisdn);
      if (!check.valid) return this.end(offer, 'refused', 'SIGNATURE_INVALID', check.reason, Buffer.from(outcome.signature));
      await this.step(offer, 'approved', null, null, Buffer.from(outcome.signature));
    }
    return this.book(offer);
  }

  /**
   * The merchant withdraws an offer not yet approved. An approval arriving afterwards finds the offer cancelled and
   * books nothing (complete() refuses any offer that is not sent or approved).
   */
  async cancel(id: string): Promise<OfferView> {
    const offer = await this.load(id);
    const current = await this.view(id);
    if (FINAL.includes(current.state)) {
      if (current.state === 'cancelled') return current;
      throw new MpsError('OFFER_STATE', `offer ${id} is ${current.state}`);
    }
    if (current.state === 'approved') throw new MpsError('OFFER_STATE', `offer ${id} is approved and being booked`);
    return this.end(offer, 'cancelled', 'APPROVAL_CANCELLED', 'the merchant cancelled the offer');
  }

  /**
   * Reserve, then commit (the reservation lasts until the offer expires), and record how the offer ended, all in one
   * transaction: the money moves exactly when "paid" is recorded. Two nodes booking one offer at once, or one
   * booking while another ends it otherwise, cannot disagree: the store keeps one final state per offer, so the
   * second transaction to reach it rolls back whole, its money with it, and that node reads the first one's end.
   * A transfer an earlier try made (before a crash) is finished as it stands, whatever the directory says now.
   */
  private async book(offer: OfferRecord): Promise<OfferView> {
    const transferId = offerTransferId(offer.id);
    const ops: LedgerOperation[] = [];
    if ((await this.o.store.ledger.transfers([transferId])).size === 0) {
      const payer = await this.o.directory.accountFor(offer.clientMsisdn, offer.currency);
      if (payer === undefined) return this.end(offer, 'failed', 'UNKNOWN_CLIENT', 'the client has no payment account any more');
      ops.push({
        op: 'transfer',
        id: transferId,
        kind: 'payment',
        debitAccountId: payer,
        creditAccountId: offer.merchantAccountId,
        currency: offer.currency,
        amount: offer.amount,
        reserve: true,
        reserveUntil: offer.expiresAt,
        reference: offer.reference,
      });
    }
    ops.push({ op: 'commit', transferId });
    let ending: Ending;
    try {
      ending = await this.o.ledger.submitThen(ops, async (tx, results) => {
        const end = await this.judge(tx, results, transferId);
        const history = await tx.offers.states(offer.id);
        if (history.some((h) => FINAL.includes(h.state))) throw new OfferAlreadyEnded();
        const extra = end.state === 'paid' ? await this.paymentLinks(tx, history, transferId) : {};
        await this.record(tx, offer, end.state, end.state === 'paid' ? transferId : null, end.detail, null, extra);
        return { ...end, extra };
      });
    } catch (err) {
      if (err instanceof OfferAlreadyEnded || isStoreError(err, 'UNIQUE_VIOLATION')) return this.view(offer.id);
      throw err;
    }
    if (this.o.audit?.appendIn === undefined) await this.o.audit?.append(this.auditEntry(offer, ending.state, ending.state === 'paid' ? transferId : null, ending.detail, null, ending.extra));
    if (ending.state === 'paid') this.o.logger?.info({ component: 'mps.offers', offer: offer.id, transfer: transferId }, 'offer paid');
    else this.o.logger?.info({ component: 'mps.offers', offer: offer.id, state: ending.state }, ending.detail ?? '');
    return this.final(offer.id);
  }

  /**
   * What the audit entry of a payment names besides the offer: the approval's signature and the postings, so the
   * evidence links who approved, what they approved (offerHash) and the money that moved.
   */
  private async paymentLinks(tx: Repositories, history: readonly OfferStateRecord[], transferId: string): Promise<AuditExtra> {
    const approved = history.find((h) => h.state === 'approved');
    const postings = await tx.ledger.postingsOf(transferId);
    return {
      signatureHash: approved?.signature ? hashEvidence(approved.signature).toString('hex') : null,
      postings: postings.map((p) => ({ id: p.id.toString(), account: p.accountId, amount: p.amount.toString(), window: p.windowId.toString() })),
    };
  }

  /** How the ledger's answer ends the offer. The first refusal in the batch is the reason. */
  private async judge(tx: Repositories, results: readonly OperationResult[], transferId: string): Promise<Ending> {
    const refused = results.find((r) => !r.ok);
    if (refused === undefined || refused.ok) return { state: 'paid', detail: null };
    const detail = `${refused.code}: ${refused.message}`;
    // The ledger's stored expiry decides, on every node alike: a commit after it is refused and the hold released.
    if (refused.code === 'RESERVATION_EXPIRED') return { state: 'expired', detail };
    if (refused.code === 'TRANSFER_NOT_PENDING') {
      // Released before this try: lapsed (expireDue got there first) or voided.
      const lapsed = (await tx.ledger.transfers([transferId])).get(transferId)?.state === 'expired';
      return lapsed ? { state: 'expired', detail: `RESERVATION_EXPIRED: ${refused.message}` } : { state: 'failed', detail };
    }
    return { state: 'failed', detail };
  }

  /**
   * Finishes what a crash (of this node or another) left half done, the same way whichever node runs it and however
   * many run it at once: an approved offer is booked (the ledger's idempotency by transfer id books it once; a
   * reservation past the offer's expiry is released and the offer expires), an offer not yet sent or still awaiting
   * the phone past its expiry expires, and lapsed reservations are released. Offers still within their time are
   * left to their phone. Two nodes racing to end one offer cannot both win: the store keeps one final state.
   */
  async recover(): Promise<RecoveryReport> {
    let examined = 0;
    let paid = 0;
    let ended = 0;
    let waiting = 0;
    let errors = 0;
    let after: OfferCursor | undefined;
    for (;;) {
      const page = await this.o.store.offers.unfinished(RECOVERY_PAGE, after);
      for (const offer of page) {
        examined += 1;
        try {
          const outcome = await this.settle(offer);
          if (outcome === 'paid') paid += 1;
          else if (outcome === 'waiting') waiting += 1;
          else ended += 1;
        } catch (err) {
          errors += 1;
          this.o.logger?.error({ component: 'mps.offers', offer: offer.id, err: (err as Error).message }, 'offer recovery failed; the next pass retries');
        }
      }
      const last = page[page.length - 1];
      if (last === undefined || page.length < RECOVERY_PAGE) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    const lapsedReservations = await this.o.ledger.expireDue();
    const report: RecoveryReport = { examined, paid, ended, waiting, errors, lapsedReservations };
    if (examined > waiting || lapsedReservations > 0 || errors > 0) this.o.logger?.info({ component: 'mps.offers', ...report }, 'offer recovery pass');
    return report;
  }

  /**
   * Runs recover() now and then every `intervalMs`, one pass at a time; the timer does not keep the process alive.
   * A failed pass is logged and the next one tries again.
   */
  startSweep(intervalMs: number): RecoverySweep {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 10) throw new MpsError('INVALID_REQUEST', 'the recovery interval is a whole number of milliseconds, at least 10');
    let running: Promise<void> | undefined;
    let stopped = false;
    const pass = (): void => {
      if (running !== undefined || stopped) return;
      running = this.recover()
        .then(
          () => undefined,
          (err: unknown) => this.o.logger?.error({ component: 'mps.offers', err: (err as Error).message }, 'offer recovery pass failed'),
        )
        .finally(() => {
          running = undefined;
        });
    };
    const timer = setInterval(pass, intervalMs);
    timer.unref();
    pass();
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await running;
      },
    };
  }

  private async settle(offer: OfferRecord): Promise<'paid' | 'ended' | 'waiting'> {
    const current = await this.view(offer.id);
    switch (current.state) {
      case 'approved': {
        const done = await this.book(offer);
        return done.state === 'paid' ? 'paid' : 'ended';
      }
      case 'created':
        if (!this.expired(offer)) return 'waiting';
        await this.end(offer, 'expired', 'OFFER_EXPIRED', 'the offer expired before it was sent');
        return 'ended';
      case 'sent':
        if (!this.expired(offer)) return 'waiting';
        await this.end(offer, 'expired', 'APPROVAL_TIMEOUT', 'no answer from the phone before the offer expired');
        return 'ended';
      default:
        // Another node ended it since the page was read.
        return 'ended';
    }
  }

  /**
   * A refund of a paid offer: a new transfer from the merchant back to the payer, linked to the payment. `id` is
   * the merchant's idempotency key for the refund.
   */
  async refund(offerId: string, id: string, amount: bigint | string): Promise<TransferView & { duplicate: boolean }> {
    const offer = await this.load(offerId);
    const view = await this.view(offerId);
    if (view.state !== 'paid' || view.transferId === null) throw new MpsError('OFFER_STATE', `offer ${offerId} is ${view.state}, not paid`);
    const payment = await this.o.ledger.transfer(view.transferId);
    return this.o.ledger.pay({
      id: checkId(id, 'refund id'),
      kind: 'refund',
      linkedTransferId: payment.id,
      debitAccountId: offer.merchantAccountId,
      creditAccountId: payment.debitAccountId,
      currency: offer.currency,
      amount,
    });
  }

  private async load(id: string): Promise<OfferRecord> {
    const offer = await this.o.store.offers.offer(checkId(id, 'offer id'));
    if (offer === undefined) throw new MpsError('UNKNOWN_OFFER', `offer ${id} is unknown`);
    return offer;
  }

  private expired(offer: OfferRecord): boolean {
    return this.clock().getTime() >= offer.expiresAt.getTime();
  }

  private fields(offer: OfferRecord, merchantName: string): OfferFields {
    return {
      offerId: offer.id,
      merchantId: offer.merchantId,
      merchantName,
      clientMsisdn: offer.clientMsisdn,
      currency: offer.currency,
      amount: offer.amount,
      reference: offer.reference,
      expiresAt: offer.expiresAt,
      verificationCode: offer.verificationCode,
    };
  }

  /**
   * Records a state and its audit entry in one transaction. Returns false when another node recorded that state, or
   * another final state, first: that is not an error (theirs stands, and it wrote the audit entry).
   */
  private async step(offer: OfferRecord, state: OfferStateName, transferId: string | null, detail: string | null, signature: Buffer | null): Promise<boolean> {
    const atomic = this.o.audit?.appendIn !== undefined;
    try {
      if (atomic) await this.o.store.transaction((tx) => this.record(tx, offer, state, transferId, detail, signature));
      else await this.record(this.o.store, offer, state, transferId, detail, signature);
    } catch (err) {
      if (!isStoreError(err, 'UNIQUE_VIOLATION')) throw err;
      return false;
    }
    if (!atomic) await this.o.audit?.append(this.auditEntry(offer, state, transferId, detail, signature));
    return true;
  }

  /** The state row, and its audit entry in the same transaction when the log can append inside one. */
  private async record(tx: Repositories, offer: OfferRecord, state: OfferStateName, transferId: string | null, detail: string | null, signature: Buffer | null, extra: AuditExtra = {}): Promise<void> {
    await tx.offers.insertState({ offerId: offer.id, state, at: this.clock(), transferId, detail: detail === null ? null : detail.slice(0, 512), signature });
    const audit = this.o.audit;
    if (audit?.appendIn !== undefined) await audit.appendIn(tx, this.auditEntry(offer, state, transferId, detail, signature, extra));
  }

  private auditEntry(offer: OfferRecord, state: OfferStateName, transferId: string | null, detail: string | null, signature: Buffer | null, extra: AuditExtra = {}): NewAuditEntry {
    return {
      actor: state === 'approved' || state === 'refused' ? { type: 'citizen', id: offer.clientMsisdn } : { type: 'system', id: 'mps' },
      action: 'payment.event',
      subject: `offer:${offer.id}`,
      outcome: state,
      evidenceHash: hashEvidence(signature ?? offer.canonical),
      details: {
        merchant: offer.merchantId,
        amount: offer.amount.toString(),
        currency: offer.currency,
        offerHash: hashEvidence(offer.canonical).toString('hex'),
        transfer: transferId,
        detail: detail === null ? null : detail.slice(0, 256),
        ...extra,
      },
    };
  }

  private async end(offer: OfferRecord, state: OfferStateName, code: MpsErrorCode, reason: string, signature: Buffer | null = null): Promise<OfferView> {
    if (!FINAL.includes(state)) throw new Error(`${state} is not a final offer state`);
    const current = await this.view(offer.id);
    if (FINAL.includes(current.state)) return current;
    const recorded = await this.step(offer, state, null, `${code}: ${reason}`, signature);
    this.o.logger?.info({ component: 'mps.offers', offer: offer.id, state, code }, reason);
    return recorded ? this.final(offer.id) : this.view(offer.id);
  }

  /** The offer as it ended, told to onFinal (a listener's failure is its own: logged, never the payment's). */
  private async final(id: string): Promise<OfferView> {
    const view = await this.view(id);
    if (this.o.onFinal !== undefined) {
      try {
        this.o.onFinal(view);
      } catch (err) {
        this.o.logger?.error({ err, offer: id }, 'offer listener failed');
      }
    }
    return view;
  }
}

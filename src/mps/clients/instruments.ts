import { createHash, randomInt } from 'node:crypto';
import { hashEvidence, type AuditLog } from '../../audit';
import type { Logger } from '../../log';
import { INSTRUMENT_KINDS, isStoreError, type InstrumentKind, type InstrumentRecord, type InstrumentStateName, type Store } from '../../store';
import type { ApprovalOutcome, ApprovalSignatureVerifier, CitizenApprover } from '../approval-port';
import { MpsError, type MpsErrorCode } from '../errors';
import { checkId } from '../ledger/validate';
import { checkCurrency } from '../money';
import { checkText } from '../offers/canonical';
import { MSISDN, canonicalEnrolment, enrolmentDisplay } from './canonical';
import { instrumentView, type ClientDirectory, type InstrumentView } from './directory';

/**
 * Enrolment of a client's payment instruments, approved on the SIM like a payment: the platform records the
 * instrument as pending with its canonical enrolment bytes, the phone shows what is being added, the client types
 * the signature PIN and the SIM signs those bytes; only a signature that verifies (signature, path, revocation,
 * and made with the certificate registered for that MSISDN) makes the instrument active. Cancel, wrong PIN,
 * timeout or a bad signature leave it in a final state that says why, and it can never carry money.
 *
 *   pending → active → removed
 *          ↘ refused (signature does not verify), cancelled, failed (wrong PIN, timeout, channel failure)
 *
 * Cards: the issuer tokenises the card before it reaches us; we keep its token and last four digits only.
 * Anything that looks like a full card number (13–19 digits passing the Luhn check), in any field of any kind of
 * instrument, is refused with CARD_NUMBER_REFUSED before it is written anywhere.
 */

/** Details each kind must carry (all text; nothing secret: a card's token is the issuer's, not the number). */
export const INSTRUMENT_DETAILS: Readonly<Record<InstrumentKind, readonly string[]>> = {
  'bank-account': ['bank', 'accountRef'],
  card: ['issuer', 'token', 'last4'],
  'mno-account': ['operator'],
  'e-money': ['provider', 'walletId'],
};

export interface NewInstrument {
  /** The enroller's idempotency key and the instrument's id. */
  readonly id: string;
  readonly clientMsisdn: string;
  readonly kind: InstrumentKind;
  readonly currency: string;
  /** The ledger account the instrument draws on and is paid into. */
  readonly ledgerAccountId: string;
  readonly details: Readonly<Record<string, string>>;
  /** Receives P2P payments and pays merchant offers in its currency. */
  readonly makeDefault?: boolean;
}

export interface InstrumentServiceOptions {
  readonly store: Store;
  readonly directory: ClientDirectory;
  readonly approver: CitizenApprover;
  readonly verifier: ApprovalSignatureVerifier;
  readonly audit?: Pick<AuditLog, 'append'>;
  readonly logger?: Logger;
  readonly clock?: () => Date;
  /** How long the client has to approve an enrolment. Default 2 minutes. */
  readonly approvalMs?: number;
}

const FINAL: readonly InstrumentStateName[] = ['active', 'refused', 'cancelled', 'failed', 'removed'];

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** True when the text holds something that could be a card number, spaced or dashed as people write them. */
export function looksLikeCardNumber(text: string): boolean {
  return (text.match(/\d[\d -]{11,}\d/g) ?? []).some((run) => {
    const digits = run.replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && luhn(digits);
  });
}

function labelFor(kind: InstrumentKind, d: Readonly<Record<string, string>>): string {
  switch (kind) {
    case 'card':
      return `Card **** ${d.last4 ?? ''}`;
    case 'bank-account':
      return `Account ${d.bank ?? ''} ...${(d.accountRef ?? '').slice(-4)}`;
    case 'mno-account':
      return `${d.operator ?? ''} account`;
    case 'e-money':
      return `${d.provider ?? ''} wallet`;
  }
}

export class InstrumentService {
  private readonly clock: () => Date;

  constructor(private readonly o: InstrumentServiceOptions) {
    this.clock = o.clock ?? (() => new Date());
  }

  /**
   * Records the instrument and asks the client to approve it on the SIM; resolves with the instrument as it ends
   * (active, or a final state saying why not). Same id and same request returns the earlier instrument.
   */
  async enrol(n: NewInstrument): Promise<InstrumentView> {
    const record = await this.record(n);
    const earlier = await this.o.store.instruments.instrument(record.id);
    if (earlier !== undefined) {
      if (fingerprint(earlier) !== fingerprint(record)) throw new MpsError('IDEMPOTENCY_CONFLICT', `instrument ${record.id} was enrolled before with other details`);
      return this.view(record.id);
    }
    try {
      await this.o.store.transaction(async (tx) => {
        await tx.instruments.insertInstrument(record);
        await tx.instruments.insertState({ instrumentId: record.id, state: 'pending', at: this.clock(), detail: null, signature: null });
      });
    } catch (err) {
      if (isStoreError(err, 'UNIQUE_VIOLATION')) return this.enrol(n);
      throw err;
    }
    await this.audit(record, 'pending', null, null);
    const code = record.canonical.toString('utf8').match(/\ncode=(\d+)\n/)?.[1] ?? '';
    let outcome: ApprovalOutcome;
    try {
      outcome = await this.o.approver.approve({
        msisdn: record.clientMsisdn,
        reference: record.id,
        display: enrolmentDisplay({ label: record.label, currency: record.currency, verificationCode: code }),
        dataToBeSigned: record.canonical,
        verificationCode: code,
        deadline: new Date(this.clock().getTime() + (this.o.approvalMs ?? 120_000)),
      });
    } catch (err) {
      outcome = { status: 'failed', detail: (err as Error).message };
    }
    switch (outcome.status) {
      case 'cancelled':
        return this.end(record, 'cancelled', 'APPROVAL_CANCELLED', outcome.detail ?? 'the client cancelled');
      case 'wrong-pin':
        return this.end(record, 'failed', 'APPROVAL_WRONG_PIN', outcome.detail ?? 'wrong PIN');
      case 'timeout':
        return this.end(record, 'failed', 'APPROVAL_TIMEOUT', outcome.detail ?? 'no answer from the phone');
      case 'failed':
        return this.end(record, 'failed', 'APPROVAL_FAILED', outcome.detail ?? 'approval failed');
      case 'signed':
        break;
    }
    const check = await this.o.verifier.verify(outcome.signature, record.canonical, record.clientMsisdn);
    if (!check.valid) return this.end(record, 'refused', 'SIGNATURE_INVALID', check.reason, Buffer.from(outcome.signature));
    await this.step(record, 'active', null, Buffer.from(outcome.signature));
    this.o.logger?.info({ component: 'mps.instruments', instrument: record.id, kind: record.kind }, 'instrument enrolled');
    return this.view(record.id);
  }

  async view(id: string): Promise<InstrumentView> {
    const record = await this.o.store.instruments.instrument(checkId(id, 'instrument id'));
    if (record === undefined) throw new MpsError('UNKNOWN_INSTRUMENT', `instrument ${id} is unknown`);
    return instrumentView(this.o.store, record);
  }

  /** Every instrument of the client, in every state, oldest first. */
  async list(clientMsisdn: string): Promise<InstrumentView[]> {
    const records = await this.o.store.instruments.instrumentsOf(clientMsisdn);
    return Promise.all(records.map((r) => instrumentView(this.o.store, r)));
  }

  /**
   * Takes an active instrument out of use (a new state; the history stays). Only the client it belongs to may
   * remove it. Removing restricts what the client can do, so it asks no approval on the SIM.
   */
  async remove(id: string, clientMsisdn: string, reason = 'removed by the client'): Promise<InstrumentView> {
    const view = await this.view(id);
    if (view.clientMsisdn !== clientMsisdn) throw new MpsError('INSTRUMENT_NOT_OWNED', `instrument ${id} is not ${clientMsisdn}'s`);
    if (view.state === 'removed') return view;
    if (view.state !== 'active') throw new MpsError('INSTRUMENT_STATE', `instrument ${id} is ${view.state}`);
    const record = await this.o.store.instruments.instrument(id);
    if (record !== undefined) await this.step(record, 'removed', checkText(reason, 'reason', 256), null);
    return this.view(id);
  }

  private async record(n: NewInstrument): Promise<InstrumentRecord> {
    const id = checkId(n.id, 'instrument id');
    if (typeof n.clientMsisdn !== 'string' || !MSISDN.test(n.clientMsisdn)) throw new MpsError('INVALID_REQUEST', 'the client is named by an E.164 number with the leading +');
    if (!(INSTRUMENT_KINDS as readonly string[]).includes(n.kind)) throw new MpsError('INVALID_REQUEST', `kind must be one of ${INSTRUMENT_KINDS.join(', ')}`);
    const currency = checkCurrency(n.currency);
    const ledgerAccountId = checkId(n.ledgerAccountId, 'ledger account id');
    const required = INSTRUMENT_DETAILS[n.kind];
    const given = typeof n.details === 'object' && n.details !== null ? n.details : {};
    const details: Record<string, string> = {};
    for (const key of Object.keys(given)) {
      if (!required.includes(key)) throw new MpsError('INVALID_REQUEST', `a ${n.kind} has no detail "${key.slice(0, 32)}" (it takes ${required.join(', ')})`);
    }
    for (const key of required) details[key] = checkText(given[key], `${n.kind} ${key}`, 64);
    // Checked before the card-specific rule, so a full number given as "last4" is refused for what it is.
    if (Object.values(details).some(looksLikeCardNumber)) throw new MpsError('CARD_NUMBER_REFUSED');
    if (n.kind === 'card' && !/^\d{4}$/.test(details.last4 ?? '')) throw new MpsError('INVALID_REQUEST', 'a card is shown by its last four digits');

    const client = await this.o.directory.find(n.clientMsisdn);
    if (client === undefined) throw new MpsError('UNKNOWN_CLIENT', 'no client with an active mobile ID is known by that number');
    const account = await this.o.store.ledger.account(ledgerAccountId);
    if (account === undefined) throw new MpsError('UNKNOWN_ACCOUNT', `account ${ledgerAccountId} is unknown`);
    if (account.currency !== currency) throw new MpsError('CURRENCY_MISMATCH', `account ${ledgerAccountId} holds ${account.currency}, not ${currency}`);

    const label = labelFor(n.kind, details);
    const verificationCode = randomInt(0, 10_000).toString().padStart(4, '0');
    const now = this.clock();
    const isDefault = n.makeDefault === true;
    return {
      id,
      clientMsisdn: n.clientMsisdn,
      clientMid: client.mid,
      kind: n.kind,
      currency,
      ledgerAccountId,
      label,
      details,
      isDefault,
      canonical: canonicalEnrolment({ instrumentId: id, clientMsisdn: n.clientMsisdn, clientMid: client.mid, kind: n.kind, label, currency, ledgerAccountId, isDefault, details, requestedAt: now, verificationCode }),
      createdAt: now,
    };
  }

  private async step(record: InstrumentRecord, state: InstrumentStateName, detail: string | null, signature: Buffer | null): Promise<boolean> {
    try {
      await this.o.store.instruments.insertState({ instrumentId: record.id, state, at: this.clock(), detail: detail === null ? null : detail.slice(0, 512), signature });
    } catch (err) {
      if (isStoreError(err, 'UNIQUE_VIOLATION')) return false;
      throw err;
    }
    await this.audit(record, state, detail, signature);
    return true;
  }

  private async end(record: InstrumentRecord, state: InstrumentStateName, code: MpsErrorCode, reason: string, signature: Buffer | null = null): Promise<InstrumentView> {
    const current = await this.view(record.id);
    if (FINAL.includes(current.state)) return current;
    await this.step(record, state, `${code}: ${reason}`, signature);
    this.o.logger?.info({ component: 'mps.instruments', instrument: record.id, state, code }, reason);
    return this.view(record.id);
  }

  private async audit(record: InstrumentRecord, state: InstrumentStateName, detail: string | null, signature: Buffer | null): Promise<void> {
    if (this.o.audit === undefined) return;
    await this.o.audit.append({
      actor: state === 'active' || state === 'refused' || state === 'removed' ? { type: 'citizen', id: record.clientMsisdn } : { type: 'system', id: 'mps' },
      action: 'payment.event',
      subject: `instrument:${record.id}`,
      outcome: state,
      evidenceHash: hashEvidence(signature ?? record.canonical),
      details: { kind: record.kind, currency: record.currency, account: record.ledgerAccountId, enrolmentHash: hashEvidence(record.canonical).toString('hex'), detail: detail === null ? null : detail.slice(0, 256) },
    });
  }
}

/** What makes two enrolments "the same": everything but the time and the code drawn for it. */
function fingerprint(r: InstrumentRecord): string {
  return createHash('sha256')
    .update(JSON.stringify([r.clientMsisdn, r.kind, r.currency, r.ledgerAccountId, r.isDefault, Object.entries(r.details).sort()]))
    .digest('hex');
}

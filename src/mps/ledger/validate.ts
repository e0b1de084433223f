import { createHash } from 'node:crypto';
import { TRANSFER_KINDS, type TransferKind } from '../../store';
import { MpsError } from '../errors';
import { checkCurrency, parseAmount } from '../money';
import type { LedgerOperation, TransferRequest } from './types';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$/;

export function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ID.test(value)) throw new MpsError('INVALID_REQUEST', `${what} must be 1 to 128 letters, digits or . _ : - (starting with a letter or digit)`);
  return value;
}

/** A transfer request after the checks that need no database. */
export interface CheckedTransfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly currency: string;
  readonly amount: bigint;
  readonly kind: TransferKind;
  readonly linkedTransferId: string | null;
  readonly reserve: boolean;
  readonly reserveUntil: Date | null;
  readonly reference: string | null;
  /** SHA-256 over the request as the client gave it: the idempotency fingerprint. */
  readonly payloadHash: string;
}

export function checkTransfer(r: TransferRequest): CheckedTransfer {
  const id = checkId(r.id, 'transfer id');
  const debitAccountId = checkId(r.debitAccountId, 'debit account id');
  const creditAccountId = checkId(r.creditAccountId, 'credit account id');
  if (debitAccountId === creditAccountId) throw new MpsError('SAME_ACCOUNT', `transfer ${id} debits and credits the same account`);
  const currency = checkCurrency(r.currency);
  const amount = parseAmount(r.amount);
  const kind = r.kind ?? 'transfer';
  if (!(TRANSFER_KINDS as readonly string[]).includes(kind)) throw new MpsError('INVALID_REQUEST', `kind must be one of ${TRANSFER_KINDS.join(', ')}`);
  const linkedTransferId = r.linkedTransferId === undefined ? null : checkId(r.linkedTransferId, 'linked transfer id');
  if ((kind === 'refund' || kind === 'reversal') !== (linkedTransferId !== null)) {
    throw new MpsError('BAD_LINK', 'refunds and reversals, and only they, name the transfer they reverse');
  }
  const reserve = r.reserve === true;
  if (r.reserveUntil !== undefined && (!(r.reserveUntil instanceof Date) || Number.isNaN(r.reserveUntil.getTime()) || !reserve)) {
    throw new MpsError('INVALID_REQUEST', 'reserveUntil must be a valid date, and only on a reservation');
  }
  const reference = r.reference ?? null;
  if (reference !== null && (typeof reference !== 'string' || reference.length > 256)) throw new MpsError('INVALID_REQUEST', 'reference must be at most 256 characters');
  const fingerprint = JSON.stringify([debitAccountId, creditAccountId, currency, amount.toString(), kind, linkedTransferId, reserve, r.reserveUntil?.toISOString() ?? null, reference]);
  const payloadHash = createHash('sha256').update(fingerprint).digest('hex');
  return { id, debitAccountId, creditAccountId, currency, amount, kind, linkedTransferId, reserve, reserveUntil: r.reserveUntil ?? null, reference, payloadHash };
}

/** The id an operation is about (for results and duplicate detection). */
export function operationId(op: LedgerOperation): string {
  return op.op === 'transfer' ? op.id : op.transferId;
}

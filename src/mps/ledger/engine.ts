import { StoreError, type BankPosition, type LedgerAccountRecord, type LedgerTransferRecord, type NewPosting, type NewTransferState, type Repositories, type TransferStateName } from '../../store';
import { MpsError, isMpsError, type MpsErrorCode } from '../errors';
import { INT64_MAX, INT64_MIN } from '../money';
import type { LedgerOperation, OperationResult, TransferView } from './types';
import { checkId, checkTransfer, operationId, type CheckedTransfer } from './validate';

/**
 * Applies one batch of ledger operations inside the caller's database transaction. Everything the batch reads
 * is locked first (the open window, then the accounts, then the bank positions), every check and balance change
 * then runs in memory in the order given, and the rows are written at the end in a few bulk statements. Each
 * operation succeeds or is refused on its own; the batch as a whole commits or rolls back with the transaction.
 */

export interface EngineSettings {
  readonly now: Date;
  /** How long a reservation holds when the request names no reserveUntil. */
  readonly reservationMs: number;
}

interface LiveAccount {
  readonly record: LedgerAccountRecord;
  posted: bigint;
  reserved: bigint;
}

interface LivePosition {
  readonly record: BankPosition;
  pending: bigint;
  net: bigint;
}

type LiveTransfer = Omit<LedgerTransferRecord, 'state' | 'stateAt' | 'reason' | 'windowId'> & {
  state: TransferStateName;
  stateAt: Date;
  reason: string | null;
  windowId: bigint | null;
};

type Prepared = { readonly op: LedgerOperation; readonly checked?: CheckedTransfer; readonly refusal?: MpsError };

const key = (bankId: string, currency: string): string => `${bankId}\u0000${currency}`;

function view(t: LiveTransfer): TransferView {
  const { payloadHash: _hash, ...rest } = t;
  return { ...rest };
}

function prepare(ops: readonly LedgerOperation[]): Prepared[] {
  const newIds = new Set<string>();
  return ops.map((op): Prepared => {
    try {
      if (op.op === 'transfer') {
        const checked = checkTransfer(op);
        if (newIds.has(checked.id)) return { op, refusal: new MpsError('DUPLICATE_IN_BATCH', `transfer ${checked.id} appears twice in the batch`) };
        newIds.add(checked.id);
        return { op, checked };
      }
      if (op.op !== 'commit' && op.op !== 'void' && op.op !== 'expire') throw new MpsError('INVALID_REQUEST', 'op must be transfer, commit or void');
      checkId(op.transferId, 'transfer id');
      return { op };
    } catch (err) {
      if (isMpsError(err)) return { op, refusal: err };
      throw err;
    }
  });
}

export async function applyBatch(tx: Repositories, ops: readonly LedgerOperation[], settings: EngineSettings): Promise<OperationResult[]> {
  const { now } = settings;
  const prepared = prepare(ops);
  const windowId = await tx.ledger.lockOpenWindow();

  const wantedTransfers = new Set<string>();
  for (const p of prepared) {
    if (p.refusal) continue;
    if (p.checked) {
      wantedTransfers.add(p.checked.id);
      if (p.checked.linkedTransferId !== null) wantedTransfers.add(p.checked.linkedTransferId);
    } else {
      wantedTransfers.add(operationId(p.op));
    }
  }
  const stored = await tx.ledger.transfers([...wantedTransfers]);
  const transfers = new Map<string, LiveTransfer>();
  for (const [id, t] of stored) transfers.set(id, { ...t });

  const accountIds = new Set<string>();
  for (const p of prepared) {
    if (p.checked) {
      accountIds.add(p.checked.debitAccountId);
      accountIds.add(p.checked.creditAccountId);
    }
  }
  for (const t of transfers.values()) {
    accountIds.add(t.debitAccountId);
    accountIds.add(t.creditAccountId);
  }
  const accounts = new Map<string, LiveAccount>();
  for (const [id, a] of await tx.ledger.lockAccounts([...accountIds])) accounts.set(id, { record: a, posted: a.posted, reserved: a.reserved });

  const positionKeys: { bankId: string; currency: string }[] = [];
  const addKeys = (debitId: string, creditId: string, currency: string): void => {
    const d = accounts.get(debitId);
    const c = accounts.get(creditId);
    if (d === undefined || c === undefined || d.record.bankId === c.record.bankId) return;
    positionKeys.push({ bankId: d.record.bankId, currency }, { bankId: c.record.bankId, currency });
  };
  for (const p of prepared) if (p.checked) addKeys(p.checked.debitAccountId, p.checked.creditAccountId, p.checked.currency);
  for (const t of transfers.values()) addKeys(t.debitAccountId, t.creditAccountId, t.currency);
  const positions = new Map<string, LivePosition>();
  for (const [k, pos] of await tx.ledger.lockBankPositions(positionKeys, windowId)) positions.set(k, { record: pos, pending: pos.pending, net: pos.net });

  const linkedIds = prepared.flatMap((p) => (p.checked?.linkedTransferId ? [p.checked.linkedTransferId] : []));
  const linkedTotals = await tx.ledger.linkedTotals(linkedIds);

  const newTransfers: LiveTransfer[] = [];
  const states: NewTransferState[] = [];
  const postings: NewPosting[] = [];
  const dirtyAccounts = new Set<string>();
  const dirtyPositions = new Set<string>();
  const createdHere = new Set<string>();

  const refuse = (id: string, code: MpsErrorCode, message: string): OperationResult => ({ ok: false, id, code, message });
  const done = (t: LiveTransfer, duplicate: boolean): OperationResult => ({ ok: true, id: t.id, state: t.state, duplicate, transfer: view(t) });
  const account = (id: string): LiveAccount => {
    const a = accounts.get(id);
    if (a === undefined) throw new MpsError('UNKNOWN_ACCOUNT', `account ${id} is unknown`);
    return a;
  };
  /** The two banks' positions when the transfer crosses banks; undefined inside one bank. */
  const bankPair = (debit: LiveAccount, credit: LiveAccount, currency: string): [LivePosition, LivePosition] | undefined => {
    if (debit.record.bankId === credit.record.bankId) return undefined;
    const d = positions.get(key(debit.record.bankId, currency));
    const c = positions.get(key(credit.record.bankId, currency));
    if (d === undefined || c === undefined) throw new Error('bank position was not locked');
    return [d, c];
  };
  const touch = (a: LiveAccount): void => {
    dirtyAccounts.add(a.record.id);
  };
  const touchPosition = (p: LivePosition): void => {
    dirtyPositions.add(key(p.record.bankId, p.record.currency));
  };
  const setState = (t: LiveTransfer, state: TransferStateName, reason: string | null): void => {
    t.state = state;
    t.stateAt = now;
    t.reason = reason;
    if (state === 'committed') t.windowId = windowId;
    states.push({ transferId: t.id, phase: state === 'reserved' ? 'prepare' : 'final', state, at: now, windowId: state === 'committed' ? windowId : null, reason });
  };
  const post = (t: LiveTransfer, debit: LiveAccount, credit: LiveAccount, pair: [LivePosition, LivePosition] | undefined): void => {
    if (credit.posted + t.amount > INT64_MAX) throw new MpsError('BALANCE_OVERFLOW', `account ${credit.record.id} would exceed the 64-bit range`);
    if (debit.posted - t.amount < INT64_MIN) throw new MpsError('BALANCE_OVERFLOW', `account ${debit.record.id} would leave the 64-bit range`);
    if (pair && (pair[0].net - t.amount < INT64_MIN || pair[1].net + t.amount > INT64_MAX)) {
      throw new MpsError('BALANCE_OVERFLOW', `the net position of bank ${pair[0].record.bankId} or ${pair[1].record.bankId} in ${t.currency} would leave the 64-bit range`);
    }
    debit.posted -= t.amount;
    credit.posted += t.amount;
    touch(debit);
    touch(credit);
    postings.push({ transferId: t.id, accountId: debit.record.id, currency: t.currency, amount: -t.amount, windowId, at: now });
    postings.push({ transferId: t.id, accountId: credit.record.id, currency: t.currency, amount: t.amount, windowId, at: now });
    if (pair) {
      pair[0].net -= t.amount;
      pair[1].net += t.amount;
      touchPosition(pair[0]);
      touchPosition(pair[1]);
    }
  };
  const release = (t: LiveTransfer, state: 'voided' | 'expired', reason: string | null): void => {
    const debit = account(t.debitAccountId);
    debit.reserved -= t.amount;
    touch(debit);
    const pair = bankPair(debit, account(t.creditAccountId), t.currency);
    if (pair) {
      pair[0].pending -= t.amount;
      touchPosition(pair[0]);
    }
    if (t.linkedTransferId !== null) linkedTotals.set(t.linkedTransferId, (linkedTotals.get(t.linkedTransferId) ?? 0n) - t.amount);
    setState(t, state, reason);
  };

  const newTransfer = (c: CheckedTransfer): OperationResult => {
    const earlier = transfers.get(c.id);
    if (earlier !== undefined) {
      if (earlier.payloadHash !== c.payloadHash) return refuse(c.id, 'IDEMPOTENCY_CONFLICT', `transfer ${c.id} was made before with a different request`);
      return done(earlier, true);
    }
    const debit = account(c.debitAccountId);
    const credit = account(c.creditAccountId);
    for (const a of [debit, credit]) {
      if (a.record.currency !== c.currency) throw new MpsError('CURRENCY_MISMATCH', `account ${a.record.id} holds ${a.record.currency}, not ${c.currency}`);
    }
    if (c.linkedTransferId !== null) {
      const original = transfers.get(c.linkedTransferId);
      if (original === undefined || original.state !== 'committed' || original.debitAccountId !== c.creditAccountId || original.creditAccountId !== c.debitAccountId) {
        throw new MpsError('BAD_LINK', `${c.kind} ${c.id} must reverse a committed transfer between the same two accounts`);
      }
      const before = linkedTotals.get(original.id) ?? 0n;
      if (c.kind === 'reversal' && (before !== 0n || c.amount !== original.amount)) throw new MpsError('REFUND_EXCEEDS_ORIGINAL', `a reversal returns the whole of ${original.id}, which nothing may have refunded yet`);
      if (before + c.amount > original.amount) throw new MpsError('REFUND_EXCEEDS_ORIGINAL', `refunds of ${original.id} would exceed its amount`);
    }
    const available = debit.posted - debit.reserved - c.amount;
    if (debit.record.floor !== null && available < debit.record.floor) throw new MpsError('INSUFFICIENT_FUNDS', `account ${debit.record.id} has not enough available`);
    const pair = bankPair(debit, credit, c.currency);
    if (pair) {
      const [d] = pair;
      if (d.record.cap !== null && d.net - d.pending - c.amount < -d.record.cap) {
        throw new MpsError('NET_DEBIT_CAP_EXCEEDED', `bank ${d.record.bankId} would exceed its net debit cap in ${c.currency}`);
      }
    }
    const t: LiveTransfer = {
      id: c.id,
      payloadHash: c.payloadHash,
      kind: c.kind,
      debitAccountId: c.debitAccountId,
      creditAccountId: c.creditAccountId,
      currency: c.currency,
      amount: c.amount,
      twoPhase: c.reserve,
      expiresAt: c.reserve ? (c.reserveUntil ?? new Date(now.getTime() + settings.reservationMs)) : null,
      linkedTransferId: c.linkedTransferId,
      reference: c.reference,
      createdAt: now,
      state: 'reserved',
      stateAt: now,
      reason: null,
      windowId: null,
    };
    if (c.reserve) {
      if (debit.reserved + c.amount > INT64_MAX) throw new MpsError('BALANCE_OVERFLOW', `reservations on ${debit.record.id} would exceed the 64-bit range`);
      // The bank's pending total is kept in a 64-bit column too: refused here, not by the store mid-batch.
      if (pair && pair[0].pending + c.amount > INT64_MAX) throw new MpsError('BALANCE_OVERFLOW', `reservations of bank ${pair[0].record.bankId} in ${c.currency} would exceed the 64-bit range`);
      debit.reserved += c.amount;
      touch(debit);
      if (pair) {
        pair[0].pending += c.amount;
        touchPosition(pair[0]);
      }
      setState(t, 'reserved', null);
    } else {
      // Committed as written: the transfer row itself says so (no state row), which keeps bulk payments lean.
      post(t, debit, credit, pair);
      t.state = 'committed';
      t.windowId = windowId;
    }
    if (c.linkedTransferId !== null) linkedTotals.set(c.linkedTransferId, (linkedTotals.get(c.linkedTransferId) ?? 0n) + c.amount);
    transfers.set(t.id, t);
    newTransfers.push(t);
    createdHere.add(t.id);
    return done(t, false);
  };

  const finish = (op: 'commit' | 'void' | 'expire', id: string): OperationResult => {
    const t = transfers.get(id);
    if (t === undefined) throw new MpsError('UNKNOWN_TRANSFER', `transfer ${id} is unknown`);
    const lapsed = t.expiresAt !== null && t.expiresAt.getTime() <= now.getTime();
    if (t.state !== 'reserved') {
      const same = (op === 'commit' && t.state === 'committed') || (op !== 'commit' && (t.state === 'voided' || t.state === 'expired'));
      if (same) return done(t, true);
      throw new MpsError('TRANSFER_NOT_PENDING', `transfer ${id} is ${t.state}`);
    }
    if (op === 'expire') {
      if (!lapsed) throw new MpsError('TRANSFER_NOT_PENDING', `reservation ${id} has not lapsed yet`);
      release(t, 'expired', 'reservation lapsed');
      return done(t, false);
    }
    if (op === 'void') {
      release(t, lapsed ? 'expired' : 'voided', lapsed ? 'reservation lapsed' : null);
      return done(t, false);
    }
    if (lapsed) {
      // The lapse is recorded even though the commit is refused: the outcome depends only on the stored expiry.
      release(t, 'expired', 'reservation lapsed');
      return refuse(id, 'RESERVATION_EXPIRED', `reservation ${id} lapsed at ${t.expiresAt?.toISOString()}`);
    }
    const debit = account(t.debitAccountId);
    const credit = account(t.creditAccountId);
    const pair = bankPair(debit, credit, t.currency);
    post(t, debit, credit, pair);
    debit.reserved -= t.amount;
    if (pair) pair[0].pending -= t.amount;
    setState(t, 'committed', null);
    return done(t, false);
  };

  const results: OperationResult[] = [];
  const refusedNew: string[] = [];
  for (const p of prepared) {
    const id = operationId(p.op);
    if (p.refusal) {
      results.push(refuse(id, p.refusal.code, p.refusal.message));
      continue;
    }
    try {
      results.push(p.checked ? newTransfer(p.checked) : finish(p.op.op as 'commit' | 'void' | 'expire', id));
    } catch (err) {
      if (!isMpsError(err)) throw err;
      if (p.checked !== undefined && !transfers.has(id)) refusedNew.push(id);
      results.push(refuse(id, err.code, err.message));
    }
  }
  // A new transfer refused (say for want of money) may be one another node booked while this batch waited for the
  // account locks: the same request sent to two nodes. Its answer must be the earlier result, not a judgement
  // against the balance that booking spent, so the batch runs again and then finds it. Only refusals need the check.
  if ((await tx.ledger.transfersSinceLock(refusedNew)).size > 0) {
    throw new StoreError('UNIQUE_VIOLATION', 'another transaction booked a transfer id of this batch meanwhile: run the batch again');
  }

  await tx.ledger.writeBatch({
    windowId,
    transfers: newTransfers.map((t) => ({
      id: t.id,
      payloadHash: t.payloadHash,
      kind: t.kind,
      debitAccountId: t.debitAccountId,
      creditAccountId: t.creditAccountId,
      currency: t.currency,
      amount: t.amount,
      twoPhase: t.twoPhase,
      expiresAt: t.expiresAt,
      linkedTransferId: t.linkedTransferId,
      reference: t.reference,
      createdAt: t.createdAt,
      windowId: t.twoPhase ? null : t.windowId,
    })),
    states,
    postings,
    accounts: [...dirtyAccounts].map((id) => {
      const a = account(id);
      return { id, posted: a.posted, reserved: a.reserved };
    }),
    positions: [...dirtyPositions].map((k) => {
      const p = positions.get(k);
      if (p === undefined) throw new Error('bank position vanished');
      return { bankId: p.record.bankId, currency: p.record.currency, pending: p.pending, net: p.net };
    }),
  });
  return results;
}

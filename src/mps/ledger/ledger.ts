import type { Logger } from '../../log';
import type { LedgerAccountRecord, LedgerParticipantRecord, ParticipantKind, Repositories, Store } from '../../store';
import { PARTICIPANT_KINDS, isStoreError } from '../../store';
import { MpsError } from '../errors';
import { checkCurrency, INT64_MAX } from '../money';
import { applyBatch } from './engine';
import type { LedgerOperation, OperationResult, TransferRequest, TransferView } from './types';
import { checkId } from './validate';

export interface LedgerOptions {
  readonly store: Store;
  /** The ledger's notion of now; injected so expiry is deterministic in tests. Default: the system clock. */
  readonly clock?: () => Date;
  /** How long a reservation holds when the request names no reserveUntil. Default 5 minutes. */
  readonly reservationMs?: number;
  /** Largest batch accepted by submit(). Default 10,000. */
  readonly maxBatch?: number;
  readonly logger?: Logger;
}

export interface NewParticipant {
  readonly id: string;
  readonly kind: ParticipantKind;
  readonly name: string;
  /** The bank it settles through; a bank omits it (it settles for itself). */
  readonly bankId?: string;
}

export interface NewAccount {
  readonly id: string;
  readonly participantId: string;
  readonly currency: string;
  /** Lowest balance allowed: 0n (default) forbids overdraft, -500n allows 5.00 of overdraft, null has no floor (issuance). */
  readonly floor?: bigint | null;
}

export const DEFAULT_RESERVATION_MS = 5 * 60_000;
const DEFAULT_MAX_BATCH = 10_000;

/**
 * The double-entry ledger: the facade over the batch engine. Every method that moves money goes through
 * submit(), one database transaction per call, so a crash leaves either the whole batch or nothing.
 */
export class Ledger {
  private readonly store: Store;
  private readonly clock: () => Date;
  private readonly reservationMs: number;
  private readonly maxBatch: number;
  private readonly logger: Logger | undefined;

  constructor(options: LedgerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? (() => new Date());
    this.reservationMs = options.reservationMs ?? DEFAULT_RESERVATION_MS;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.logger = options.logger;
  }

  now(): Date {
    return this.clock();
  }

  async createParticipant(p: NewParticipant): Promise<LedgerParticipantRecord> {
    const id = checkId(p.id, 'participant id');
    if (!(PARTICIPANT_KINDS as readonly string[]).includes(p.kind)) throw new MpsError('INVALID_REQUEST', `participant kind must be one of ${PARTICIPANT_KINDS.join(', ')}`);
    if (typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 256) throw new MpsError('INVALID_REQUEST', 'participant name must be 1 to 256 characters');
    const bankId = p.kind === 'bank' ? id : checkId(p.bankId, 'bank id');
    if (p.kind !== 'bank') {
      const bank = await this.store.ledger.participant(bankId);
      if (bank === undefined || bank.kind !== 'bank') throw new MpsError('UNKNOWN_PARTICIPANT', `bank ${bankId} is unknown`);
    }
    const record: LedgerParticipantRecord = { id, kind: p.kind, name: p.name, bankId, createdAt: this.clock() };
    await this.store.ledger.insertParticipant(record);
    return record;
  }

  async createAccount(a: NewAccount): Promise<LedgerAccountRecord> {
    const id = checkId(a.id, 'account id');
    const currency = checkCurrency(a.currency);
    const floor = a.floor === undefined ? 0n : a.floor;
    if (floor !== null && (typeof floor !== 'bigint' || floor > 0n || floor < -INT64_MAX)) throw new MpsError('INVALID_AMOUNT', 'an account floor is zero or a negative 64-bit integer');
    const owner = await this.store.ledger.participant(checkId(a.participantId, 'participant id'));
    if (owner === undefined) throw new MpsError('UNKNOWN_PARTICIPANT', `participant ${a.participantId} is unknown`);
    await this.store.ledger.insertAccount({ id, participantId: owner.id, currency, floor, createdAt: this.clock() });
    const created = await this.store.ledger.account(id);
    if (created === undefined) throw new Error(`account ${id} was not stored`);
    return created;
  }

  async setNetDebitCap(bankId: string, currency: string, cap: bigint | null): Promise<void> {
    const bank = await this.store.ledger.participant(checkId(bankId, 'bank id'));
    if (bank === undefined || bank.kind !== 'bank') throw new MpsError('UNKNOWN_PARTICIPANT', `bank ${bankId} is unknown`);
    if (cap !== null && (typeof cap !== 'bigint' || cap < 0n || cap > INT64_MAX)) throw new MpsError('INVALID_AMOUNT', 'a net debit cap is a non-negative 64-bit integer');
    await this.store.ledger.setNetDebitCap(bank.id, checkCurrency(currency), cap);
  }

  async account(id: string): Promise<LedgerAccountRecord> {
    const a = await this.store.ledger.account(checkId(id, 'account id'));
    if (a === undefined) throw new MpsError('UNKNOWN_ACCOUNT', `account ${id} is unknown`);
    return a;
  }

  async transfer(id: string): Promise<TransferView> {
    const t = (await this.store.ledger.transfers([checkId(id, 'transfer id')])).get(id);
    if (t === undefined) throw new MpsError('UNKNOWN_TRANSFER', `transfer ${id} is unknown`);
    const { payloadHash: _hash, ...rest } = t;
    return rest;
  }

  /**
   * The batched API: transfers, reservations, commits and voids, applied in order in one database transaction.
   * Each operation gets its own result; a refused one books nothing and does not stop the others.
   */
  async submit(ops: readonly LedgerOperation[]): Promise<OperationResult[]> {
    if (!Array.isArray(ops)) throw new MpsError('INVALID_REQUEST', 'a batch is a list of operations');
    if (ops.length > this.maxBatch) throw new MpsError('BATCH_TOO_LARGE', `a batch holds at most ${this.maxBatch} operations`);
    if (ops.length === 0) return [];
    const now = this.clock();
    const results = await this.withRetry(() => this.store.transaction((tx) => applyBatch(tx, ops, { now, reservationMs: this.reservationMs })));
    if (this.logger) {
      for (const r of results) if (!r.ok) this.logger.info({ component: 'mps.ledger', id: r.id, code: r.code }, r.message);
    }
    return results;
  }

  /**
   * The batch and then `after` in one transaction: what `after` writes is committed exactly when the batch is, and
   * when `after` throws the batch is rolled back too. For a record that must agree with the money, such as the final
   * state of the offer a payment is for. `after` may run more than once (retries), each time in a fresh transaction.
   */
  async submitThen<T>(ops: readonly LedgerOperation[], after: (tx: Repositories, results: readonly OperationResult[]) => Promise<T>): Promise<T> {
    if (!Array.isArray(ops) || ops.length === 0) throw new MpsError('INVALID_REQUEST', 'a batch is a non-empty list of operations');
    if (ops.length > this.maxBatch) throw new MpsError('BATCH_TOO_LARGE', `a batch holds at most ${this.maxBatch} operations`);
    const now = this.clock();
    return this.withRetry(() =>
      this.store.transaction(async (tx) => {
        const results = await applyBatch(tx, ops, { now, reservationMs: this.reservationMs });
        if (this.logger) {
          for (const r of results) if (!r.ok) this.logger.info({ component: 'mps.ledger', id: r.id, code: r.code }, r.message);
        }
        return after(tx, results);
      }),
    );
  }

  /** One operation; a refusal becomes a thrown MpsError with its code. */
  async one(op: LedgerOperation): Promise<TransferView & { duplicate: boolean }> {
    const [result] = await this.submit([op]);
    if (result === undefined) throw new Error('the ledger returned no result');
    if (!result.ok) throw new MpsError(result.code, result.message);
    return { ...result.transfer, duplicate: result.duplicate };
  }

  pay(request: Omit<TransferRequest, 'op'>): Promise<TransferView & { duplicate: boolean }> {
    return this.one({ op: 'transfer', ...request });
  }

  commit(transferId: string): Promise<TransferView & { duplicate: boolean }> {
    return this.one({ op: 'commit', transferId });
  }

  void(transferId: string): Promise<TransferView & { duplicate: boolean }> {
    return this.one({ op: 'void', transferId });
  }

  /** Marks every reservation whose expiry is at or before now as expired; returns how many. */
  async expireDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await this.store.ledger.dueReservations(this.clock(), 1_000);
      if (due.length === 0) return total;
      const results = await this.submit(due.map((transferId) => ({ op: 'expire' as const, transferId })));
      const expired = results.filter((r) => r.ok && !r.duplicate).length;
      total += expired;
      if (expired === 0) return total;
    }
  }

  /**
   * Runs the batch again when the database says a retry will do: PostgreSQL cancelled one of two transactions
   * waiting on each other (40P01) or refused serialisation (40001), two nodes inserted the same new transfer id
   * at once (the retry then finds it and answers as for a duplicate), or another SQLite process held the lock.
   * The failed try wrote nothing.
   */
  private async withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fn();
      } catch (err) {
        const fields = err as { code?: unknown; cause?: { code?: unknown } };
        const code = fields.cause?.code ?? fields.code;
        const retry = code === '40P01' || code === '40001' || code === 'SQLITE_BUSY' || isStoreError(err, 'UNIQUE_VIOLATION');
        if (attempt < 5 && retry) continue;
        throw err;
      }
    }
  }
}

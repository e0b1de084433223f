import type { LedgerTransferRecord, TransferKind, TransferStateName } from '../../store';
import type { MpsErrorCode } from '../errors';

/** A new movement of money. `id` is the client's idempotency key. */
export interface TransferRequest {
  readonly op: 'transfer';
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly currency: string;
  /** Minor units, bigint or decimal string. */
  readonly amount: bigint | string;
  /** Default 'transfer'. Refunds and reversals name the transfer they reverse in linkedTransferId. */
  readonly kind?: TransferKind;
  readonly linkedTransferId?: string;
  /** Reserve only (two-phase): commit or void follows. */
  readonly reserve?: boolean;
  /** When a reservation lapses; default now + the ledger's reservation timeout. */
  readonly reserveUntil?: Date;
  readonly reference?: string;
}

export interface FinishRequest {
  readonly op: 'commit' | 'void';
  readonly transferId: string;
}

/** Internal: marks a lapsed reservation expired (what expireDue submits). */
export interface ExpireRequest {
  readonly op: 'expire';
  readonly transferId: string;
}

export type LedgerOperation = TransferRequest | FinishRequest | ExpireRequest;

export type TransferView = Omit<LedgerTransferRecord, 'payloadHash'>;

export type OperationResult =
  | { readonly ok: true; readonly id: string; readonly state: TransferStateName; readonly duplicate: boolean; readonly transfer: TransferView }
  | { readonly ok: false; readonly id: string; readonly code: MpsErrorCode; readonly message: string };

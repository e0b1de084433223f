export { Ledger, DEFAULT_RESERVATION_MS, type LedgerOptions, type NewParticipant, type NewAccount } from './ledger';
export type { TransferRequest, FinishRequest, LedgerOperation, OperationResult, TransferView } from './types';

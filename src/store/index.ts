/**
 * The store: one facade over SQLite (default) and PostgreSQL (DATABASE_URL). Callers never see knex or SQL;
 * they get repositories whose integers are bigint and whose timestamps are UTC Dates on both engines.
 */
export { openStore, type Store, type StoreOptions } from './open';
export type { StoreEngine } from './codec';
export { MAX_EVENT_BYTES, type EventBus, type Topic } from './events';
export { StoreError, isStoreError, STORE_ERROR_CODES, type StoreErrorCode } from './errors';
export type { MigrationStatus } from './migrator';
export type { Repositories } from './repositories';
export { KEY_ALGORITHMS, type KeyAlgorithm, type KeyRecord, type NewKey, type KeyListFilter, type KeysRepository } from './repositories/keys';
export type { Setting, SettingsRepository } from './repositories/settings';
export type { CountersRepository } from './repositories/counters';
export type { AuditRepository, AuditEntryRecord, AuditCheckpointRecord, AuditHeadRecord, AuditEntryPage } from './repositories/audit';
export {
  CERTIFICATE_STATUSES,
  type CertificateStatusName,
  type CaRecord,
  type NewCa,
  type CertificateRecord,
  type NewCertificate,
  type StatusRecord,
  type NewStatus,
  type CrlRecord,
  type NewCrl,
  type CertificateWithStatus,
  type CertificatesRepository,
} from './repositories/certificates';
export {
  REGISTRATION_MODES,
  MOBILE_ID_STATUSES,
  type RegistrationMode,
  type MobileIdStatus,
  type MobileIdRecord,
  type NewMobileId,
  type MobileIdEventRecord,
  type NewMobileIdEvent,
  type MobileIdState,
  type MobileIdsRepository,
} from './repositories/mobile-ids';
export {
  TRANSFER_STATES,
  TRANSFER_KINDS,
  PARTICIPANT_KINDS,
  WINDOW_STATES,
  type TransferStateName,
  type TransferKind,
  type ParticipantKind,
  type WindowState,
  type LedgerParticipantRecord,
  type NewLedgerAccount,
  type LedgerAccountRecord,
  type NewLedgerTransfer,
  type LedgerTransferRecord,
  type NewTransferState,
  type NewPosting,
  type PostingRecord,
  type BankPositionKey,
  type BankPosition,
  type LedgerBatchWrite,
  type SettlementWindowRecord,
  type SettlementReportRecord,
  type LedgerRepository,
} from './repositories/ledger';
export { OFFER_STATES, FINAL_OFFER_STATES, type OfferStateName, type OfferRecord, type OfferStateRecord, type OffersRepository, type OfferCursor } from './repositories/offers';
export type { TicketRecord, TicketsRepository } from './repositories/tickets';
export type { SimProfileRecord, NewSimProfile, SimsRepository } from './repositories/sims';
export { API_ROLES, type ApiRole, type ApiKeyRecord, type MerchantRecord, type PayerRecord, type LevelLimitRecord, type IdempotentAnswer, type MpsAccessRepository } from './repositories/mps-access';
export {
  INSTRUMENT_KINDS,
  INSTRUMENT_STATES,
  CLIENT_ORDER_OUTCOMES,
  type InstrumentKind,
  type InstrumentStateName,
  type InstrumentRecord,
  type InstrumentStateRecord,
  type ClientOrderOutcome,
  type ClientOrderRecord,
  type InstrumentsRepository,
} from './repositories/instruments';
export {
  AP_STATUSES,
  AP_PERMISSIONS,
  TRANSACTION_STATES,
  type ApStatus,
  type ApPermission,
  type ApRecord,
  type NewAp,
  type TransactionState,
  type MssTransactionRecord,
  type NewMssTransaction,
  type TransactionOutcome,
  type MssRepository,
} from './repositories/mss';

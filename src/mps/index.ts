/**
 * Mobile payments (ITU-T Y.2741): the double-entry ledger, settlement, and merchant payment offers approved on
 * the SIM. What mps needs from the approval path is the interface in approval-port.ts.
 */
export { MPS_ERRORS, MpsError, isMpsError, type MpsErrorCode } from './errors';
export { CURRENCIES, parseAmount, formatAmount, checkCurrency, INT64_MAX, INT64_MIN } from './money';
export * from './approval-port';
export * from './ledger';
export * from './settlement';
export * from './offers';
export * from './tickets';
export * from './clients';
export { paymentApprover } from './approval-adapter';
export * from './access';
export { agreementLevelPolicy, checkLevel, defaultCap, SECURITY_LEVELS, type SecurityLevel, type PaymentLevelPolicy, type LevelCheck } from './security-level';

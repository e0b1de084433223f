export { Settlement, verifyReport, type SettlementOptions, type SignedReport } from './settlement';
export { reportCsv, reportJson, type ReportInput, type ReportPosition } from './report';

import type { StoreMigration } from './schema-helpers';
import { migration0001Keys } from './0001_keys';
import { migration0002PlatformSettings } from './0002_platform_settings';
import { migration0003Counters } from './0003_counters';
import { migration0004Certificates } from './0004_certificates';
import { migration0005MobileIds } from './0005_mobile_ids';
import { migration0010AuditLog } from './0010_audit_log';
import { migration0030Ledger } from './0030_ledger';
import { migration0031SettlementReports } from './0031_settlement_reports';
import { migration0032PaymentOffers } from './0032_payment_offers';
import { migration0033OneTimeTickets } from './0033_one_time_tickets';
import { migration0037OfferFinalState } from './0037_offer_final_state';
import { migration0035MpsApi } from './0035_mps_api';
import { migration0034PaymentInstruments } from './0034_payment_instruments';
import { migration0020Mss } from './0020_mss';
import { migration0022ApPermissions } from './0022_ap_permissions';
import { migration0022SimProfiles } from './0022_sim_profiles';

export type { StoreMigration } from './schema-helpers';

/**
 * Every migration, oldest first. Listed here rather than found on disk so that the same list is used under
 * swc in tests and from compiled dist/, whatever the file extension. A new migration is appended, never inserted.
 */
export const MIGRATIONS: readonly StoreMigration[] = [migration0001Keys, migration0002PlatformSettings, migration0003Counters, migration0004Certificates, migration0005MobileIds, migration0010AuditLog, migration0020Mss, migration0022ApPermissions, migration0022SimProfiles, migration0030Ledger, migration0031SettlementReports, migration0032PaymentOffers, migration0033OneTimeTickets, migration0034PaymentInstruments, migration0035MpsApi, migration0037OfferFinalState];

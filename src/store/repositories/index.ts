import type { Db } from './db';
import { auditRepository, type AuditRepository } from './audit';
import { countersRepository, type CountersRepository } from './counters';
import { keysRepository, type KeysRepository } from './keys';
import { settingsRepository, type SettingsRepository } from './settings';
import { certificatesRepository, type CertificatesRepository } from './certificates';
import { mobileIdsRepository, type MobileIdsRepository } from './mobile-ids';
import { ledgerRepository, type LedgerRepository } from './ledger';
import { offersRepository, type OffersRepository } from './offers';
import { ticketsRepository, type TicketsRepository } from './tickets';
import { instrumentsRepository, type InstrumentsRepository } from './instruments';
import { mssRepository, type MssRepository } from './mss';
import { simsRepository, type SimsRepository } from './sims';
import { mpsAccessRepository, type MpsAccessRepository } from './mps-access';

/** The repositories, bound either to the pool or to one transaction. */
export interface Repositories {
  readonly keys: KeysRepository;
  readonly settings: SettingsRepository;
  readonly counters: CountersRepository;
  readonly audit: AuditRepository;
  readonly certificates: CertificatesRepository;
  readonly mobileIds: MobileIdsRepository;
  readonly ledger: LedgerRepository;
  readonly offers: OffersRepository;
  readonly tickets: TicketsRepository;
  readonly instruments: InstrumentsRepository;
  readonly mss: MssRepository;
  readonly sims: SimsRepository;
  readonly mpsAccess: MpsAccessRepository;
}

export function repositories(db: Db): Repositories {
  return {
    keys: keysRepository(db),
    settings: settingsRepository(db),
    counters: countersRepository(db),
    audit: auditRepository(db),
    certificates: certificatesRepository(db),
    mobileIds: mobileIdsRepository(db),
    ledger: ledgerRepository(db),
    offers: offersRepository(db),
    tickets: ticketsRepository(db),
    instruments: instrumentsRepository(db),
    mss: mssRepository(db),
    sims: simsRepository(db),
    mpsAccess: mpsAccessRepository(db),
  };
}

export type { Db } from './db';

import { StoreError } from '../errors';
import { run, type Db } from './db';

/** The SIM profiles imported from personalisation files (migration 0022_sim_profiles). */

export interface SimProfileRecord {
  /** E.164 digits without '+'. */
  readonly msisdn: string;
  readonly iccid: string;
  /** hex, 3 octets */
  readonly tar: string;
  readonly keyVersion: number;
  readonly kicAlgorithm: 'AES-CBC';
  readonly kidAlgorithm: 'AES-CMAC';
  readonly sourceHash: string;
  readonly importedBy: string;
  readonly importedAt: Date;
}
export type NewSimProfile = Omit<SimProfileRecord, 'importedAt'>;

export interface SimsRepository {
  /** UNIQUE_VIOLATION when the MSISDN or the ICCID is already bound. */
  insert(profile: NewSimProfile): Promise<SimProfileRecord>;
  findByMsisdn(msisdn: string): Promise<SimProfileRecord | undefined>;
  findByIccid(iccid: string): Promise<SimProfileRecord | undefined>;
  /** By MSISDN. */
  list(): Promise<SimProfileRecord[]>;
}

interface SimRow {
  msisdn: string;
  iccid: string;
  tar: string;
  key_version: unknown;
  kic_algorithm: string;
  kid_algorithm: string;
  source_hash: string;
  imported_by: string;
  imported_at: unknown;
}

const COLUMNS = ['msisdn', 'iccid', 'tar', 'key_version', 'kic_algorithm', 'kid_algorithm', 'source_hash', 'imported_by', 'imported_at'] as const;

function check(profile: NewSimProfile): void {
  const bad = (what: string): never => {
    throw new StoreError('VALUE_OUT_OF_RANGE', `SIM profile: ${what}`);
  };
  if (!/^[1-9][0-9]{7,14}$/.test(profile.msisdn)) bad('the MSISDN must be 8 to 15 digits without +');
  if (!/^[0-9]{18,20}[0-9A-F]?$/.test(profile.iccid)) bad('the ICCID must be 18 to 20 digits');
  if (!/^[0-9a-f]{6}$/.test(profile.tar)) bad('the TAR must be 3 octets in lower-case hex');
  if (!Number.isInteger(profile.keyVersion) || profile.keyVersion < 1 || profile.keyVersion > 15) bad('the key version must be 1 to 15');
  if (profile.kicAlgorithm !== 'AES-CBC' || profile.kidAlgorithm !== 'AES-CMAC') bad('only AES-CBC KIc and AES-CMAC KID are held');
  if (!/^[0-9a-f]{64}$/.test(profile.sourceHash)) bad('the source hash must be SHA-256 hex');
}

export function simsRepository(db: Db): SimsRepository {
  const { codec, knex } = db;
  const fromRow = (row: SimRow): SimProfileRecord => {
    if (row.kic_algorithm !== 'AES-CBC' || row.kid_algorithm !== 'AES-CMAC') throw new StoreError('VALUE_OUT_OF_RANGE', `SIM ${row.iccid} has unknown OTA algorithms`);
    return {
      msisdn: row.msisdn,
      iccid: row.iccid,
      tar: row.tar,
      keyVersion: Number(codec.integerFromDb(row.key_version, 'sim_profiles.key_version')),
      kicAlgorithm: row.kic_algorithm,
      kidAlgorithm: row.kid_algorithm,
      sourceHash: row.source_hash,
      importedBy: row.imported_by,
      importedAt: codec.dateFromDb(row.imported_at, 'sim_profiles.imported_at'),
    };
  };
  const findBy = async (where: Partial<Record<'msisdn' | 'iccid', string>>): Promise<SimProfileRecord | undefined> => {
    const row = await run(db, knex('sim_profiles').first<SimRow | undefined>(...COLUMNS).where(where));
    return row === undefined ? undefined : fromRow(row);
  };
  return {
    async insert(profile) {
      check(profile);
      const importedAt = new Date();
      await run(
        db,
        knex('sim_profiles').insert({
          msisdn: profile.msisdn,
          iccid: profile.iccid,
          tar: profile.tar,
          key_version: profile.keyVersion,
          kic_algorithm: profile.kicAlgorithm,
          kid_algorithm: profile.kidAlgorithm,
          source_hash: profile.sourceHash,
          imported_by: profile.importedBy,
          imported_at: codec.dateToDb(importedAt, 'sim_profiles.imported_at'),
        }),
      );
      return { ...profile, importedAt };
    },
    findByMsisdn: (msisdn) => findBy({ msisdn }),
    findByIccid: (iccid) => findBy({ iccid }),
    async list() {
      return (await run(db, knex('sim_profiles').select<SimRow[]>(...COLUMNS).orderBy('msisdn'))).map(fromRow);
    },
  };
}

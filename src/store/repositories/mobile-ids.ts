import { StoreError } from '../errors';
import { run, type Db } from './db';

/**
 * The mobile-ID directory (src/pki/ra decides what goes in it): registrations, never changed, and their
 * events, only ever inserted. An mID's current MSISDN and status are those of its newest event.
 */

export const REGISTRATION_MODES = ['in-person', 'remote'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];
// 'pending': registered by an AP over TS 102 204, certificates on hold until the AP activates it.
export const MOBILE_ID_STATUSES = ['pending', 'active', 'suspended', 'revoked'] as const;
export type MobileIdStatus = (typeof MOBILE_ID_STATUSES)[number];

export interface MobileIdRecord {
  readonly mid: string;
  readonly label: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly nationalId: string;
  /** YYYY-MM-DD */
  readonly birthDate: string;
  readonly registrationMode: RegistrationMode;
  /** Highest Y.2740 security level the registration supports (4 only after in-person registration). */
  readonly maxLevel: number;
  readonly officer: string;
  readonly createdAt: Date;
}

export type NewMobileId = Omit<MobileIdRecord, 'createdAt'> & { readonly createdAt?: Date };

export interface MobileIdEventRecord {
  readonly id: bigint;
  readonly mid: string;
  /** registered, suspended, reinstated, revoked, renewed, msisdn-changed */
  readonly event: string;
  readonly msisdn: string;
  readonly status: MobileIdStatus;
  readonly reason: string | null;
  readonly actor: string;
  /** JSON text. */
  readonly details: string | null;
  readonly createdAt: Date;
}

export type NewMobileIdEvent = Omit<MobileIdEventRecord, 'id' | 'createdAt'> & { readonly createdAt?: Date };

/** A registration with its newest event. */
export interface MobileIdState {
  readonly mobileId: MobileIdRecord;
  readonly current: MobileIdEventRecord;
}

export interface MobileIdsRepository {
  /** UNIQUE_VIOLATION when the mID exists. */
  insertMobileId(record: NewMobileId): Promise<MobileIdRecord>;
  insertEvent(event: NewMobileIdEvent): Promise<MobileIdEventRecord>;
  find(mid: string): Promise<MobileIdState | undefined>;
  /** Oldest first. */
  history(mid: string): Promise<MobileIdEventRecord[]>;
  /** The mIDs whose newest event binds them to `msisdn`, oldest registration first. */
  boundTo(msisdn: string): Promise<MobileIdState[]>;
  /** mIDs bound to `msisdn` at some time but no longer, oldest first. */
  formerlyBoundTo(msisdn: string): Promise<string[]>;
}

interface MobileIdRow {
  mid: string;
  label: string;
  given_name: string;
  family_name: string;
  national_id: string;
  birth_date: string;
  registration_mode: string;
  max_level: unknown;
  officer: string;
  created_at: unknown;
}

interface EventRow {
  id: unknown;
  mid: string;
  event: string;
  msisdn: string;
  status: string;
  reason: string | null;
  actor: string;
  details: string | null;
  created_at: unknown;
}

const MID_COLUMNS = ['mid', 'label', 'given_name', 'family_name', 'national_id', 'birth_date', 'registration_mode', 'max_level', 'officer', 'created_at'] as const;
const EVENT_COLUMNS = ['id', 'mid', 'event', 'msisdn', 'status', 'reason', 'actor', 'details', 'created_at'] as const;

function text(value: string, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} must be 1 to ${max} characters`);
  return value;
}

const isMode = (v: string): v is RegistrationMode => (REGISTRATION_MODES as readonly string[]).includes(v);
const isStatus = (v: string): v is MobileIdStatus => (MOBILE_ID_STATUSES as readonly string[]).includes(v);

export function mobileIdsRepository(db: Db): MobileIdsRepository {
  const { codec, knex } = db;

  const midFromRow = (row: MobileIdRow): MobileIdRecord => {
    if (!isMode(row.registration_mode)) throw new StoreError('VALUE_OUT_OF_RANGE', `mID ${row.mid} has an unknown registration mode ${row.registration_mode}`);
    return {
      mid: row.mid,
      label: row.label,
      givenName: row.given_name,
      familyName: row.family_name,
      nationalId: row.national_id,
      birthDate: row.birth_date,
      registrationMode: row.registration_mode,
      maxLevel: Number(codec.integerFromDb(row.max_level, 'mobile_ids.max_level')),
      officer: row.officer,
      createdAt: codec.dateFromDb(row.created_at, 'mobile_ids.created_at'),
    };
  };

  const eventFromRow = (row: EventRow): MobileIdEventRecord => {
    if (!isStatus(row.status)) throw new StoreError('VALUE_OUT_OF_RANGE', `mID event ${String(row.id)} has an unknown status ${row.status}`);
    return {
      id: codec.integerFromDb(row.id, 'mobile_id_events.id'),
      mid: row.mid,
      event: row.event,
      msisdn: row.msisdn,
      status: row.status,
      reason: row.reason ?? null,
      actor: row.actor,
      details: row.details ?? null,
      createdAt: codec.dateFromDb(row.created_at, 'mobile_id_events.created_at'),
    };
  };

  const newestEvent = (alias: string): string => `${alias}.id = (select max(e2.id) from mobile_id_events e2 where e2.mid = ${alias}.mid)`;

  return {
    async insertMobileId(r) {
      if (!isMode(r.registrationMode)) throw new StoreError('VALUE_OUT_OF_RANGE', `unknown registration mode ${String(r.registrationMode)}`);
      const createdAt = r.createdAt ?? new Date();
      await run(
        db,
        knex('mobile_ids').insert({
          mid: text(r.mid, 'mID', 64),
          label: text(r.label, 'mID label', 32),
          given_name: text(r.givenName, 'given name', 64),
          family_name: text(r.familyName, 'family name', 64),
          national_id: text(r.nationalId, 'national identifier', 32),
          birth_date: text(r.birthDate, 'date of birth', 10),
          registration_mode: r.registrationMode,
          max_level: r.maxLevel,
          officer: text(r.officer, 'officer', 255),
          created_at: codec.dateToDb(createdAt, 'mobile_ids.created_at'),
        }),
      );
      return { ...r, createdAt };
    },

    async insertEvent(e) {
      if (!isStatus(e.status)) throw new StoreError('VALUE_OUT_OF_RANGE', `unknown mID status ${String(e.status)}`);
      const createdAt = e.createdAt ?? new Date();
      const rows = await run(
        db,
        knex('mobile_id_events')
          .insert({
            mid: text(e.mid, 'mID', 64),
            event: text(e.event, 'event', 32),
            msisdn: text(e.msisdn, 'MSISDN', 16),
            status: e.status,
            reason: e.reason === null ? null : text(e.reason, 'reason', 32),
            actor: text(e.actor, 'actor', 255),
            details: e.details,
            created_at: codec.dateToDb(createdAt, 'mobile_id_events.created_at'),
          })
          .returning<{ id: unknown }[]>('id'),
      );
      const id = rows[0]?.id;
      return { ...e, id: codec.integerFromDb(typeof id === 'object' && id !== null ? (id as { id: unknown }).id : id, 'mobile_id_events.id'), createdAt };
    },

    async find(mid) {
      const row = await run(db, knex('mobile_ids').first<MobileIdRow | undefined>(...MID_COLUMNS).where({ mid }));
      if (row === undefined) return undefined;
      const event = await run(db, knex('mobile_id_events').first<EventRow | undefined>(...EVENT_COLUMNS).where({ mid }).orderBy('id', 'desc'));
      if (event === undefined) throw new StoreError('NOT_FOUND', `mID ${mid} has no events`);
      return { mobileId: midFromRow(row), current: eventFromRow(event) };
    },

    async history(mid) {
      const rows = await run(db, knex('mobile_id_events').select<EventRow[]>(...EVENT_COLUMNS).where({ mid }).orderBy('id', 'asc'));
      return rows.map(eventFromRow);
    },

    async boundTo(msisdn) {
      const events = await run(
        db,
        knex('mobile_id_events as e').select<EventRow[]>(...EVENT_COLUMNS.map((c) => `e.${c}`)).where('e.msisdn', msisdn).whereRaw(newestEvent('e')).orderBy('e.mid'),
      );
      if (events.length === 0) return [];
      const mids = await run(
        db,
        knex('mobile_ids').select<MobileIdRow[]>(...MID_COLUMNS).whereIn('mid', events.map((e) => e.mid)),
      );
      const byMid = new Map(mids.map((m) => [m.mid, midFromRow(m)]));
      const states: MobileIdState[] = [];
      for (const e of events) {
        const mobileId = byMid.get(e.mid);
        if (mobileId !== undefined) states.push({ mobileId, current: eventFromRow(e) });
      }
      return states.sort((a, b) => a.mobileId.createdAt.getTime() - b.mobileId.createdAt.getTime() || a.mobileId.mid.localeCompare(b.mobileId.mid));
    },

    async formerlyBoundTo(msisdn) {
      const rows = await run(
        db,
        knex('mobile_id_events as e')
          .distinct<{ mid: string }[]>('e.mid')
          .where('e.msisdn', msisdn)
          .whereNotExists(function current() {
            this.select(knex.raw('1')).from('mobile_id_events as c').whereRaw('c.mid = e.mid').where('c.msisdn', msisdn).whereRaw(newestEvent('c'));
          })
          .orderBy('e.mid'),
      );
      return rows.map((r) => r.mid);
    },
  };
}

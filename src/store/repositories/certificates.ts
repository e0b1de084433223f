import { StoreError } from '../errors';
import { run, type Db } from './db';

/**
 * Certification authorities, the certificates they issued, the status history of each certificate and the
 * CRLs they published (src/pki decides what goes in them). Certificates, status rows and CRLs are only ever
 * inserted; the current status of a certificate is its newest status row.
 */

export const CERTIFICATE_STATUSES = ['good', 'hold', 'revoked'] as const;
export type CertificateStatusName = (typeof CERTIFICATE_STATUSES)[number];

export interface CaRecord {
  readonly name: string;
  readonly parent: string | null;
  readonly keyLabel: string;
  /** src/hsm's signature algorithm name (ES256, RS256, ...). */
  readonly algorithm: string;
  readonly serial: string;
  readonly subject: string;
  readonly certificate: Buffer;
  readonly ocspUrl: string | null;
  readonly caIssuersUrl: string | null;
  readonly crlUrl: string | null;
  readonly crlValiditySeconds: number;
  readonly createdAt: Date;
}

export type NewCa = Omit<CaRecord, 'createdAt'> & { readonly createdAt?: Date };

export interface CertificateRecord {
  readonly id: bigint;
  readonly issuerCa: string;
  /** Lower-case hex of the serial number's DER content octets. */
  readonly serial: string;
  readonly profile: string;
  readonly subject: string;
  readonly mid: string | null;
  readonly keyHash: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly der: Buffer;
  readonly createdAt: Date;
}

export type NewCertificate = Omit<CertificateRecord, 'id' | 'createdAt'> & { readonly createdAt?: Date };

export interface StatusRecord {
  readonly id: bigint;
  readonly issuerCa: string;
  readonly serial: string;
  readonly status: CertificateStatusName;
  /** CRLReason code; null for 'good'. */
  readonly reason: number | null;
  readonly revokedAt: Date | null;
  readonly invalidityDate: Date | null;
  readonly actor: string;
  readonly note: string | null;
  readonly createdAt: Date;
}

export type NewStatus = Omit<StatusRecord, 'id' | 'createdAt'> & { readonly createdAt?: Date };

export interface CrlRecord {
  readonly id: bigint;
  readonly issuerCa: string;
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly coversStatusId: bigint;
  readonly der: Buffer;
  readonly createdAt: Date;
}

export type NewCrl = Omit<CrlRecord, 'id' | 'createdAt'> & { readonly createdAt?: Date };

/** A certificate with its current status: what OCSP and the RA need in one read. */
export interface CertificateWithStatus {
  readonly certificate: CertificateRecord;
  readonly status: StatusRecord | undefined;
}

export interface CertificatesRepository {
  /** UNIQUE_VIOLATION when a CA of that name exists. */
  insertCa(ca: NewCa): Promise<CaRecord>;
  findCa(name: string): Promise<CaRecord | undefined>;
  /** Oldest first. */
  listCas(): Promise<CaRecord[]>;

  /** UNIQUE_VIOLATION when the CA already issued that serial number. */
  insertCertificate(cert: NewCertificate): Promise<CertificateRecord>;
  findCertificate(issuerCa: string, serial: string): Promise<CertificateRecord | undefined>;
  /** The certificate and its newest status row; undefined when the CA never issued that serial. */
  findWithStatus(issuerCa: string, serial: string): Promise<CertificateWithStatus | undefined>;
  /** Oldest first. */
  certificatesOfMid(mid: string): Promise<CertificateRecord[]>;
  certificatesWithKey(keyHash: string): Promise<CertificateRecord[]>;
  /** Newest first, at most `limit`. */
  listCertificates(filter?: { readonly issuerCa?: string; readonly profile?: string; readonly limit?: number }): Promise<CertificateRecord[]>;

  insertStatus(status: NewStatus): Promise<StatusRecord>;
  currentStatus(issuerCa: string, serial: string): Promise<StatusRecord | undefined>;
  /** Oldest first. */
  statusHistory(issuerCa: string, serial: string): Promise<StatusRecord[]>;
  /** Status rows with an id above `afterId`, ascending: how a node learns of changes others made. */
  statusChangesAfter(afterId: bigint, limit: number): Promise<StatusRecord[]>;
  /** The id of the newest status row (of one CA's certificates, when named); 0 when there is none. */
  latestStatusId(issuerCa?: string): Promise<bigint>;
  /**
   * Inside a transaction: holds the certificate's row until the transaction ends, so that two status changes of
   * one certificate happen one after the other (PostgreSQL row lock; SQLite has one writer at a time anyway).
   */
  lockCertificate(issuerCa: string, serial: string): Promise<void>;
  /**
   * Certificates of `issuerCa` whose current status is 'hold' or 'revoked' and that have not expired before
   * `notAfterFrom`: the entries of a full CRL. Ordered by serial.
   */
  revokedEntries(issuerCa: string, notAfterFrom: Date): Promise<StatusRecord[]>;

  /** UNIQUE_VIOLATION when that CRL number exists for the CA. */
  insertCrl(crl: NewCrl): Promise<CrlRecord>;
  latestCrl(issuerCa: string): Promise<CrlRecord | undefined>;
}

interface CaRow {
  name: string;
  parent: string | null;
  key_label: string;
  algorithm: string;
  serial: string;
  subject: string;
  certificate: Buffer;
  ocsp_url: string | null;
  ca_issuers_url: string | null;
  crl_url: string | null;
  crl_validity_seconds: unknown;
  created_at: unknown;
}

interface CertificateRow {
  id: unknown;
  issuer_ca: string;
  serial: string;
  profile: string;
  subject: string;
  mid: string | null;
  key_hash: string;
  not_before: unknown;
  not_after: unknown;
  der: Buffer;
  created_at: unknown;
}

interface StatusRow {
  id: unknown;
  issuer_ca: string;
  serial: string;
  status: string;
  reason: unknown;
  revoked_at: unknown;
  invalidity_date: unknown;
  actor: string;
  note: string | null;
  created_at: unknown;
}

interface CrlRow {
  id: unknown;
  issuer_ca: string;
  crl_number: unknown;
  this_update: unknown;
  next_update: unknown;
  covers_status_id: unknown;
  der: Buffer;
  created_at: unknown;
}

const CA_COLUMNS = ['name', 'parent', 'key_label', 'algorithm', 'serial', 'subject', 'certificate', 'ocsp_url', 'ca_issuers_url', 'crl_url', 'crl_validity_seconds', 'created_at'] as const;
const CERT_COLUMNS = ['id', 'issuer_ca', 'serial', 'profile', 'subject', 'mid', 'key_hash', 'not_before', 'not_after', 'der', 'created_at'] as const;
const STATUS_COLUMNS = ['id', 'issuer_ca', 'serial', 'status', 'reason', 'revoked_at', 'invalidity_date', 'actor', 'note', 'created_at'] as const;
const CRL_COLUMNS = ['id', 'issuer_ca', 'crl_number', 'this_update', 'next_update', 'covers_status_id', 'der', 'created_at'] as const;
const SERIAL = /^[0-9a-f]{2,42}$/;
const MAX_LIST = 10_000;

function bytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is not bytes`);
}

function text(value: string, what: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new StoreError('VALUE_OUT_OF_RANGE', `${what} must be 1 to ${max} characters`);
  return value;
}

function serialOf(serial: string): string {
  if (typeof serial !== 'string' || !SERIAL.test(serial) || serial.length % 2 !== 0) throw new StoreError('VALUE_OUT_OF_RANGE', `serial "${String(serial)}" must be lower-case hex octets`);
  return serial;
}

function isStatus(value: string): value is CertificateStatusName {
  return (CERTIFICATE_STATUSES as readonly string[]).includes(value);
}

export function certificatesRepository(db: Db): CertificatesRepository {
  const { codec, knex } = db;
  const date = (value: Date, what: string): number | string => codec.dateToDb(value, what);
  const optionalDate = (value: Date | null, what: string): number | string | null => (value === null ? null : date(value, what));
  const readDate = (value: unknown, what: string): Date => codec.dateFromDb(value, what);
  const readOptionalDate = (value: unknown, what: string): Date | null => (value === null || value === undefined ? null : readDate(value, what));

  const caFromRow = (row: CaRow): CaRecord => ({
    name: row.name,
    parent: row.parent ?? null,
    keyLabel: row.key_label,
    algorithm: row.algorithm,
    serial: row.serial,
    subject: row.subject,
    certificate: bytes(row.certificate, 'ca_authorities.certificate'),
    ocspUrl: row.ocsp_url ?? null,
    caIssuersUrl: row.ca_issuers_url ?? null,
    crlUrl: row.crl_url ?? null,
    crlValiditySeconds: Number(codec.integerFromDb(row.crl_validity_seconds, 'ca_authorities.crl_validity_seconds')),
    createdAt: readDate(row.created_at, 'ca_authorities.created_at'),
  });

  const certFromRow = (row: CertificateRow): CertificateRecord => ({
    id: codec.integerFromDb(row.id, 'certificates.id'),
    issuerCa: row.issuer_ca,
    serial: row.serial,
    profile: row.profile,
    subject: row.subject,
    mid: row.mid ?? null,
    keyHash: row.key_hash,
    notBefore: readDate(row.not_before, 'certificates.not_before'),
    notAfter: readDate(row.not_after, 'certificates.not_after'),
    der: bytes(row.der, 'certificates.der'),
    createdAt: readDate(row.created_at, 'certificates.created_at'),
  });

  const statusFromRow = (row: StatusRow): StatusRecord => {
    if (!isStatus(row.status)) throw new StoreError('VALUE_OUT_OF_RANGE', `certificate_status ${String(row.id)} has an unknown status ${row.status}`);
    return {
      id: codec.integerFromDb(row.id, 'certificate_status.id'),
      issuerCa: row.issuer_ca,
      serial: row.serial,
      status: row.status,
      reason: row.reason === null || row.reason === undefined ? null : Number(codec.integerFromDb(row.reason, 'certificate_status.reason')),
      revokedAt: readOptionalDate(row.revoked_at, 'certificate_status.revoked_at'),
      invalidityDate: readOptionalDate(row.invalidity_date, 'certificate_status.invalidity_date'),
      actor: row.actor,
      note: row.note ?? null,
      createdAt: readDate(row.created_at, 'certificate_status.created_at'),
    };
  };

  const crlFromRow = (row: CrlRow): CrlRecord => ({
    id: codec.integerFromDb(row.id, 'crls.id'),
    issuerCa: row.issuer_ca,
    crlNumber: codec.integerFromDb(row.crl_number, 'crls.crl_number'),
    thisUpdate: readDate(row.this_update, 'crls.this_update'),
    nextUpdate: readDate(row.next_update, 'crls.next_update'),
    coversStatusId: codec.integerFromDb(row.covers_status_id, 'crls.covers_status_id'),
    der: bytes(row.der, 'crls.der'),
    createdAt: readDate(row.created_at, 'crls.created_at'),
  });

  /** The newest status row of one certificate: `id = (select max(id) ...)` works the same on both engines. */
  const newestStatus = (alias: string): string =>
    `${alias}.id = (select max(s2.id) from certificate_status s2 where s2.issuer_ca = ${alias}.issuer_ca and s2.serial = ${alias}.serial)`;

  const currentStatus = async (issuerCa: string, serial: string): Promise<StatusRecord | undefined> => {
    const row = await run(
      db,
      knex('certificate_status').first<StatusRow | undefined>(...STATUS_COLUMNS).where({ issuer_ca: issuerCa, serial: serialOf(serial) }).orderBy('id', 'desc'),
    );
    return row === undefined ? undefined : statusFromRow(row);
  };

  const findCertificate = async (issuerCa: string, serial: string): Promise<CertificateRecord | undefined> => {
    const row = await run(db, knex('certificates').first<CertificateRow | undefined>(...CERT_COLUMNS).where({ issuer_ca: issuerCa, serial: serialOf(serial) }));
    return row === undefined ? undefined : certFromRow(row);
  };

  return {
    async insertCa(ca) {
      const createdAt = ca.createdAt ?? new Date();
      await run(
        db,
        knex('ca_authorities').insert({
          name: text(ca.name, 'CA name', 64),
          parent: ca.parent,
          key_label: text(ca.keyLabel, 'CA key label', 255),
          algorithm: text(ca.algorithm, 'CA algorithm', 16),
          serial: serialOf(ca.serial),
          subject: text(ca.subject, 'CA subject', 4096),
          certificate: ca.certificate,
          ocsp_url: ca.ocspUrl,
          ca_issuers_url: ca.caIssuersUrl,
          crl_url: ca.crlUrl,
          crl_validity_seconds: ca.crlValiditySeconds,
          created_at: date(createdAt, 'ca_authorities.created_at'),
        }),
      );
      return { ...ca, createdAt };
    },

    async findCa(name) {
      const row = await run(db, knex('ca_authorities').first<CaRow | undefined>(...CA_COLUMNS).where({ name }));
      return row === undefined ? undefined : caFromRow(row);
    },

    async listCas() {
      const rows = await run(db, knex('ca_authorities').select<CaRow[]>(...CA_COLUMNS).orderBy([{ column: 'created_at' }, { column: 'name' }]));
      return rows.map(caFromRow);
    },

    async insertCertificate(cert) {
      const createdAt = cert.createdAt ?? new Date();
      const rows = await run(
        db,
        knex('certificates')
          .insert({
            issuer_ca: text(cert.issuerCa, 'issuer CA', 64),
            serial: serialOf(cert.serial),
            profile: text(cert.profile, 'profile', 32),
            subject: text(cert.subject, 'subject', 4096),
            mid: cert.mid,
            key_hash: text(cert.keyHash, 'key hash', 64),
            not_before: date(cert.notBefore, 'certificates.not_before'),
            not_after: date(cert.notAfter, 'certificates.not_after'),
            der: cert.der,
            created_at: date(createdAt, 'certificates.created_at'),
          })
          .returning<{ id: unknown }[]>('id'),
      );
      const id = rows[0]?.id;
      return { ...cert, id: codec.integerFromDb(typeof id === 'object' && id !== null ? (id as { id: unknown }).id : id, 'certificates.id'), createdAt };
    },

    findCertificate,

    async findWithStatus(issuerCa, serial) {
      const certificate = await findCertificate(issuerCa, serial);
      if (certificate === undefined) return undefined;
      return { certificate, status: await currentStatus(issuerCa, serial) };
    },

    async certificatesOfMid(mid) {
      const rows = await run(db, knex('certificates').select<CertificateRow[]>(...CERT_COLUMNS).where({ mid }).orderBy('id', 'asc'));
      return rows.map(certFromRow);
    },

    async certificatesWithKey(keyHash) {
      const rows = await run(db, knex('certificates').select<CertificateRow[]>(...CERT_COLUMNS).where({ key_hash: keyHash }).orderBy('id', 'asc'));
      return rows.map(certFromRow);
    },

    async listCertificates(filter = {}) {
      const query = knex('certificates')
        .select<CertificateRow[]>(...CERT_COLUMNS)
        .orderBy('id', 'desc')
        .limit(Math.min(Math.max(filter.limit ?? 100, 1), MAX_LIST));
      if (filter.issuerCa !== undefined) query.where({ issuer_ca: filter.issuerCa });
      if (filter.profile !== undefined) query.where({ profile: filter.profile });
      return (await run(db, query)).map(certFromRow);
    },

    async insertStatus(s) {
      if (!isStatus(s.status)) throw new StoreError('VALUE_OUT_OF_RANGE', `unknown certificate status ${String(s.status)}`);
      const createdAt = s.createdAt ?? new Date();
      const rows = await run(
        db,
        knex('certificate_status')
          .insert({
            issuer_ca: text(s.issuerCa, 'issuer CA', 64),
            serial: serialOf(s.serial),
            status: s.status,
            reason: s.reason,
            revoked_at: optionalDate(s.revokedAt, 'certificate_status.revoked_at'),
            invalidity_date: optionalDate(s.invalidityDate, 'certificate_status.invalidity_date'),
            actor: text(s.actor, 'actor', 255),
            note: s.note === null ? null : s.note.slice(0, 512),
            created_at: date(createdAt, 'certificate_status.created_at'),
          })
          .returning<{ id: unknown }[]>('id'),
      );
      const id = rows[0]?.id;
      return { ...s, id: codec.integerFromDb(typeof id === 'object' && id !== null ? (id as { id: unknown }).id : id, 'certificate_status.id'), createdAt };
    },

    currentStatus,

    async statusHistory(issuerCa, serial) {
      const rows = await run(db, knex('certificate_status').select<StatusRow[]>(...STATUS_COLUMNS).where({ issuer_ca: issuerCa, serial: serialOf(serial) }).orderBy('id', 'asc'));
      return rows.map(statusFromRow);
    },

    async statusChangesAfter(afterId, limit) {
      const rows = await run(
        db,
        knex('certificate_status')
          .select<StatusRow[]>(...STATUS_COLUMNS)
          .where('id', '>', codec.integerToDb(afterId, 'status id'))
          .orderBy('id', 'asc')
          .limit(Math.min(Math.max(limit, 1), MAX_LIST)),
      );
      return rows.map(statusFromRow);
    },

    async latestStatusId(issuerCa) {
      const query = knex('certificate_status').max<{ id: unknown }>('id as id');
      if (issuerCa !== undefined) query.where({ issuer_ca: issuerCa });
      const row = await run(db, query.first());
      return row === undefined || row.id === null || row.id === undefined ? 0n : codec.integerFromDb(row.id, 'certificate_status.id');
    },

    async lockCertificate(issuerCa, serial) {
      if (codec.engine !== 'postgres') return;
      await run(db, knex('certificates').select('id').where({ issuer_ca: issuerCa, serial: serialOf(serial) }).forUpdate());
    },

    async revokedEntries(issuerCa, notAfterFrom) {
      const rows = await run(
        db,
        knex('certificate_status as s')
          .join('certificates as c', function join() {
            this.on('c.issuer_ca', '=', 's.issuer_ca').andOn('c.serial', '=', 's.serial');
          })
          .select<StatusRow[]>(...STATUS_COLUMNS.map((c) => `s.${c}`))
          .where('s.issuer_ca', issuerCa)
          .whereIn('s.status', ['hold', 'revoked'])
          .where('c.not_after', '>=', date(notAfterFrom, 'CRL time'))
          .whereRaw(newestStatus('s'))
          .orderBy('s.serial', 'asc'),
      );
      return rows.map(statusFromRow);
    },

    async insertCrl(crl) {
      const createdAt = crl.createdAt ?? new Date();
      const rows = await run(
        db,
        knex('crls')
          .insert({
            issuer_ca: text(crl.issuerCa, 'issuer CA', 64),
            crl_number: codec.integerToDb(crl.crlNumber, 'crls.crl_number'),
            this_update: date(crl.thisUpdate, 'crls.this_update'),
            next_update: date(crl.nextUpdate, 'crls.next_update'),
            covers_status_id: codec.integerToDb(crl.coversStatusId, 'crls.covers_status_id'),
            der: crl.der,
            created_at: date(createdAt, 'crls.created_at'),
          })
          .returning<{ id: unknown }[]>('id'),
      );
      const id = rows[0]?.id;
      return { ...crl, id: codec.integerFromDb(typeof id === 'object' && id !== null ? (id as { id: unknown }).id : id, 'crls.id'), createdAt };
    },

    async latestCrl(issuerCa) {
      const row = await run(db, knex('crls').first<CrlRow | undefined>(...CRL_COLUMNS).where({ issuer_ca: issuerCa }).orderBy('crl_number', 'desc'));
      return row === undefined ? undefined : crlFromRow(row);
    },
  };
}

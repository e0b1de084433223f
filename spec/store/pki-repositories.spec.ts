import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { openStore, StoreError, type NewCertificate, type Store } from '../../src/store';
import { openThrowawayPostgresStore, throwawaySchemaName } from '../../src/store/testing';
import { TEST_DATABASE_URL } from '../support/postgres';

/**
 * The certificate and mobile-ID repositories on both engines: append-only history (enforced by triggers in the
 * database, not only by the repositories), the current status as the newest row, the CRL entry query, and the
 * MSISDN binding read from the newest event.
 */
interface Db {
  readonly store: Store;
  readonly raw: Knex;
  close(): Promise<void>;
}

async function sqlite(): Promise<Db> {
  const sqliteFile = join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'store', `pki-${process.pid}-${randomBytes(6).toString('hex')}.sqlite`);
  const store = await openStore({ sqliteFile });
  await store.migrate();
  const raw = knexFactory({ client: 'sqlite3', connection: { filename: sqliteFile }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  return { store, raw, close: async () => (await raw.destroy(), await store.close()) };
}

async function postgres(): Promise<Db> {
  const schema = throwawaySchemaName();
  const store = await openThrowawayPostgresStore({ databaseUrl: TEST_DATABASE_URL, schema });
  await store.migrate();
  const raw = knexFactory({ client: 'pg', connection: TEST_DATABASE_URL, searchPath: [schema], pool: { min: 0, max: 1 } });
  return { store, raw, close: async () => (await raw.destroy(), await store.close()) };
}

const DAY = 86_400_000;
const cert = (serial: string, overrides: Partial<NewCertificate> = {}): NewCertificate => ({
  issuerCa: 'issuing',
  serial,
  profile: 'citizen-auth',
  subject: `CN=${serial}`,
  mid: 'mid:x',
  keyHash: serial.padEnd(64, '0'),
  notBefore: new Date(Date.now() - DAY),
  notAfter: new Date(Date.now() + DAY),
  der: Buffer.from(serial, 'hex'),
  ...overrides,
});
const status = (serial: string, s: 'good' | 'hold' | 'revoked', reason: number | null = null) => ({
  issuerCa: 'issuing',
  serial,
  status: s,
  reason,
  revokedAt: s === 'good' ? null : new Date(),
  invalidityDate: null,
  actor: 'spec',
  note: null,
});

describe.each([
  ['sqlite', sqlite],
  ['postgres', postgres],
] as const)('certificate and mobile-ID repositories on %s', (_engine, open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('records certificates once per CA and serial, and finds them by mID and key', async () => {
    const { certificates } = db.store;
    const a = await certificates.insertCertificate(cert('0a01'));
    expect(a.id).toBeGreaterThan(0n);
    await expect(certificates.insertCertificate(cert('0a01'))).rejects.toMatchObject({ code: 'UNIQUE_VIOLATION' });
    await certificates.insertCertificate(cert('0a01', { issuerCa: 'root' }));
    expect((await certificates.certificatesOfMid('mid:x')).map((c) => c.serial)).toEqual(['0a01', '0a01']);
    expect((await certificates.certificatesWithKey('0a01'.padEnd(64, '0'))).length).toBe(2);
    await expect(certificates.insertCertificate(cert('XYZ'))).rejects.toBeInstanceOf(StoreError);
  });

  it('keeps the status history; the newest row is the current status; CRL entries are current hold/revoked and unexpired', async () => {
    const { certificates } = db.store;
    await certificates.insertCertificate(cert('0b01'));
    await certificates.insertCertificate(cert('0b02'));
    await certificates.insertCertificate(cert('0b03', { notAfter: new Date(Date.now() - 1000) }));
    for (const s of ['0b01', '0b02', '0b03']) await certificates.insertStatus(status(s, 'good'));
    await certificates.insertStatus(status('0b01', 'hold', 6));
    await certificates.insertStatus(status('0b02', 'hold', 6));
    await certificates.insertStatus(status('0b02', 'good'));
    await certificates.insertStatus(status('0b03', 'revoked', 1));
    expect((await certificates.currentStatus('issuing', '0b01'))?.status).toBe('hold');
    expect((await certificates.currentStatus('issuing', '0b02'))?.status).toBe('good');
    expect((await certificates.statusHistory('issuing', '0b02')).map((s) => s.status)).toEqual(['good', 'hold', 'good']);
    const entries = await certificates.revokedEntries('issuing', new Date());
    expect(entries.map((e) => [e.serial, e.status, e.reason])).toEqual([['0b01', 'hold', 6]]);
    const latest = await certificates.latestStatusId('issuing');
    const after = await certificates.statusChangesAfter(latest - 2n, 10);
    expect(after.map((s) => s.serial)).toEqual(['0b02', '0b03']);
    expect(await certificates.latestStatusId('nobody')).toBe(0n);
  });

  it('refuses UPDATE and DELETE of certificates, statuses, CRLs, mIDs and their events in the database itself', async () => {
    await db.store.certificates.insertCrl({ issuerCa: 'issuing', crlNumber: 1n, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + DAY), coversStatusId: 0n, der: Buffer.from([0x30, 0x00]) });
    await db.store.mobileIds.insertMobileId({ mid: 'mid:y', label: 'bank', givenName: 'A', familyName: 'B', nationalId: '1', birthDate: '1990-01-01', registrationMode: 'remote', maxLevel: 3, officer: 'o' });
    await db.store.mobileIds.insertEvent({ mid: 'mid:y', event: 'registered', msisdn: '+37255500000', status: 'active', reason: null, actor: 'o', details: null });
    for (const table of ['certificates', 'certificate_status', 'crls', 'mobile_ids', 'mobile_id_events']) {
      await expect(db.raw(table).update({ created_at: db.raw.raw('created_at') })).rejects.toThrow(/append-only/);
      await expect(db.raw(table).delete()).rejects.toThrow(/append-only/);
    }
  });

  it('binds an mID to the MSISDN of its newest event, and remembers former bindings', async () => {
    const { mobileIds } = db.store;
    const base = { label: 'gov', givenName: 'A', familyName: 'B', nationalId: '1', birthDate: '1990-01-01', registrationMode: 'in-person' as const, maxLevel: 4, officer: 'o' };
    await mobileIds.insertMobileId({ ...base, mid: 'mid:m1' });
    await mobileIds.insertMobileId({ ...base, mid: 'mid:m2', label: 'bank' });
    const ev = (mid: string, msisdn: string, event = 'registered') => mobileIds.insertEvent({ mid, event, msisdn, status: 'active', reason: null, actor: 'o', details: null });
    await ev('mid:m1', '+37255511111');
    await ev('mid:m2', '+37255511111');
    expect((await mobileIds.boundTo('+37255511111')).map((s) => s.mobileId.mid)).toEqual(['mid:m1', 'mid:m2']);
    await ev('mid:m1', '+37255522222', 'msisdn-changed');
    expect((await mobileIds.boundTo('+37255511111')).map((s) => s.mobileId.mid)).toEqual(['mid:m2']);
    expect((await mobileIds.boundTo('+37255522222')).map((s) => s.current.event)).toEqual(['msisdn-changed']);
    expect(await mobileIds.formerlyBoundTo('+37255511111')).toEqual(['mid:m1']);
    expect((await mobileIds.history('mid:m1')).map((e) => e.msisdn)).toEqual(['+37255511111', '+37255522222']);
    await expect(mobileIds.insertMobileId({ ...base, mid: 'mid:m1' })).rejects.toMatchObject({ code: 'UNIQUE_VIOLATION' });
  });

  it('rolls its migrations back cleanly and applies them again', async () => {
    const { reverted } = await db.store.rollback({ all: true });
    expect(reverted).toEqual(expect.arrayContaining(['0004_certificates', '0005_mobile_ids']));
    await db.store.migrate();
    expect(await db.store.certificates.listCas()).toEqual([]);
  });
});

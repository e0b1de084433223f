import type { Knex } from 'knex';
import { AuditLog, describeProblem, verifyStoredLog, type AuditVerdict } from '../../src/audit';
import { sampleEntry, softwareSigner } from './support/memory-log';
import { AUDIT_ENGINES, restore, snapshot, type AuditDb } from './support/db';

/**
 * Tampering through the database itself, with the append-only triggers bypassed the way an owner or superuser
 * could: each case changes the rows, runs the verifier over the store, and puts the rows back.
 */

const SIZE = 60;
const signer = softwareSigner();

type Tamper = (raw: Knex, k: number) => Promise<void>;

// Moving seqs through negative values keeps the primary key unique at every step.
async function shiftUp(raw: Knex, from: number): Promise<void> {
  await raw('audit_entries').where('seq', '>=', from).update({ seq: raw.raw('-1 - seq') });
  await raw('audit_entries').where('seq', '<', 0).update({ seq: raw.raw('-seq') });
}

const ENTRY_CASES: readonly [string, Tamper][] = [
  ['edit of the subject', async (raw, k) => void (await raw('audit_entries').update({ subject: 'transaction:forged' }).where({ seq: k }))],
  ['edit of the outcome and its leaf hash', async (raw, k) => void (await raw('audit_entries').update({ outcome: 'forged', leaf_hash: Buffer.alloc(32, 9) }).where({ seq: k }))],
  ['deletion', async (raw, k) => void (await raw('audit_entries').where({ seq: k }).delete())],
  [
    'insertion with the following entries renumbered',
    async (raw, k) => {
      const row = (await raw('audit_entries').first('*').where({ seq: k })) as Record<string, unknown>;
      await shiftUp(raw, k);
      await raw('audit_entries').insert({ ...row, seq: k, subject: 'transaction:inserted' });
    },
  ],
  [
    'swap with the next entry',
    async (raw, k) => {
      await raw('audit_entries').where({ seq: k }).update({ seq: -1 });
      await raw('audit_entries').where({ seq: k + 1 }).update({ seq: k });
      await raw('audit_entries').where({ seq: -1 }).update({ seq: k + 1 });
    },
  ],
];

const CHECKPOINT_CASES: readonly [string, Tamper][] = [
  ['edit of the root hash', async (raw, size) => void (await raw('audit_checkpoints').update({ root_hash: Buffer.alloc(32, 3) }).where({ tree_size: size }))],
  ['edit of the signed body', async (raw, size) => void (await raw('audit_checkpoints').update({ body: raw.raw("replace(body, 'previous', 'previous ')") }).where({ tree_size: size }))],
  ['deletion', async (raw, size) => void (await raw('audit_checkpoints').where({ tree_size: size }).delete())],
];

describe.each(AUDIT_ENGINES)('tampering through the database on %s, triggers bypassed', (_engine, open) => {
  let db: AuditDb;
  let entries: Record<string, unknown>[];
  let checkpoints: Record<string, unknown>[];

  beforeAll(async () => {
    db = await open();
    const log = await AuditLog.open({ store: db.store, signer });
    for (let i = 0; i < SIZE; i++) {
      await log.append(sampleEntry(i));
      if ((i + 1) % 20 === 0) await log.checkpoint();
    }
    entries = await snapshot(db.raw, 'audit_entries');
    checkpoints = await snapshot(db.raw, 'audit_checkpoints');
  });
  afterAll(async () => {
    await db?.close();
  });

  async function afterTamper(tamper: (raw: Knex) => Promise<void>): Promise<AuditVerdict> {
    await db.bypassTriggers(tamper);
    try {
      return await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey], stopAtFirstProblem: true });
    } finally {
      await db.bypassTriggers(async (raw) => {
        await restore(raw, 'audit_entries', entries);
        await restore(raw, 'audit_checkpoints', checkpoints);
      });
    }
  }

  it('the untouched log verifies', async () => {
    const verdict = await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey] });
    expect(verdict.problems.map(describeProblem)).toEqual([]);
    expect(verdict).toMatchObject({ entries: SIZE, checkpoints: 3 });
  });

  const positions = [0, 1, 19, 20, 33, 58];
  it.each(ENTRY_CASES.flatMap(([name, tamper]) => positions.map((k) => [name, k, tamper] as const)))('%s at entry %i is detected', async (_name, k, tamper) => {
    const verdict = await afterTamper((raw) => tamper(raw, k));
    expect(verdict.ok).toBe(false);
    const first = verdict.problems[0];
    expect(first?.where).toBe('entry');
    expect(first?.where === 'entry' ? first.seq : -1).toBe(k);
  });

  it('deleting the last entry is detected by the head and the last checkpoint', async () => {
    const verdict = await afterTamper(async (raw) => void (await raw('audit_entries').where({ seq: SIZE - 1 }).delete()));
    expect(verdict.problems.map(describeProblem)).toEqual([
      'audit log: the head records 60 entries but the store has 59: entries 59..59 were removed from the end',
      'audit checkpoint 60: it covers 60 entries but the store has 59: entries 59..59 are missing',
    ]);
  });

  it.each(CHECKPOINT_CASES.flatMap(([name, tamper]) => [20, 40].map((size) => [name, size, tamper] as const)))('%s of checkpoint %i is detected', async (_name, size, tamper) => {
    const verdict = await afterTamper((raw) => tamper(raw, size));
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.some((p) => p.where === 'checkpoint')).toBe(true);
  });

  it('the log is whole again after the cases', async () => {
    expect((await verifyStoredLog(db.store, { trustedKeys: [signer.publicKey] })).ok).toBe(true);
  });
});

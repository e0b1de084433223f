import { StoreError } from '../errors';
import { run, type Db } from './db';

/**
 * Rows of the audit log (src/audit decides what goes in them). Append-only: there is no update or delete here,
 * and the tables refuse them anyway. Integers are bigint like everywhere in the store; hashes, signatures,
 * keys and tokens are bytes.
 */

export interface AuditEntryRecord {
  readonly seq: bigint;
  readonly time: Date;
  readonly actorType: string;
  readonly actorId: string;
  readonly action: string;
  readonly subject: string;
  readonly outcome: string;
  readonly evidenceHash: Buffer | null;
  readonly details: string;
  readonly prevHash: Buffer;
  readonly leafHash: Buffer;
}

export interface AuditCheckpointRecord {
  readonly treeSize: bigint;
  readonly previousSize: bigint;
  readonly rootHash: Buffer;
  readonly time: Date;
  readonly body: string;
  readonly signature: Buffer;
  readonly keyId: Buffer;
  readonly publicKey: Buffer;
  readonly timeStampToken: Buffer | null;
  /** When the row was written (not signed; for operators). Defaults to now on insert. */
  readonly createdAt?: Date;
}

export interface AuditHeadRecord {
  readonly size: bigint;
  readonly lastLeafHash: Buffer;
  readonly lastTime: Date | null;
}

export interface AuditEntryPage {
  /** First seq to return (ascending) or last (descending). */
  readonly from?: bigint;
  readonly limit: number;
  readonly order?: 'asc' | 'desc';
}

export interface AuditRepository {
  /**
   * The head, locked until the surrounding transaction ends: the one place appenders queue, across processes and
   * nodes (row lock on PostgreSQL; on SQLite a write as first statement takes the database's write lock).
   * Call it only inside store.transaction(fn).
   */
  lockHead(): Promise<AuditHeadRecord>;
  readHead(): Promise<AuditHeadRecord>;
  /** Moves the head forward; only after lockHead() in the same transaction. */
  advanceHead(head: AuditHeadRecord): Promise<void>;
  insertEntry(entry: AuditEntryRecord): Promise<void>;
  /** Sequence numbers of the entries about `subject`, ascending (at most `limit`). */
  seqsBySubject(subject: string, limit: number): Promise<bigint[]>;
  /** Several consecutive entries in one go (a group commit). */
  insertEntries(entries: readonly AuditEntryRecord[]): Promise<void>;
  entry(seq: bigint): Promise<AuditEntryRecord | undefined>;
  entries(page: AuditEntryPage): Promise<AuditEntryRecord[]>;
  /** The entries with these seqs that exist, ascending. */
  entriesBySeq(seqs: readonly bigint[]): Promise<AuditEntryRecord[]>;
  /** Leaf hashes from `from` on, ascending: what a node needs to bring its Merkle tree up to date. */
  leafHashes(from: bigint, limit: number): Promise<{ seq: bigint; leafHash: Buffer }[]>;
  /** UNIQUE_VIOLATION when a checkpoint of that size, or on top of the same previous one, exists already. */
  insertCheckpoint(checkpoint: AuditCheckpointRecord): Promise<void>;
  latestCheckpoint(): Promise<AuditCheckpointRecord | undefined>;
  checkpoint(treeSize: bigint): Promise<AuditCheckpointRecord | undefined>;
  /** Ascending by size, from `fromSize` (inclusive). */
  checkpoints(options?: { fromSize?: bigint; limit?: number }): Promise<AuditCheckpointRecord[]>;
  /** Records that `witness` holds the checkpoint; false when that was recorded already. */
  recordExport(witness: string, treeSize: bigint, at?: Date): Promise<boolean>;
  /** Largest checkpoint size recorded as held by `witness`. */
  lastExport(witness: string): Promise<bigint | undefined>;
}

interface EntryRow {
  seq: unknown;
  time: unknown;
  actor_type: string;
  actor_id: string;
  action: string;
  subject: string;
  outcome: string;
  evidence_hash: Buffer | null;
  details: string;
  prev_hash: Buffer;
  leaf_hash: Buffer;
}

interface CheckpointRow {
  tree_size: unknown;
  previous_size: unknown;
  root_hash: Buffer;
  time: unknown;
  body: string;
  signature: Buffer;
  key_id: Buffer;
  public_key: Buffer;
  time_stamp_token: Buffer | null;
  created_at: unknown;
}

interface HeadRow {
  size: unknown;
  last_leaf_hash: Buffer;
  last_time: unknown;
}

const ENTRY_COLUMNS = ['seq', 'time', 'actor_type', 'actor_id', 'action', 'subject', 'outcome', 'evidence_hash', 'details', 'prev_hash', 'leaf_hash'] as const;
const CHECKPOINT_COLUMNS = ['tree_size', 'previous_size', 'root_hash', 'time', 'body', 'signature', 'key_id', 'public_key', 'time_stamp_token', 'created_at'] as const;
const HEAD_COLUMNS = ['size', 'last_leaf_hash', 'last_time'] as const;
const MAX_PAGE = 10_000;

function bytes(value: unknown, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new StoreError('VALUE_OUT_OF_RANGE', `${what} read from the store is not bytes`);
}

function limitOf(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new StoreError('VALUE_OUT_OF_RANGE', 'a page limit must be a positive integer');
  return Math.min(limit, MAX_PAGE);
}

export function auditRepository(db: Db): AuditRepository {
  const { codec, knex } = db;
  const int = (value: bigint, what: string): number | string => codec.integerToDb(value, what);
  const date = (value: Date, what: string): number | string => codec.dateToDb(value, what);

  const entryRow = (e: AuditEntryRecord): Record<string, unknown> => ({
    seq: int(e.seq, 'audit_entries.seq'),
    time: date(e.time, 'audit_entries.time'),
    actor_type: e.actorType,
    actor_id: e.actorId,
    action: e.action,
    subject: e.subject,
    outcome: e.outcome,
    evidence_hash: e.evidenceHash,
    details: e.details,
    prev_hash: e.prevHash,
    leaf_hash: e.leafHash,
  });

  const entryFromRow = (row: EntryRow): AuditEntryRecord => ({
    seq: codec.integerFromDb(row.seq, 'audit_entries.seq'),
    time: codec.dateFromDb(row.time, 'audit_entries.time'),
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    subject: row.subject,
    outcome: row.outcome,
    evidenceHash: row.evidence_hash === null || row.evidence_hash === undefined ? null : bytes(row.evidence_hash, 'audit_entries.evidence_hash'),
    details: row.details,
    prevHash: bytes(row.prev_hash, 'audit_entries.prev_hash'),
    leafHash: bytes(row.leaf_hash, 'audit_entries.leaf_hash'),
  });

  const checkpointFromRow = (row: CheckpointRow): AuditCheckpointRecord => ({
    treeSize: codec.integerFromDb(row.tree_size, 'audit_checkpoints.tree_size'),
    previousSize: codec.integerFromDb(row.previous_size, 'audit_checkpoints.previous_size'),
    rootHash: bytes(row.root_hash, 'audit_checkpoints.root_hash'),
    time: codec.dateFromDb(row.time, 'audit_checkpoints.time'),
    body: row.body,
    signature: bytes(row.signature, 'audit_checkpoints.signature'),
    keyId: bytes(row.key_id, 'audit_checkpoints.key_id'),
    publicKey: bytes(row.public_key, 'audit_checkpoints.public_key'),
    timeStampToken: row.time_stamp_token === null || row.time_stamp_token === undefined ? null : bytes(row.time_stamp_token, 'audit_checkpoints.time_stamp_token'),
    createdAt: codec.dateFromDb(row.created_at, 'audit_checkpoints.created_at'),
  });

  const headFromRow = (row: HeadRow | undefined): AuditHeadRecord => {
    if (row === undefined) throw new StoreError('NOT_FOUND', 'the audit log has no head row: run the store migrations');
    return {
      size: codec.integerFromDb(row.size, 'audit_head.size'),
      lastLeafHash: bytes(row.last_leaf_hash, 'audit_head.last_leaf_hash'),
      lastTime: row.last_time === null || row.last_time === undefined ? null : codec.dateFromDb(row.last_time, 'audit_head.last_time'),
    };
  };

  const readHead = async (): Promise<AuditHeadRecord> => headFromRow(await run(db, knex('audit_head').first<HeadRow | undefined>(...HEAD_COLUMNS).where({ id: 1 })));

  return {
    async lockHead() {
      if (codec.engine === 'postgres') {
        return headFromRow(await run(db, knex('audit_head').first<HeadRow | undefined>(...HEAD_COLUMNS).where({ id: 1 }).forUpdate()));
      }
      // SQLite has no row locks; a write as the transaction's first statement takes the database write lock
      // (waiting up to busy_timeout for another process), so no other appender can read the same head.
      await run(db, knex('audit_head').update({ size: knex.ref('size') }).where({ id: 1 }));
      return readHead();
    },

    readHead,

    async advanceHead(head) {
      await run(
        db,
        knex('audit_head')
          .update({
            size: int(head.size, 'audit_head.size'),
            last_leaf_hash: head.lastLeafHash,
            last_time: head.lastTime === null ? null : date(head.lastTime, 'audit_head.last_time'),
          })
          .where({ id: 1 }),
      );
    },

    async insertEntry(e) {
      await run(db, knex('audit_entries').insert(entryRow(e)));
    },

    async seqsBySubject(subject, limit) {
      const rows = await run(db, knex('audit_entries').select<{ seq: number | string }[]>('seq').where({ subject }).orderBy('seq').limit(limitOf(limit)));
      return rows.map((r) => codec.integerFromDb(r.seq, 'audit_entries.seq'));
    },

    async insertEntries(entries) {
      // 11 columns a row: 400 rows stay under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
      for (let i = 0; i < entries.length; i += 400) await run(db, knex('audit_entries').insert(entries.slice(i, i + 400).map(entryRow)));
    },

    async entry(seq) {
      const row = await run(db, knex('audit_entries').first<EntryRow | undefined>(...ENTRY_COLUMNS).where({ seq: int(seq, 'seq') }));
      return row === undefined ? undefined : entryFromRow(row);
    },

    async entries(page) {
      const order = page.order ?? 'asc';
      const query = knex('audit_entries').select<EntryRow[]>(...ENTRY_COLUMNS).orderBy('seq', order).limit(limitOf(page.limit));
      if (page.from !== undefined) query.where('seq', order === 'asc' ? '>=' : '<=', int(page.from, 'seq'));
      return (await run(db, query)).map(entryFromRow);
    },

    async entriesBySeq(seqs) {
      if (seqs.length === 0) return [];
      if (seqs.length > MAX_PAGE) throw new StoreError('VALUE_OUT_OF_RANGE', `at most ${MAX_PAGE} entries at once`);
      const rows = await run(
        db,
        knex('audit_entries')
          .select<EntryRow[]>(...ENTRY_COLUMNS)
          .whereIn('seq', seqs.map((s) => int(s, 'seq')))
          .orderBy('seq'),
      );
      return rows.map(entryFromRow);
    },

    async leafHashes(from, limit) {
      const rows = await run(
        db,
        knex('audit_entries')
          .select<{ seq: unknown; leaf_hash: Buffer }[]>('seq', 'leaf_hash')
          .where('seq', '>=', int(from, 'seq'))
          .orderBy('seq')
          .limit(limitOf(limit)),
      );
      return rows.map((r) => ({ seq: codec.integerFromDb(r.seq, 'audit_entries.seq'), leafHash: bytes(r.leaf_hash, 'audit_entries.leaf_hash') }));
    },

    async insertCheckpoint(c) {
      await run(
        db,
        knex('audit_checkpoints').insert({
          tree_size: int(c.treeSize, 'audit_checkpoints.tree_size'),
          previous_size: int(c.previousSize, 'audit_checkpoints.previous_size'),
          root_hash: c.rootHash,
          time: date(c.time, 'audit_checkpoints.time'),
          body: c.body,
          signature: c.signature,
          key_id: c.keyId,
          public_key: c.publicKey,
          time_stamp_token: c.timeStampToken,
          created_at: date(c.createdAt ?? new Date(), 'audit_checkpoints.created_at'),
        }),
      );
    },

    async latestCheckpoint() {
      const row = await run(db, knex('audit_checkpoints').first<CheckpointRow | undefined>(...CHECKPOINT_COLUMNS).orderBy('tree_size', 'desc'));
      return row === undefined ? undefined : checkpointFromRow(row);
    },

    async checkpoint(treeSize) {
      const row = await run(
        db,
        knex('audit_checkpoints').first<CheckpointRow | undefined>(...CHECKPOINT_COLUMNS).where({ tree_size: int(treeSize, 'tree size') }),
      );
      return row === undefined ? undefined : checkpointFromRow(row);
    },

    async checkpoints(options = {}) {
      const query = knex('audit_checkpoints').select<CheckpointRow[]>(...CHECKPOINT_COLUMNS).orderBy('tree_size');
      if (options.fromSize !== undefined) query.where('tree_size', '>=', int(options.fromSize, 'tree size'));
      if (options.limit !== undefined) query.limit(limitOf(options.limit));
      return (await run(db, query)).map(checkpointFromRow);
    },

    async recordExport(witness, treeSize, at = new Date()) {
      if (typeof witness !== 'string' || witness.length === 0 || witness.length > 512) throw new StoreError('VALUE_OUT_OF_RANGE', 'a witness name must be 1 to 512 characters');
      const rows = await run(
        db,
        knex('audit_witness_exports')
          .insert({ witness, tree_size: int(treeSize, 'tree size'), exported_at: date(at, 'audit_witness_exports.exported_at') })
          .onConflict(['witness', 'tree_size'])
          .ignore()
          .returning<{ tree_size: unknown }[]>('tree_size'),
      );
      return rows.length > 0;
    },

    async lastExport(witness) {
      const row = await run(db, knex('audit_witness_exports').max<{ size: unknown }>('tree_size as size').where({ witness }).first());
      return row === undefined || row.size === null || row.size === undefined ? undefined : codec.integerFromDb(row.size, 'audit_witness_exports.tree_size');
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '../log';
import { isStoreError, type Repositories, type Store } from '../store';
import type { Checkpoint } from './checkpoint';
import { prepareEntry, sealEntry, type AuditEntry, type NewAuditEntry, type PreparedEntry } from './entry';
import { AuditError } from './errors';
import { verifyConsistency, type Hash } from './merkle';
import { checkpointFromRecord, checkpointToRecord, entryFromRecord, entryToRecord, headFromRecord } from './records';
import { sealCheckpoint } from './seal-checkpoint';
import type { CheckpointSigner } from './signer';
import type { TimeStamper } from './timestamp';
import { MerkleTree } from './tree';

/**
 * The log as one node sees it: appends (serialised in the database, so several nodes can share one PostgreSQL),
 * a Merkle tree kept up to date from the store's leaf hashes, checkpoints, and proofs against checkpoints.
 */

export type AuditStore = Pick<Store, 'audit' | 'settings' | 'transaction'>;

export interface AuditLogOptions {
  readonly store: AuditStore;
  /** The log's name in every checkpoint. Default: the store's `audit.origin` setting, made once as `mssp/audit/<uuid>`. */
  readonly origin?: string;
  /** Needed only to make checkpoints. */
  readonly signer?: CheckpointSigner;
  readonly timeStamper?: TimeStamper;
  readonly requireTimeStamps?: boolean;
  readonly clock?: () => Date;
  readonly logger?: Logger;
}

export interface AppendedEntry {
  readonly seq: number;
  readonly time: Date;
  readonly leafHash: Buffer;
}

export type CheckpointOutcome =
  | { readonly created: true; readonly checkpoint: Checkpoint }
  | { readonly created: false; readonly checkpoint: Checkpoint | undefined; readonly reason: string };

export interface InclusionProof {
  readonly seq: number;
  readonly treeSize: number;
  readonly leafHash: Hash;
  readonly proof: Hash[];
  readonly checkpoint: Checkpoint;
}

export interface ConsistencyProof {
  readonly first: number;
  readonly second: number;
  readonly proof: Hash[];
  readonly firstCheckpoint: Checkpoint;
  readonly secondCheckpoint: Checkpoint;
}

/** Entries with their inclusion proofs against one checkpoint: what an evidence bundle carries. */
export interface ProvenEntries {
  readonly checkpoint: Checkpoint;
  readonly entries: readonly { readonly entry: AuditEntry; readonly proof: Hash[] }[];
}

export const ORIGIN_SETTING = 'audit.origin';
const SYNC_PAGE = 10_000;

function count(value: unknown, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new AuditError('OUT_OF_RANGE', `${what} must be an integer of at least ${min}`);
  }
  return value;
}

/** Entries a group commit takes at most; more wait for the next transaction. */
const MAX_GROUP_COMMIT = 2000;

async function appendPreparedEntries(tx: Pick<Repositories, 'audit'>, prepared: readonly PreparedEntry[], clock: () => Date): Promise<AppendedEntry[]> {
  let head = headFromRecord(await tx.audit.lockHead());
  const now = clock();
  const sealed: AuditEntry[] = [];
  for (const p of prepared) {
    const entry = sealEntry(p, head, now);
    sealed.push(entry);
    head = { size: entry.seq + 1, lastLeafHash: entry.leafHash, lastTime: entry.time };
  }
  await tx.audit.insertEntries(sealed.map(entryToRecord));
  await tx.audit.advanceHead({ size: BigInt(head.size), lastLeafHash: head.lastLeafHash, lastTime: head.lastTime });
  return sealed.map((e) => ({ seq: e.seq, time: e.time, leafHash: e.leafHash }));
}

async function appendPreparedEntry(tx: Pick<Repositories, 'audit'>, prepared: ReturnType<typeof prepareEntry>, clock: () => Date): Promise<AppendedEntry> {
  const head = headFromRecord(await tx.audit.lockHead());
  const sealed = sealEntry(prepared, head, clock());
  await tx.audit.insertEntry(entryToRecord(sealed));
  await tx.audit.advanceHead({ size: BigInt(sealed.seq + 1), lastLeafHash: sealed.leafHash, lastTime: sealed.time });
  return { seq: sealed.seq, time: sealed.time, leafHash: sealed.leafHash };
}

export class AuditLog {
  private readonly tree = new MerkleTree();
  private syncing: Promise<void> | undefined;
  private checkpointing: Promise<CheckpointOutcome> | undefined;
  private readonly appendListeners = new Set<(entry: AppendedEntry) => void>();
  private readonly checkpointListeners = new Set<(checkpoint: Checkpoint) => void>();
  private readonly store: AuditStore;
  private readonly clock: () => Date;
  private readonly pending: { prepared: PreparedEntry; resolve: (e: AppendedEntry) => void; reject: (err: Error) => void }[] = [];
  private flushing = false;

  private constructor(
    private readonly options: AuditLogOptions,
    readonly origin: string,
  ) {
    this.store = options.store;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Opens the log and loads its tree from the store (one pass over the leaf hashes). */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const origin = options.origin ?? (await options.store.settings.setIfAbsent(ORIGIN_SETTING, `mssp/audit/${randomUUID()}`));
    const log = new AuditLog(options, origin);
    await log.sync();
    return log;
  }

  /** Entries this node's tree holds (the store may have more; sync() brings them in). */
  get size(): number {
    return this.tree.size;
  }

  /**
   * Appends in a transaction of its own, resolving once the entry is committed (durable). Appends that arrive
   * while a commit is under way wait for it and then go in together, in arrival order, in one transaction (group
   * commit): one lock of the head and one fsync for the lot. A failed batch fails each of its appends.
   */
  append(entry: NewAuditEntry): Promise<AppendedEntry> {
    let prepared: PreparedEntry;
    try {
      prepared = prepareEntry(entry);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<AppendedEntry>((resolve, reject) => {
      this.pending.push({ prepared, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    void (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_GROUP_COMMIT);
        try {
          const appended = await this.store.transaction((tx) => appendPreparedEntries(tx, batch.map((p) => p.prepared), this.clock));
          batch.forEach((waiting, i) => {
            const one = appended[i] as AppendedEntry;
            this.notifyAppend(one);
            waiting.resolve(one);
          });
        } catch (err) {
          for (const waiting of batch) waiting.reject(err as Error);
        }
      }
      this.flushing = false;
    })();
  }

  /**
   * Appends inside the caller's transaction, so the entry is committed exactly when the change it records is.
   * The log's head stays locked until that transaction ends: keep it short.
   */
  async appendIn(tx: Pick<Repositories, 'audit'>, entry: NewAuditEntry): Promise<AppendedEntry> {
    const appended = await this.appendPrepared(tx, prepareEntry(entry));
    this.notifyAppend(appended);
    return appended;
  }

  private appendPrepared(tx: Pick<Repositories, 'audit'>, prepared: ReturnType<typeof prepareEntry>): Promise<AppendedEntry> {
    return appendPreparedEntry(tx, prepared, this.clock);
  }

  /**
   * One entry inside the caller's transaction, without a log object (and so without loading the tree): for
   * modules that record their changes in the transaction that makes them, in any process.
   */
  static appendWithin(tx: Pick<Repositories, 'audit'>, entry: NewAuditEntry, clock: () => Date = () => new Date()): Promise<AppendedEntry> {
    return appendPreparedEntry(tx, prepareEntry(entry), clock);
  }

  /**
   * One entry from a short-lived process (a CLI command) without loading the tree: appending needs only the
   * head, and the running nodes' checkpointers take the entry into the tree when they next sync.
   */
  static appendOnce(store: AuditStore, entry: NewAuditEntry, clock: () => Date = () => new Date()): Promise<AppendedEntry> {
    const prepared = prepareEntry(entry);
    return store.transaction((tx) => appendPreparedEntry(tx, prepared, clock));
  }

  private notifyAppend(appended: AppendedEntry): void {
    for (const listener of this.appendListeners) listener(appended);
  }

  /** Called after each append made through this object (not for other nodes' appends). */
  onAppend(listener: (entry: AppendedEntry) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Called after each checkpoint this object stores. */
  onCheckpoint(listener: (checkpoint: Checkpoint) => void): () => void {
    this.checkpointListeners.add(listener);
    return () => this.checkpointListeners.delete(listener);
  }

  /** Brings the tree up to the entries committed in the store; returns its size. */
  async sync(): Promise<number> {
    this.syncing ??= this.pull().finally(() => {
      this.syncing = undefined;
    });
    await this.syncing;
    return this.tree.size;
  }

  private async pull(): Promise<void> {
    for (;;) {
      const rows = await this.store.audit.leafHashes(BigInt(this.tree.size), SYNC_PAGE);
      for (const row of rows) {
        if (row.seq !== BigInt(this.tree.size)) {
          throw new AuditError('INCONSISTENT_LOG', `audit entry ${this.tree.size} is missing from the store (the next one is ${row.seq})`);
        }
        this.tree.append(row.leafHash);
      }
      if (rows.length < SYNC_PAGE) return;
    }
  }

  /** Makes sure the tree holds at least `size` entries (a sync already running may have started before they were committed). */
  private async ensureSize(size: number): Promise<void> {
    for (let attempt = 0; this.tree.size < size && attempt < 2; attempt++) await this.sync();
    if (this.tree.size < size) throw new AuditError('INCONSISTENT_LOG', `a checkpoint covers ${size} entries but the store has ${this.tree.size}`);
  }

  /** Root of the first `size` entries this node has seen. */
  async root(size?: number): Promise<Hash> {
    await this.sync();
    return this.tree.root(size ?? this.tree.size);
  }

  /**
   * Signs the current tree head, unless no entry came since the latest checkpoint. Refuses (INCONSISTENT_LOG) when
   * the stored entries no longer hash to the latest checkpoint: a new checkpoint must extend every earlier one.
   * One at a time per process; across nodes the store keeps one chain (a loser gets `created: false`).
   */
  checkpoint(): Promise<CheckpointOutcome> {
    this.checkpointing ??= this.makeCheckpoint().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  private async makeCheckpoint(): Promise<CheckpointOutcome> {
    const { signer } = this.options;
    if (signer === undefined) throw new AuditError('KEY_PROBLEM', 'this audit log was opened without a checkpoint signer');
    const size = await this.sync();
    const previous = await this.latestCheckpoint();
    if (size === 0) return { created: false, checkpoint: undefined, reason: 'the audit log is empty' };
    if (previous !== undefined && previous.treeSize >= size) {
      return { created: false, checkpoint: previous, reason: `no entry since checkpoint ${previous.treeSize}` };
    }
    if (previous !== undefined) this.checkExtends(previous, size);
    const lastEntry = await this.store.audit.entry(BigInt(size - 1));
    const checkpoint = await sealCheckpoint(
      {
        origin: this.origin,
        treeSize: size,
        rootHash: this.tree.root(size),
        ...(previous !== undefined ? { previous } : {}),
        ...(lastEntry !== undefined ? { lastEntryTime: lastEntry.time } : {}),
        now: this.clock(),
      },
      {
        signer,
        ...(this.options.timeStamper !== undefined ? { timeStamper: this.options.timeStamper } : {}),
        requireTimeStamps: this.options.requireTimeStamps === true,
        onTimeStampFailure: (err) => this.options.logger?.warn({ err, treeSize: size }, 'audit checkpoint stored without a time-stamp: the TSA failed'),
      },
    );
    try {
      await this.store.audit.insertCheckpoint(checkpointToRecord(checkpoint));
    } catch (err) {
      if (!isStoreError(err, 'UNIQUE_VIOLATION')) throw err;
      return { created: false, checkpoint: await this.latestCheckpoint(), reason: 'another node stored a checkpoint at the same time' };
    }
    this.options.logger?.info({ treeSize: size, timeStamped: checkpoint.timeStampToken !== null }, 'audit checkpoint stored');
    for (const listener of this.checkpointListeners) listener(checkpoint);
    return { created: true, checkpoint };
  }

  private checkExtends(previous: Checkpoint, size: number): void {
    if (previous.treeSize > this.tree.size || !this.tree.root(previous.treeSize).equals(previous.rootHash)) {
      throw new AuditError('INCONSISTENT_LOG', `the stored entries no longer match checkpoint ${previous.treeSize}: run mssp audit verify`);
    }
    const proof = this.tree.consistencyProof(previous.treeSize, size);
    if (!verifyConsistency(previous.treeSize, size, previous.rootHash, this.tree.root(size), proof)) {
      throw new AuditError('INCONSISTENT_LOG', `the tree of ${size} entries is not consistent with checkpoint ${previous.treeSize}`);
    }
  }

  async latestCheckpoint(): Promise<Checkpoint | undefined> {
    const record = await this.store.audit.latestCheckpoint();
    return record === undefined ? undefined : checkpointFromRecord(record);
  }

  /** The checkpoint of exactly `size` entries; NOT_FOUND when there is none. */
  async checkpointAt(size: number): Promise<Checkpoint> {
    count(size, 'a checkpoint size', 1);
    const record = await this.store.audit.checkpoint(BigInt(size));
    if (record === undefined) throw new AuditError('NOT_FOUND', `there is no checkpoint of size ${size}`);
    return checkpointFromRecord(record);
  }

  private async checkpointOrLatest(size: number | undefined): Promise<Checkpoint> {
    if (size !== undefined) return this.checkpointAt(size);
    const latest = await this.latestCheckpoint();
    if (latest === undefined) throw new AuditError('NOT_FOUND', 'there is no checkpoint yet');
    return latest;
  }

  /** Inclusion proof of entry `seq` against the checkpoint of `size` entries (default: the latest checkpoint). */
  async inclusionProof(seq: number, size?: number): Promise<InclusionProof> {
    count(seq, 'an entry seq');
    if (size !== undefined) count(size, 'a checkpoint size', 1);
    const checkpoint = await this.checkpointOrLatest(size);
    if (seq >= checkpoint.treeSize) {
      throw new AuditError('OUT_OF_RANGE', `entry ${seq} is not covered by checkpoint ${checkpoint.treeSize} (entries 0..${checkpoint.treeSize - 1})`);
    }
    await this.ensureSize(checkpoint.treeSize);
    return { seq, treeSize: checkpoint.treeSize, leafHash: this.tree.leaf(seq), proof: this.tree.inclusionProof(seq, checkpoint.treeSize), checkpoint };
  }

  /** Consistency proof between the checkpoints of `first` and `second` entries. */
  async consistencyProof(first: number, second: number): Promise<ConsistencyProof> {
    count(first, 'the first checkpoint size', 1);
    count(second, 'the second checkpoint size', 1);
    if (first > second) throw new AuditError('OUT_OF_RANGE', `the first checkpoint size (${first}) must not exceed the second (${second})`);
    const [firstCheckpoint, secondCheckpoint] = await Promise.all([this.checkpointAt(first), this.checkpointAt(second)]);
    await this.ensureSize(second);
    return { first, second, proof: this.tree.consistencyProof(first, second), firstCheckpoint, secondCheckpoint };
  }

  /**
   * The seam for evidence bundles: these entries, each with its inclusion proof against the latest checkpoint,
   * and that checkpoint. OUT_OF_RANGE for an entry that does not exist or is not covered yet (make a checkpoint first).
   */
  /** Sequence numbers of the entries about one subject (e.g. `transaction:…`), oldest first. */
  async seqsAbout(subject: string, limit = 1000): Promise<number[]> {
    return (await this.store.audit.seqsBySubject(subject, limit)).map(Number);
  }

  async entriesWithProof(seqs: readonly number[]): Promise<ProvenEntries> {
    for (const seq of seqs) count(seq, 'an entry seq');
    const checkpoint = await this.checkpointOrLatest(undefined);
    const uncovered = seqs.find((s) => s >= checkpoint.treeSize);
    if (uncovered !== undefined) throw new AuditError('OUT_OF_RANGE', `entry ${uncovered} is not covered by checkpoint ${checkpoint.treeSize} yet`);
    await this.ensureSize(checkpoint.treeSize);
    const unique = [...new Set(seqs)].sort((a, b) => a - b);
    const records = await this.store.audit.entriesBySeq(unique.map((s) => BigInt(s)));
    const entries = records.map(entryFromRecord).map((entry) => ({ entry, proof: this.tree.inclusionProof(entry.seq, checkpoint.treeSize) }));
    return { checkpoint, entries };
  }

  /** The last `n` entries, newest first. */
  async tail(n: number): Promise<AuditEntry[]> {
    count(n, 'the number of entries', 1);
    return (await this.store.audit.entries({ limit: n, order: 'desc' })).map(entryFromRecord);
  }
}

import { isCanonicalJson } from './canonical-json';
import {
  checkpointImprint,
  formatSignedNote,
  keyIdOf,
  parseNoteBody,
  verifyCheckpointSignature,
  type Checkpoint,
} from './checkpoint';
import { entryLeafHash, GENESIS_HASH, type AuditEntry, type LogHead } from './entry';
import { verifyConsistency, type Hash } from './merkle';
import { timeStampImprintProblem, readTimeStampToken } from './timestamp';
import { MerkleTree } from './tree';

/**
 * The verifier: a pure function of the stored rows (plus the keys an auditor trusts). It recomputes every entry's
 * leaf hash and the hash chain, rebuilds the Merkle tree, and checks every checkpoint against it: signature,
 * the signed link to the checkpoint before, consistency, root, time order and the time-stamp imprint. Nothing
 * here touches the store or the HSM, so the tamper tests run thousands of cases in memory; verify-store.ts feeds
 * it from the database page by page.
 */

/** A checkpoint as stored: the origin lives only inside the signed body. */
export type CheckpointRow = Omit<Checkpoint, 'origin'>;

/** A checkpoint as a witness received it (one line of the witness file). */
export interface WitnessedCheckpoint {
  readonly witness: string;
  readonly treeSize: number;
  /** The full signed note (formatSignedNote). */
  readonly note: string;
}

export interface VerifyOptions {
  /** SubjectPublicKeyInfo DER of the audit keys to trust. When absent, each checkpoint's own recorded key is used (and a warning says so). */
  readonly trustedKeys?: readonly Buffer[];
  /** The origin every checkpoint must name; default: the first checkpoint's. */
  readonly origin?: string;
  /** A checkpoint without a time-stamp token is a problem (otherwise it is only reported). */
  readonly requireTimeStamps?: boolean;
  /** The store's record of the end of the log; entries cut from the end show up against it. */
  readonly head?: LogHead;
  /** Checkpoints already handed to witnesses: each must still be in the store, unchanged. */
  readonly witnessed?: readonly WitnessedCheckpoint[];
  /** How far a token's genTime may be from its checkpoint's time. Default 10 minutes. */
  readonly timeStampToleranceMs?: number;
  /**
   * Stop at the first bad entry: later entries are not hashed and checkpoints not checked. What `mssp audit verify`
   * does by default (it names the first bad entry); auditors who want every problem leave it off.
   */
  readonly stopAtFirstProblem?: boolean;
}

export type AuditProblem =
  | { readonly where: 'entry'; readonly seq: number; readonly message: string }
  | { readonly where: 'checkpoint'; readonly treeSize: number; readonly message: string }
  | { readonly where: 'log'; readonly message: string }
  | { readonly where: 'witness'; readonly witness: string; readonly message: string };

export interface PendingTimeStamp {
  readonly treeSize: number;
  readonly token: Buffer;
  /** SHA-256 of the checkpoint body: what the token must be for. */
  readonly digest: Buffer;
}

export interface AuditVerdict {
  readonly ok: boolean;
  /** In the order found: the first entry problem (if any) comes first. */
  readonly problems: readonly AuditProblem[];
  /** Entries read (with stopAtFirstProblem, those after the first bad one are counted but not checked). */
  readonly entries: number;
  /** True when checking stopped at the first bad entry. */
  readonly stopped: boolean;
  readonly checkpoints: number;
  /** Tree sizes of the checkpoints that carry a time-stamp token, and of those that do not. */
  readonly stamped: readonly number[];
  readonly unstamped: readonly number[];
  readonly warnings: readonly string[];
  /** Root over every entry in the store. */
  readonly root: Hash;
  readonly latest?: { readonly treeSize: number; readonly time: Date; readonly rootHash: Buffer };
  /** Tokens whose CMS signature a TimeStampVerifier still has to check (audit cannot: that is pki's job). */
  readonly pendingTimeStamps: readonly PendingTimeStamp[];
}

const DEFAULT_TOLERANCE_MS = 10 * 60_000;

/** `audit entry 17: …`, the line `mssp audit verify` prints. */
export function describeProblem(p: AuditProblem): string {
  switch (p.where) {
    case 'entry':
      return `audit entry ${p.seq}: ${p.message}`;
    case 'checkpoint':
      return `audit checkpoint ${p.treeSize}: ${p.message}`;
    case 'log':
      return `audit log: ${p.message}`;
    case 'witness':
      return `audit witness ${p.witness}: ${p.message}`;
  }
}

/** Entry times, kept compactly: a checkpoint must not be older than the last entry it covers. */
class TimeColumn {
  private values = new Float64Array(1024);
  length = 0;
  push(ms: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length] = ms;
    this.length += 1;
  }
  at(index: number): number {
    return this.values[index] ?? Number.NaN;
  }
  clone(): TimeColumn {
    const other = new TimeColumn();
    other.values = this.values.slice();
    other.length = this.length;
    return other;
  }
}

function entryProblem(row: AuditEntry, position: number, previousLeaf: Buffer, previousTime: number, leaf: Buffer): string | undefined {
  if (row.seq !== position) {
    if (typeof row.seq === 'number' && row.seq > position) return `is missing or out of place (the store has entry ${row.seq} next)`;
    return `is out of order: entry ${String(row.seq)} is stored where entry ${position} should be`;
  }
  if (!isCanonicalJson(row.details)) return 'its details are not canonical JSON (the entry was edited)';
  if (!Buffer.isBuffer(row.leafHash) || !leaf.equals(row.leafHash)) return 'its content does not match its leaf hash (the entry was edited)';
  if (!Buffer.isBuffer(row.prevHash) || !row.prevHash.equals(previousLeaf)) {
    return `its previous hash is not the hash of entry ${position - 1} (an entry before it was removed, inserted, replaced or reordered)`;
  }
  if (row.time.getTime() < previousTime) return `its time ${row.time.toISOString()} is before the time of entry ${position - 1}`;
  return undefined;
}

/** Feed entries in seq order with add(), then finish() with the checkpoints. */
export class LogVerifier {
  private tree = new MerkleTree();
  private times = new TimeColumn();
  private previousLeaf: Buffer = GENESIS_HASH;
  private previousTime = Number.NEGATIVE_INFINITY;
  private lastStoredLeaf: Buffer | undefined;
  private firstEntryProblem: AuditProblem | undefined;
  private skipped = 0;

  constructor(private readonly stopAtFirstProblem = false) {}

  /** Entries added so far. */
  get count(): number {
    return this.tree.size + this.skipped;
  }

  /**
   * An independent copy that goes on from here: verifying many variants of one log's tail (the tamper tests)
   * then costs only the tail, not the shared head, each time.
   */
  fork(): LogVerifier {
    const other = new LogVerifier(this.stopAtFirstProblem);
    other.tree = this.tree.clone();
    other.times = this.times.clone();
    other.previousLeaf = this.previousLeaf;
    other.previousTime = this.previousTime;
    other.lastStoredLeaf = this.lastStoredLeaf;
    other.firstEntryProblem = this.firstEntryProblem;
    other.skipped = this.skipped;
    return other;
  }

  /** True once stopAtFirstProblem has found a bad entry: further entries are only counted. */
  get stopped(): boolean {
    return this.stopAtFirstProblem && this.firstEntryProblem !== undefined;
  }

  add(row: AuditEntry): void {
    if (this.stopped) {
      this.skipped += 1;
      return;
    }
    const position = this.tree.size;
    let leaf: Buffer;
    try {
      leaf = entryLeafHash(row);
    } catch {
      // A field of the wrong type (e.g. an invalid time) cannot be encoded: a leaf that matches nothing.
      leaf = Buffer.alloc(32, 0xff);
      this.firstEntryProblem ??= { where: 'entry', seq: position, message: 'it has a field that cannot be encoded (the entry was edited)' };
    }
    if (this.firstEntryProblem === undefined) {
      const message = entryProblem(row, position, this.previousLeaf, this.previousTime, leaf);
      if (message !== undefined) this.firstEntryProblem = { where: 'entry', seq: position, message };
    }
    // The chain goes on from what the content hashes to, so one edit is reported once, at the entry edited.
    this.previousLeaf = leaf;
    this.previousTime = row.time instanceof Date ? row.time.getTime() : Number.NaN;
    this.lastStoredLeaf = Buffer.isBuffer(row.leafHash) ? row.leafHash : undefined;
    this.tree.append(leaf);
    this.times.push(this.previousTime);
  }

  finish(checkpoints: readonly CheckpointRow[], options: VerifyOptions = {}): AuditVerdict {
    const problems: AuditProblem[] = [];
    const warnings: string[] = [];
    if (this.firstEntryProblem !== undefined) problems.push(this.firstEntryProblem);
    if (this.stopped) {
      const root = this.tree.root();
      return { ok: false, problems, entries: this.count, stopped: true, checkpoints: checkpoints.length, stamped: [], unstamped: [], warnings, root, pendingTimeStamps: [] };
    }
    const n = this.tree.size;

    if (options.head !== undefined) {
      if (options.head.size !== n) {
        const what = options.head.size > n ? `entries ${n}..${options.head.size - 1} were removed from the end` : 'entries were added outside the log';
        problems.push({ where: 'log', message: `the head records ${options.head.size} entries but the store has ${n}: ${what}` });
      } else if (n > 0 && (this.lastStoredLeaf === undefined || !options.head.lastLeafHash.equals(this.lastStoredLeaf))) {
        problems.push({ where: 'log', message: `the head's hash of entry ${n - 1} is not the stored one: the end of the log was rewritten` });
      }
    }

    const trusted = options.trustedKeys === undefined ? undefined : new Set(options.trustedKeys.map((k) => k.toString('base64')));
    if (trusted === undefined && checkpoints.length > 0) {
      warnings.push('checkpoint signatures were checked with the keys recorded beside them; give the audit public key to anchor them');
    }
    const tolerance = options.timeStampToleranceMs ?? DEFAULT_TOLERANCE_MS;
    let origin = options.origin;
    const stamped: number[] = [];
    const unstamped: number[] = [];
    const pendingTimeStamps: PendingTimeStamp[] = [];
    let previous: CheckpointRow | undefined;

    for (const cp of checkpoints) {
      const message = this.checkpointProblem(cp, previous, origin, trusted);
      if (message !== undefined) problems.push({ where: 'checkpoint', treeSize: cp.treeSize, message });
      origin ??= parseNoteBody(cp.body)?.origin;
      if (cp.timeStampToken === null) {
        unstamped.push(cp.treeSize);
        if (options.requireTimeStamps) problems.push({ where: 'checkpoint', treeSize: cp.treeSize, message: 'it has no time-stamp token, and time-stamps are required' });
      } else {
        stamped.push(cp.treeSize);
        const stampProblem = this.timeStampProblem(cp, cp.timeStampToken, tolerance);
        if (stampProblem !== undefined) problems.push({ where: 'checkpoint', treeSize: cp.treeSize, message: stampProblem });
        else pendingTimeStamps.push({ treeSize: cp.treeSize, token: cp.timeStampToken, digest: checkpointImprint(cp.body) });
      }
      previous = cp;
    }

    for (const w of options.witnessed ?? []) {
      const stored = checkpoints.find((c) => c.treeSize === w.treeSize);
      if (stored === undefined) {
        problems.push({ where: 'witness', witness: w.witness, message: `it holds checkpoint ${w.treeSize}, which the store no longer has` });
        continue;
      }
      const storedOrigin = parseNoteBody(stored.body)?.origin ?? '';
      if (formatSignedNote({ ...stored, origin: storedOrigin }) !== w.note) {
        problems.push({ where: 'witness', witness: w.witness, message: `the store's checkpoint ${w.treeSize} differs from the one it holds` });
      }
    }

    const last = checkpoints[checkpoints.length - 1];
    if (last !== undefined && last.treeSize < n) warnings.push(`entries ${last.treeSize}..${n - 1} are not covered by a checkpoint yet`);
    if (last === undefined && n > 0) warnings.push(`no checkpoint covers the ${n} entries yet`);
    if (unstamped.length > 0) warnings.push(`${unstamped.length} checkpoint(s) have no time-stamp token: ${unstamped.slice(0, 10).join(', ')}${unstamped.length > 10 ? ', …' : ''}`);

    return {
      ok: problems.length === 0,
      problems,
      entries: n,
      stopped: false,
      checkpoints: checkpoints.length,
      stamped,
      unstamped,
      warnings,
      root: this.tree.root(),
      ...(last !== undefined ? { latest: { treeSize: last.treeSize, time: last.time, rootHash: last.rootHash } } : {}),
      pendingTimeStamps,
    };
  }

  private checkpointProblem(cp: CheckpointRow, previous: CheckpointRow | undefined, origin: string | undefined, trusted: Set<string> | undefined): string | undefined {
    const previousSize = previous?.treeSize ?? 0;
    if (previous !== undefined && !(cp.treeSize > previous.treeSize)) return `it is out of order or repeated (it follows checkpoint ${previous.treeSize})`;
    if (cp.previousSize !== previousSize) {
      return cp.previousSize > previousSize
        ? `the checkpoint it builds on (${cp.previousSize}) is missing`
        : `it names checkpoint ${cp.previousSize} as its predecessor, but follows ${previousSize === 0 ? 'no checkpoint' : `checkpoint ${previousSize}`}`;
    }
    const body = parseNoteBody(cp.body);
    if (body === undefined) return 'its signed text is not a checkpoint note';
    if (origin !== undefined && body.origin !== origin) return `it names the log "${body.origin}", not "${origin}"`;
    if (body.treeSize !== cp.treeSize || body.previousSize !== cp.previousSize) return 'its stored sizes differ from the signed ones';
    if (!body.rootHash.equals(cp.rootHash)) return 'its stored root hash differs from the signed one';
    if (!(cp.time instanceof Date) || body.time.getTime() !== cp.time.getTime()) return 'its stored time differs from the signed one';
    if (!Buffer.isBuffer(cp.publicKey) || !Buffer.isBuffer(cp.keyId) || !keyIdOf(cp.publicKey).equals(cp.keyId)) return 'its key id is not the hash of its public key';
    if (trusted !== undefined && !trusted.has(cp.publicKey.toString('base64'))) return 'it is signed by a key that is not a trusted audit key';
    if (!Buffer.isBuffer(cp.signature) || !verifyCheckpointSignature(cp.publicKey, cp.body, cp.signature)) return 'its signature does not verify';
    const n = this.tree.size;
    if (cp.treeSize > n) return `it covers ${cp.treeSize} entries but the store has ${n}: entries ${n}..${cp.treeSize - 1} are missing`;
    if (!this.tree.root(cp.treeSize).equals(cp.rootHash)) return `its root hash does not match entries 0..${cp.treeSize - 1}`;
    if (previous !== undefined && previous.treeSize <= n) {
      const proof = this.tree.consistencyProof(previous.treeSize, cp.treeSize);
      if (!verifyConsistency(previous.treeSize, cp.treeSize, previous.rootHash, cp.rootHash, proof)) return `it is not consistent with checkpoint ${previous.treeSize}`;
    }
    if (previous !== undefined && cp.time.getTime() < previous.time.getTime()) return `its time is before the time of checkpoint ${previous.treeSize}`;
    if (cp.treeSize > 0 && cp.time.getTime() < this.times.at(cp.treeSize - 1)) return `its time is before the time of entry ${cp.treeSize - 1}, which it covers`;
    return undefined;
  }

  private timeStampProblem(cp: CheckpointRow, token: Buffer, toleranceMs: number): string | undefined {
    const imprint = timeStampImprintProblem(token, checkpointImprint(cp.body));
    if (imprint !== undefined) return imprint;
    const { genTime } = readTimeStampToken(token);
    if (Math.abs(genTime.getTime() - cp.time.getTime()) > toleranceMs) {
      return `its time-stamp says ${genTime.toISOString()}, more than ${Math.round(toleranceMs / 1000)} s from its signed time`;
    }
    return undefined;
  }
}

/** The whole check over rows in memory. */
export function verifyAuditRows(entries: Iterable<AuditEntry>, checkpoints: readonly CheckpointRow[], options: VerifyOptions = {}): AuditVerdict {
  const verifier = new LogVerifier(options.stopAtFirstProblem === true);
  for (const entry of entries) {
    verifier.add(entry);
    if (verifier.stopped) break;
  }
  return verifier.finish(checkpoints, options);
}

import type { AuditCheckpointRecord, AuditEntryRecord, AuditHeadRecord } from '../store';
import { parseNoteBody, type Checkpoint } from './checkpoint';
import type { AuditEntry, LogHead } from './entry';
import { AuditError } from './errors';
import type { CheckpointRow } from './verify';

/**
 * Store rows ⇄ audit values. The store speaks bigint; the Merkle code speaks numbers (no log reaches 2^53
 * entries), so the conversion is checked here, once.
 */

export function toCount(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new AuditError('OUT_OF_RANGE', `${what} ${value} is outside 0..2^53-1`);
  return Number(value);
}

export function entryFromRecord(r: AuditEntryRecord): AuditEntry {
  return {
    seq: toCount(r.seq, 'entry seq'),
    time: r.time,
    actorType: r.actorType,
    actorId: r.actorId,
    action: r.action,
    subject: r.subject,
    outcome: r.outcome,
    evidenceHash: r.evidenceHash,
    details: r.details,
    prevHash: r.prevHash,
    leafHash: r.leafHash,
  };
}

export function entryToRecord(e: AuditEntry): AuditEntryRecord {
  return { ...e, seq: BigInt(e.seq) };
}

export function headFromRecord(r: AuditHeadRecord): LogHead {
  return { size: toCount(r.size, 'audit head size'), lastLeafHash: r.lastLeafHash, lastTime: r.lastTime };
}

export function checkpointRowFromRecord(r: AuditCheckpointRecord): CheckpointRow {
  return {
    treeSize: toCount(r.treeSize, 'checkpoint size'),
    previousSize: toCount(r.previousSize, 'checkpoint previous size'),
    rootHash: r.rootHash,
    time: r.time,
    body: r.body,
    signature: r.signature,
    keyId: r.keyId,
    publicKey: r.publicKey,
    timeStampToken: r.timeStampToken,
  };
}

/** A stored checkpoint with its origin read from the signed body ('' if the body is not ours). */
export function checkpointFromRecord(r: AuditCheckpointRecord): Checkpoint {
  const row = checkpointRowFromRecord(r);
  return { ...row, origin: parseNoteBody(row.body)?.origin ?? '' };
}

export function checkpointToRecord(c: Checkpoint, createdAt = new Date()): AuditCheckpointRecord {
  return {
    treeSize: BigInt(c.treeSize),
    previousSize: BigInt(c.previousSize),
    rootHash: c.rootHash,
    time: c.time,
    body: c.body,
    signature: c.signature,
    keyId: c.keyId,
    publicKey: c.publicKey,
    timeStampToken: c.timeStampToken,
    createdAt,
  };
}

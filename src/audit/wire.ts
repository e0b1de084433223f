import { formatSignedNote, parseNoteBody, type Checkpoint } from './checkpoint';
import type { AuditEntry } from './entry';
import { AuditError } from './errors';
import type { ConsistencyProof, InclusionProof, ProvenEntries } from './log';

/**
 * The JSON auditors see, over HTTP, from the CLI and in witness files: one shape everywhere. Every binary value
 * (hashes, signatures, keys, tokens) is standard base64 with padding; times are ISO-8601 UTC with milliseconds.
 */

const b64 = (b: Buffer): string => b.toString('base64');

export interface CheckpointJson {
  readonly origin: string;
  readonly treeSize: number;
  readonly previousSize: number;
  readonly rootHash: string;
  readonly time: string;
  /** The signed bytes: write them to a file as they are and check `signature` with openssl dgst -sha256 -verify. */
  readonly body: string;
  /** body, a blank line and the signature line: the C2SP-style signed note. */
  readonly note: string;
  /** DER ECDSA (ES256) signature over body. */
  readonly signature: string;
  /** SHA-256 of publicKey. */
  readonly keyId: string;
  /** SubjectPublicKeyInfo DER of the audit key. */
  readonly publicKey: string;
  /** RFC 3161 TimeStampToken (DER) over SHA-256(body), or null when the checkpoint has none. */
  readonly timeStampToken: string | null;
}

export function checkpointToJson(c: Checkpoint): CheckpointJson {
  return {
    origin: c.origin,
    treeSize: c.treeSize,
    previousSize: c.previousSize,
    rootHash: b64(c.rootHash),
    time: c.time.toISOString(),
    body: c.body,
    note: formatSignedNote(c),
    signature: b64(c.signature),
    keyId: b64(c.keyId),
    publicKey: b64(c.publicKey),
    timeStampToken: c.timeStampToken === null ? null : b64(c.timeStampToken),
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Field(record: Record<string, unknown>, name: string): Buffer {
  const value = record[name];
  if (typeof value !== 'string' || !BASE64.test(value)) throw new AuditError('BAD_ENTRY', `checkpoint JSON: ${name} must be base64`);
  return Buffer.from(value, 'base64');
}

/** A checkpoint read back from JSON (a witness file line). Its body is the source of truth for the signed fields. */
export function checkpointFromJson(value: unknown): Checkpoint {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AuditError('BAD_ENTRY', 'checkpoint JSON must be an object');
  const record = value as Record<string, unknown>;
  if (typeof record.body !== 'string') throw new AuditError('BAD_ENTRY', 'checkpoint JSON: body must be a string');
  const body = parseNoteBody(record.body);
  if (body === undefined) throw new AuditError('BAD_ENTRY', 'checkpoint JSON: body is not a checkpoint note');
  const token = record.timeStampToken;
  return {
    ...body,
    body: record.body,
    signature: base64Field(record, 'signature'),
    keyId: base64Field(record, 'keyId'),
    publicKey: base64Field(record, 'publicKey'),
    timeStampToken: token === null || token === undefined ? null : base64Field(record, 'timeStampToken'),
  };
}

export interface InclusionProofJson {
  readonly seq: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly proof: string[];
  readonly checkpoint: CheckpointJson;
}

export function inclusionProofToJson(p: InclusionProof): InclusionProofJson {
  return { seq: p.seq, treeSize: p.treeSize, leafHash: b64(p.leafHash), proof: p.proof.map(b64), checkpoint: checkpointToJson(p.checkpoint) };
}

export interface ConsistencyProofJson {
  readonly first: number;
  readonly second: number;
  readonly proof: string[];
  readonly firstCheckpoint: CheckpointJson;
  readonly secondCheckpoint: CheckpointJson;
}

export function consistencyProofToJson(p: ConsistencyProof): ConsistencyProofJson {
  return {
    first: p.first,
    second: p.second,
    proof: p.proof.map(b64),
    firstCheckpoint: checkpointToJson(p.firstCheckpoint),
    secondCheckpoint: checkpointToJson(p.secondCheckpoint),
  };
}

export interface EntryJson {
  readonly seq: number;
  readonly time: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly action: string;
  readonly subject: string;
  readonly outcome: string;
  readonly evidenceHash: string | null;
  readonly details: unknown;
  readonly prevHash: string;
  readonly leafHash: string;
}

export function entryToJson(e: AuditEntry): EntryJson {
  let details: unknown;
  try {
    details = JSON.parse(e.details) as unknown;
  } catch {
    details = e.details;
  }
  return {
    seq: e.seq,
    time: e.time.toISOString(),
    actor: { type: e.actorType, id: e.actorId },
    action: e.action,
    subject: e.subject,
    outcome: e.outcome,
    evidenceHash: e.evidenceHash === null ? null : b64(e.evidenceHash),
    details,
    prevHash: b64(e.prevHash),
    leafHash: b64(e.leafHash),
  };
}

export function provenEntriesToJson(p: ProvenEntries): { checkpoint: CheckpointJson; entries: { entry: EntryJson; proof: string[] }[] } {
  return { checkpoint: checkpointToJson(p.checkpoint), entries: p.entries.map(({ entry, proof }) => ({ entry: entryToJson(entry), proof: proof.map(b64) })) };
}

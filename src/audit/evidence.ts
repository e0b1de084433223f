import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { verifyCheckpointSignature, keyIdOf } from './checkpoint';
import { entryLeafHash, type EntryContent } from './entry';
import { AuditError } from './errors';
import { verifyInclusion } from './merkle';
import type { ProvenEntries } from './log';
import { checkpointFromJson, provenEntriesToJson, type CheckpointJson, type EntryJson } from './wire';

/**
 * The evidence bundle of one signature transaction: everything a court or an auditor needs to check, offline and
 * without the platform, who signed what and when — the signed data (or its hash), the CMS signature, the signer's
 * chain, the OCSP response obtained at signing, the time-stamp token over the signature, and the transaction's
 * audit entries with inclusion proofs against one signed checkpoint. The format is JSON with base64 binaries, so
 * each part can be cut out and handed to openssl (cms -verify, ocsp -respin, ts -verify).
 *
 * audit/ may not import pki/: the checks of the CMS, OCSP and TSA parts are injected (EvidencePkiChecks); the CLI
 * plugs src/pki in.
 */

export const EVIDENCE_FORMAT = 'mssp-evidence/1';

export interface EvidenceBundle {
  readonly format: typeof EVIDENCE_FORMAT;
  /** What the platform knows of the transaction: id, AP, mobile ID, status, times. Informative; the proofs are below. */
  readonly transaction: { readonly id: string } & Readonly<Record<string, string | number | boolean | null>>;
  /** The data to be signed, when the signature is detached and the platform holds it; base64. */
  readonly signedData: string | null;
  /** CMS SignedData (DER, base64). */
  readonly signature: string;
  /** The signer's certificate and its CA certificates up to (not necessarily including) the root, DER base64. */
  readonly certificates: readonly string[];
  /** The OCSP response (DER, base64) the platform got for the signer's certificate when it validated the signature. */
  readonly ocspResponse: string | null;
  /** RFC 3161 TimeStampToken over SHA-256 of the CMS SignedData DER, base64. */
  readonly timeStampToken: string | null;
  readonly audit: { readonly checkpoint: CheckpointJson; readonly entries: readonly { readonly entry: EntryJson; readonly proof: readonly string[] }[] };
}

export interface EvidenceParts {
  readonly transaction: EvidenceBundle['transaction'];
  readonly signedData?: Uint8Array;
  readonly signature: Uint8Array;
  readonly certificates: readonly Uint8Array[];
  readonly ocspResponse?: Uint8Array;
  readonly timeStampToken?: Uint8Array;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

export function transactionSubject(id: string): string {
  return `transaction:${id}`;
}

/** Puts a bundle together; `proven` are the transaction's entries with proofs (AuditLog.entriesWithProof). */
export function buildEvidenceBundle(parts: EvidenceParts, proven: ProvenEntries): EvidenceBundle {
  if (proven.entries.length === 0) throw new AuditError('NOT_FOUND', `no audit entry of transaction ${parts.transaction.id} is covered by a checkpoint yet`);
  return {
    format: EVIDENCE_FORMAT,
    transaction: parts.transaction,
    signedData: parts.signedData === undefined ? null : b64(parts.signedData),
    signature: b64(parts.signature),
    certificates: parts.certificates.map(b64),
    ocspResponse: parts.ocspResponse === undefined ? null : b64(parts.ocspResponse),
    timeStampToken: parts.timeStampToken === undefined ? null : b64(parts.timeStampToken),
    audit: provenEntriesToJson(proven),
  };
}

/** The outcome of one check of a bundle; every check is run and reported, so a reader sees all that holds and fails. */
export interface EvidenceCheck {
  readonly part: 'format' | 'signature' | 'ocsp' | 'timestamp' | 'audit';
  readonly ok: boolean;
  readonly message: string;
}

/** The PKI side of the checks, given the decoded parts. Each returns one or more findings. */
export interface EvidencePkiChecks {
  signature(parts: DecodedEvidence): Promise<EvidenceCheck[]>;
  ocsp(parts: DecodedEvidence): Promise<EvidenceCheck[]>;
  timeStamp(parts: DecodedEvidence): Promise<EvidenceCheck[]>;
}

export interface DecodedEvidence {
  readonly transactionId: string;
  readonly signedData: Buffer | undefined;
  readonly signature: Buffer;
  readonly certificates: readonly Buffer[];
  readonly ocspResponse: Buffer | undefined;
  readonly timeStampToken: Buffer | undefined;
}

export interface EvidenceVerdict {
  readonly ok: boolean;
  readonly checks: readonly EvidenceCheck[];
}

export interface VerifyEvidenceOptions {
  /** SPKI DER of the audit keys the checkpoint may be signed by (from the auditor, not from the bundle). */
  readonly trustedAuditKeys: readonly Buffer[];
  readonly pki: EvidencePkiChecks;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function binary(value: unknown, what: string, optional: true): Buffer | undefined;
function binary(value: unknown, what: string, optional?: false): Buffer;
function binary(value: unknown, what: string, optional = false): Buffer | undefined {
  if (optional && (value === null || value === undefined)) return undefined;
  if (typeof value !== 'string' || !BASE64.test(value) || value.length === 0) throw new AuditError('BAD_ENTRY', `evidence bundle: ${what} must be base64`);
  return Buffer.from(value, 'base64');
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new AuditError('BAD_ENTRY', `evidence bundle: ${what} must be an object`);
  return value as Record<string, unknown>;
}

/** The parts of a bundle as bytes; BAD_ENTRY naming the field for anything malformed. */
export function decodeEvidenceBundle(value: unknown): { decoded: DecodedEvidence; bundle: Record<string, unknown> } {
  const bundle = object(value, 'the bundle');
  if (bundle.format !== EVIDENCE_FORMAT) throw new AuditError('BAD_ENTRY', `evidence bundle: format must be "${EVIDENCE_FORMAT}"`);
  const transaction = object(bundle.transaction, 'transaction');
  if (typeof transaction.id !== 'string' || transaction.id.length === 0) throw new AuditError('BAD_ENTRY', 'evidence bundle: transaction.id must be a string');
  if (!Array.isArray(bundle.certificates)) throw new AuditError('BAD_ENTRY', 'evidence bundle: certificates must be an array');
  return {
    bundle,
    decoded: {
      transactionId: transaction.id,
      signedData: binary(bundle.signedData, 'signedData', true),
      signature: binary(bundle.signature, 'signature'),
      certificates: (bundle.certificates as unknown[]).map((c, i) => binary(c, `certificates[${i}]`)),
      ocspResponse: binary(bundle.ocspResponse, 'ocspResponse', true),
      timeStampToken: binary(bundle.timeStampToken, 'timeStampToken', true),
    },
  };
}

function entryContent(json: EntryJson): EntryContent {
  const record = object(json, 'an audit entry');
  const actor = object(record.actor, 'an audit entry actor');
  const text = (v: unknown, what: string): string => {
    if (typeof v !== 'string') throw new AuditError('BAD_ENTRY', `evidence bundle: entry ${what} must be a string`);
    return v;
  };
  if (typeof record.seq !== 'number' || !Number.isSafeInteger(record.seq) || record.seq < 0) throw new AuditError('BAD_ENTRY', 'evidence bundle: entry seq must be a count');
  return {
    seq: record.seq,
    time: new Date(text(record.time, 'time')),
    actorType: text(actor.type, 'actor type'),
    actorId: text(actor.id, 'actor id'),
    action: text(record.action, 'action'),
    subject: text(record.subject, 'subject'),
    outcome: text(record.outcome, 'outcome'),
    evidenceHash: record.evidenceHash === null ? null : binary(record.evidenceHash, 'entry evidenceHash'),
    details: canonicalJson(record.details, 'details'),
    prevHash: binary(record.prevHash, 'entry prevHash'),
  };
}

/** The audit part: checkpoint signature by a trusted key, each entry's leaf and inclusion proof, the tie to the signature. */
function auditChecks(bundle: Record<string, unknown>, decoded: DecodedEvidence, trustedKeys: readonly Buffer[]): EvidenceCheck[] {
  const checks: EvidenceCheck[] = [];
  const say = (ok: boolean, message: string): void => void checks.push({ part: 'audit', ok, message });
  const audit = object(bundle.audit, 'audit');
  const checkpoint = checkpointFromJson(audit.checkpoint);
  const trusted = trustedKeys.some((k) => k.equals(checkpoint.publicKey));
  say(trusted, trusted ? `checkpoint ${checkpoint.treeSize} is signed by a trusted audit key (key id ${keyIdOf(checkpoint.publicKey).toString('hex').slice(0, 16)}…)` : `checkpoint ${checkpoint.treeSize} is signed by a key that is not a trusted audit key`);
  const signed = verifyCheckpointSignature(checkpoint.publicKey, checkpoint.body, checkpoint.signature);
  say(signed, signed ? `checkpoint ${checkpoint.treeSize}: signature valid, root ${checkpoint.rootHash.toString('base64')}` : `checkpoint ${checkpoint.treeSize}: signature INVALID`);

  if (!Array.isArray(audit.entries) || audit.entries.length === 0) {
    say(false, 'the bundle holds no audit entry');
    return checks;
  }
  const subject = transactionSubject(decoded.transactionId);
  const signatureHash = createHash('sha256').update(decoded.signature).digest();
  let tied = false;
  for (const item of audit.entries as unknown[]) {
    const { entry, proof } = object(item, 'an audit entry with its proof') as { entry: EntryJson; proof: unknown };
    const content = entryContent(entry);
    const leaf = entryLeafHash(content);
    const statedLeaf = binary(entry.leafHash, 'entry leafHash');
    if (!leaf.equals(statedLeaf)) {
      say(false, `entry ${content.seq}: its content does not match its leaf hash (edited)`);
      continue;
    }
    if (!Array.isArray(proof)) throw new AuditError('BAD_ENTRY', `evidence bundle: entry ${content.seq} proof must be an array`);
    const included = content.seq < checkpoint.treeSize && verifyInclusion(leaf, content.seq, checkpoint.treeSize, proof.map((p, i) => binary(p, `proof[${i}]`)), checkpoint.rootHash);
    say(included, included ? `entry ${content.seq} (${content.action} ${content.outcome}) is in checkpoint ${checkpoint.treeSize}` : `entry ${content.seq}: inclusion proof does NOT lead to the checkpoint root`);
    if (content.subject !== subject) say(false, `entry ${content.seq} is about ${content.subject}, not ${subject}`);
    if (included && content.evidenceHash !== null && content.evidenceHash.equals(signatureHash)) tied = true;
  }
  say(tied, tied ? 'an included entry records SHA-256 of this very signature' : 'no included entry records SHA-256 of this signature: the signature is not tied to the log');
  return checks;
}

/** Runs every check; `ok` only when all pass. Malformed bundles throw AuditError BAD_ENTRY. */
export async function verifyEvidenceBundle(value: unknown, options: VerifyEvidenceOptions): Promise<EvidenceVerdict> {
  const { decoded, bundle } = decodeEvidenceBundle(value);
  const checks: EvidenceCheck[] = [{ part: 'format', ok: true, message: `${EVIDENCE_FORMAT} bundle of transaction ${decoded.transactionId}` }];
  checks.push(...(await options.pki.signature(decoded)));
  checks.push(...(await options.pki.ocsp(decoded)));
  checks.push(...(await options.pki.timeStamp(decoded)));
  checks.push(...auditChecks(bundle, decoded, options.trustedAuditKeys));
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * src/audit: the append-only, hash-linked, HSM-signed log (README.md in this folder documents the formats).
 * Other modules append through AuditLog; auditors get checkpoints and proofs over HTTP (api/audit-routes.ts)
 * or from `mssp audit`; the verifier is a pure function of the stored rows.
 */
export { AuditLog, ORIGIN_SETTING, type AuditLogOptions, type AuditStore, type AppendedEntry, type CheckpointOutcome, type InclusionProof, type ConsistencyProof, type ProvenEntries } from './log';
export {
  ACTOR_TYPES,
  AUDIT_ACTIONS,
  GENESIS_HASH,
  ENTRY_FORMAT_VERSION,
  FIELD_LIMITS,
  encodeEntry,
  entryLeafHash,
  hashEvidence,
  prepareEntry,
  sealEntry,
  type ActorType,
  type AuditAction,
  type AuditEntry,
  type EntryContent,
  type LogHead,
  type NewAuditEntry,
  type PreparedEntry,
} from './entry';
export { canonicalJson, isCanonicalJson, type JsonValue, type JsonObject } from './canonical-json';
export { maskNationalId, maskPan, checkDetails, fieldRule, type FieldRule } from './masking';
export {
  checkpointImprint,
  formatNoteBody,
  formatSignedNote,
  keyIdOf,
  parseNoteBody,
  parseSignedNote,
  verifyCheckpointSignature,
  type Checkpoint,
  type CheckpointBody,
  type NoteSignature,
} from './checkpoint';
export { sealCheckpoint, type SealCheckpointInput, type SealCheckpointServices } from './seal-checkpoint';
export { openAuditSigner, auditPublicKey, AUDIT_KEY_LABEL, AUDIT_KEY_PURPOSE, type CheckpointSigner, type AuditSignerOptions } from './signer';
export { readTimeStampToken, timeStampImprintProblem, SHA256_OID, type TimeStamper, type TimeStampVerifier, type TimeStampCheck, type TimeStampHash, type TimeStampInfo } from './timestamp';
export {
  LogVerifier,
  verifyAuditRows,
  describeProblem,
  type AuditProblem,
  type AuditVerdict,
  type CheckpointRow,
  type PendingTimeStamp,
  type VerifyOptions,
  type WitnessedCheckpoint,
} from './verify';
export { verifyStoredLog, type VerifyStoreOptions } from './verify-store';
export { Checkpointer, type CheckpointerOptions } from './checkpointer';
export { fileWitness, httpWitness, readWitnessFile, WitnessExporter, type Witness, type WitnessExporterOptions, type ExportReport } from './witness';
export {
  checkpointToJson,
  checkpointFromJson,
  inclusionProofToJson,
  consistencyProofToJson,
  entryToJson,
  provenEntriesToJson,
  type CheckpointJson,
  type InclusionProofJson,
  type ConsistencyProofJson,
  type EntryJson,
} from './wire';
export { MerkleTree } from './tree';
export { verifyInclusion, verifyConsistency, leafHash, nodeHash, EMPTY_ROOT, HASH_LENGTH, MerkleError, type Hash } from './merkle';
export { AuditError, isAuditError, AUDIT_ERRORS, type AuditErrorCode } from './errors';
export {
  EVIDENCE_FORMAT,
  buildEvidenceBundle,
  decodeEvidenceBundle,
  verifyEvidenceBundle,
  transactionSubject,
  type EvidenceBundle,
  type EvidenceParts,
  type EvidenceCheck,
  type EvidencePkiChecks,
  type DecodedEvidence,
  type EvidenceVerdict,
  type VerifyEvidenceOptions,
} from './evidence';

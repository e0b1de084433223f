import { createHash, hash } from 'node:crypto';
import { canonicalJson, type JsonObject } from './canonical-json';
import { AuditError } from './errors';
import { checkDetails } from './masking';
import { HASH_LENGTH } from './merkle';

/**
 * One audit entry: what it holds, the bytes that are hashed into the Merkle tree, and how a new entry is sealed
 * onto the head of the log. The encoding is documented in README.md ("Entry bytes"); auditors recompute it.
 */

export const ACTOR_TYPES = ['ap', 'citizen', 'operator', 'system'] as const;
/** AP: a relying party; citizen: a mobile ID (never a national identifier in clear); operator: a person at the CLI or console; system: the platform itself. */
export type ActorType = (typeof ACTOR_TYPES)[number];

/**
 * The actions the platform records, one table so a typo does not compile. Add a row when a module starts logging
 * something new; the verifier accepts any well-formed action name, so old logs stay valid.
 */
export const AUDIT_ACTIONS = {
  'ap.request': 'a relying party request (TS 102 204 operation) and its outcome',
  'transaction.state': 'a signature or payment transaction changed state',
  'pin.failure': 'a wrong PIN was reported for a mobile ID',
  'pin.blocked': 'a PIN was blocked after too many wrong tries',
  'pin.unblocked': 'a blocked PIN was unblocked by an operator',
  'registration.create': 'a citizen or mobile ID was registered',
  'registration.update': 'a registration was changed',
  'certificate.issue': 'a certificate was issued',
  'certificate.suspend': 'a certificate was suspended (certificateHold)',
  'certificate.resume': 'a suspended certificate was released',
  'certificate.revoke': 'a certificate was revoked',
  'config.change': 'a configuration or agreement was changed',
  'operator.login': 'an operator logged in (or failed to)',
  'operator.command': 'an operator ran a command',
  'key.create': 'a key was created in the HSM',
  'platform.start': 'a platform node started',
  'platform.stop': 'a platform node stopped',
  'payment.event': 'a payment, transfer or settlement step',
} as const satisfies Record<string, string>;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** What a caller gives to append. Masking rules apply to details (masking.ts). */
export interface NewAuditEntry {
  readonly actor: { readonly type: ActorType; readonly id: string };
  readonly action: AuditAction;
  /** What was acted upon, e.g. `transaction:…`, `mid:…`, `certificate:…`; '' when nothing. Never a secret. */
  readonly subject: string;
  /** 'ok', 'failed', 'refused', or a protocol status such as '502 VALID_SIGNATURE'. */
  readonly outcome: string;
  /** SHA-256 of the evidence (signature, certificate, OCSP response): hashEvidence(bytes). */
  readonly evidenceHash?: Uint8Array;
  readonly details?: JsonObject;
}

/** The fields an entry is hashed over, as stored (details as its canonical JSON text). */
export interface EntryContent {
  readonly seq: number;
  readonly time: Date;
  readonly actorType: string;
  readonly actorId: string;
  readonly action: string;
  readonly subject: string;
  readonly outcome: string;
  readonly evidenceHash: Buffer | null;
  readonly details: string;
  /** Leaf hash of entry seq-1; 32 zero bytes for entry 0. */
  readonly prevHash: Buffer;
}

export interface AuditEntry extends EntryContent {
  /** SHA-256(0x00 ‖ entry bytes): the entry's leaf in the Merkle tree. */
  readonly leafHash: Buffer;
}

/** What an appender needs to know about the end of the log. */
export interface LogHead {
  readonly size: number;
  readonly lastLeafHash: Buffer;
  readonly lastTime: Date | null;
}

export const GENESIS_HASH: Buffer = Buffer.alloc(HASH_LENGTH);
export const ENTRY_FORMAT_VERSION = 1;

export const FIELD_LIMITS = { actorId: 256, action: 128, subject: 512, outcome: 128, details: 16_384 } as const;
const ACTION_NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/;

export function hashEvidence(evidence: Uint8Array): Buffer {
  return createHash('sha256').update(evidence).digest();
}

/** Checked and canonicalised, ready to be sealed; done before the append lock is taken. */
export interface PreparedEntry {
  readonly actorType: ActorType;
  readonly actorId: string;
  readonly action: string;
  readonly subject: string;
  readonly outcome: string;
  readonly evidenceHash: Buffer | null;
  readonly details: string;
}

function field(value: unknown, name: keyof typeof FIELD_LIMITS, min: number): string {
  const max = FIELD_LIMITS[name];
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new AuditError('BAD_ENTRY', `${name} must be a string of ${min} to ${max} characters`);
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new AuditError('BAD_ENTRY', `${name} must not contain control characters`);
  return value;
}

export function prepareEntry(entry: NewAuditEntry): PreparedEntry {
  if (entry === null || typeof entry !== 'object') throw new AuditError('BAD_ENTRY', 'an audit entry must be an object');
  const actorType = entry.actor?.type;
  if (!(ACTOR_TYPES as readonly string[]).includes(actorType)) throw new AuditError('BAD_ENTRY', `actor type must be one of ${ACTOR_TYPES.join(', ')}`);
  const action = field(entry.action, 'action', 1);
  if (!ACTION_NAME.test(action)) throw new AuditError('BAD_ENTRY', 'action must be a dotted lower-case name such as certificate.revoke');
  let evidenceHash: Buffer | null = null;
  if (entry.evidenceHash !== undefined) {
    if (!(entry.evidenceHash instanceof Uint8Array) || entry.evidenceHash.length !== HASH_LENGTH) {
      throw new AuditError('BAD_ENTRY', 'evidenceHash must be a 32-byte SHA-256 hash (hashEvidence)');
    }
    evidenceHash = Buffer.from(entry.evidenceHash);
  }
  const detailsObject = entry.details ?? {};
  if (detailsObject === null || typeof detailsObject !== 'object' || Array.isArray(detailsObject)) {
    throw new AuditError('BAD_ENTRY', 'details must be a JSON object');
  }
  checkDetails(detailsObject);
  const details = canonicalJson(detailsObject, 'details');
  if (details.length > FIELD_LIMITS.details) throw new AuditError('BAD_ENTRY', `details must encode to at most ${FIELD_LIMITS.details} characters`);
  return {
    actorType: actorType as ActorType,
    actorId: field(entry.actor.id, 'actorId', 1),
    action,
    subject: field(entry.subject, 'subject', 0),
    outcome: field(entry.outcome, 'outcome', 1),
    evidenceHash,
    details,
  };
}

const str = (s: string): string => JSON.stringify(s);

/**
 * The entry bytes: RFC 8785 canonical JSON (UTF-8) of
 * {action, actor: {id, type}, details, evidence, outcome, prev, seq, subject, time, v}.
 * Written member by member in sorted order (equal to canonicalJson of the object, which a test checks) because
 * the verifier encodes every entry of the log. `details` must already be canonical JSON.
 */
export function encodeEntry(e: EntryContent): Buffer {
  return Buffer.from(entryText(e), 'utf8');
}

function entryText(e: EntryContent): string {
  const evidence = e.evidenceHash === null ? 'null' : str(e.evidenceHash.toString('base64'));
  const text =
    `{"action":${str(e.action)},"actor":{"id":${str(e.actorId)},"type":${str(e.actorType)}},"details":${e.details}` +
    `,"evidence":${evidence},"outcome":${str(e.outcome)},"prev":${str(e.prevHash.toString('base64'))},"seq":${e.seq}` +
    `,"subject":${str(e.subject)},"time":${str(e.time.toISOString())},"v":${ENTRY_FORMAT_VERSION}}`;
  return text;
}

/** leafHash(encodeEntry(e)), hashing the text directly: the verifier does this for every entry. */
export function entryLeafHash(e: EntryContent): Buffer {
  // U+0000 encodes as the single octet 0x00 in UTF-8: the leaf prefix of RFC 6962, hashed in one call.
  return hash('sha256', `\u0000${entryText(e)}`, 'buffer');
}

/**
 * The next entry on top of `head`. Time never goes backwards within the log (a node whose clock lags takes the
 * previous entry's time), so entry order and time order agree for auditors.
 */
export function sealEntry(prepared: PreparedEntry, head: LogHead, now: Date): AuditEntry {
  const time = head.lastTime !== null && head.lastTime.getTime() > now.getTime() ? new Date(head.lastTime.getTime()) : new Date(now.getTime());
  const content: EntryContent = { seq: head.size, time, ...prepared, prevHash: Buffer.from(head.lastLeafHash) };
  return { ...content, leafHash: entryLeafHash(content) };
}

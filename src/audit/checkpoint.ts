import { createHash, createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { AuditError } from './errors';
import { HASH_LENGTH, type Hash } from './merkle';

/**
 * A checkpoint: a signed statement "the log named <origin> had <size> entries with this root at <time>",
 * in the text format of C2SP tlog-checkpoint / signed-note so that auditors can check it with standard tools
 * (README.md "Checkpoints" gives the exact bytes and the openssl commands).
 */

export interface CheckpointBody {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Hash;
  readonly time: Date;
  /** Size of the checkpoint before this one, 0 for the first: deleting a checkpoint breaks this signed link. */
  readonly previousSize: number;
}

export interface Checkpoint extends CheckpointBody {
  /** The signed bytes (UTF-8 text of formatNoteBody). */
  readonly body: string;
  /** ES256 signature over `body`, DER (what openssl dgst -verify takes). */
  readonly signature: Buffer;
  /** SHA-256 of `publicKey`. */
  readonly keyId: Buffer;
  /** SubjectPublicKeyInfo DER of the audit key that signed. */
  readonly publicKey: Buffer;
  /** RFC 3161 TimeStampToken over SHA-256(body), or null when the checkpoint was not time-stamped. */
  readonly timeStampToken: Buffer | null;
}

// C2SP signed-note key names: no spaces, no '+'. We keep them printable ASCII.
const ORIGIN = /^[\x21-\x2a\x2c-\x7e]{1,255}$/;
const SIGNATURE_DASH = '\u2014';

export function checkOrigin(origin: string): string {
  if (typeof origin !== 'string' || !ORIGIN.test(origin)) {
    throw new AuditError('BAD_ENTRY', 'a log origin must be 1 to 255 printable ASCII characters without spaces or "+"');
  }
  return origin;
}

/** The signed bytes. Every line ends with a newline, the last one included. */
export function formatNoteBody(b: CheckpointBody): string {
  return `${b.origin}\n${b.treeSize}\n${b.rootHash.toString('base64')}\ntime ${b.time.toISOString()}\nprevious ${b.previousSize}\n`;
}

const BODY = /^([^\n]+)\n(0|[1-9]\d{0,15})\n([A-Za-z0-9+/]{43}=)\ntime (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\nprevious (0|[1-9]\d{0,15})\n$/;

/** The fields of a body, or undefined when it is not exactly in our format (then it cannot be ours). */
export function parseNoteBody(body: string): CheckpointBody | undefined {
  const m = BODY.exec(body);
  if (!m) return undefined;
  const [, origin, size, root, time, previous] = m as unknown as [string, string, string, string, string, string];
  const parsed: CheckpointBody = {
    origin,
    treeSize: Number(size),
    rootHash: Buffer.from(root, 'base64'),
    time: new Date(time),
    previousSize: Number(previous),
  };
  // Re-formatting must give the same bytes: no second spelling of one checkpoint.
  return Number.isNaN(parsed.time.getTime()) || formatNoteBody(parsed) !== body ? undefined : parsed;
}

/** What the TSA time-stamps: SHA-256 of the signed bytes. */
export function checkpointImprint(body: string): Buffer {
  return createHash('sha256').update(body, 'utf8').digest();
}

export function keyIdOf(spki: Uint8Array): Buffer {
  return createHash('sha256').update(spki).digest();
}

/** The whole signed note: body, blank line, `— <origin> base64(key id[0..4] ‖ signature)`. */
export function formatSignedNote(c: Pick<Checkpoint, 'body' | 'origin' | 'keyId' | 'signature'>): string {
  const blob = Buffer.concat([c.keyId.subarray(0, 4), c.signature]).toString('base64');
  return `${c.body}\n${SIGNATURE_DASH} ${c.origin} ${blob}\n`;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyHint: Buffer;
  readonly signature: Buffer;
}

/** Splits a signed note into its body and signature lines; undefined when it is not a signed note. */
export function parseSignedNote(note: string): { body: string; signatures: NoteSignature[] } | undefined {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return undefined;
  const body = note.slice(0, split + 1);
  const signatures: NoteSignature[] = [];
  for (const line of note.slice(split + 2, -1).split('\n')) {
    const m = new RegExp(`^${SIGNATURE_DASH} (\\S+) ([A-Za-z0-9+/]+={0,2})$`).exec(line);
    if (!m) return undefined;
    const blob = Buffer.from(m[2] as string, 'base64');
    if (blob.length < 5) return undefined;
    signatures.push({ name: m[1] as string, keyHint: blob.subarray(0, 4), signature: blob.subarray(4) });
  }
  return signatures.length > 0 ? { body, signatures } : undefined;
}

const keyCache = new Map<string, KeyObject | null>();

function publicKeyObject(spki: Buffer): KeyObject | null {
  const cacheKey = spki.toString('base64');
  let key = keyCache.get(cacheKey);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    } catch {
      key = null;
    }
    if (keyCache.size > 64) keyCache.clear();
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** ES256 (ECDSA P-256, SHA-256, DER signature) in software: an auditor's check needs no HSM. */
export function verifyCheckpointSignature(spki: Buffer, body: string | Uint8Array, signature: Buffer): boolean {
  const key = publicKeyObject(spki);
  if (key === null || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return false;
  try {
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    return verifySignature('sha256', data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

export function isHash(value: unknown): value is Buffer {
  return Buffer.isBuffer(value) && value.length === HASH_LENGTH;
}

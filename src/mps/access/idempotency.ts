import { createHash } from 'node:crypto';
import { isStoreError, type Store } from '../../store';
import { MpsError } from '../errors';

/**
 * Idempotency-Key on every POST of the REST API (mojaloop's rule): the same key with the same request gives the
 * earlier answer again, the same key with another request is IDEMPOTENCY_CONFLICT. Keys are per API key, so two
 * merchants cannot collide. Only successful answers are remembered: a refused request booked nothing, and sent
 * again it is judged again (the ledger's rule too).
 */

const KEY = /^[\x21-\x7e]{1,255}$/;

export type Remembered = { readonly kind: 'new'; readonly requestHash: string } | { readonly kind: 'replay'; readonly status: number; readonly body: string };

export function checkIdempotencyKey(value: string | string[] | undefined): string {
  if (value === undefined || Array.isArray(value) || value === '') throw new MpsError('IDEMPOTENCY_KEY_REQUIRED');
  if (!KEY.test(value)) throw new MpsError('INVALID_REQUEST', 'an Idempotency-Key is 1 to 255 printable ASCII characters');
  return value;
}

/** What makes two requests "the same": method, path and the body's bytes. */
export function requestHash(method: string, path: string, body: Buffer): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex');
}

export class IdempotencyAnswers {
  constructor(
    private readonly store: Store,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async lookup(keyId: string, idempotencyKey: string, hash: string): Promise<Remembered> {
    const earlier = await this.store.mpsAccess.answer(keyId, idempotencyKey);
    if (earlier === undefined) return { kind: 'new', requestHash: hash };
    if (earlier.requestHash !== hash) throw new MpsError('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used before with a different request');
    return { kind: 'replay', status: earlier.httpStatus, body: earlier.body };
  }

  /** Remembers an answer; when a simultaneous twin remembered one first, that one is the answer. */
  async remember(keyId: string, idempotencyKey: string, hash: string, status: number, body: string): Promise<{ status: number; body: string }> {
    try {
      await this.store.mpsAccess.insertAnswer({ keyId, idempotencyKey, requestHash: hash, httpStatus: status, body, createdAt: this.clock() });
      return { status, body };
    } catch (err) {
      if (!isStoreError(err, 'UNIQUE_VIOLATION')) throw err;
      const theirs = await this.lookup(keyId, idempotencyKey, hash);
      return theirs.kind === 'replay' ? { status: theirs.status, body: theirs.body } : { status, body };
    }
  }
}

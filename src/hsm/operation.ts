import { performance } from 'node:perf_hooks';
import type * as pkcs11 from 'pkcs11js';
import type { InlinePolicy, OperationTimer } from './inline-policy';
import { leavesSessionSuspect, type SessionPool } from './session-pool';

export interface OperationContext {
  readonly p11: pkcs11.PKCS11;
  readonly pool: SessionPool;
  readonly inline: InlinePolicy;
}

/**
 * One Init + single-part call (C_SignInit/C_Sign, C_VerifyInit/C_Verify, C_EncryptInit/C_Encrypt, …).
 * Implementations are small classes holding their inputs, so a call allocates one object, not closures.
 */
export interface SingleShot<T> {
  init(p11: pkcs11.PKCS11, session: Buffer): void;
  callSync(p11: pkcs11.PKCS11, session: Buffer): T;
  callAsync(p11: pkcs11.PKCS11, session: Buffer, done: (err: Error | null, value: T) => void): void;
  /** Errors that are answers rather than failures (a wrong signature is `false`). */
  answer(err: unknown): { readonly value: T } | undefined;
  /** Our typed error for a failure of init ('init') or of the call ('call'). */
  failure(err: unknown, step: 'init' | 'call'): Error;
}

/**
 * Runs `op` on a pooled session: inline when `timer` says the operation is short, else on a libuv thread.
 * The session goes back to the pool before the caller's promise settles, so a waiter can start at once;
 * after a failure half-way through, the session is replaced rather than reused (STYLE.md example 7).
 */
export function runSingleShot<T>(ctx: OperationContext, op: SingleShot<T>, timer: OperationTimer | undefined): Promise<T> {
  const session = ctx.pool.tryAcquire();
  if (session === undefined) return ctx.pool.acquire().then((s) => runAsync(ctx, s, op));
  const placement = timer === undefined ? 'async' : timer.place();
  if (placement === 'async') return runAsync(ctx, session, op);
  return runInline(ctx, session, op, placement === 'timed' ? timer : undefined);
}

function initOrGiveBack<T>(ctx: OperationContext, session: Buffer, op: SingleShot<T>): Error | undefined {
  try {
    op.init(ctx.p11, session);
    return undefined;
  } catch (err) {
    if (leavesSessionSuspect(err)) ctx.pool.discard(session);
    else ctx.pool.release(session);
    return op.failure(err, 'init');
  }
}

function runInline<T>(ctx: OperationContext, session: Buffer, op: SingleShot<T>, timer: OperationTimer | undefined): Promise<T> {
  const started = timer === undefined ? 0 : performance.now();
  const initError = initOrGiveBack(ctx, session, op);
  if (initError !== undefined) return Promise.reject(initError);
  let value: T;
  try {
    value = op.callSync(ctx.p11, session);
  } catch (err) {
    const answer = op.answer(err);
    if (answer !== undefined) {
      ctx.pool.release(session);
      return Promise.resolve(answer.value);
    }
    ctx.pool.discard(session);
    return Promise.reject(op.failure(err, 'call'));
  }
  timer?.record((performance.now() - started) * 1000);
  ctx.pool.release(session);
  return Promise.resolve(value);
}

function runAsync<T>(ctx: OperationContext, session: Buffer, op: SingleShot<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const initError = initOrGiveBack(ctx, session, op);
    if (initError !== undefined) {
      reject(initError);
      return;
    }
    try {
      op.callAsync(ctx.p11, session, (err, value) => {
        if (err) {
          const answer = op.answer(err);
          if (answer !== undefined) {
            ctx.pool.release(session);
            resolve(answer.value);
            return;
          }
          ctx.pool.discard(session);
          reject(op.failure(err, 'call'));
          return;
        }
        ctx.pool.release(session);
        resolve(value);
      });
    } catch (err) {
      ctx.pool.discard(session);
      reject(op.failure(err, 'call'));
    }
  });
}

/**
 * pkcs11js's async workers read input buffers through raw pointers and hold no reference to them; calling
 * this from the completion callback keeps the buffers reachable (so not collected) until the worker is done.
 */
export function retain(...buffers: readonly Buffer[]): void {
  void buffers;
}

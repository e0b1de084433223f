import * as pkcs11 from 'pkcs11js';
import { HsmClosedError, HsmError, PinLockedError, returnValueOf, toHsmError } from './errors';

/** CK_STATE values (pkcs11js does not export them). */
export const SESSION_STATE = {
  RO_PUBLIC_SESSION: 0,
  RO_USER_FUNCTIONS: 1,
  RW_PUBLIC_SESSION: 2,
  RW_USER_FUNCTIONS: 3,
  RW_SO_FUNCTIONS: 4,
} as const;

interface Waiter {
  readonly resolve: (session: Buffer) => void;
  readonly reject: (err: Error) => void;
}

/**
 * A fixed set of read/write sessions on one token, logged in once with the user PIN. A PKCS#11 session
 * runs one operation at a time, so each concurrent operation takes a session and gives it back; callers
 * beyond the pool size wait in FIFO order.
 */
export class SessionPool {
  private readonly idle: Buffer[];
  private readonly waiters: Waiter[] = [];
  private capacity: number;
  private closed = false;
  private drained: (() => void) | undefined;

  private constructor(
    private readonly p11: pkcs11.PKCS11,
    private readonly slot: Buffer,
    sessions: Buffer[],
    /** Sessions that own session objects are never replaced: closing one destroys the objects it made. */
    private readonly ownsObjects = false,
  ) {
    this.idle = sessions;
    this.capacity = sessions.length;
  }

  /**
   * Opens `size` sessions and logs the user in. On any failure every session opened here is closed
   * before the error is thrown, so a wrong PIN leaves nothing open and nobody logged in.
   */
  static open(p11: pkcs11.PKCS11, slot: Buffer, pin: string, size: number): SessionPool {
    if (!Number.isInteger(size) || size < 1 || size > 256) throw new RangeError(`the session pool size must be an integer from 1 to 256, not ${size}`);
    const sessions: Buffer[] = [];
    try {
      const info = p11.C_GetTokenInfo(slot);
      if ((info.flags & pkcs11.CKF_USER_PIN_LOCKED) !== 0) {
        const rv = pkcs11.CKR_PIN_LOCKED;
        throw new PinLockedError('CKR_PIN_LOCKED', rv, 'C_GetTokenInfo', 'the user PIN is locked after too many wrong tries; the security officer must unlock it');
      }
      for (let i = 0; i < size; i += 1) sessions.push(openSession(p11, slot));
      const first = sessions[0] as Buffer;
      login(p11, first, pin);
      return new SessionPool(p11, slot, sessions);
    } catch (err) {
      for (const session of sessions) closeSession(p11, session);
      throw toHsmError(err, 'C_Login');
    }
  }

  /**
   * More sessions on a token this process is already logged in to (PKCS#11 login is per process).
   * `ownsObjects`: these sessions create session objects, so discard() keeps them (see the constructor).
   */
  static join(p11: pkcs11.PKCS11, slot: Buffer, size: number, ownsObjects = false): SessionPool {
    const sessions: Buffer[] = [];
    try {
      for (let i = 0; i < size; i += 1) sessions.push(openSession(p11, slot));
    } catch (err) {
      for (const session of sessions) closeSession(p11, session);
      throw err;
    }
    return new SessionPool(p11, slot, sessions, ownsObjects);
  }

  get size(): number {
    return this.capacity;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get busyCount(): number {
    return this.capacity - this.idle.length;
  }

  get waitingCount(): number {
    return this.waiters.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A free session now, or undefined; the hot path uses this to skip a promise when one is free. */
  tryAcquire(): Buffer | undefined {
    if (this.closed) throw new HsmClosedError();
    return this.idle.pop();
  }

  acquire(): Promise<Buffer> {
    if (this.closed) return Promise.reject(new HsmClosedError());
    const session = this.idle.pop();
    if (session !== undefined) return Promise.resolve(session);
    return new Promise<Buffer>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
  }

  /** Gives a session back: to the longest waiter first. */
  release(session: Buffer): void {
    const waiter = this.closed ? undefined : this.waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve(session);
      return;
    }
    this.idle.push(session);
    if (this.drained !== undefined && this.idle.length === this.capacity) this.drained();
  }

  /**
   * For a session whose state we no longer trust (an operation failed half-way, the handle went bad):
   * closes it and puts a fresh one in its place. New sessions share the process's login.
   */
  discard(session: Buffer): void {
    if (this.ownsObjects) {
      this.release(session);
      return;
    }
    closeSession(this.p11, session);
    if (this.closed) {
      this.capacity -= 1;
      if (this.drained !== undefined && this.idle.length === this.capacity) this.drained();
      return;
    }
    let fresh: Buffer;
    try {
      fresh = openSession(this.p11, this.slot);
    } catch (err) {
      this.capacity -= 1;
      if (this.capacity === 0) {
        const error = toHsmError(err, 'C_OpenSession');
        for (const waiter of this.waiters.splice(0)) waiter.reject(error);
      }
      return;
    }
    this.release(fresh);
  }

  /** Runs a synchronous PKCS#11 sequence on one session. */
  async use<T>(fn: (session: Buffer) => T): Promise<T> {
    const session = this.tryAcquire() ?? (await this.acquire());
    let result: T;
    try {
      result = fn(session);
    } catch (err) {
      if (leavesSessionSuspect(err)) this.discard(session);
      else this.release(session);
      throw err;
    }
    this.release(session);
    return result;
  }

  /** C_GetSessionInfo state of each idle session (see SESSION_STATE); for health checks and tests. */
  idleSessionStates(): number[] {
    return this.idle.map((session) => this.p11.C_GetSessionInfo(session).state);
  }

  /**
   * Refuses new work, fails the waiters, waits for the operations in flight (closing the library under a
   * running libuv worker would crash the process), then closes every session.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new HsmClosedError();
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    if (this.idle.length < this.capacity) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    for (const session of this.idle.splice(0)) closeSession(this.p11, session);
  }
}

function openSession(p11: pkcs11.PKCS11, slot: Buffer): Buffer {
  try {
    return p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
  } catch (err) {
    throw toHsmError(err, 'C_OpenSession');
  }
}

function login(p11: pkcs11.PKCS11, session: Buffer, pin: string): void {
  try {
    p11.C_Login(session, pkcs11.CKU_USER, pin);
  } catch (err) {
    if (returnValueOf(err) !== pkcs11.CKR_USER_ALREADY_LOGGED_IN) throw toHsmError(err, 'C_Login');
    // Someone else in this process logged in (a PKCS#11 login belongs to the process). Log out and in
    // again so that this PIN is checked by the token rather than taken on trust.
    try {
      p11.C_Logout(session);
      p11.C_Login(session, pkcs11.CKU_USER, pin);
    } catch (again) {
      throw toHsmError(again, 'C_Login');
    }
  }
}

function closeSession(p11: pkcs11.PKCS11, session: Buffer): void {
  try {
    p11.C_CloseSession(session);
  } catch {
    // A session the token already dropped needs no closing.
  }
}

/** True when an error may have left an operation active or the session unusable. */
export function leavesSessionSuspect(err: unknown): boolean {
  const rv = returnValueOf(err);
  // Our own refusals happen before the token is touched; anything else unexpected (a TypeError from
  // pkcs11js's argument checks) may have left an operation half-started.
  if (rv === undefined) return !(err instanceof HsmError);
  return (
    rv === pkcs11.CKR_OPERATION_ACTIVE ||
    rv === pkcs11.CKR_SESSION_HANDLE_INVALID ||
    rv === pkcs11.CKR_SESSION_CLOSED ||
    rv === pkcs11.CKR_DEVICE_ERROR ||
    rv === pkcs11.CKR_GENERAL_ERROR
  );
}

import { realpathSync } from 'node:fs';
import * as pkcs11 from 'pkcs11js';
import {
  ModuleLoadError,
  TokenAmbiguousError,
  TokenInUseError,
  TokenNotFoundError,
  ckrName,
  returnValueOf,
  toHsmError,
} from './errors';

/**
 * One loaded PKCS#11 library per process. A library keeps one global state (C_Initialize may be called
 * once; login is per process, not per session), so every Hsm on the same library shares one entry, counted;
 * the last to leave calls C_Finalize.
 */
interface ModuleEntry {
  readonly p11: pkcs11.PKCS11;
  readonly path: string;
  refs: number;
  /** False when something else in the process had already initialised the library: then it is theirs to finalise. */
  readonly ownsInitialization: boolean;
  /** Slot ids (hex) opened by an Hsm, so that a token is opened once per process. */
  readonly claimedSlots: Set<string>;
}

const loaded = new Map<string, ModuleEntry>();

export interface TokenSlot {
  readonly slot: Buffer;
  readonly label: string;
  readonly flags: number;
}

export class Pkcs11Module {
  private released = false;

  private constructor(private readonly entry: ModuleEntry) {}

  get p11(): pkcs11.PKCS11 {
    return this.entry.p11;
  }

  /** The path given to load(), for messages. */
  get path(): string {
    return this.entry.path;
  }

  /**
   * Loads (or shares) the library at `modulePath` and initialises it with CKF_OS_LOCKING_OK: without it
   * pkcs11js's async calls run the library from several libuv threads with no locking, and crash.
   */
  static load(modulePath: string): Pkcs11Module {
    if (modulePath.trim() === '') throw new ModuleLoadError(modulePath, 'no path given');
    let key: string;
    try {
      key = realpathSync(modulePath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModuleLoadError(modulePath, code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? 'error'})`, { cause: err });
    }
    const existing = loaded.get(key);
    if (existing) {
      existing.refs += 1;
      return new Pkcs11Module(existing);
    }
    const p11 = new pkcs11.PKCS11();
    try {
      p11.load(modulePath);
    } catch (err) {
      const detail = err instanceof Error ? err.message.replace(`${modulePath}: `, '') : String(err);
      throw new ModuleLoadError(modulePath, `not a loadable PKCS#11 library (${detail})`, { cause: err });
    }
    let ownsInitialization = true;
    try {
      p11.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
    } catch (err) {
      if (returnValueOf(err) === pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        ownsInitialization = false;
      } else {
        closeQuietly(p11);
        const rv = returnValueOf(err);
        throw new ModuleLoadError(modulePath, `C_Initialize failed${rv === undefined ? '' : ` with ${ckrName(rv)}`}`, { cause: err });
      }
    }
    const entry: ModuleEntry = { p11, path: modulePath, refs: 1, ownsInitialization, claimedSlots: new Set() };
    loaded.set(key, entry);
    return new Pkcs11Module(entry);
  }

  /** Initialised tokens, in slot order. */
  tokens(): TokenSlot[] {
    const p11 = this.entry.p11;
    try {
      const out: TokenSlot[] = [];
      for (const slot of p11.C_GetSlotList(true)) {
        const info = p11.C_GetTokenInfo(slot);
        if ((info.flags & pkcs11.CKF_TOKEN_INITIALIZED) === 0) continue;
        out.push({ slot, label: info.label.trimEnd(), flags: info.flags });
      }
      return out;
    } catch (err) {
      throw toHsmError(err, 'C_GetSlotList');
    }
  }

  findToken(tokenLabel: string): TokenSlot {
    const tokens = this.tokens();
    const matches = tokens.filter((t) => t.label === tokenLabel);
    const [match] = matches;
    if (match === undefined) throw new TokenNotFoundError(tokenLabel, tokens.map((t) => t.label), this.entry.path);
    if (matches.length > 1) throw new TokenAmbiguousError(tokenLabel, matches.length);
    return match;
  }

  /** Marks the token's slot as open in this process; the returned function gives it back. */
  claimToken(token: TokenSlot): () => void {
    const id = token.slot.toString('hex');
    if (this.entry.claimedSlots.has(id)) throw new TokenInUseError(token.label);
    this.entry.claimedSlots.add(id);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.entry.claimedSlots.delete(id);
    };
  }

  /** Mechanisms the token offers, read once when an Hsm opens so that no operation looks them up. */
  mechanisms(slot: Buffer): ReadonlySet<number> {
    try {
      return new Set(this.entry.p11.C_GetMechanismList(slot));
    } catch (err) {
      throw toHsmError(err, 'C_GetMechanismList');
    }
  }

  /** Gives this reference back; the last one finalises the library. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const entry = this.entry;
    entry.refs -= 1;
    if (entry.refs > 0) return;
    for (const [key, value] of loaded) if (value === entry) loaded.delete(key);
    if (entry.ownsInitialization) {
      try {
        entry.p11.C_Finalize();
      } catch {
        // Finalising a library that already failed leaves nothing for us to do.
      }
    }
    closeQuietly(entry.p11);
  }

  /** How many Hsm hold the library at `modulePath` (0 when it is not loaded); for tests and health checks. */
  static references(modulePath: string): number {
    try {
      return loaded.get(realpathSync(modulePath))?.refs ?? 0;
    } catch {
      return 0;
    }
  }
}

function closeQuietly(p11: pkcs11.PKCS11): void {
  try {
    p11.close();
  } catch {
    // dlclose failing leaves the library mapped, which is harmless.
  }
}

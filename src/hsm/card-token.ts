import * as pkcs11 from 'pkcs11js';
import { HASHES, SIGNATURE_ALGORITHMS, type SignatureAlgorithmName } from './algorithms';
import { ecdsaRawToDer } from './ecdsa-der';
import { TokenNotFoundError, returnValueOf, toHsmError } from './errors';
import { InlinePolicy } from './inline-policy';
import { generateKeyPair, type KeyPairSpec, type NewKeyOptions } from './keys';
import { Pkcs11Module, type TokenSlot } from './module';
import { findKey, matchingPublicKey, type HsmKey, type HsmKeyPair, type KeyQuery } from './objects';
import type { OperationContext } from './operation';
import { publicKeySpki } from './public-key';
import { SessionPool } from './session-pool';
import { checkKey, prepareSignatures, requirePrepared, signatureLength, signWithPool, type PreparedSignatures } from './sign';
import { aesCbc, aesCmac, importAesKey, type ImportAesKeyOptions } from './symmetric';

/**
 * Smart-card-shaped tokens: many small tokens in one process (a thousand simulated SIMs), each opened with
 * one session and NOT logged in; the cardholder's PIN is presented per use (`login`), checked by the token
 * itself, and the login can be dropped again (`logout`). `Hsm` is the other shape: one platform token,
 * logged in for good, a pool of sessions.
 *
 * `CardTokenDirectory` reads the slot list once (SoftHSM2 answers C_GetTokenInfo in ~80 µs, so looking a
 * label up by scanning would make opening N tokens O(N²)) and initialises new tokens in SoftHSM2's free
 * slot without rescanning.
 */

/** Label suffix of CardToken.sessionCopy's copies. */
export const SESSION_COPY_SUFFIX = '#ram';

export interface CardTokenSpec {
  readonly label: string;
  /** Security officer PIN: a SIM's PUK plays this part (it sets a new user PIN with C_InitPIN). */
  readonly soPin: string;
  readonly userPin: string;
}

export class CardTokenDirectory {
  private readonly byLabel = new Map<string, TokenSlot>();
  private readonly open = new Set<CardToken>();
  private prepared: PreparedSignatures | undefined;
  private closed = false;

  private constructor(private readonly module: Pkcs11Module) {
    this.refresh();
  }

  /** Loads (or shares) the PKCS#11 library and reads its token list once. */
  static open(modulePath: string): CardTokenDirectory {
    return new CardTokenDirectory(Pkcs11Module.load(modulePath));
  }

  /** Reads the token list again (after tokens were made by another process). */
  refresh(): void {
    this.byLabel.clear();
    for (const token of this.module.tokens()) this.byLabel.set(token.label, token);
  }

  labels(): string[] {
    return [...this.byLabel.keys()];
  }

  has(label: string): boolean {
    return this.byLabel.has(label);
  }

  /**
   * C_InitToken in a free slot, then the user PIN set by the security officer. SoftHSM2 keeps exactly one
   * free slot, last in the list, and adds a new one after each initialisation.
   */
  initializeToken(spec: CardTokenSpec): void {
    const p11 = this.module.p11;
    if (this.byLabel.has(spec.label)) throw new Error(`a token labelled "${spec.label}" exists already`);
    let slot: Buffer | undefined;
    try {
      const slots = p11.C_GetSlotList(false);
      for (let i = slots.length - 1; i >= 0 && slot === undefined; i -= 1) {
        const candidate = slots[i] as Buffer;
        if ((p11.C_GetTokenInfo(candidate).flags & pkcs11.CKF_TOKEN_INITIALIZED) === 0) slot = candidate;
      }
      if (slot === undefined) throw new Error('the PKCS#11 library has no free slot to initialise a token in');
      p11.C_InitToken(slot, spec.soPin, spec.label.padEnd(32, ' '));
      const session = p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
      try {
        p11.C_Login(session, pkcs11.CKU_SO, spec.soPin);
        p11.C_InitPIN(session, spec.userPin);
        p11.C_Logout(session);
      } finally {
        p11.C_CloseSession(session);
      }
    } catch (err) {
      throw toHsmError(err, 'C_InitToken');
    }
    const info = p11.C_GetTokenInfo(slot);
    this.byLabel.set(spec.label, { slot, label: spec.label, flags: info.flags });
  }

  /** Opens the token with this label: one read/write session, nobody logged in. */
  openToken(label: string): CardToken {
    if (this.closed) throw new Error('the card token directory is closed');
    const token = this.byLabel.get(label);
    if (token === undefined) throw new TokenNotFoundError(label, [], this.module.path);
    const giveBack = this.module.claimToken(token);
    try {
      this.prepared ??= prepareSignatures(this.module.mechanisms(token.slot));
      const pool = SessionPool.join(this.module.p11, token.slot, 1, true);
      const card = new CardToken(this.module.p11, token, pool, this.prepared, () => {
        giveBack();
        this.open.delete(card);
      });
      this.open.add(card);
      return card;
    } catch (err) {
      giveBack();
      throw err;
    }
  }

  /** Closes every token still open and releases the library. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.open].map((t) => t.close()));
    this.module.release();
  }
}

export class CardToken {
  private readonly ctx: OperationContext;
  private loggedIn = false;
  private closed = false;

  constructor(
    private readonly p11: pkcs11.PKCS11,
    private readonly token: TokenSlot,
    private readonly pool: SessionPool,
    private readonly prepared: PreparedSignatures,
    private readonly onClose: () => void,
  ) {
    // RSA signatures go to a libuv thread; P-256 ones and the AES operations stay inline (tens of µs).
    this.ctx = { p11, pool, inline: new InlinePolicy(100) };
  }

  get label(): string {
    return this.token.label;
  }

  get isLoggedIn(): boolean {
    return this.loggedIn;
  }

  /**
   * Presents the user PIN to the token. Resolves when the token accepts it; PinIncorrectError when it does
   * not (the caller counts tries: SoftHSM2 has no retry counter of its own). Logging in twice is harmless.
   */
  async login(pin: string): Promise<void> {
    if (this.loggedIn) return;
    await this.pool.use((session) => {
      try {
        this.p11.C_Login(session, pkcs11.CKU_USER, pin);
      } catch (err) {
        if (returnValueOf(err) === pkcs11.CKR_USER_ALREADY_LOGGED_IN) return;
        throw toHsmError(err, 'C_Login');
      }
    });
    this.loggedIn = true;
  }

  async logout(): Promise<void> {
    if (!this.loggedIn) return;
    this.loggedIn = false;
    await this.pool.use((session) => {
      try {
        this.p11.C_Logout(session);
      } catch (err) {
        if (returnValueOf(err) !== pkcs11.CKR_USER_NOT_LOGGED_IN) throw toHsmError(err, 'C_Logout');
      }
    });
  }

  /** The security officer (PUK) sets a new user PIN; PinIncorrectError for a wrong SO PIN. Leaves nobody logged in. */
  async resetUserPin(soPin: string, newPin: string): Promise<void> {
    await this.logout();
    await this.pool.use((session) => {
      try {
        this.p11.C_Login(session, pkcs11.CKU_SO, soPin);
      } catch (err) {
        throw toHsmError(err, 'C_Login');
      }
      try {
        this.p11.C_InitPIN(session, newPin);
      } catch (err) {
        throw toHsmError(err, 'C_InitPIN');
      } finally {
        try {
          this.p11.C_Logout(session);
        } catch {
          // Closing the session would log out as well.
        }
      }
    });
  }

  generateKeyPair(spec: KeyPairSpec, options: NewKeyOptions): Promise<HsmKeyPair> {
    return this.pool.acquire().then(async (session) => {
      try {
        return await generateKeyPair(this.p11, session, spec, options);
      } finally {
        this.pool.release(session);
      }
    });
  }

  /**
   * A session copy of a token key (C_CopyObject with CKA_TOKEN false), made inside the token: the value never
   * leaves it. SoftHSM2's file store re-checks a token object's file on every use (~200 µs); a session object
   * lives in memory, so a card "loads its keys into RAM" once. A copy of a private key needs the user logged
   * in and dies with the login (C_Logout) or close().
   */
  sessionCopy(key: HsmKey): Promise<HsmKey> {
    return this.pool.use((session) => {
      let handle: Buffer;
      try {
        handle = this.p11.C_CopyObject(session, key.handle, [
          { type: pkcs11.CKA_TOKEN, value: false },
          // Its own label, so that a search by the original label still finds exactly one object.
          { type: pkcs11.CKA_LABEL, value: `${key.label}${SESSION_COPY_SUFFIX}` },
        ]);
      } catch (err) {
        throw toHsmError(err, 'C_CopyObject');
      }
      return { ...key, handle, token: false, label: `${key.label}${SESSION_COPY_SUFFIX}` };
    });
  }

  importAesKey(value: Uint8Array, options: ImportAesKeyOptions): Promise<HsmKey> {
    return this.pool.use((session) => importAesKey(this.p11, session, value, options));
  }

  findKey(query: KeyQuery): Promise<HsmKey> {
    return this.pool.use((session) => findKey(this.p11, session, query));
  }

  findKeyPair(query: { readonly label?: string; readonly id?: Uint8Array | string }): Promise<HsmKeyPair> {
    return this.pool.use((session) => {
      const privateKey = findKey(this.p11, session, { class: 'privateKey', ...query });
      return { privateKey, publicKey: matchingPublicKey(this.p11, session, privateKey) };
    });
  }

  publicKeySpki(key: HsmKey): Promise<Buffer> {
    return this.pool.use((session) => publicKeySpki(this.p11, session, key));
  }

  /** Signature of `data` (the message); DER for ECDSA. Needs the user logged in (NotLoggedInError otherwise). */
  sign(algorithm: SignatureAlgorithmName, privateKey: HsmKey, data: Uint8Array): Promise<Buffer> {
    try {
      return signWithPool(this.ctx, requirePrepared(this.prepared, algorithm), privateKey, data, 'der');
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Raw signature (r‖s for ECDSA), for WebCrypto-shaped callers. */
  signRaw(algorithm: SignatureAlgorithmName, privateKey: HsmKey, data: Uint8Array): Promise<Buffer> {
    try {
      return signWithPool(this.ctx, requirePrepared(this.prepared, algorithm), privateKey, data, 'raw');
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Signature of a digest computed elsewhere (the relying party sent a hash): CKM_ECDSA on the digest
   * (DER result), CKM_RSA_PKCS on its DigestInfo, CKM_RSA_PKCS_PSS with the algorithm's parameters.
   */
  signDigest(algorithm: SignatureAlgorithmName, privateKey: HsmKey, digest: Uint8Array): Promise<Buffer> {
    return this.pool.use((session) => {
      const prepared = requirePrepared(this.prepared, algorithm);
      checkKey(prepared, privateKey, 'privateKey');
      const entry = SIGNATURE_ALGORITHMS[algorithm];
      const hash = HASHES[entry.hash];
      if (digest.length !== hash.bytes) throw new RangeError(`${algorithm} signs ${hash.bytes}-octet digests, not ${digest.length}`);
      let mechanism: pkcs11.Mechanism;
      let input = Buffer.from(digest);
      if (entry.keyType === 'EC') mechanism = { mechanism: pkcs11.CKM_ECDSA };
      else if (entry.pss !== undefined) mechanism = { mechanism: pkcs11.CKM_RSA_PKCS_PSS, parameter: prepared.mechanism.parameter };
      else {
        mechanism = { mechanism: pkcs11.CKM_RSA_PKCS };
        input = Buffer.concat([Buffer.from(hash.digestInfoPrefix, 'hex'), input]);
      }
      try {
        this.p11.C_SignInit(session, mechanism, privateKey.handle);
        const signature = Buffer.from(this.p11.C_Sign(session, input, Buffer.alloc(signatureLength(privateKey))));
        return entry.keyType === 'EC' ? ecdsaRawToDer(signature) : signature;
      } catch (err) {
        throw toHsmError(err, 'C_Sign');
      }
    });
  }

  aesCbc(key: HsmKey, direction: 'encrypt' | 'decrypt', iv: Uint8Array, data: Uint8Array): Promise<Buffer> {
    return this.pool.use((session) => aesCbc(this.p11, session, key, direction, iv, data));
  }

  aesCmac(key: HsmKey, data: Uint8Array): Promise<Buffer> {
    return this.pool.use((session) => aesCmac(this.p11, session, key, data));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loggedIn = false;
    try {
      await this.pool.close();
    } finally {
      this.onClose();
    }
  }
}

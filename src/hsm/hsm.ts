import { randomBytes } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import * as pkcs11 from 'pkcs11js';
import type { Logger } from '../log';
import { AES_GCM, type AesKeyBits, type SignatureAlgorithmName } from './algorithms';
import { gcmDecrypt, gcmEncrypt, unwrapAesKey, type AesGcmOpenInput, type AesGcmSealed, type UnwrapOptions } from './aes';
import { HsmClosedError, NotLoggedInError, toHsmError } from './errors';
import { destroyKey, generateAesKey, generateKeyPair, type KeyPairSpec, type NewKeyOptions } from './keys';
import { findKey, listObjects, matchingPublicKey, type HsmKey, type HsmKeyPair, type KeyQuery, type ObjectInfo } from './objects';
import { publicKeySpki } from './public-key';
import { Pkcs11Module, type TokenSlot } from './module';
import { InlinePolicy } from './inline-policy';
import type { OperationContext } from './operation';
import { SESSION_STATE, SessionPool } from './session-pool';
import { prepareSignatures, requirePrepared, signWithPool, verifyWithPool, type PreparedSignatures } from './sign';
import { HsmCrypto, toCryptoKeyPair, type TokenOperations } from './webcrypto';
import { aesCbc, aesCmac, importAesKey, type ImportAesKeyOptions } from './symmetric';

export interface OpenHsmOptions {
  /** Path of the PKCS#11 shared library. */
  readonly modulePath: string;
  /** Label of the (initialised) token to use. */
  readonly tokenLabel: string;
  /** User PIN; used once for C_Login and not kept. */
  readonly pin: string;
  /** Sessions kept open: how many operations may run at once. Default 4. */
  readonly poolSize?: number;
  /**
   * Operations whose measured duration stays below this many microseconds run synchronously on the event
   * loop, the rest on libuv threads (see inline-policy.ts). Default 100; 0 sends everything to the threads.
   */
  readonly inlineBelowMicros?: number;
  readonly logger?: Logger;
}

export interface PoolStats {
  readonly size: number;
  readonly idle: number;
  readonly busy: number;
  readonly waiting: number;
}

export interface KeyPairQuery {
  readonly label?: string;
  readonly id?: Uint8Array | string;
}

export interface AesGcmOptions {
  /** Associated data: authenticated, not encrypted. */
  readonly aad?: Uint8Array;
}

/**
 * The only door to key material. One Hsm per token per process: it holds the module reference, the
 * login, a pool of sessions for operations and one more session that owns session objects (session
 * keys must not vanish when an operation session is replaced after a failure).
 */
export class Hsm {
  /** WebCrypto-shaped provider for pkijs / @peculiar/x509 (keys stay in the token). */
  readonly crypto: HsmCrypto;
  private readonly ctx: OperationContext;
  private readonly prepared: PreparedSignatures;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly module: Pkcs11Module,
    private readonly token: TokenSlot,
    private readonly giveBackToken: () => void,
    private readonly pool: SessionPool,
    /** Owns session objects (token: false); never replaced, so those keys live as long as this Hsm. */
    private readonly owner: SessionPool,
    mechanisms: ReadonlySet<number>,
    inlineBelowMicros: number,
    private readonly logger: Logger | undefined,
  ) {
    this.ctx = { p11: module.p11, pool, inline: new InlinePolicy(inlineBelowMicros) };
    this.prepared = prepareSignatures(mechanisms);
    this.crypto = new HsmCrypto(this.tokenOperations());
  }

  static async open(options: OpenHsmOptions): Promise<Hsm> {
    const module = Pkcs11Module.load(options.modulePath);
    let giveBackToken: (() => void) | undefined;
    let pool: SessionPool | undefined;
    try {
      const token = module.findToken(options.tokenLabel);
      giveBackToken = module.claimToken(token);
      const mechanisms = module.mechanisms(token.slot);
      pool = SessionPool.open(module.p11, token.slot, options.pin, options.poolSize ?? 4);
      const owner = SessionPool.join(module.p11, token.slot, 1, true);
      const hsm = new Hsm(module, token, giveBackToken, pool, owner, mechanisms, options.inlineBelowMicros ?? 100, options.logger);
      options.logger?.info(
        { module: options.modulePath, token: options.tokenLabel, poolSize: pool.size, signatures: hsm.signatureMechanisms() },
        'hsm opened',
      );
      return hsm;
    } catch (err) {
      if (pool !== undefined) await pool.close();
      giveBackToken?.();
      module.release();
      throw err;
    }
  }

  get tokenLabel(): string {
    return this.token.label;
  }

  get modulePath(): string {
    return this.module.path;
  }

  get poolStats(): PoolStats {
    return { size: this.pool.size, idle: this.pool.idleCount, busy: this.pool.busyCount, waiting: this.pool.waitingCount };
  }

  /** Whether signing with `algorithm` and a key like `key` currently runs inline or on the thread pool (for benchmarks). */
  signingMode(algorithm: SignatureAlgorithmName, key: HsmKey): 'inline' | 'async' {
    return this.ctx.inline.timer(requirePrepared(this.prepared, algorithm), key.bits)?.mode ?? 'async';
  }

  /** Which mechanism each algorithm uses on this token (combined, or the raw one with hashing in software). */
  signatureMechanisms(): Partial<Record<SignatureAlgorithmName, string>> {
    const out: Partial<Record<SignatureAlgorithmName, string>> = {};
    for (const prepared of Object.values(this.prepared)) out[prepared.name] = prepared.mechanismName;
    return out;
  }

  /** Token keys use an operation session; session keys (token: false) the owner session, so they outlive operation sessions. */
  private poolFor(options: NewKeyOptions): SessionPool {
    return options.token === false ? this.owner : this.pool;
  }

  private async withSession<T>(pool: SessionPool, fn: (session: Buffer) => Promise<T>): Promise<T> {
    const session = pool.tryAcquire() ?? (await pool.acquire());
    try {
      return await fn(session);
    } finally {
      pool.release(session);
    }
  }

  /** RSA (2048, 3072, 4096) or EC (P-256, P-384, P-521) key pair made in the token: sensitive, never extractable. */
  generateKeyPair(spec: KeyPairSpec, options: NewKeyOptions): Promise<HsmKeyPair> {
    return this.withSession(this.poolFor(options), (session) => generateKeyPair(this.ctx.p11, session, spec, options));
  }

  /** AES key made in the token: sensitive, never extractable, for encrypt/decrypt only. */
  generateAesKey(bits: AesKeyBits, options: NewKeyOptions): Promise<HsmKey> {
    return this.withSession(this.poolFor(options), (session) => generateAesKey(this.ctx.p11, session, bits, options));
  }

  /** Exactly one key of the class with this label and/or id; KeyNotFoundError or KeyAmbiguousError otherwise. */
  findKey(query: KeyQuery): Promise<HsmKey> {
    return this.pool.use((session) => findKey(this.ctx.p11, session, query));
  }

  /** The private key with this label and/or id, and the public key with its CKA_ID. */
  findKeyPair(query: KeyPairQuery): Promise<HsmKeyPair> {
    return this.pool.use((session) => {
      const privateKey = findKey(this.ctx.p11, session, { class: 'privateKey', ...query });
      return { privateKey, publicKey: matchingPublicKey(this.ctx.p11, session, privateKey) };
    });
  }

  /** Every object the logged-in user can see, with attributes only. */
  listObjects(): Promise<ObjectInfo[]> {
    return this.pool.use((session) =>
      listObjects(this.ctx.p11, session).map(({ handle: _handle, ...info }) => info),
    );
  }

  /** Signature of `data` (the message, not a hash). ECDSA signatures are DER (X.509, CMS, OpenSSL). */
  sign(algorithm: SignatureAlgorithmName, privateKey: HsmKey, data: Uint8Array): Promise<Buffer> {
    try {
      return signWithPool(this.ctx, requirePrepared(this.prepared, algorithm), privateKey, data, 'der');
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Checks a signature in the token. False for a wrong signature and for an ECDSA signature that is not strict DER. */
  verify(algorithm: SignatureAlgorithmName, publicKey: HsmKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    try {
      return verifyWithPool(this.ctx, requirePrepared(this.prepared, algorithm), publicKey, data, signature, 'der');
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** SubjectPublicKeyInfo DER of a key pair's public key (from a private key, via its public key object for EC). */
  publicKeySpki(key: HsmKey): Promise<Buffer> {
    return this.pool.use((session) => publicKeySpki(this.ctx.p11, session, key));
  }

  /** An AES key sent under RSA-OAEP to `unwrappingKey`'s public key, unwrapped into the token (session key by default). */
  unwrapAesKey(unwrappingKey: HsmKey, wrapped: Uint8Array, options: UnwrapOptions = {}): Promise<HsmKey> {
    try {
      const ctx = { ...this.ctx, pool: options.token === true ? this.pool : this.owner };
      return unwrapAesKey(ctx, unwrappingKey, wrapped, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** AES-GCM in the token with a fresh random 96-bit IV. */
  async encryptAesGcm(key: HsmKey, plaintext: Uint8Array, options: AesGcmOptions = {}): Promise<AesGcmSealed> {
    const iv = randomBytes(AES_GCM.ivBytes);
    const sealed = await gcmEncrypt(this.ctx, key, iv, plaintext, options.aad);
    const split = sealed.length - AES_GCM.tagBytes;
    return { iv, ciphertext: sealed.subarray(0, split), tag: sealed.subarray(split) };
  }

  /** AES-GCM decryption in the token; DecryptionFailedError when the tag does not authenticate. */
  decryptAesGcm(key: HsmKey, input: AesGcmOpenInput): Promise<Buffer> {
    try {
      if (input.tag.length !== AES_GCM.tagBytes) throw new TypeError(`AES-GCM tags are ${AES_GCM.tagBytes} bytes here, not ${input.tag.length}`);
      return gcmDecrypt(this.ctx, key, input.iv, Buffer.concat([input.ciphertext, input.tag]), input.aad);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Key octets imported as a sensitive, never-extractable AES key: personalisation only (SIM OTA keys). */
  importAesKey(value: Uint8Array, options: ImportAesKeyOptions): Promise<HsmKey> {
    return this.withSession(this.poolFor(options), async (session) => importAesKey(this.ctx.p11, session, value, options));
  }

  /** AES-CBC without padding in the token (SIM OTA ciphering with a KIc). */
  aesCbc(key: HsmKey, direction: 'encrypt' | 'decrypt', iv: Uint8Array, data: Uint8Array): Promise<Buffer> {
    return this.pool.use((session) => aesCbc(this.ctx.p11, session, key, direction, iv, data));
  }

  /** The 16-octet AES-CMAC in the token (SIM OTA checksums with a KID). */
  aesCmac(key: HsmKey, data: Uint8Array): Promise<Buffer> {
    return this.pool.use((session) => aesCmac(this.ctx.p11, session, key, data));
  }

  destroyKey(key: HsmKey): Promise<void> {
    return this.owner.use((session) => destroyKey(this.ctx.p11, session, key));
  }

  /** WebCrypto keys for a token key pair, used with `signatureAlgorithm` (RSA keys are bound to a hash in WebCrypto). */
  cryptoKeyPair(pair: HsmKeyPair, signatureAlgorithm: SignatureAlgorithmName): Promise<webcrypto.CryptoKeyPair> {
    return toCryptoKeyPair(this.tokenOperations(), pair, signatureAlgorithm);
  }

  /** Cheap health check: the token answers and our sessions are still logged in. */
  async ping(): Promise<void> {
    if (this.closing !== undefined || this.pool.isClosed) throw new HsmClosedError();
    try {
      this.ctx.p11.C_GetTokenInfo(this.token.slot);
    } catch (err) {
      throw toHsmError(err, 'C_GetTokenInfo');
    }
    const state = this.owner.idleSessionStates()[0];
    if (state !== undefined && state !== SESSION_STATE.RW_USER_FUNCTIONS) {
      throw new NotLoggedInError('CKR_USER_NOT_LOGGED_IN', pkcs11.CKR_USER_NOT_LOGGED_IN, 'C_GetSessionInfo', 'the token session is not logged in');
    }
  }

  /** Waits for operations in flight, closes every session (session keys go with them) and releases the module. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await Promise.all([this.pool.close(), this.owner.close()]);
      } finally {
        this.giveBackToken();
        this.module.release();
        this.logger?.info({ token: this.token.label }, 'hsm closed');
      }
    })();
    return this.closing;
  }

  private tokenOperations(): TokenOperations {
    return {
      signRaw: (algorithm, key, data) => {
        try {
          return signWithPool(this.ctx, requirePrepared(this.prepared, algorithm), key, data, 'raw');
        } catch (err) {
          return Promise.reject(err);
        }
      },
      generateKeyPair: (spec, options) => this.generateKeyPair(spec, options),
      generateAesKey: (bits, options) => this.generateAesKey(bits, options),
      publicKeySpki: (key) => this.publicKeySpki(key),
      gcmEncrypt: (key, iv, data, aad) => gcmEncrypt(this.ctx, key, iv, data, aad),
      gcmDecrypt: (key, iv, data, aad) => gcmDecrypt(this.ctx, key, iv, data, aad),
    };
  }
}

export function openHsm(options: OpenHsmOptions): Promise<Hsm> {
  return Hsm.open(options);
}

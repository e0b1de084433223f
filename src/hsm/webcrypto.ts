import { randomUUID, webcrypto } from 'node:crypto';
import {
  AES_KEY_BITS,
  CURVES,
  HASHES,
  RSA_MODULUS_BITS,
  SIGNATURE_ALGORITHMS,
  type AesKeyBits,
  type CurveName,
  type HashName,
  type RsaModulusBits,
  type SignatureAlgorithmName,
} from './algorithms';
import { KeyUnsuitableError, UnsupportedError } from './errors';
import type { KeyPairSpec, NewKeyOptions } from './keys';
import type { HsmKey, HsmKeyPair } from './objects';

type CryptoKey = webcrypto.CryptoKey;
type BufferSource = webcrypto.BufferSource;
type AlgorithmIdentifier = webcrypto.AlgorithmIdentifier;
type KeyUsage = webcrypto.KeyUsage;
type KeyFormat = webcrypto.KeyFormat;

/** What the WebCrypto face needs from the Hsm; kept narrow so this file does not depend on the facade. */
export interface TokenOperations {
  /** ECDSA as r‖s (WebCrypto's format), RSA as is. */
  signRaw(algorithm: SignatureAlgorithmName, key: HsmKey, data: Uint8Array): Promise<Buffer>;
  generateKeyPair(spec: KeyPairSpec, options: NewKeyOptions): Promise<HsmKeyPair>;
  generateAesKey(bits: AesKeyBits, options: NewKeyOptions): Promise<HsmKey>;
  publicKeySpki(key: HsmKey): Promise<Buffer>;
  gcmEncrypt(key: HsmKey, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Promise<Buffer>;
  gcmDecrypt(key: HsmKey, iv: Uint8Array, data: Uint8Array, aad?: Uint8Array): Promise<Buffer>;
}

/**
 * A CryptoKey whose private or secret half lives in the token. It carries the handle, never a value,
 * and is never extractable. The algorithm object is plain data because @peculiar/x509 spreads it into
 * its signing parameters.
 */
export class TokenCryptoKey implements CryptoKey {
  readonly extractable = false;
  constructor(
    readonly type: webcrypto.KeyType,
    readonly algorithm: webcrypto.KeyAlgorithm,
    readonly usages: KeyUsage[],
    readonly hsmKey: HsmKey,
  ) {}
}

function algorithmName(algorithm: AlgorithmIdentifier): string {
  return (typeof algorithm === 'string' ? algorithm : algorithm.name).toUpperCase();
}

function hashName(hash: unknown): HashName {
  const name = typeof hash === 'string' ? hash : typeof hash === 'object' && hash !== null && 'name' in hash ? String((hash as { name: unknown }).name) : '';
  const found = (Object.keys(HASHES) as HashName[]).find((h) => h === name.toUpperCase());
  if (found === undefined || found === 'SHA-1') throw new UnsupportedError(`hash ${name || '(none)'} is not offered for signatures (SHA-256, SHA-384, SHA-512)`);
  return found;
}

const BY_HASH: Readonly<Record<'RSASSA-PKCS1-V1_5' | 'RSA-PSS' | 'ECDSA', Partial<Record<HashName, SignatureAlgorithmName>>>> = {
  'RSASSA-PKCS1-V1_5': { 'SHA-256': 'RS256', 'SHA-384': 'RS384', 'SHA-512': 'RS512' },
  'RSA-PSS': { 'SHA-256': 'PS256', 'SHA-384': 'PS384', 'SHA-512': 'PS512' },
  ECDSA: { 'SHA-256': 'ES256', 'SHA-384': 'ES384', 'SHA-512': 'ES512' },
};

/** WebCrypto parameters + key → our algorithm name. RSA hashes are bound to the key; ECDSA's come with each call. */
export function signatureAlgorithmFor(algorithm: AlgorithmIdentifier, key: CryptoKey): SignatureAlgorithmName {
  const name = algorithmName(algorithm);
  const params = (typeof algorithm === 'string' ? {} : algorithm) as { hash?: unknown; saltLength?: unknown };
  if (name !== 'RSASSA-PKCS1-V1_5' && name !== 'RSA-PSS' && name !== 'ECDSA') throw new UnsupportedError(`signing with ${name} is not offered by the HSM`);
  if (algorithmName(key.algorithm) !== name) throw new KeyUnsuitableError(`a ${key.algorithm.name} key cannot sign with ${name}`);
  const hash = hashName(name === 'ECDSA' ? params.hash : (key.algorithm as { hash?: unknown }).hash);
  const chosen = BY_HASH[name][hash];
  if (chosen === undefined) throw new UnsupportedError(`${name} with ${hash} is not offered`);
  const pss = SIGNATURE_ALGORITHMS[chosen].pss;
  if (pss !== undefined && params.saltLength !== pss.saltLength) {
    throw new UnsupportedError(`RSA-PSS with ${hash} uses a ${pss.saltLength}-byte salt here, not ${String(params.saltLength)}`);
  }
  return chosen;
}

/** The WebCrypto key algorithm of a token key used with `signatureAlgorithm`. */
export function keyAlgorithmFor(key: HsmKey, signatureAlgorithm: SignatureAlgorithmName, publicExponent: Uint8Array): webcrypto.KeyAlgorithm {
  const entry = SIGNATURE_ALGORITHMS[signatureAlgorithm];
  if (entry.keyType !== key.keyType) throw new KeyUnsuitableError(`${signatureAlgorithm} needs an ${entry.keyType} key; "${key.label}" is ${key.keyType}`);
  if (key.keyType === 'EC') {
    if (key.curve === undefined) throw new KeyUnsuitableError(`the EC key "${key.label}" is on a curve we do not know`);
    return { name: 'ECDSA', namedCurve: key.curve } as webcrypto.EcKeyAlgorithm;
  }
  return {
    name: entry.webcrypto.name,
    hash: { name: entry.hash },
    modulusLength: key.bits,
    publicExponent: new Uint8Array(publicExponent),
  } as webcrypto.RsaHashedKeyAlgorithm;
}

const nodeSubtle = webcrypto.subtle;

function asTokenKey(key: CryptoKey): TokenCryptoKey | undefined {
  return key instanceof TokenCryptoKey ? key : undefined;
}

function toArrayBuffer(data: Buffer): ArrayBuffer {
  const out = new ArrayBuffer(data.length);
  new Uint8Array(out).set(data);
  return out;
}

function toBytes(data: BufferSource): Uint8Array {
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

function refuse(operation: string): never {
  throw new UnsupportedError(`${operation} is not offered by the HSM crypto provider`);
}

/**
 * SubtleCrypto over the token: sign, encrypt and decrypt with token keys run in the HSM; public-key and
 * digest operations go to Node's WebCrypto. Keys it generates are token keys (never extractable), and it
 * imports only public keys, so no private or secret key material passes through it.
 */
export class HsmSubtleCrypto implements webcrypto.SubtleCrypto {
  constructor(private readonly ops: TokenOperations) {}

  async sign(algorithm: AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer> {
    const token = asTokenKey(key);
    if (token === undefined) return nodeSubtle.sign(algorithm, key, data);
    if (token.type !== 'private' || !token.usages.includes('sign')) throw new KeyUnsuitableError(`"${token.hsmKey.label}" is not a signing key`);
    const chosen = signatureAlgorithmFor(algorithm, token);
    return toArrayBuffer(await this.ops.signRaw(chosen, token.hsmKey, toBytes(data)));
  }

  async verify(
    algorithm: AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams,
    key: CryptoKey,
    signature: BufferSource,
    data: BufferSource,
  ): Promise<boolean> {
    if (asTokenKey(key) !== undefined) refuse('verify with a token private key (use its public key)');
    return nodeSubtle.verify(algorithm, key, signature, data);
  }

  digest(algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer> {
    return nodeSubtle.digest(algorithm, data);
  }

  async encrypt(
    algorithm: AlgorithmIdentifier | webcrypto.RsaOaepParams | webcrypto.AesCtrParams | webcrypto.AesCbcParams | webcrypto.AesGcmParams,
    key: CryptoKey,
    data: BufferSource,
  ): Promise<ArrayBuffer> {
    const token = asTokenKey(key);
    if (token === undefined) return nodeSubtle.encrypt(algorithm, key, data);
    const params = this.gcmParams(algorithm);
    return toArrayBuffer(await this.ops.gcmEncrypt(token.hsmKey, params.iv, toBytes(data), params.aad));
  }

  async decrypt(
    algorithm: AlgorithmIdentifier | webcrypto.RsaOaepParams | webcrypto.AesCtrParams | webcrypto.AesCbcParams | webcrypto.AesGcmParams,
    key: CryptoKey,
    data: BufferSource,
  ): Promise<ArrayBuffer> {
    const token = asTokenKey(key);
    if (token === undefined) return nodeSubtle.decrypt(algorithm, key, data);
    const params = this.gcmParams(algorithm);
    return toArrayBuffer(await this.ops.gcmDecrypt(token.hsmKey, params.iv, toBytes(data), params.aad));
  }

  private gcmParams(algorithm: AlgorithmIdentifier): { iv: Uint8Array; aad?: Uint8Array } {
    if (algorithmName(algorithm) !== 'AES-GCM' || typeof algorithm === 'string') refuse(`${algorithmName(algorithm)} with a token key`);
    const params = algorithm as webcrypto.AesGcmParams;
    if (params.tagLength !== undefined && params.tagLength !== 128) throw new UnsupportedError(`AES-GCM tags are 128 bits here, not ${params.tagLength}`);
    return { iv: toBytes(params.iv), ...(params.additionalData ? { aad: toBytes(params.additionalData) } : {}) };
  }

  exportKey(format: 'jwk', key: CryptoKey): Promise<webcrypto.JsonWebKey>;
  exportKey(format: Exclude<KeyFormat, 'jwk'>, key: CryptoKey): Promise<ArrayBuffer>;
  async exportKey(format: KeyFormat, key: CryptoKey): Promise<webcrypto.JsonWebKey | ArrayBuffer> {
    const token = asTokenKey(key);
    if (token !== undefined) throw new KeyUnsuitableError(`"${token.hsmKey.label}" lives in the token and is not extractable`);
    return format === 'jwk' ? nodeSubtle.exportKey('jwk', key) : nodeSubtle.exportKey(format, key);
  }

  generateKey(algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams, extractable: boolean, keyUsages: readonly KeyUsage[]): Promise<webcrypto.CryptoKeyPair>;
  generateKey(algorithm: webcrypto.AesKeyGenParams | webcrypto.HmacKeyGenParams | webcrypto.Pbkdf2Params, extractable: boolean, keyUsages: readonly KeyUsage[]): Promise<CryptoKey>;
  generateKey(algorithm: AlgorithmIdentifier, extractable: boolean, keyUsages: KeyUsage[]): Promise<webcrypto.CryptoKeyPair | CryptoKey>;
  /**
   * Makes session keys in the token (gone when the Hsm closes); `extractable` must be false because
   * keys never leave the token. Persistent keys are made with Hsm.generateKeyPair and a label.
   */
  async generateKey(algorithm: AlgorithmIdentifier, extractable: boolean, keyUsages: readonly KeyUsage[]): Promise<webcrypto.CryptoKeyPair | CryptoKey> {
    if (extractable) throw new UnsupportedError('keys generated in the HSM are never extractable: pass extractable false');
    const name = algorithmName(algorithm);
    const params = (typeof algorithm === 'string' ? {} : algorithm) as Partial<webcrypto.RsaHashedKeyGenParams & webcrypto.EcKeyGenParams & webcrypto.AesKeyGenParams>;
    const options: NewKeyOptions = { label: `webcrypto-${randomUUID()}`, token: false };
    if (name === 'AES-GCM') {
      const bits = params.length as AesKeyBits;
      if (!(AES_KEY_BITS as readonly number[]).includes(bits)) throw new UnsupportedError(`AES keys are ${AES_KEY_BITS.join(', ')} bits`);
      const key = await this.ops.generateAesKey(bits, options);
      return new TokenCryptoKey('secret', { name: 'AES-GCM', length: bits } as webcrypto.AesKeyAlgorithm, keyUsages.filter((u) => u === 'encrypt' || u === 'decrypt'), key);
    }
    let spec: KeyPairSpec;
    let signature: SignatureAlgorithmName;
    if (name === 'ECDSA') {
      const curve = params.namedCurve as CurveName;
      if (!(curve in CURVES)) throw new UnsupportedError(`ECDSA keys are on ${Object.keys(CURVES).join(', ')}`);
      spec = { type: 'EC', curve };
      signature = 'ES256';
    } else if (name === 'RSASSA-PKCS1-V1_5' || name === 'RSA-PSS') {
      const bits = params.modulusLength as RsaModulusBits;
      if (!(RSA_MODULUS_BITS as readonly number[]).includes(bits)) throw new UnsupportedError(`RSA keys are ${RSA_MODULUS_BITS.join(', ')} bits`);
      const exponent = params.publicExponent ? Buffer.from(params.publicExponent).toString('hex').replace(/^0+/, '') : '10001';
      if (exponent !== '10001') throw new UnsupportedError('RSA keys use the public exponent 65537');
      const hash = hashName(params.hash);
      const chosen = BY_HASH[name][hash];
      if (chosen === undefined) throw new UnsupportedError(`${name} with ${hash} is not offered`);
      spec = { type: 'RSA', modulusBits: bits };
      signature = chosen;
    } else {
      refuse(`generating ${name} keys`);
    }
    const pair = await this.ops.generateKeyPair(spec, options);
    return toCryptoKeyPair(this.ops, pair, signature);
  }

  importKey(
    format: 'jwk',
    keyData: webcrypto.JsonWebKey,
    algorithm: AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.HmacImportParams | webcrypto.AesKeyAlgorithm,
    extractable: boolean,
    keyUsages: readonly KeyUsage[],
  ): Promise<CryptoKey>;
  importKey(
    format: Exclude<KeyFormat, 'jwk'>,
    keyData: BufferSource,
    algorithm: AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.HmacImportParams | webcrypto.AesKeyAlgorithm,
    extractable: boolean,
    keyUsages: KeyUsage[],
  ): Promise<CryptoKey>;
  /** Public keys only: a private or secret key imported here would be key material outside the token. */
  importKey(
    format: KeyFormat,
    keyData: webcrypto.JsonWebKey | BufferSource,
    algorithm: AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.HmacImportParams | webcrypto.AesKeyAlgorithm,
    extractable: boolean,
    keyUsages: readonly KeyUsage[],
  ): Promise<CryptoKey> {
    const name = algorithmName(algorithm);
    const isPublic =
      format === 'spki' ||
      (format === 'jwk' && typeof keyData === 'object' && !('d' in keyData) && !('k' in keyData)) ||
      (format === 'raw' && (name === 'ECDSA' || name === 'ECDH' || name === 'ED25519' || name === 'X25519'));
    if (!isPublic) return Promise.reject(new UnsupportedError(`importing a ${format} ${name} private or secret key into the HSM is not offered`));
    if (format === 'jwk') return nodeSubtle.importKey('jwk', keyData as webcrypto.JsonWebKey, algorithm, extractable, [...keyUsages]);
    return nodeSubtle.importKey(format, keyData as BufferSource, algorithm, extractable, [...keyUsages]);
  }

  deriveBits(): Promise<ArrayBuffer> {
    return Promise.reject(refuseLater('deriveBits'));
  }

  deriveKey(): Promise<CryptoKey> {
    return Promise.reject(refuseLater('deriveKey'));
  }

  wrapKey(): Promise<ArrayBuffer> {
    return Promise.reject(refuseLater('wrapKey'));
  }

  unwrapKey(): Promise<CryptoKey> {
    return Promise.reject(refuseLater('unwrapKey (use Hsm.unwrapAesKey)'));
  }
}

function refuseLater(operation: string): UnsupportedError {
  return new UnsupportedError(`${operation} is not offered by the HSM crypto provider`);
}

/**
 * A `Crypto` for code that takes the provider as a parameter (STYLE.md example 6): @peculiar/x509's
 * `X509CertificateGenerator.create(params, crypto)`, pkijs's `new CryptoEngine({ crypto })`.
 */
export class HsmCrypto implements webcrypto.Crypto {
  readonly subtle: HsmSubtleCrypto;
  readonly CryptoKey = webcrypto.CryptoKey;

  constructor(ops: TokenOperations) {
    this.subtle = new HsmSubtleCrypto(ops);
  }

  getRandomValues<T extends Exclude<NodeJS.TypedArray, Float32Array | Float64Array>>(typedArray: T): T {
    return webcrypto.getRandomValues(typedArray);
  }

  randomUUID(): `${string}-${string}-${string}-${string}-${string}` {
    return webcrypto.randomUUID();
  }
}

/** The WebCrypto pair for a token key pair: the private half stays a handle, the public half is a Node CryptoKey. */
export async function toCryptoKeyPair(ops: TokenOperations, pair: HsmKeyPair, signatureAlgorithm: SignatureAlgorithmName): Promise<webcrypto.CryptoKeyPair> {
  const spki = await ops.publicKeySpki(pair.publicKey);
  const entry = SIGNATURE_ALGORITHMS[signatureAlgorithm];
  const importParams =
    pair.privateKey.keyType === 'EC'
      ? { name: 'ECDSA', namedCurve: pair.privateKey.curve ?? '' }
      : { name: entry.webcrypto.name, hash: entry.hash };
  const publicKey = await nodeSubtle.importKey('spki', spki, importParams, true, ['verify']);
  const publicExponent =
    pair.privateKey.keyType === 'RSA' ? new Uint8Array((publicKey.algorithm as webcrypto.RsaHashedKeyAlgorithm).publicExponent) : new Uint8Array(0);
  const privateKey = new TokenCryptoKey('private', keyAlgorithmFor(pair.privateKey, signatureAlgorithm, publicExponent), ['sign'], pair.privateKey);
  return { privateKey, publicKey };
}

import type { webcrypto } from 'node:crypto';
import { ecdsaRawToDer, KeyNotFoundError, type Hsm, type HsmKeyPair, type SignatureAlgorithmName } from '../../hsm';
import { CaError } from './errors';

/**
 * A CA (or OCSP responder) key as the signing code sees it: a WebCrypto provider and its key pair. The same
 * code signs with the platform token (`hsm.crypto`), a production HSM, or a software key in a test
 * (STYLE.md example 6); @peculiar/x509 takes the provider as its `crypto` argument.
 */
export interface SigningKey {
  /** src/hsm's name of the signature algorithm: ES256, ES384, RS256, … */
  readonly algorithm: SignatureAlgorithmName;
  readonly crypto: webcrypto.Crypto;
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKey: webcrypto.CryptoKey;
  /** SubjectPublicKeyInfo DER of the public key. */
  readonly spki: Uint8Array;
}

/** The WebCrypto signing parameters for one of our algorithm names (RSA hashes are bound to the key). */
export function webCryptoSignParams(algorithm: SignatureAlgorithmName): webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams | webcrypto.RsaPssParams {
  if (algorithm.startsWith('ES')) return { name: 'ECDSA', hash: `SHA-${algorithm.slice(2)}` } as webcrypto.EcdsaParams;
  // src/hsm signs PSS with a salt as long as the hash.
  if (algorithm.startsWith('PS')) return { name: 'RSA-PSS', saltLength: Number(algorithm.slice(2)) / 8 } as webcrypto.RsaPssParams;
  return { name: 'RSASSA-PKCS1-v1_5' };
}

/**
 * Signs `data` and returns the signature as X.509, CRLs and OCSP carry it: DER Ecdsa-Sig-Value for ECDSA
 * (WebCrypto gives r‖s), the raw octets for RSA.
 */
export async function signData(key: SigningKey, data: Uint8Array): Promise<Buffer> {
  const raw = Buffer.from(await key.crypto.subtle.sign(webCryptoSignParams(key.algorithm), key.privateKey, data));
  return key.algorithm.startsWith('ES') ? ecdsaRawToDer(raw) : raw;
}

/** The signature algorithm a CA key signs with: ECDSA with the hash matching the curve, RSA PKCS#1 v1.5 with SHA-256. */
export function algorithmForKey(pair: HsmKeyPair): SignatureAlgorithmName {
  const key = pair.privateKey;
  if (key.keyType === 'EC') {
    if (key.curve === 'P-256') return 'ES256';
    if (key.curve === 'P-384') return 'ES384';
    if (key.curve === 'P-521') return 'ES512';
    throw new CaError('KEY_PROBLEM', `the key "${key.label}" is on a curve the CA does not sign with`);
  }
  // PKCS#1 v1.5 rather than PSS: every relying party (openssl ocsp, Java, Windows) verifies it.
  if (key.keyType === 'RSA') return 'RS256';
  throw new CaError('KEY_PROBLEM', `the key "${key.label}" is not a signing key (${key.keyType})`);
}

/** The key pair labelled `label` in the token, ready to sign; KEY_PROBLEM when it is missing. */
export async function hsmSigningKey(hsm: Hsm, label: string): Promise<SigningKey> {
  let pair: HsmKeyPair;
  try {
    pair = await hsm.findKeyPair({ label });
  } catch (err) {
    if (err instanceof KeyNotFoundError) throw new CaError('KEY_PROBLEM', `token "${hsm.tokenLabel}" has no key labelled "${label}"`, { cause: err });
    throw err;
  }
  return signingKeyFromPair(hsm, pair);
}

export async function signingKeyFromPair(hsm: Hsm, pair: HsmKeyPair): Promise<SigningKey> {
  const algorithm = algorithmForKey(pair);
  const keys = await hsm.cryptoKeyPair(pair, algorithm);
  const spki = await hsm.publicKeySpki(pair.publicKey);
  return { algorithm, crypto: hsm.crypto, privateKey: keys.privateKey, publicKey: keys.publicKey, spki };
}

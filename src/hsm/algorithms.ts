import * as pkcs11 from 'pkcs11js';

/**
 * The one table of algorithms src/hsm offers: each name maps to its PKCS#11 mechanism (the combined one
 * and the raw fallback for tokens that lack it), its WebCrypto parameters, its OIDs and its minimum key
 * size. Code elsewhere names algorithms ('ES256'), never mechanisms.
 */

export const HASHES = {
  'SHA-1': {
    node: 'sha1',
    bytes: 20,
    ckm: pkcs11.CKM_SHA_1,
    mgf: pkcs11.CKG_MGF1_SHA1,
    oid: '1.3.14.3.2.26',
    /** DER of DigestInfo up to the digest itself (RFC 8017 §9.2 note 1). */
    digestInfoPrefix: '3021300906052b0e03021a05000414',
  },
  'SHA-256': {
    node: 'sha256',
    bytes: 32,
    ckm: pkcs11.CKM_SHA256,
    mgf: pkcs11.CKG_MGF1_SHA256,
    oid: '2.16.840.1.101.3.4.2.1',
    digestInfoPrefix: '3031300d060960864801650304020105000420',
  },
  'SHA-384': {
    node: 'sha384',
    bytes: 48,
    ckm: pkcs11.CKM_SHA384,
    mgf: pkcs11.CKG_MGF1_SHA384,
    oid: '2.16.840.1.101.3.4.2.2',
    digestInfoPrefix: '3041300d060960864801650304020205000430',
  },
  'SHA-512': {
    node: 'sha512',
    bytes: 64,
    ckm: pkcs11.CKM_SHA512,
    mgf: pkcs11.CKG_MGF1_SHA512,
    oid: '2.16.840.1.101.3.4.2.3',
    digestInfoPrefix: '3051300d060960864801650304020305000440',
  },
} as const;
export type HashName = keyof typeof HASHES;

export const CURVES = {
  'P-256': { oid: '1.2.840.10045.3.1.7', ecParams: '06082a8648ce3d030107', bits: 256, fieldBytes: 32, openssl: 'prime256v1' },
  'P-384': { oid: '1.3.132.0.34', ecParams: '06052b81040022', bits: 384, fieldBytes: 48, openssl: 'secp384r1' },
  'P-521': { oid: '1.3.132.0.35', ecParams: '06052b81040023', bits: 521, fieldBytes: 66, openssl: 'secp521r1' },
} as const;
export type CurveName = keyof typeof CURVES;

export const KEY_OIDS = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

/** RSA moduli we generate; smaller ones found in a token are refused for signing by minKeyBits below. */
export const RSA_MODULUS_BITS = [2048, 3072, 4096] as const;
export type RsaModulusBits = (typeof RSA_MODULUS_BITS)[number];
export const RSA_PUBLIC_EXPONENT = Buffer.from([0x01, 0x00, 0x01]);

export const AES_KEY_BITS = [128, 192, 256] as const;
export type AesKeyBits = (typeof AES_KEY_BITS)[number];

/**
 * How the token's input is made from the message:
 * - 'message': the combined mechanism hashes inside the token;
 * - 'digest': we hash in software (CKM_ECDSA, CKM_RSA_PKCS_PSS);
 * - 'digestInfo': we hash and wrap the digest in a DigestInfo (CKM_RSA_PKCS).
 */
export type SignatureInput = 'message' | 'digest' | 'digestInfo';

interface MechanismChoice {
  readonly ckm: number;
  readonly name: string;
  readonly input: SignatureInput;
}

interface SignatureAlgorithmEntry {
  readonly keyType: 'RSA' | 'EC';
  readonly hash: HashName;
  /** Preferred: the token hashes. */
  readonly combined: MechanismChoice;
  /** When the token lacks `combined` (SoftHSM2 2.6.1 has no CKM_ECDSA_SHA*): hash in software. */
  readonly raw: MechanismChoice;
  /** RSA-PSS: MGF1 with the same hash, salt as long as the hash (RFC 8017 §9.1 recommendation; what RFC 4055 profiles use). */
  readonly pss?: { readonly saltLength: number };
  /** The curve JOSE ties to this name; X.509 and CMS allow others, and so do we (the key decides the signature size). */
  readonly curve?: CurveName;
  readonly webcrypto: { readonly name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | 'ECDSA' };
  /** AlgorithmIdentifier OID of the signature (for RSA-PSS the parameters carry the hash). */
  readonly signatureOid: string;
  readonly keyOid: string;
  /** Refused below this: RSA modulus bits, or EC field bits. */
  readonly minKeyBits: number;
}

const rsaPkcs1 = (hash: HashName, ckm: number, name: string, signatureOid: string): SignatureAlgorithmEntry => ({
  keyType: 'RSA',
  hash,
  combined: { ckm, name, input: 'message' },
  raw: { ckm: pkcs11.CKM_RSA_PKCS, name: 'CKM_RSA_PKCS', input: 'digestInfo' },
  webcrypto: { name: 'RSASSA-PKCS1-v1_5' },
  signatureOid,
  keyOid: KEY_OIDS.rsaEncryption,
  minKeyBits: 2048,
});

const rsaPss = (hash: HashName, ckm: number, name: string): SignatureAlgorithmEntry => ({
  keyType: 'RSA',
  hash,
  combined: { ckm, name, input: 'message' },
  raw: { ckm: pkcs11.CKM_RSA_PKCS_PSS, name: 'CKM_RSA_PKCS_PSS', input: 'digest' },
  pss: { saltLength: HASHES[hash].bytes },
  webcrypto: { name: 'RSA-PSS' },
  signatureOid: '1.2.840.113549.1.1.10',
  keyOid: KEY_OIDS.rsaEncryption,
  minKeyBits: 2048,
});

const ecdsa = (hash: HashName, ckm: number, name: string, curve: CurveName, signatureOid: string): SignatureAlgorithmEntry => ({
  keyType: 'EC',
  hash,
  combined: { ckm, name, input: 'message' },
  raw: { ckm: pkcs11.CKM_ECDSA, name: 'CKM_ECDSA', input: 'digest' },
  curve,
  webcrypto: { name: 'ECDSA' },
  signatureOid,
  keyOid: KEY_OIDS.ecPublicKey,
  minKeyBits: 256,
});

export const SIGNATURE_ALGORITHMS = {
  RS256: rsaPkcs1('SHA-256', pkcs11.CKM_SHA256_RSA_PKCS, 'CKM_SHA256_RSA_PKCS', '1.2.840.113549.1.1.11'),
  RS384: rsaPkcs1('SHA-384', pkcs11.CKM_SHA384_RSA_PKCS, 'CKM_SHA384_RSA_PKCS', '1.2.840.113549.1.1.12'),
  RS512: rsaPkcs1('SHA-512', pkcs11.CKM_SHA512_RSA_PKCS, 'CKM_SHA512_RSA_PKCS', '1.2.840.113549.1.1.13'),
  PS256: rsaPss('SHA-256', pkcs11.CKM_SHA256_RSA_PKCS_PSS, 'CKM_SHA256_RSA_PKCS_PSS'),
  PS384: rsaPss('SHA-384', pkcs11.CKM_SHA384_RSA_PKCS_PSS, 'CKM_SHA384_RSA_PKCS_PSS'),
  PS512: rsaPss('SHA-512', pkcs11.CKM_SHA512_RSA_PKCS_PSS, 'CKM_SHA512_RSA_PKCS_PSS'),
  ES256: ecdsa('SHA-256', pkcs11.CKM_ECDSA_SHA256, 'CKM_ECDSA_SHA256', 'P-256', '1.2.840.10045.4.3.2'),
  ES384: ecdsa('SHA-384', pkcs11.CKM_ECDSA_SHA384, 'CKM_ECDSA_SHA384', 'P-384', '1.2.840.10045.4.3.3'),
  ES512: ecdsa('SHA-512', pkcs11.CKM_ECDSA_SHA512, 'CKM_ECDSA_SHA512', 'P-521', '1.2.840.10045.4.3.4'),
} as const satisfies Record<string, SignatureAlgorithmEntry>;
export type SignatureAlgorithmName = keyof typeof SIGNATURE_ALGORITHMS;
export type SignatureAlgorithm = SignatureAlgorithmEntry;

export function isSignatureAlgorithmName(name: string): name is SignatureAlgorithmName {
  return Object.prototype.hasOwnProperty.call(SIGNATURE_ALGORITHMS, name);
}

/**
 * Key transport: an AES key sent under the token's RSA public key, unwrapped with C_UnwrapKey.
 * SoftHSM2 2.6.1 accepts CKM_RSA_PKCS_OAEP only with hashAlg CKM_SHA_1 and MGF1-SHA1: SHA-256/384/512
 * give CKR_ARGUMENTS_BAD (tested in spec/hsm/aes.spec.ts). SHA-1 is still sound inside OAEP (no collision
 * resistance is needed there), so 'RSA-OAEP' is the default; a production HSM may take 'RSA-OAEP-256'.
 * Node's publicEncrypt with RSA_PKCS1_OAEP_PADDING and oaepHash 'sha1' (its default) makes the matching input.
 */
export const KEY_TRANSPORT_ALGORITHMS = {
  'RSA-OAEP': { ckm: pkcs11.CKM_RSA_PKCS_OAEP, hash: 'SHA-1', oid: '1.2.840.113549.1.1.7', minKeyBits: 2048 },
  'RSA-OAEP-256': { ckm: pkcs11.CKM_RSA_PKCS_OAEP, hash: 'SHA-256', oid: '1.2.840.113549.1.1.7', minKeyBits: 2048 },
} as const satisfies Record<string, { ckm: number; hash: HashName; oid: string; minKeyBits: number }>;
export type KeyTransportAlgorithmName = keyof typeof KEY_TRANSPORT_ALGORITHMS;
export const DEFAULT_KEY_TRANSPORT: KeyTransportAlgorithmName = 'RSA-OAEP';

/** CKZ_DATA_SPECIFIED: the OAEP label source (pkcs11js does not export it). The label is empty. */
export const CKZ_DATA_SPECIFIED = 0x00000001;

/**
 * AES-GCM: 96-bit random IV (NIST SP 800-38D §8.2.2), 128-bit tag. SoftHSM2 2.6.1 reads the PKCS#11 v2.40
 * CK_GCM_PARAMS (with ulIvBits), which pkcs11js calls CK_PARAMS_AES_GCM_v240; the older layout is refused.
 */
export const AES_GCM = {
  ckm: pkcs11.CKM_AES_GCM,
  paramsType: pkcs11.CK_PARAMS_AES_GCM_v240,
  ivBytes: 12,
  tagBytes: 16,
  oids: { 128: '2.16.840.1.101.3.4.1.6', 192: '2.16.840.1.101.3.4.1.26', 256: '2.16.840.1.101.3.4.1.46' },
} as const;

export function curveByEcParams(ecParams: Uint8Array): CurveName | undefined {
  const hex = Buffer.from(ecParams.buffer, ecParams.byteOffset, ecParams.byteLength).toString('hex');
  for (const [name, curve] of Object.entries(CURVES) as [CurveName, (typeof CURVES)[CurveName]][]) {
    if (curve.ecParams === hex) return name;
  }
  return undefined;
}

import type { SignatureAlgorithmName } from '../../hsm';
import { DerReader, Tag, ctxCons } from '../der/reader';
import { isPkiParseError } from '../errors';
import { type AlgorithmIdentifier, parametersAbsentOrNull, parseAlgorithmIdentifierTlv } from '../x509/algorithm';
import { explicit, integer, nullValue, oid, sequence } from './der-writer';
import { CMS_OID } from './oids';

/**
 * The one table of algorithms CMS signs and verifies here: SHA-256/384/512 digests with RSA PKCS#1 v1.5,
 * RSASSA-PSS and ECDSA (RFC 5754, RFC 4056, RFC 5753). SHA-1 and everything else is refused as unsupported:
 * a mobile signature is evidence for years, and SHA-1 collisions are practical.
 */
export type CmsHash = 'sha256' | 'sha384' | 'sha512';

interface DigestSpec {
  readonly oid: string;
  readonly bytes: number;
  readonly rsaPkcs1Oid: string;
  readonly ecdsaOid: string;
}

export const CMS_DIGESTS: Readonly<Record<CmsHash, DigestSpec>> = {
  sha256: { oid: '2.16.840.1.101.3.4.2.1', bytes: 32, rsaPkcs1Oid: '1.2.840.113549.1.1.11', ecdsaOid: '1.2.840.10045.4.3.2' },
  sha384: { oid: '2.16.840.1.101.3.4.2.2', bytes: 48, rsaPkcs1Oid: '1.2.840.113549.1.1.12', ecdsaOid: '1.2.840.10045.4.3.3' },
  sha512: { oid: '2.16.840.1.101.3.4.2.3', bytes: 64, rsaPkcs1Oid: '1.2.840.113549.1.1.13', ecdsaOid: '1.2.840.10045.4.3.4' },
};

const DIGEST_BY_OID: ReadonlyMap<string, CmsHash> = new Map(
  (Object.keys(CMS_DIGESTS) as CmsHash[]).map((h) => [CMS_DIGESTS[h].oid, h]),
);

/** RFC 5754 §2: digest AlgorithmIdentifiers are written with parameters absent (NULL is accepted when read). */
export const digestAlgorithmDer = (hash: CmsHash): Buffer => sequence(oid(CMS_DIGESTS[hash].oid));

/** RFC 4055 §3.1 RSASSA-PSS-params with MGF1 over the same hash and a salt as long as the hash (trailerField default). */
function pssAlgorithmDer(hash: CmsHash): Buffer {
  const hashAlg = sequence(oid(CMS_DIGESTS[hash].oid), nullValue());
  return sequence(
    oid(CMS_OID.rsassaPss),
    sequence(explicit(0, hashAlg), explicit(1, sequence(oid(CMS_OID.mgf1), hashAlg)), explicit(2, integer(CMS_DIGESTS[hash].bytes))),
  );
}

export interface CmsSignatureSpec {
  readonly keyType: 'RSA' | 'EC';
  readonly hash: CmsHash;
  /** The SignerInfo signatureAlgorithm we write, complete DER. */
  readonly signatureAlgorithm: Buffer;
}

const rsa = (hash: CmsHash): CmsSignatureSpec => ({
  keyType: 'RSA',
  hash,
  // RFC 5754 §3.2 allows rsaEncryption or shaNNNWithRSAEncryption; the latter names the hash, with NULL parameters (RFC 4055 §5).
  signatureAlgorithm: sequence(oid(CMS_DIGESTS[hash].rsaPkcs1Oid), nullValue()),
});
const pss = (hash: CmsHash): CmsSignatureSpec => ({ keyType: 'RSA', hash, signatureAlgorithm: pssAlgorithmDer(hash) });
// RFC 5758 §3.2: ECDSA AlgorithmIdentifiers have no parameters.
const ecdsa = (hash: CmsHash): CmsSignatureSpec => ({ keyType: 'EC', hash, signatureAlgorithm: sequence(oid(CMS_DIGESTS[hash].ecdsaOid)) });

/** Keyed by the names src/hsm signs with, so a token signer and its CMS encoding cannot drift apart. */
export const CMS_SIGNATURE_ALGORITHMS: Readonly<Record<SignatureAlgorithmName, CmsSignatureSpec>> = {
  RS256: rsa('sha256'),
  RS384: rsa('sha384'),
  RS512: rsa('sha512'),
  PS256: pss('sha256'),
  PS384: pss('sha384'),
  PS512: pss('sha512'),
  ES256: ecdsa('sha256'),
  ES384: ecdsa('sha384'),
  ES512: ecdsa('sha512'),
};

export function isCmsSignatureAlgorithm(name: string): name is SignatureAlgorithmName {
  return Object.prototype.hasOwnProperty.call(CMS_SIGNATURE_ALGORITHMS, name);
}

export type Resolved<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** The digest of a SignerInfo digestAlgorithm (parameters absent or NULL, RFC 5754 §2). */
export function digestFromAlgorithm(alg: AlgorithmIdentifier): Resolved<CmsHash> {
  const hash = DIGEST_BY_OID.get(alg.oid);
  if (hash === undefined) return { ok: false, message: `digest algorithm ${alg.oid} is not supported (SHA-256, SHA-384, SHA-512)` };
  if (!parametersAbsentOrNull(alg)) return { ok: false, message: `digest algorithm ${hash}: parameters must be absent or NULL` };
  return { ok: true, value: hash };
}

/** The hash named by RSASSA-PSS-params [0] (default SHA-1, which we refuse). */
function pssHash(params: Uint8Array | undefined): Resolved<CmsHash> {
  if (params === undefined) return { ok: false, message: 'RSASSA-PSS without parameters' };
  try {
    const seq = DerReader.single(params, 'RSASSA-PSS-params');
    if (seq.tag !== Tag.SEQUENCE) return { ok: false, message: 'RSASSA-PSS-params is not a SEQUENCE' };
    const holder = DerReader.inside(seq, 'RSASSA-PSS-params').optional(ctxCons(0));
    if (holder === undefined) return { ok: false, message: 'RSASSA-PSS with the default hash SHA-1 is not supported' };
    const r = DerReader.inside(holder, 'RSASSA-PSS-params');
    const hash = digestFromAlgorithm(parseAlgorithmIdentifierTlv(r.next(), 'RSASSA-PSS hashAlgorithm'));
    r.end();
    return hash;
  } catch (err) {
    if (isPkiParseError(err)) return { ok: false, message: err.message };
    throw err;
  }
}

/**
 * What the one verifier (crypto/verify-signature.ts) should check a SignerInfo signature as, given its
 * digestAlgorithm and signatureAlgorithm. The digest must be the one the signature algorithm names
 * (RFC 5754 §3, RFC 4056 §2, RFC 5753 §7.1.3); rsaEncryption, which names none, takes the digestAlgorithm.
 */
export function signerVerification(digest: CmsHash, signatureAlgorithm: AlgorithmIdentifier): Resolved<AlgorithmIdentifier | string> {
  const spec = CMS_DIGESTS[digest];
  switch (signatureAlgorithm.oid) {
    case CMS_OID.rsaEncryption:
      if (!parametersAbsentOrNull(signatureAlgorithm)) return { ok: false, message: 'rsaEncryption: parameters must be NULL or absent' };
      return { ok: true, value: spec.rsaPkcs1Oid };
    case CMS_OID.rsassaPss: {
      const hash = pssHash(signatureAlgorithm.parameters);
      if (!hash.ok) return hash;
      if (hash.value !== digest) return { ok: false, message: `RSASSA-PSS hash ${hash.value} differs from the digest algorithm ${digest}` };
      return { ok: true, value: signatureAlgorithm };
    }
    default: {
      const named = (Object.keys(CMS_DIGESTS) as CmsHash[]).find(
        (h) => CMS_DIGESTS[h].rsaPkcs1Oid === signatureAlgorithm.oid || CMS_DIGESTS[h].ecdsaOid === signatureAlgorithm.oid,
      );
      if (named === undefined) return { ok: false, message: `signature algorithm ${signatureAlgorithm.oid} is not supported` };
      if (named !== digest) return { ok: false, message: `signature algorithm uses ${named} but the digest algorithm is ${digest}` };
      return { ok: true, value: signatureAlgorithm };
    }
  }
}

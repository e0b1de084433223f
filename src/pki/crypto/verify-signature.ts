import { constants, verify as nodeVerify } from 'node:crypto';
import { DerReader, Tag, ctxCons, readCount } from '../der/reader';
import { PkiParseError, isPkiParseError } from '../errors';
import { type AlgorithmIdentifier, type SubjectPublicKeyInfo, parametersAbsentOrNull, parseAlgorithmIdentifierTlv, parseSpki } from '../x509/algorithm';
import { OID } from '../x509/oids';
import { HASH_OIDS, type HashName, SIGNATURE_ALGORITHMS } from './algorithms';
import { parseDssSignature, toP1363 } from './dss-signature';
import { type PreparedKey, prepareKey } from './public-key';

/**
 * The one place signatures are verified. Every signature value is checked by our own code first
 * (exact DER for ECDSA/DSA, exact length for RSA) and only then handed to node:crypto, in a form with a
 * single encoding (IEEE P1363 r‖s for ECDSA/DSA), so that node's own leniency never decides anything.
 */
export type SignatureFailure = 'unsupported-algorithm' | 'invalid-key' | 'key-mismatch' | 'malformed-signature' | 'invalid-signature';

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly failure: SignatureFailure; readonly message: string };

export interface VerifyInput {
  /** The signature AlgorithmIdentifier, or just its OID when it takes no parameters. */
  readonly algorithm: AlgorithmIdentifier | string;
  /** The signer's SubjectPublicKeyInfo, parsed or as DER. */
  readonly publicKey: SubjectPublicKeyInfo | Uint8Array;
  /** DSA parameters to use when the key's own are absent (inherited from its issuer). */
  readonly inheritedKeyParameters?: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

const bad = (failure: SignatureFailure, message: string): SignatureCheck => ({ ok: false, failure, message });

interface PssParams {
  readonly hash: HashName;
  readonly saltLength: number;
}

function hashFromAlgorithmIdentifier(alg: AlgorithmIdentifier, what: string): HashName {
  const hash = HASH_OIDS[alg.oid];
  if (!hash) throw new PkiParseError(`${what}: unsupported hash ${alg.oid}`);
  // RFC 4055 §2.1: hash AlgorithmIdentifier parameters are NULL or absent.
  if (!parametersAbsentOrNull(alg)) throw new PkiParseError(`${what}: hash parameters must be NULL or absent`);
  return hash;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1), EXPLICIT tags with DEFAULTs sha1 / mgf1SHA1 / 20 / 1. node:crypto uses
 * the message digest for MGF1 too, so a different MGF1 digest is refused as unsupported.
 */
function parsePssParams(params: Uint8Array | undefined): PssParams | string {
  const what = 'RSASSA-PSS-params';
  if (params === undefined) return `${what} absent`;
  const seq = DerReader.single(params, what);
  if (seq.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: expected a SEQUENCE`);
  const r = DerReader.inside(seq, what);
  let hash: HashName = 'sha1';
  let mgfHash: HashName = 'sha1';
  let saltLength = 20;
  const h = r.optional(ctxCons(0));
  if (h) {
    const hr = DerReader.inside(h, what);
    hash = hashFromAlgorithmIdentifier(parseAlgorithmIdentifierTlv(hr.expect(Tag.SEQUENCE, 'hashAlgorithm'), what), what);
    hr.end();
  }
  const m = r.optional(ctxCons(1));
  if (m) {
    const mr = DerReader.inside(m, what);
    const mgf = parseAlgorithmIdentifierTlv(mr.expect(Tag.SEQUENCE, 'maskGenAlgorithm'), what);
    mr.end();
    if (mgf.oid !== OID.mgf1 || mgf.parameters === undefined) return `${what}: unsupported mask generation function ${mgf.oid}`;
    mgfHash = hashFromAlgorithmIdentifier(parseAlgorithmIdentifierTlv(DerReader.single(mgf.parameters, what), what), what);
  }
  const s = r.optional(ctxCons(2));
  if (s) {
    const sr = DerReader.inside(s, what);
    saltLength = readCount(sr.expect(Tag.INTEGER, 'saltLength'), what);
    sr.end();
  }
  const t = r.optional(ctxCons(3));
  if (t) {
    const tr = DerReader.inside(t, what);
    if (readCount(tr.expect(Tag.INTEGER, 'trailerField'), what) !== 1) return `${what}: trailerField must be 1`;
    tr.end();
  }
  r.end();
  if (mgfHash !== hash) return `${what}: MGF1 digest ${mgfHash} differs from message digest ${hash}`;
  return { hash, saltLength };
}

function checkParameters(alg: AlgorithmIdentifier, rule: 'null-or-absent' | 'absent' | 'pss'): string | undefined {
  if (rule === 'null-or-absent' && !parametersAbsentOrNull(alg)) return 'parameters must be NULL or absent';
  if (rule === 'absent' && alg.parameters !== undefined) return 'parameters must be absent';
  return undefined;
}

function verifyDss(key: PreparedKey & { kind: 'ec' | 'dsa' }, hash: HashName, data: Uint8Array, signature: Uint8Array): SignatureCheck {
  let parsed;
  try {
    parsed = parseDssSignature(signature);
  } catch (err) {
    if (isPkiParseError(err)) return bad('malformed-signature', err.message);
    throw err;
  }
  const order = key.kind === 'ec' ? key.curve.order : key.q;
  const width = key.kind === 'ec' ? key.curve.orderBytes : key.qBytes;
  // SEC 1 §4.1.4 step 1 / FIPS 186-4 §4.7: r and s must lie in [1, n-1]; checked here, not left to the library.
  if (parsed.r >= order || parsed.s >= order) return bad('invalid-signature', 'r or s is not below the group order');
  const p1363 = toP1363(parsed, width);
  if (!p1363) return bad('invalid-signature', 'r or s too large');
  const ok = nodeVerify(hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, p1363);
  return ok ? { ok: true } : bad('invalid-signature', 'signature does not verify');
}

function verifyWithKey(alg: AlgorithmIdentifier, key: PreparedKey, data: Uint8Array, signature: Uint8Array): SignatureCheck {
  const spec = SIGNATURE_ALGORITHMS[alg.oid];
  if (!spec) return bad('unsupported-algorithm', `unsupported signature algorithm ${alg.oid}`);
  const paramProblem = checkParameters(alg, spec.parameters);
  if (paramProblem) return bad('unsupported-algorithm', `${spec.name}: ${paramProblem}`);
  switch (spec.family) {
    case 'rsa-pkcs1': {
      if (key.kind !== 'rsa') return bad('key-mismatch', `${spec.name} needs an rsaEncryption key, not ${key.kind}`);
      // RFC 8017 §8.2.2 step 1: the signature is exactly k octets.
      if (signature.length !== key.modulusBytes) return bad('malformed-signature', 'RSA signature length differs from the modulus length');
      const ok = nodeVerify(spec.hash as HashName, data, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature);
      return ok ? { ok: true } : bad('invalid-signature', 'signature does not verify');
    }
    case 'rsa-pss': {
      if (key.kind !== 'rsa' && key.kind !== 'rsa-pss') return bad('key-mismatch', `RSASSA-PSS needs an RSA key, not ${key.kind}`);
      let params: PssParams | string;
      try {
        params = parsePssParams(alg.parameters);
      } catch (err) {
        if (isPkiParseError(err)) return bad('unsupported-algorithm', `malformed ${err.message}`);
        throw err;
      }
      if (typeof params === 'string') return bad('unsupported-algorithm', params);
      if (signature.length !== key.modulusBytes) return bad('malformed-signature', 'RSA signature length differs from the modulus length');
      const ok = nodeVerify(params.hash, data, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: params.saltLength }, signature);
      return ok ? { ok: true } : bad('invalid-signature', 'signature does not verify');
    }
    case 'ecdsa':
      if (key.kind !== 'ec') return bad('key-mismatch', `${spec.name} needs an EC key, not ${key.kind}`);
      return verifyDss(key, spec.hash as HashName, data, signature);
    case 'dsa':
      if (key.kind !== 'dsa') return bad('key-mismatch', `${spec.name} needs a DSA key, not ${key.kind}`);
      return verifyDss(key, spec.hash as HashName, data, signature);
    case 'eddsa': {
      const want = alg.oid === OID.ed25519 ? 'ed25519' : 'ed448';
      if (key.kind !== want) return bad('key-mismatch', `${spec.name} needs an ${want} key, not ${key.kind}`);
      if (signature.length !== (want === 'ed25519' ? 64 : 114)) return bad('malformed-signature', `${spec.name} signature has the wrong length`);
      const ok = nodeVerify(null, data, key.key, signature);
      return ok ? { ok: true } : bad('invalid-signature', 'signature does not verify');
    }
  }
}

/**
 * Verifies one signature. Never throws: a malformed key, algorithm identifier or signature value, and any
 * refusal by node:crypto, come back as a failure with a reason.
 */
export function verifySignature(input: VerifyInput): SignatureCheck {
  try {
    const alg: AlgorithmIdentifier =
      typeof input.algorithm === 'string' ? { oid: input.algorithm, parameters: undefined, der: new Uint8Array(0) } : input.algorithm;
    let spki: SubjectPublicKeyInfo;
    try {
      spki = input.publicKey instanceof Uint8Array ? parseSpki(input.publicKey) : input.publicKey;
    } catch (err) {
      if (isPkiParseError(err)) return bad('invalid-key', err.message);
      throw err;
    }
    const prepared = prepareKey(spki, input.inheritedKeyParameters);
    if (!prepared.ok) return bad(prepared.failure, prepared.message);
    return verifyWithKey(alg, prepared.key, input.data, input.signature);
  } catch (err) {
    if (isPkiParseError(err)) return bad('malformed-signature', err.message);
    // node:crypto throws for inputs it refuses (e.g. a PSS-restricted key used with other parameters).
    return bad('invalid-signature', `verification refused: ${err instanceof Error ? err.message : String(err)}`);
  }
}


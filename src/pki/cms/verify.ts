import { createHash, timingSafeEqual } from 'node:crypto';
import { bytesEqual } from '../der/reader';
import { verifySignature } from '../crypto/verify-signature';
import { isPkiParseError } from '../errors';
import type { PathValidationOptions, RevocationSettings, TrustAnchor } from '../path';
import { validateCertificate } from '../path';
import type { AlgorithmIdentifier } from '../x509/algorithm';
import { type Certificate, keyUsageAllows } from '../x509/certificate';
import { KeyUsageBit } from '../x509/extensions';
import { namesMatch } from '../x509/name';
import { type CmsHash, digestFromAlgorithm, signerVerification } from './algorithms';
import { type KnownSignedAttributes, readSignedAttributes } from './attributes';
import { CertificateCache } from './certificate-cache';
import { retag } from './der-writer';
import { CmsError, type CmsVerifyFailure, cmsFailure } from './errors';
import { checkSigningCertificate } from './ess';
import { CMS_OID } from './oids';
import { type CmsAttribute, type CmsLimits, type SignedData, type SignerIdentifier, type SignerInfo, parseSignedData } from './parse';

export interface VerifySignedDataOptions {
  /** The content of a detached signature (eContent absent). */
  readonly detachedContent?: Uint8Array;
  /** Certificates to find the signer among, besides those the SignedData carries (DER or parsed). */
  readonly certificates?: readonly (Uint8Array | Certificate)[];
  readonly limits?: Partial<CmsLimits>;
  /** Parsed certificates shared between calls; see CertificateCache. A private one per call otherwise. */
  readonly certificateCache?: CertificateCache;
  /**
   * When given, every signer certificate must have a valid RFC 5280 path to one of these; without them only
   * the signatures are checked and `pathValidated` is false.
   */
  readonly trustAnchors?: readonly TrustAnchor[];
  /** Intermediate CA certificates for path building, besides those the SignedData carries. */
  readonly intermediates?: readonly (Uint8Array | Certificate)[];
  /** The time the path must be valid at; default now. */
  readonly time?: Date;
  /** Revocation for path validation; default { mode: 'required' } with no source, which rejects every path. */
  readonly revocation?: RevocationSettings;
  readonly initialPolicySet?: PathValidationOptions['initialPolicySet'];
  readonly initialExplicitPolicy?: boolean;
}

export interface CmsSignerResult {
  readonly index: number;
  readonly certificate: Certificate;
  readonly digestAlgorithm: CmsHash;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** Every signed attribute, as parsed (empty when the SignerInfo has none). */
  readonly signedAttributes: readonly CmsAttribute[];
  readonly signingTime: Date | undefined;
  /** The validated path, trust anchor's child first, the signer certificate last; undefined without trustAnchors. */
  readonly certificatePath: readonly Certificate[] | undefined;
  readonly trustAnchor: TrustAnchor | undefined;
}

export interface CmsVerifySuccess {
  readonly valid: true;
  readonly contentType: string;
  /** The content the signatures cover (eContent, or the detached content given). */
  readonly content: Uint8Array;
  readonly pathValidated: boolean;
  /** Every SignerInfo, in order; all of them verified. */
  readonly signers: readonly CmsSignerResult[];
  /** The first signer and its attributes, for the usual single-signer case. */
  readonly signer: CmsSignerResult;
  readonly signedAttributes: readonly CmsAttribute[];
  readonly signingTime: Date | undefined;
  readonly certificatePath: readonly Certificate[] | undefined;
  readonly signedData: SignedData;
}

export type CmsVerifyResult = CmsVerifySuccess | CmsVerifyFailure;

function sidMatches(sid: SignerIdentifier, cert: Certificate): boolean {
  if (sid.kind === 'issuerAndSerialNumber') return bytesEqual(sid.serialNumber, cert.serialNumber) && namesMatch(sid.issuer, cert.issuer);
  const ski = cert.ext.subjectKeyIdentifier;
  return ski !== undefined && bytesEqual(ski, sid.keyIdentifier);
}

function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Context {
  readonly sd: SignedData;
  readonly content: Uint8Array;
  readonly pool: readonly Certificate[];
  readonly digests: Map<CmsHash, Buffer>;
  readonly options: VerifySignedDataOptions;
}

type SignerOutcome = { readonly ok: true; readonly value: CmsSignerResult } | { readonly ok: false; readonly failure: CmsVerifyFailure };

const fail = (index: number, rule: CmsVerifyFailure['rule'], message: string): SignerOutcome => ({ ok: false, failure: cmsFailure(rule, message, { signerIndex: index }) });

function contentDigest(ctx: Context, hash: CmsHash): Buffer {
  let d = ctx.digests.get(hash);
  if (d === undefined) {
    d = createHash(hash).update(ctx.content).digest();
    ctx.digests.set(hash, d);
  }
  return d;
}

/** The ESS attributes, when present, must name this certificate; a parse failure is a bad attribute. */
function essProblem(known: KnownSignedAttributes | undefined, cert: Certificate, index: number): SignerOutcome | undefined {
  if (known === undefined) return undefined;
  const checks: Array<[1 | 2, KnownSignedAttributes['signingCertificate']]> = [
    [1, known.signingCertificate],
    [2, known.signingCertificateV2],
  ];
  for (const [version, value] of checks) {
    if (value === undefined) continue;
    try {
      const r = checkSigningCertificate(value, version, cert);
      if (!r.ok) return fail(index, r.rule, r.message);
    } catch (err) {
      if (isPkiParseError(err)) return fail(index, 'signed-attributes', err.message);
      throw err;
    }
  }
  return undefined;
}

async function verifySigner(ctx: Context, si: SignerInfo, index: number): Promise<SignerOutcome> {
  const digest = digestFromAlgorithm(si.digestAlgorithm);
  if (!digest.ok) return fail(index, 'unsupported-algorithm', digest.message);
  const algorithm = signerVerification(digest.value, si.signatureAlgorithm);
  if (!algorithm.ok) return fail(index, 'unsupported-algorithm', algorithm.message);

  let known: KnownSignedAttributes | undefined;
  let signedBytes: Uint8Array;
  if (si.signedAttrs !== undefined) {
    const read = readSignedAttributes(si.signedAttrs.attributes);
    if (!read.ok) return fail(index, 'signed-attributes', read.message);
    known = read.value;
    if (known.contentType !== ctx.sd.contentType) {
      return fail(index, 'content-type-mismatch', `the contentType attribute says ${known.contentType}, the content is ${ctx.sd.contentType}`);
    }
    if (!digestsEqual(known.messageDigest, contentDigest(ctx, digest.value))) {
      return fail(index, 'message-digest-mismatch', `the messageDigest attribute is not the ${digest.value} of the content`);
    }
    // §5.4: the signature covers the DER of the attributes with the SET OF tag, not the [0] they are sent with.
    signedBytes = retag(si.signedAttrs.der, 0x31);
  } else {
    // §5.3: without signed attributes only id-data may be signed, and the signature covers the content itself.
    if (ctx.sd.contentType !== CMS_OID.data) return fail(index, 'signed-attributes', `content type ${ctx.sd.contentType} needs signed attributes`);
    signedBytes = ctx.content;
  }

  const candidates = ctx.pool.filter((c) => sidMatches(si.sid, c));
  if (candidates.length === 0) return fail(index, 'signer-certificate-not-found', `no certificate matches the signer's ${si.sid.kind}`);
  // Several certificates may share an issuer and serial (a forgery beside the real one) or a key identifier
  // (a renewed certificate): the one whose key verifies, and that the ESS attribute names, is the signer's.
  let firstProblem: SignerOutcome | undefined;
  let chosen: Certificate | undefined;
  for (const cert of candidates) {
    const ess = essProblem(known, cert, index);
    if (ess) {
      firstProblem ??= ess;
      continue;
    }
    const check = verifySignature({ algorithm: algorithm.value, publicKey: cert.subjectPublicKeyInfo, data: signedBytes, signature: si.signature });
    if (check.ok) {
      chosen = cert;
      break;
    }
    firstProblem ??= fail(index, check.failure === 'unsupported-algorithm' ? 'unsupported-algorithm' : 'signature', check.message);
  }
  if (chosen === undefined) return firstProblem ?? fail(index, 'signature', 'signature does not verify');

  // RFC 5280 §4.2.1.3: a signature on data (not a certificate or CRL) needs digitalSignature or nonRepudiation.
  if (!keyUsageAllows(chosen, KeyUsageBit.digitalSignature) && !keyUsageAllows(chosen, KeyUsageBit.nonRepudiation)) {
    return fail(index, 'key-usage', 'the signer certificate keyUsage has neither digitalSignature nor nonRepudiation');
  }

  let certificatePath: readonly Certificate[] | undefined;
  let trustAnchor: TrustAnchor | undefined;
  const { options } = ctx;
  if (options.trustAnchors !== undefined) {
    const result = await validateCertificate({
      target: chosen,
      intermediates: ctx.pool,
      trustAnchors: options.trustAnchors,
      time: options.time ?? new Date(),
      revocation: options.revocation ?? { mode: 'required' },
      ...(options.initialPolicySet !== undefined ? { initialPolicySet: options.initialPolicySet } : {}),
      ...(options.initialExplicitPolicy !== undefined ? { initialExplicitPolicy: options.initialExplicitPolicy } : {}),
    });
    if (!result.valid) {
      return { ok: false, failure: cmsFailure('path', `signer certificate path: ${result.rule}: ${result.message}`, { signerIndex: index, path: result }) };
    }
    certificatePath = result.path;
    trustAnchor = result.trustAnchor;
  }
  return {
    ok: true,
    value: {
      index,
      certificate: chosen,
      digestAlgorithm: digest.value,
      signatureAlgorithm: si.signatureAlgorithm,
      signedAttributes: si.signedAttrs?.attributes ?? [],
      signingTime: known?.signingTime,
      certificatePath,
      trustAnchor,
    },
  };
}

function certificatePool(sd: SignedData, options: VerifySignedDataOptions, cache: CertificateCache): Certificate[] | CmsVerifyFailure {
  const pool: Certificate[] = [];
  const add = (what: string, list: readonly (Uint8Array | Certificate)[]): CmsVerifyFailure | undefined => {
    for (const [i, c] of list.entries()) {
      if (!(c instanceof Uint8Array)) {
        pool.push(c);
        continue;
      }
      try {
        pool.push(cache.parse(c));
      } catch (err) {
        if (isPkiParseError(err)) return cmsFailure('malformed', `${what}[${i}]: ${err.message}`);
        throw err;
      }
    }
    return undefined;
  };
  return add('certificates', sd.certificates) ?? add('options.certificates', options.certificates ?? []) ?? add('options.intermediates', options.intermediates ?? []) ?? pool;
}

/**
 * Verifies a DER ContentInfo holding a SignedData (RFC 5652 §5.6): for every SignerInfo, the signer
 * certificate found by issuerAndSerialNumber or subjectKeyIdentifier, the signed attributes (contentType,
 * messageDigest, ESS signing certificate), the signature, and, with trustAnchors, the signer's RFC 5280
 * path. Never throws for bad input: the result names the rule that failed.
 */
export async function verifySignedData(der: Uint8Array, options: VerifySignedDataOptions = {}): Promise<CmsVerifyResult> {
  let sd: SignedData;
  try {
    sd = parseSignedData(der, options.limits);
  } catch (err) {
    if (err instanceof CmsError) return cmsFailure(err.rule, err.message);
    throw err;
  }
  if (sd.content !== undefined && options.detachedContent !== undefined) {
    return cmsFailure('content', 'the SignedData carries its content, and detached content was given too');
  }
  const content = sd.content ?? options.detachedContent;
  if (content === undefined) return cmsFailure('content', 'the signature is detached and no content was given');
  if (sd.signerInfos.length === 0) return cmsFailure('no-signer', 'the SignedData has no SignerInfo');

  const pool = certificatePool(sd, options, options.certificateCache ?? new CertificateCache(64));
  if (!Array.isArray(pool)) return pool;
  const ctx: Context = { sd, content, pool, digests: new Map(), options };
  const signers: CmsSignerResult[] = [];
  for (const [i, si] of sd.signerInfos.entries()) {
    const outcome = await verifySigner(ctx, si, i);
    if (!outcome.ok) return outcome.failure;
    signers.push(outcome.value);
  }
  const first = signers[0] as CmsSignerResult;
  return {
    valid: true,
    contentType: sd.contentType,
    content,
    pathValidated: options.trustAnchors !== undefined,
    signers,
    signer: first,
    signedAttributes: first.signedAttributes,
    signingTime: first.signingTime,
    certificatePath: first.certificatePath,
    signedData: sd,
  };
}

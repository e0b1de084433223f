import { createHash } from 'node:crypto';
import { DerReader } from '../der/reader';
import { parseDssSignature } from '../crypto/dss-signature';
import { isPkiParseError } from '../errors';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { OID } from '../x509/oids';
import { CMS_SIGNATURE_ALGORITHMS, type CmsSignatureSpec, digestAlgorithmDer } from './algorithms';
import { type AttributeInput, OWN_ATTRIBUTES, encodeSignedAttributes } from './attributes';
import { explicit, integer, integerFromContent, octetString, oid, sequence, setOf, tlv } from './der-writer';
import { CmsError } from './errors';
import { signingCertificateV2Value } from './ess';
import { CMS_OID } from './oids';
import type { CmsSigner } from './signer';

export interface CreateSignedDataOptions {
  /** The content signed (for a detached signature, the data the signature will travel beside). */
  readonly content: Uint8Array;
  /** Leave eContent out (RFC 5652 §5.2); the verifier is then given the content separately. Default false. */
  readonly detached?: boolean;
  /** eContentType; default id-data. A time-stamp token uses id-ct-TSTInfo. */
  readonly contentType?: string;
  readonly signer: CmsSigner;
  /** The signingTime attribute; default now; null leaves the attribute out. Whole seconds are kept. */
  readonly signingTime?: Date | null;
  /** How the SignerInfo names the certificate (§5.3); subjectKeyIdentifier needs that extension in the certificate. */
  readonly signerIdentifier?: 'issuerAndSerialNumber' | 'subjectKeyIdentifier';
  /** Which certificates to carry: the signer's and its chain (default), the signer's only, or none. */
  readonly certificates?: 'chain' | 'signer' | 'none';
  /** More signed attributes; contentType, messageDigest, signingTime and the ESS signing certificate are ours. */
  readonly extraSignedAttributes?: readonly AttributeInput[];
}

function parseSignerCertificate(der: Uint8Array): Certificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    if (isPkiParseError(err)) throw new CmsError('malformed', `signer certificate: ${err.message}`, { cause: err });
    throw err;
  }
}

function keyTypeOf(cert: Certificate): 'RSA' | 'EC' | undefined {
  const alg = cert.subjectPublicKeyInfo.algorithm.oid;
  if (alg === OID.rsaEncryption || alg === OID.rsassaPss) return 'RSA';
  if (alg === OID.ecPublicKey) return 'EC';
  return undefined;
}

function checkExtraAttributes(extra: readonly AttributeInput[]): void {
  const seen = new Set<string>();
  for (const a of extra) {
    if (OWN_ATTRIBUTES.has(a.oid) || a.oid === CMS_OID.countersignature) throw new CmsError('signed-attributes', `attribute ${a.oid} is set by createSignedData or may not be signed`);
    if (seen.has(a.oid)) throw new CmsError('signed-attributes', `attribute ${a.oid} given twice`);
    seen.add(a.oid);
    if (a.values.length === 0) throw new CmsError('signed-attributes', `attribute ${a.oid} has no value`);
    for (const v of a.values) {
      try {
        DerReader.single(v, `attribute ${a.oid} value`);
      } catch (err) {
        if (isPkiParseError(err)) throw new CmsError('signed-attributes', `attribute ${a.oid}: a value is not one DER encoding: ${err.message}`, { cause: err });
        throw err;
      }
    }
  }
}

function signerIdentifier(cert: Certificate, kind: 'issuerAndSerialNumber' | 'subjectKeyIdentifier'): { sid: Buffer; version: 1 | 3 } {
  if (kind === 'issuerAndSerialNumber') return { sid: sequence(Buffer.from(cert.issuer.der), integerFromContent(cert.serialNumber)), version: 1 };
  const ski = cert.ext.subjectKeyIdentifier;
  if (ski === undefined) throw new CmsError('signer-certificate-not-found', 'the signer certificate has no subjectKeyIdentifier to identify it by');
  return { sid: tlv(0x80, ski), version: 3 };
}

/** What the signer returned must be a signature we would accept ourselves: DER for ECDSA. */
function checkSignatureShape(spec: CmsSignatureSpec, signature: Uint8Array): void {
  if (spec.keyType !== 'EC') return;
  try {
    parseDssSignature(signature);
  } catch (err) {
    if (isPkiParseError(err)) throw new CmsError('signature', `the signer returned an ECDSA signature that is not DER: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * Creates a CMS SignedData (RFC 5652 §5) with one signer, signed attributes contentType, messageDigest,
 * signingTime and signingCertificateV2 (RFC 5035), returned as a DER ContentInfo.
 * Throws CmsError for an algorithm that does not fit the certificate, a bad certificate or bad attributes;
 * whatever the signer throws (a PIN locked, a token gone) passes through unchanged.
 */
export async function createSignedData(options: CreateSignedDataOptions): Promise<Buffer> {
  const { signer, content } = options;
  const spec = CMS_SIGNATURE_ALGORITHMS[signer.algorithm];
  if (spec === undefined) throw new CmsError('unsupported-algorithm', `signature algorithm ${String(signer.algorithm)} is not supported`);
  const cert = parseSignerCertificate(signer.certificate);
  const keyType = keyTypeOf(cert);
  if (keyType !== spec.keyType) {
    throw new CmsError('unsupported-algorithm', `${signer.algorithm} needs an ${spec.keyType} key; the signer certificate holds ${keyType ?? cert.subjectPublicKeyInfo.algorithm.oid}`);
  }
  const extra = options.extraSignedAttributes ?? [];
  checkExtraAttributes(extra);
  const contentType = options.contentType ?? CMS_OID.data;
  const { sid, version: signerVersion } = signerIdentifier(cert, options.signerIdentifier ?? 'issuerAndSerialNumber');

  const signingTime = options.signingTime === null ? undefined : (options.signingTime ?? new Date());
  const attrs = encodeSignedAttributes({
    contentType,
    messageDigest: createHash(spec.hash).update(content).digest(),
    signingTime,
    signingCertificateV2: signingCertificateV2Value(cert),
    extra,
  });
  const signature = await signer.sign(attrs.toSign);
  checkSignatureShape(spec, signature);

  const signerInfo = sequence(integer(signerVersion), sid, digestAlgorithmDer(spec.hash), attrs.field, spec.signatureAlgorithm, octetString(signature));

  const which = options.certificates ?? 'chain';
  const certs = which === 'none' ? [] : which === 'signer' ? [signer.certificate] : [signer.certificate, ...(signer.chain ?? [])];
  const unique = [...new Map(certs.map((c) => [Buffer.from(c).toString('base64'), Buffer.from(c)])).values()];

  const encap = options.detached ? sequence(oid(contentType)) : sequence(oid(contentType), explicit(0, octetString(content)));
  // RFC 5652 §5.1: version 3 when the signer is named by key identifier or the content is not id-data.
  const version = signerVersion === 3 || contentType !== CMS_OID.data ? 3 : 1;
  const signedData = sequence(
    integer(version),
    setOf([digestAlgorithmDer(spec.hash)]),
    encap,
    ...(unique.length > 0 ? [setOf(unique, 0xa0)] : []),
    setOf([signerInfo]),
  );
  return sequence(oid(CMS_OID.signedData), explicit(0, signedData));
}

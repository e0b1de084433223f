import { DerReader, Tag, type Tlv, ctx, ctxCons, integerContent, rawOf, readCount, readOid, valueOf } from '../der/reader';
import { isPkiParseError } from '../errors';
import { type AlgorithmIdentifier, parseAlgorithmIdentifierTlv } from '../x509/algorithm';
import { type Name, parseNameTlv } from '../x509/name';
import { CmsError } from './errors';
import { CMS_OID } from './oids';

/**
 * RFC 5652 ContentInfo / SignedData read with our strict DER reader. Structure only: nothing here decides
 * whether a signature is good. Bounded: the caller's limits cap bytes, certificates, signers and attributes,
 * and the structure has a fixed depth, so hostile input costs at most one pass over its bytes.
 */

export type SignerIdentifier =
  | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: Name; readonly serialNumber: Uint8Array }
  | { readonly kind: 'subjectKeyIdentifier'; readonly keyIdentifier: Uint8Array };

/** Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue } */
export interface CmsAttribute {
  readonly oid: string;
  /** Each AttributeValue's complete encoding. */
  readonly values: readonly Tlv[];
}

export interface SignerInfo {
  readonly version: 1 | 3;
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: AlgorithmIdentifier;
  /** The signed attributes as they appear ([0] IMPLICIT); the signature covers them re-tagged as a SET (§5.4). */
  readonly signedAttrs: { readonly der: Uint8Array; readonly attributes: readonly CmsAttribute[] } | undefined;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly unsignedAttrs: readonly CmsAttribute[];
}

export interface SignedData {
  readonly version: number;
  readonly digestAlgorithms: readonly AlgorithmIdentifier[];
  /** encapContentInfo.eContentType */
  readonly contentType: string;
  /** encapContentInfo.eContent; undefined for a detached signature. */
  readonly content: Uint8Array | undefined;
  /** The certificates field's X.509 certificates (DER); attribute and other certificates are counted, not kept. */
  readonly certificates: readonly Uint8Array[];
  /** The crls field's CertificateLists (DER). */
  readonly crls: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfo[];
}

export interface CmsLimits {
  /** Bytes of the whole ContentInfo. Default 16 MiB. */
  readonly maxBytes: number;
  /** Entries of the certificates field. Default 32. */
  readonly maxCertificates: number;
  /** Entries of the crls field. Default 16. */
  readonly maxCrls: number;
  /** SignerInfos. Default 8. */
  readonly maxSigners: number;
  /** Signed plus unsigned attributes of one SignerInfo, and values of one attribute. Default 64. */
  readonly maxAttributes: number;
  /** digestAlgorithms entries. Default 8. */
  readonly maxDigestAlgorithms: number;
}

export const DEFAULT_CMS_LIMITS: CmsLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxCertificates: 32,
  maxCrls: 16,
  maxSigners: 8,
  maxAttributes: 64,
  maxDigestAlgorithms: 8,
};

const WHAT = 'SignedData';

function malformed(message: string): never {
  throw new CmsError('malformed', `${WHAT}: ${message}`);
}

function overLimit(message: string): never {
  throw new CmsError('limits', `${WHAT}: ${message}`);
}

/** Reads every TLV of a constructed value, refusing more than `max`. */
function children(tlv: Tlv, what: string, max: number): Tlv[] {
  const r = DerReader.inside(tlv, what);
  const out: Tlv[] = [];
  while (!r.atEnd()) {
    if (out.length >= max) overLimit(`more than ${max} entries in ${what}`);
    out.push(r.next());
  }
  return out;
}

function parseAttributes(holder: Tlv, what: string, limits: CmsLimits): CmsAttribute[] {
  const out: CmsAttribute[] = [];
  for (const a of children(holder, what, limits.maxAttributes)) {
    if (a.tag !== Tag.SEQUENCE) malformed(`${what}: an Attribute must be a SEQUENCE`);
    const r = DerReader.inside(a, what);
    const oid = readOid(r.expect(Tag.OID, 'attrType'), what);
    const values = children(r.expect(Tag.SET, 'attrValues'), `${what} ${oid} values`, limits.maxAttributes);
    r.end();
    out.push({ oid, values });
  }
  return out;
}

function parseSid(r: DerReader): { sid: SignerIdentifier; version: 1 | 3 } {
  const tlv = r.next();
  if (tlv.tag === Tag.SEQUENCE) {
    const ias = DerReader.inside(tlv, 'issuerAndSerialNumber');
    const issuer = parseNameTlv(ias.expect(Tag.SEQUENCE, 'issuer'), 'issuerAndSerialNumber issuer');
    const serialNumber = integerContent(ias.expect(Tag.INTEGER, 'serialNumber'), 'issuerAndSerialNumber serialNumber');
    ias.end();
    return { sid: { kind: 'issuerAndSerialNumber', issuer, serialNumber }, version: 1 };
  }
  if (tlv.tag === ctx(0)) {
    const keyIdentifier = valueOf(tlv);
    if (keyIdentifier.length === 0) malformed('empty subjectKeyIdentifier');
    return { sid: { kind: 'subjectKeyIdentifier', keyIdentifier }, version: 3 };
  }
  return malformed(`SignerIdentifier: unexpected tag 0x${tlv.tag.toString(16)}`);
}

function parseSignerInfo(tlv: Tlv, limits: CmsLimits): SignerInfo {
  if (tlv.tag !== Tag.SEQUENCE) malformed('a SignerInfo must be a SEQUENCE');
  const r = DerReader.inside(tlv, 'SignerInfo');
  const version = readCount(r.expect(Tag.INTEGER, 'version'), 'SignerInfo version');
  const { sid, version: expected } = parseSid(r);
  // §5.3: version 1 goes with issuerAndSerialNumber, version 3 with subjectKeyIdentifier.
  if (version !== expected) malformed(`SignerInfo version ${version} for a signer identified by ${sid.kind} (must be ${expected})`);
  const digestAlgorithm = parseAlgorithmIdentifierTlv(r.expect(Tag.SEQUENCE, 'digestAlgorithm'), 'SignerInfo digestAlgorithm');
  const signedTlv = r.optional(ctxCons(0));
  const signedAttrs = signedTlv ? { der: rawOf(signedTlv), attributes: parseAttributes(signedTlv, 'signedAttrs', limits) } : undefined;
  if (signedAttrs && signedAttrs.attributes.length === 0) malformed('signedAttrs is present but empty (SIZE 1..MAX)');
  const signatureAlgorithm = parseAlgorithmIdentifierTlv(r.expect(Tag.SEQUENCE, 'signatureAlgorithm'), 'SignerInfo signatureAlgorithm');
  const signature = valueOf(r.expect(Tag.OCTET_STRING, 'signature'));
  const unsignedTlv = r.optional(ctxCons(1));
  const unsignedAttrs = unsignedTlv ? parseAttributes(unsignedTlv, 'unsignedAttrs', limits) : [];
  r.end();
  if ((signedAttrs?.attributes.length ?? 0) + unsignedAttrs.length > limits.maxAttributes) overLimit(`more than ${limits.maxAttributes} attributes in one SignerInfo`);
  return { version: expected, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature, unsignedAttrs };
}

/** §5.1: the version the rest of the structure dictates. */
function expectedVersion(flags: { other: boolean; v2Attr: boolean; v1Attr: boolean }, signers: readonly SignerInfo[], contentType: string): number {
  if (flags.other) return 5;
  if (flags.v2Attr) return 4;
  if (flags.v1Attr || signers.some((s) => s.version === 3) || contentType !== CMS_OID.data) return 3;
  return 1;
}

function parseSignedDataTlv(sd: Tlv, limits: CmsLimits): SignedData {
  if (sd.tag !== Tag.SEQUENCE) malformed('expected a SEQUENCE');
  const r = DerReader.inside(sd, WHAT);
  const version = readCount(r.expect(Tag.INTEGER, 'version'), 'SignedData version');
  const digestAlgorithms = children(r.expect(Tag.SET, 'digestAlgorithms'), 'digestAlgorithms', limits.maxDigestAlgorithms).map((t) =>
    parseAlgorithmIdentifierTlv(t, 'digestAlgorithms'),
  );

  const encap = DerReader.inside(r.expect(Tag.SEQUENCE, 'encapContentInfo'), 'encapContentInfo');
  const contentType = readOid(encap.expect(Tag.OID, 'eContentType'), 'eContentType');
  let content: Uint8Array | undefined;
  const eContent = encap.optional(ctxCons(0));
  if (eContent) {
    const inner = DerReader.inside(eContent, 'eContent');
    // DER: the OCTET STRING is primitive (a constructed one is BER only).
    content = valueOf(inner.expect(Tag.OCTET_STRING, 'eContent OCTET STRING'));
    inner.end();
  }
  encap.end();

  const flags = { other: false, v2Attr: false, v1Attr: false };
  const certificates: Uint8Array[] = [];
  const certsTlv = r.optional(ctxCons(0));
  if (certsTlv) {
    for (const c of children(certsTlv, 'certificates', limits.maxCertificates)) {
      if (c.tag === Tag.SEQUENCE) certificates.push(rawOf(c));
      else if (c.tag === ctxCons(1)) flags.v1Attr = true;
      else if (c.tag === ctxCons(2)) flags.v2Attr = true;
      else if (c.tag === ctxCons(3)) flags.other = true;
      // [0] extendedCertificate is obsolete (PKCS #6) and plays no part in the version rule.
      else if (c.tag !== ctxCons(0)) malformed(`certificates: unexpected tag 0x${c.tag.toString(16)}`);
    }
  }
  const crls: Uint8Array[] = [];
  const crlsTlv = r.optional(ctxCons(1));
  if (crlsTlv) {
    for (const c of children(crlsTlv, 'crls', limits.maxCrls)) {
      if (c.tag === Tag.SEQUENCE) crls.push(rawOf(c));
      else if (c.tag === ctxCons(1)) flags.other = true;
      else malformed(`crls: unexpected tag 0x${c.tag.toString(16)}`);
    }
  }
  const signerInfos = children(r.expect(Tag.SET, 'signerInfos'), 'signerInfos', limits.maxSigners).map((t) => parseSignerInfo(t, limits));
  r.end();

  const expected = expectedVersion(flags, signerInfos, contentType);
  if (version !== expected) malformed(`version ${version}, but RFC 5652 §5.1 requires ${expected} for this content`);
  return { version, digestAlgorithms, contentType, content, certificates, crls, signerInfos };
}

/**
 * Parses a DER ContentInfo holding a SignedData. Throws CmsError: 'malformed' for anything that is not
 * exactly that, 'limits' when it exceeds `limits`.
 */
export function parseSignedData(der: Uint8Array, limits: Partial<CmsLimits> = {}): SignedData {
  const bounds: CmsLimits = { ...DEFAULT_CMS_LIMITS, ...limits };
  if (der.length > bounds.maxBytes) overLimit(`${der.length} bytes, more than ${bounds.maxBytes}`);
  try {
    const root = DerReader.single(der, 'ContentInfo');
    if (root.tag !== Tag.SEQUENCE) malformed('ContentInfo must be a SEQUENCE');
    const ci = DerReader.inside(root, 'ContentInfo');
    const contentType = readOid(ci.expect(Tag.OID, 'contentType'), 'ContentInfo contentType');
    if (contentType !== CMS_OID.signedData) malformed(`ContentInfo content type ${contentType} is not id-signedData`);
    const holder = DerReader.inside(ci.expect(ctxCons(0), 'content'), 'ContentInfo content');
    const signedData = parseSignedDataTlv(holder.next(), bounds);
    holder.end();
    ci.end();
    return signedData;
  } catch (err) {
    if (isPkiParseError(err)) throw new CmsError('malformed', err.message.startsWith(`${WHAT}:`) ? err.message : `${WHAT}: ${err.message}`, { cause: err });
    throw err;
  }
}

import {
  type BitString,
  DerReader,
  Tag,
  bitIsSet,
  ctx,
  ctxCons,
  integerContent,
  rawOf,
  readCount,
  readBitString,
  readTime,
  toHex,
} from '../der/reader';
import { PkiParseError } from '../errors';
import { type AlgorithmIdentifier, type SubjectPublicKeyInfo, parseAlgorithmIdentifierTlv, parseSpkiTlv } from './algorithm';
import {
  type BasicConstraints,
  type DistributionPoint,
  type Extension,
  type NameConstraints,
  type PolicyConstraints,
  type PolicyInformation,
  type PolicyMapping,
  decodeAuthorityKeyIdentifier,
  decodeBasicConstraints,
  decodeCertificatePolicies,
  decodeDistributionPoints,
  decodeExtKeyUsage,
  decodeGeneralNamesExtension,
  decodeInhibitAnyPolicy,
  decodeKeyUsage,
  decodeNameConstraints,
  decodePolicyConstraints,
  decodePolicyMappings,
  decodeSubjectKeyIdentifier,
  parseExtensionsTlv,
} from './extensions';
import type { GeneralName } from './general-name';
import { type Name, nameToString, parseNameTlv } from './name';
import { OID } from './oids';

/** The extensions path validation acts on, decoded once at parse time (a malformed one fails the parse). */
export interface CertificateExtensions {
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: BitString;
  readonly certificatePolicies?: readonly PolicyInformation[];
  readonly policyMappings?: readonly PolicyMapping[];
  readonly policyConstraints?: PolicyConstraints;
  readonly inhibitAnyPolicy?: number;
  readonly nameConstraints?: NameConstraints;
  readonly subjectAltName?: readonly GeneralName[];
  readonly cRLDistributionPoints?: readonly DistributionPoint[];
  readonly freshestCRL?: readonly DistributionPoint[];
  readonly authorityKeyIdentifier?: Uint8Array;
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly extKeyUsage?: readonly string[];
}

export interface Certificate {
  readonly der: Uint8Array;
  /** The exact tbsCertificate bytes the signature covers. */
  readonly tbs: Uint8Array;
  readonly version: 1 | 2 | 3;
  /** serialNumber content octets (minimal two's complement), compared byte for byte with CRL entries. */
  readonly serialNumber: Uint8Array;
  /** tbsCertificate.signature: must equal signatureAlgorithm (RFC 5280 §4.1.1.2). */
  readonly tbsSignatureAlgorithm: AlgorithmIdentifier;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** Kept as a BIT STRING: a value with unused bits is a bad signature, which verification reports as such. */
  readonly signatureValue: BitString;
  readonly issuer: Name;
  readonly subject: Name;
  /** Milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subjectPublicKeyInfo: SubjectPublicKeyInfo;
  /** Every extension in order, recognised or not. */
  readonly extensions: readonly Extension[];
  readonly ext: CertificateExtensions;
}

type MutableExtensions = { -readonly [K in keyof CertificateExtensions]: CertificateExtensions[K] };

function decodeKnownExtensions(extensions: readonly Extension[]): CertificateExtensions {
  const out: MutableExtensions = {};
  for (const e of extensions) {
    switch (e.oid) {
      case OID.basicConstraints:
        out.basicConstraints = decodeBasicConstraints(e);
        break;
      case OID.keyUsage:
        out.keyUsage = decodeKeyUsage(e);
        break;
      case OID.certificatePolicies:
        out.certificatePolicies = decodeCertificatePolicies(e);
        break;
      case OID.policyMappings:
        out.policyMappings = decodePolicyMappings(e);
        break;
      case OID.policyConstraints:
        out.policyConstraints = decodePolicyConstraints(e);
        break;
      case OID.inhibitAnyPolicy:
        out.inhibitAnyPolicy = decodeInhibitAnyPolicy(e);
        break;
      case OID.nameConstraints:
        out.nameConstraints = decodeNameConstraints(e);
        break;
      case OID.subjectAltName:
        out.subjectAltName = decodeGeneralNamesExtension(e, 'subjectAltName');
        break;
      case OID.cRLDistributionPoints:
        out.cRLDistributionPoints = decodeDistributionPoints(e, 'cRLDistributionPoints');
        break;
      case OID.freshestCRL:
        out.freshestCRL = decodeDistributionPoints(e, 'freshestCRL');
        break;
      case OID.authorityKeyIdentifier:
        out.authorityKeyIdentifier = decodeAuthorityKeyIdentifier(e);
        break;
      case OID.subjectKeyIdentifier:
        out.subjectKeyIdentifier = decodeSubjectKeyIdentifier(e);
        break;
      case OID.extKeyUsage:
        out.extKeyUsage = decodeExtKeyUsage(e);
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * Parses a DER X.509 certificate (RFC 5280 §4.1). Throws PkiParseError for anything that is not exactly one
 * well-formed certificate; structural rules that belong to path validation (critical extensions, CA flags)
 * are left to the validator so that it can name the rule.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  const what = 'certificate';
  const root = DerReader.single(der, what);
  if (root.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: expected a SEQUENCE`, 0);
  const cert = DerReader.inside(root, what);
  const tbsTlv = cert.expect(Tag.SEQUENCE, 'tbsCertificate');
  const signatureAlgorithm = parseAlgorithmIdentifierTlv(cert.expect(Tag.SEQUENCE, 'signatureAlgorithm'), what);
  const signatureValue = readBitString(cert.expect(Tag.BIT_STRING, 'signatureValue'), what);
  cert.end();

  const tbs = DerReader.inside(tbsTlv, 'tbsCertificate');
  let version: 1 | 2 | 3 = 1;
  const versionTlv = tbs.optional(ctxCons(0));
  if (versionTlv) {
    const vr = DerReader.inside(versionTlv, 'version');
    const v = readCount(vr.expect(Tag.INTEGER, 'version'), 'version');
    vr.end();
    if (v > 2) throw new PkiParseError(`${what}: unknown version ${v + 1}`, versionTlv.start);
    version = (v + 1) as 1 | 2 | 3;
  }
  const serialNumber = integerContent(tbs.expect(Tag.INTEGER, 'serialNumber'), 'serialNumber');
  const tbsSignatureAlgorithm = parseAlgorithmIdentifierTlv(tbs.expect(Tag.SEQUENCE, 'signature'), what);
  const issuer = parseNameTlv(tbs.expect(Tag.SEQUENCE, 'issuer'), 'issuer');
  const validity = DerReader.inside(tbs.expect(Tag.SEQUENCE, 'validity'), 'validity');
  const notBefore = readTime(validity.next(), 'notBefore');
  const notAfter = readTime(validity.next(), 'notAfter');
  validity.end();
  const subject = parseNameTlv(tbs.expect(Tag.SEQUENCE, 'subject'), 'subject');
  const subjectPublicKeyInfo = parseSpkiTlv(tbs.expect(Tag.SEQUENCE, 'subjectPublicKeyInfo'), 'subjectPublicKeyInfo');
  const issuerUid = tbs.optional(ctx(1));
  const subjectUid = tbs.optional(ctx(2));
  if ((issuerUid || subjectUid) && version === 1) throw new PkiParseError(`${what}: unique identifiers in a v1 certificate`, tbsTlv.start);
  const extTlv = tbs.optional(ctxCons(3));
  tbs.end();
  let extensions: Extension[] = [];
  if (extTlv) {
    if (version !== 3) throw new PkiParseError(`${what}: extensions in a v${version} certificate`, extTlv.start);
    const holder = DerReader.inside(extTlv, 'extensions');
    extensions = parseExtensionsTlv(holder.expect(Tag.SEQUENCE, 'Extensions'), 'extensions');
    holder.end();
  }
  return {
    der: rawOf(root),
    tbs: rawOf(tbsTlv),
    version,
    serialNumber,
    tbsSignatureAlgorithm,
    signatureAlgorithm,
    signatureValue,
    issuer,
    subject,
    notBefore,
    notAfter,
    subjectPublicKeyInfo,
    extensions,
    ext: decodeKnownExtensions(extensions),
  };
}

/** True when the certificate has no keyUsage extension or has this bit set (RFC 5280 §4.2.1.3). */
export function keyUsageAllows(cert: Certificate, bit: number): boolean {
  return cert.ext.keyUsage === undefined || bitIsSet(cert.ext.keyUsage, bit);
}

/** Whether the certificate asserts cA in basicConstraints. */
export function isCaCertificate(cert: Certificate): boolean {
  return cert.ext.basicConstraints?.ca === true;
}

/** "CN=..., serial 0x1f": for messages. */
export function describeCertificate(cert: Certificate): string {
  return `${nameToString(cert.subject)} (serial ${toHex(cert.serialNumber)})`;
}

import { type BitString, DerReader, Tag, type Tlv, ctxCons, integerContent, rawOf, readBitString, readCount, readTime } from '../der/reader';
import { PkiParseError } from '../errors';
import { type AlgorithmIdentifier, parseAlgorithmIdentifierTlv } from './algorithm';
import {
  type DistributionPoint,
  type Extension,
  type IssuingDistributionPoint,
  decodeAuthorityKeyIdentifier,
  decodeCrlNumber,
  decodeDistributionPoints,
  decodeGeneralNamesExtension,
  decodeIssuingDistributionPoint,
  decodeReasonCode,
  parseExtensionsTlv,
} from './extensions';
import type { GeneralName } from './general-name';
import { type Name, parseNameTlv } from './name';
import { OID } from './oids';

/** CRLReason (RFC 5280 §5.3.1). */
export const CrlReason = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export const CRL_REASON_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(CrlReason).map(([k, v]) => [v, k]),
);

export interface CrlEntry {
  readonly serialNumber: Uint8Array;
  readonly revocationDate: number;
  /** reasonCode entry extension; undefined when absent (which means unspecified). */
  readonly reasonCode: number | undefined;
  /** certificateIssuer entry extension (indirect CRLs, RFC 5280 §5.3.3). */
  readonly certificateIssuer: readonly GeneralName[] | undefined;
  readonly extensions: readonly Extension[];
}

export interface Crl {
  readonly der: Uint8Array;
  /** The exact tbsCertList bytes the signature covers. */
  readonly tbs: Uint8Array;
  readonly version: 1 | 2;
  readonly tbsSignatureAlgorithm: AlgorithmIdentifier;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** Kept as a BIT STRING: a value with unused bits is a bad signature, which verification reports as such. */
  readonly signatureValue: BitString;
  readonly issuer: Name;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
  readonly entries: readonly CrlEntry[];
  readonly extensions: readonly Extension[];
  readonly crlNumber: bigint | undefined;
  /** BaseCRLNumber when this is a delta CRL (deltaCRLIndicator present). */
  readonly baseCrlNumber: bigint | undefined;
  readonly issuingDistributionPoint: IssuingDistributionPoint | undefined;
  readonly authorityKeyIdentifier: Uint8Array | undefined;
  readonly freshestCRL: readonly DistributionPoint[] | undefined;
}

function parseEntry(tlv: Tlv, version: 1 | 2): CrlEntry {
  const what = 'CRL entry';
  const r = DerReader.inside(tlv, what);
  const serialNumber = integerContent(r.expect(Tag.INTEGER, 'userCertificate'), what);
  const revocationDate = readTime(r.next(), what);
  const extTlv = r.optional(Tag.SEQUENCE);
  r.end();
  let extensions: Extension[] = [];
  if (extTlv) {
    if (version !== 2) throw new PkiParseError(`${what}: entry extensions in a v1 CRL`, extTlv.start);
    extensions = parseExtensionsTlv(extTlv, what);
  }
  let reasonCode: number | undefined;
  let certificateIssuer: GeneralName[] | undefined;
  for (const e of extensions) {
    if (e.oid === OID.reasonCode) reasonCode = decodeReasonCode(e);
    else if (e.oid === OID.certificateIssuer) certificateIssuer = decodeGeneralNamesExtension(e, 'certificateIssuer');
  }
  return { serialNumber, revocationDate, reasonCode, certificateIssuer, extensions };
}

/** Parses a DER CertificateList (RFC 5280 §5.1). Throws PkiParseError for anything else. */
export function parseCrl(der: Uint8Array): Crl {
  const what = 'CRL';
  const root = DerReader.single(der, what);
  if (root.tag !== Tag.SEQUENCE) throw new PkiParseError(`${what}: expected a SEQUENCE`, 0);
  const outer = DerReader.inside(root, what);
  const tbsTlv = outer.expect(Tag.SEQUENCE, 'tbsCertList');
  const signatureAlgorithm = parseAlgorithmIdentifierTlv(outer.expect(Tag.SEQUENCE, 'signatureAlgorithm'), what);
  const signatureValue = readBitString(outer.expect(Tag.BIT_STRING, 'signatureValue'), what);
  outer.end();

  const tbs = DerReader.inside(tbsTlv, 'tbsCertList');
  let version: 1 | 2 = 1;
  const versionTlv = tbs.optional(Tag.INTEGER);
  if (versionTlv) {
    const v = readCount(versionTlv, 'version');
    if (v !== 1) throw new PkiParseError(`${what}: unknown version`, versionTlv.start);
    version = 2;
  }
  const tbsSignatureAlgorithm = parseAlgorithmIdentifierTlv(tbs.expect(Tag.SEQUENCE, 'signature'), what);
  const issuer = parseNameTlv(tbs.expect(Tag.SEQUENCE, 'issuer'), 'CRL issuer');
  const thisUpdate = readTime(tbs.next(), 'thisUpdate');
  const nu = tbs.peekTag();
  const nextUpdate = nu === Tag.UTCTime || nu === Tag.GeneralizedTime ? readTime(tbs.next(), 'nextUpdate') : undefined;
  const entries: CrlEntry[] = [];
  const revoked = tbs.optional(Tag.SEQUENCE);
  if (revoked) {
    const list = DerReader.inside(revoked, 'revokedCertificates');
    while (!list.atEnd()) entries.push(parseEntry(list.expect(Tag.SEQUENCE, 'CRL entry'), version));
  }
  let extensions: Extension[] = [];
  const extHolder = tbs.optional(ctxCons(0));
  tbs.end();
  if (extHolder) {
    if (version !== 2) throw new PkiParseError(`${what}: extensions in a v1 CRL`, extHolder.start);
    const h = DerReader.inside(extHolder, 'crlExtensions');
    extensions = parseExtensionsTlv(h.expect(Tag.SEQUENCE, 'Extensions'), 'crlExtensions');
    h.end();
  }
  let crlNumber: bigint | undefined;
  let baseCrlNumber: bigint | undefined;
  let issuingDistributionPoint: IssuingDistributionPoint | undefined;
  let authorityKeyIdentifier: Uint8Array | undefined;
  let freshestCRL: DistributionPoint[] | undefined;
  for (const e of extensions) {
    switch (e.oid) {
      case OID.cRLNumber:
        crlNumber = decodeCrlNumber(e);
        break;
      case OID.deltaCRLIndicator:
        baseCrlNumber = decodeCrlNumber(e);
        break;
      case OID.issuingDistributionPoint:
        issuingDistributionPoint = decodeIssuingDistributionPoint(e);
        break;
      case OID.authorityKeyIdentifier:
        authorityKeyIdentifier = decodeAuthorityKeyIdentifier(e);
        break;
      case OID.freshestCRL:
        freshestCRL = decodeDistributionPoints(e, 'freshestCRL');
        break;
      default:
        break;
    }
  }
  return {
    der: rawOf(root),
    tbs: rawOf(tbsTlv),
    version,
    tbsSignatureAlgorithm,
    signatureAlgorithm,
    signatureValue,
    issuer,
    thisUpdate,
    nextUpdate,
    entries,
    extensions,
    crlNumber,
    baseCrlNumber,
    issuingDistributionPoint,
    authorityKeyIdentifier,
    freshestCRL,
  };
}

import {
  type BitString,
  DerReader,
  Tag,
  type Tlv,
  ctx,
  ctxCons,
  integerContent,
  readBitString,
  readBoolean,
  readCount,
  readOid,
  valueOf,
} from '../der/reader';
import { PkiParseError } from '../errors';
import { type GeneralName, parseGeneralNameTlv, parseGeneralNamesContent, parseGeneralNamesTlv } from './general-name';
import { type Rdn, parseRdnTlv } from './name';
import { OID } from './oids';

/**
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * and decoders for the extensions RFC 5280 path validation and CRL processing act on.
 */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue contents: the DER of the extension's own structure. */
  readonly value: Uint8Array;
}

export function parseExtensionsTlv(tlv: Tlv, what: string): Extension[] {
  const list = DerReader.inside(tlv, what);
  const out: Extension[] = [];
  const seen = new Set<string>();
  while (!list.atEnd()) {
    const extTlv = list.expect(Tag.SEQUENCE, 'Extension');
    const r = DerReader.inside(extTlv, what);
    const oid = readOid(r.expect(Tag.OID, 'extnID'), what);
    const critTlv = r.optional(Tag.BOOLEAN);
    const critical = critTlv ? readBoolean(critTlv, what) : false;
    const value = valueOf(r.expect(Tag.OCTET_STRING, 'extnValue'));
    r.end();
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(oid)) throw new PkiParseError(`${what}: extension ${oid} appears twice`, extTlv.start);
    seen.add(oid);
    out.push({ oid, critical, value });
  }
  if (out.length === 0) throw new PkiParseError(`${what}: empty Extensions`, tlv.start);
  return out;
}

/** The single top-level TLV of an extension value, with no trailing bytes. */
function extnRoot(ext: Extension, expectTag: number, name: string): Tlv {
  const tlv = DerReader.single(ext.value, name);
  if (tlv.tag !== expectTag) throw new PkiParseError(`${name}: unexpected tag 0x${tlv.tag.toString(16)}`, tlv.start);
  return tlv;
}

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLenConstraint: number | undefined;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
export function decodeBasicConstraints(ext: Extension): BasicConstraints {
  const name = 'basicConstraints';
  const r = DerReader.inside(extnRoot(ext, Tag.SEQUENCE, name), name);
  const caTlv = r.optional(Tag.BOOLEAN);
  const ca = caTlv ? readBoolean(caTlv, name) : false;
  const plTlv = r.optional(Tag.INTEGER);
  const pathLenConstraint = plTlv ? readCount(plTlv, name) : undefined;
  r.end();
  return { ca, pathLenConstraint };
}

/** Named bits of KeyUsage (RFC 5280 §4.2.1.3). */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

export function decodeKeyUsage(ext: Extension): BitString {
  const name = 'keyUsage';
  return readBitString(extnRoot(ext, Tag.BIT_STRING, name), name);
}

export interface PolicyInformation {
  readonly policy: string;
  /** policyQualifiers, kept encoded: path validation carries but never interprets them. */
  readonly qualifiers: Uint8Array | undefined;
}

/** certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation */
export function decodeCertificatePolicies(ext: Extension): PolicyInformation[] {
  const name = 'certificatePolicies';
  const root = extnRoot(ext, Tag.SEQUENCE, name);
  const r = DerReader.inside(root, name);
  const out: PolicyInformation[] = [];
  const seen = new Set<string>();
  while (!r.atEnd()) {
    const pi = DerReader.inside(r.expect(Tag.SEQUENCE, 'PolicyInformation'), name);
    const policy = readOid(pi.expect(Tag.OID, 'policyIdentifier'), name);
    const qTlv = pi.optional(Tag.SEQUENCE);
    pi.end();
    // RFC 5280 §4.2.1.4: "A certificate policy OID MUST NOT appear more than once."
    if (seen.has(policy)) throw new PkiParseError(`${name}: policy ${policy} appears twice`, root.start);
    seen.add(policy);
    out.push({ policy, qualifiers: qTlv ? valueOf(qTlv) : undefined });
  }
  if (out.length === 0) throw new PkiParseError(`${name}: empty`, root.start);
  return out;
}

export interface PolicyMapping {
  readonly issuerDomainPolicy: string;
  readonly subjectDomainPolicy: string;
}

/** PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { issuerDomainPolicy, subjectDomainPolicy } */
export function decodePolicyMappings(ext: Extension): PolicyMapping[] {
  const name = 'policyMappings';
  const root = extnRoot(ext, Tag.SEQUENCE, name);
  const r = DerReader.inside(root, name);
  const out: PolicyMapping[] = [];
  while (!r.atEnd()) {
    const m = DerReader.inside(r.expect(Tag.SEQUENCE, 'mapping'), name);
    const issuerDomainPolicy = readOid(m.expect(Tag.OID, 'issuerDomainPolicy'), name);
    const subjectDomainPolicy = readOid(m.expect(Tag.OID, 'subjectDomainPolicy'), name);
    m.end();
    out.push({ issuerDomainPolicy, subjectDomainPolicy });
  }
  if (out.length === 0) throw new PkiParseError(`${name}: empty`, root.start);
  return out;
}

export interface PolicyConstraints {
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
}

/** PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] SkipCerts OPTIONAL, inhibitPolicyMapping [1] SkipCerts OPTIONAL } */
export function decodePolicyConstraints(ext: Extension): PolicyConstraints {
  const name = 'policyConstraints';
  const root = extnRoot(ext, Tag.SEQUENCE, name);
  const r = DerReader.inside(root, name);
  const req = r.optional(ctx(0));
  const inh = r.optional(ctx(1));
  r.end();
  // RFC 5280 §4.2.1.11: "Conforming CAs MUST NOT issue certificates where policy constraints is an empty sequence."
  if (!req && !inh) throw new PkiParseError(`${name}: empty sequence`, root.start);
  return {
    requireExplicitPolicy: req ? readCount(req, name) : undefined,
    inhibitPolicyMapping: inh ? readCount(inh, name) : undefined,
  };
}

/** InhibitAnyPolicy ::= SkipCerts */
export function decodeInhibitAnyPolicy(ext: Extension): number {
  const name = 'inhibitAnyPolicy';
  return readCount(extnRoot(ext, Tag.INTEGER, name), name);
}

export interface GeneralSubtree {
  readonly base: GeneralName;
  readonly minimum: number;
  readonly maximum: number | undefined;
}

export interface NameConstraints {
  readonly permitted: readonly GeneralSubtree[] | undefined;
  readonly excluded: readonly GeneralSubtree[] | undefined;
}

function decodeSubtrees(tlv: Tlv, name: string): GeneralSubtree[] {
  const r = DerReader.inside(tlv, name);
  const out: GeneralSubtree[] = [];
  while (!r.atEnd()) {
    const st = DerReader.inside(r.expect(Tag.SEQUENCE, 'GeneralSubtree'), name);
    const base = parseGeneralNameTlv(st.next(), name);
    const minTlv = st.optional(ctx(0));
    const maxTlv = st.optional(ctx(1));
    st.end();
    if (base.kind === 'iPAddress' && base.bytes.length !== 8 && base.bytes.length !== 32) {
      // RFC 5280 §4.2.1.10: an iPAddress constraint is address and mask, 8 octets for IPv4, 32 for IPv6.
      throw new PkiParseError(`${name}: iPAddress constraint must be 8 or 32 octets`, tlv.start);
    }
    out.push({ base, minimum: minTlv ? readCount(minTlv, name) : 0, maximum: maxTlv ? readCount(maxTlv, name) : undefined });
  }
  if (out.length === 0) throw new PkiParseError(`${name}: empty GeneralSubtrees`, tlv.start);
  return out;
}

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL, excludedSubtrees [1] GeneralSubtrees OPTIONAL } */
export function decodeNameConstraints(ext: Extension): NameConstraints {
  const name = 'nameConstraints';
  const root = extnRoot(ext, Tag.SEQUENCE, name);
  const r = DerReader.inside(root, name);
  const p = r.optional(ctxCons(0));
  const e = r.optional(ctxCons(1));
  r.end();
  if (!p && !e) throw new PkiParseError(`${name}: empty sequence`, root.start);
  return { permitted: p ? decodeSubtrees(p, name) : undefined, excluded: e ? decodeSubtrees(e, name) : undefined };
}

export function decodeGeneralNamesExtension(ext: Extension, name: string): GeneralName[] {
  return parseGeneralNamesTlv(extnRoot(ext, Tag.SEQUENCE, name), name);
}

export type DistributionPointName =
  | { readonly kind: 'fullName'; readonly names: readonly GeneralName[] }
  | { readonly kind: 'nameRelativeToCRLIssuer'; readonly rdn: Rdn };

/** ReasonFlags as a bit mask: bit k set means named bit k (RFC 5280 §4.2.1.13). */
export type ReasonMask = number;

/** keyCompromise (1) through aACompromise (8); bit 0 "unused" is not a reason. */
export const ALL_REASONS: ReasonMask = 0x1fe;

function readReasonFlags(tlv: Tlv, name: string): ReasonMask {
  const bits = readBitString(tlv, name);
  let mask = 0;
  for (let n = 0; n <= 8; n++) {
    const byte = bits.bytes[n >> 3];
    if (byte === undefined) break;
    if (byte & (0x80 >> (n & 7))) mask |= 1 << n;
  }
  return mask;
}

/** DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RelativeDistinguishedName } */
function decodeDistributionPointName(tlv: Tlv, name: string): DistributionPointName {
  const r = DerReader.inside(tlv, name);
  const choice = r.next();
  r.end();
  if (choice.tag === ctxCons(0)) {
    return { kind: 'fullName', names: parseGeneralNamesContent(DerReader.inside(choice, name), name, choice.start) };
  }
  if (choice.tag === ctxCons(1)) return { kind: 'nameRelativeToCRLIssuer', rdn: parseRdnTlv(choice, name) };
  throw new PkiParseError(`${name}: unknown DistributionPointName choice`, choice.start);
}

export interface DistributionPoint {
  readonly distributionPoint: DistributionPointName | undefined;
  readonly reasons: ReasonMask | undefined;
  readonly cRLIssuer: readonly GeneralName[] | undefined;
}

/** CRLDistributionPoints / FreshestCRL ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint */
export function decodeDistributionPoints(ext: Extension, name: string): DistributionPoint[] {
  const root = extnRoot(ext, Tag.SEQUENCE, name);
  const r = DerReader.inside(root, name);
  const out: DistributionPoint[] = [];
  while (!r.atEnd()) {
    const dpTlv = r.expect(Tag.SEQUENCE, 'DistributionPoint');
    const dp = DerReader.inside(dpTlv, name);
    const dpn = dp.optional(ctxCons(0));
    const reasons = dp.optional(ctx(1));
    const issuer = dp.optional(ctxCons(2));
    dp.end();
    // RFC 5280 §4.2.1.13: a DistributionPoint MUST NOT consist of only the reasons field.
    if (!dpn && !issuer) throw new PkiParseError(`${name}: DistributionPoint without a name or cRLIssuer`, dpTlv.start);
    out.push({
      distributionPoint: dpn ? decodeDistributionPointName(dpn, name) : undefined,
      reasons: reasons ? readReasonFlags(reasons, name) : undefined,
      cRLIssuer: issuer ? parseGeneralNamesContent(DerReader.inside(issuer, name), name, issuer.start) : undefined,
    });
  }
  if (out.length === 0) throw new PkiParseError(`${name}: empty`, root.start);
  return out;
}

export interface IssuingDistributionPoint {
  readonly distributionPoint: DistributionPointName | undefined;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlySomeReasons: ReasonMask | undefined;
  readonly indirectCRL: boolean;
  readonly onlyContainsAttributeCerts: boolean;
}

/** IssuingDistributionPoint (RFC 5280 §5.2.5). */
export function decodeIssuingDistributionPoint(ext: Extension): IssuingDistributionPoint {
  const name = 'issuingDistributionPoint';
  const r = DerReader.inside(extnRoot(ext, Tag.SEQUENCE, name), name);
  const dpn = r.optional(ctxCons(0));
  const user = r.optional(ctx(1));
  const ca = r.optional(ctx(2));
  const reasons = r.optional(ctx(3));
  const indirect = r.optional(ctx(4));
  const attr = r.optional(ctx(5));
  r.end();
  return {
    distributionPoint: dpn ? decodeDistributionPointName(dpn, name) : undefined,
    onlyContainsUserCerts: user ? readBoolean(user, name) : false,
    onlyContainsCACerts: ca ? readBoolean(ca, name) : false,
    onlySomeReasons: reasons ? readReasonFlags(reasons, name) : undefined,
    indirectCRL: indirect ? readBoolean(indirect, name) : false,
    onlyContainsAttributeCerts: attr ? readBoolean(attr, name) : false,
  };
}

/** AuthorityKeyIdentifier: only keyIdentifier is used (to prefer the right issuer when building paths). */
export function decodeAuthorityKeyIdentifier(ext: Extension): Uint8Array | undefined {
  const name = 'authorityKeyIdentifier';
  const r = DerReader.inside(extnRoot(ext, Tag.SEQUENCE, name), name);
  const kid = r.optional(ctx(0));
  const issuer = r.optional(ctxCons(1));
  if (issuer) parseGeneralNamesTlv(issuer, name);
  const serial = r.optional(ctx(2));
  if (serial) integerContent(serial, name);
  r.end();
  return kid ? valueOf(kid) : undefined;
}

export function decodeSubjectKeyIdentifier(ext: Extension): Uint8Array {
  const name = 'subjectKeyIdentifier';
  return valueOf(extnRoot(ext, Tag.OCTET_STRING, name));
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
export function decodeExtKeyUsage(ext: Extension): string[] {
  const name = 'extKeyUsage';
  const root = extnRoot(ext, Tag.SEQUENCE, name);
  const r = DerReader.inside(root, name);
  const out: string[] = [];
  while (!r.atEnd()) out.push(readOid(r.expect(Tag.OID, 'KeyPurposeId'), name));
  if (out.length === 0) throw new PkiParseError(`${name}: empty`, root.start);
  return out;
}

/** CRLNumber / BaseCRLNumber ::= INTEGER (0..MAX) */
export function decodeCrlNumber(ext: Extension): bigint {
  const name = ext.oid === OID.deltaCRLIndicator ? 'deltaCRLIndicator' : 'cRLNumber';
  const tlv = extnRoot(ext, Tag.INTEGER, name);
  const v = integerContent(tlv, name);
  if ((v[0] as number) & 0x80) throw new PkiParseError(`${name}: negative`, tlv.start);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  return n;
}

/** CRLReason ::= ENUMERATED (RFC 5280 §5.3.1) */
export function decodeReasonCode(ext: Extension): number {
  const name = 'reasonCode';
  const tlv = extnRoot(ext, Tag.ENUMERATED, name);
  const v = integerContent(tlv, name);
  if (v.length !== 1 || (v[0] as number) > 10 || v[0] === 7) throw new PkiParseError(`${name}: unknown reason`, tlv.start);
  return v[0] as number;
}

import { Tag, type Tlv, readOid, readTime, valueOf } from '../der/reader';
import { isPkiParseError } from '../errors';
import { oid, pkixTime, octetString, sequence, setOf } from './der-writer';
import { CMS_OID } from './oids';
import type { CmsAttribute } from './parse';

/** An attribute to add to the signed attributes: its type and each value's complete DER encoding. */
export interface AttributeInput {
  readonly oid: string;
  readonly values: readonly Uint8Array[];
}

/** The attributes createSignedData sets itself; callers may not add a second instance of them. */
export const OWN_ATTRIBUTES: ReadonlySet<string> = new Set([
  CMS_OID.contentType,
  CMS_OID.messageDigest,
  CMS_OID.signingTime,
  CMS_OID.signingCertificate,
  CMS_OID.signingCertificateV2,
]);

export const encodeAttribute = (a: AttributeInput): Buffer => sequence(oid(a.oid), setOf(a.values));

export interface SignedAttributesInput {
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  readonly signingTime: Date | undefined;
  readonly signingCertificateV2: Uint8Array | undefined;
  readonly extra: readonly AttributeInput[];
}

/**
 * The signed attributes, DER (RFC 5652 §5.3 requires DER here even inside BER): a SET OF in sorted order.
 * Returns the field as it sits in the SignerInfo ([0] IMPLICIT) and the bytes the signature covers
 * (the same with the SET tag, §5.4).
 */
export function encodeSignedAttributes(input: SignedAttributesInput): { readonly field: Buffer; readonly toSign: Buffer } {
  const attributes: AttributeInput[] = [
    { oid: CMS_OID.contentType, values: [oid(input.contentType)] },
    { oid: CMS_OID.messageDigest, values: [octetString(input.messageDigest)] },
  ];
  if (input.signingTime !== undefined) attributes.push({ oid: CMS_OID.signingTime, values: [pkixTime(input.signingTime)] });
  if (input.signingCertificateV2 !== undefined) attributes.push({ oid: CMS_OID.signingCertificateV2, values: [input.signingCertificateV2] });
  attributes.push(...input.extra);
  const encoded = attributes.map(encodeAttribute);
  const toSign = setOf(encoded, 0x31);
  const field = Buffer.from(toSign);
  field[0] = 0xa0;
  return { field, toSign };
}

/** The attributes the verifier acts on, each checked to appear once with one value. */
export interface KnownSignedAttributes {
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  readonly signingTime: Date | undefined;
  readonly signingCertificate: Tlv | undefined;
  readonly signingCertificateV2: Tlv | undefined;
}

export type AttributeReading = { readonly ok: true; readonly value: KnownSignedAttributes } | { readonly ok: false; readonly message: string };

/**
 * RFC 5652 §11: contentType and messageDigest present; they, signingTime and the ESS attributes
 * single-instance and single-valued; no countersignature among the signed attributes (§11.4).
 */
export function readSignedAttributes(attributes: readonly CmsAttribute[]): AttributeReading {
  const single = new Map<string, Tlv>();
  for (const a of attributes) {
    if (a.oid === CMS_OID.countersignature) return { ok: false, message: 'countersignature must be an unsigned attribute (RFC 5652 §11.4)' };
    if (!OWN_ATTRIBUTES.has(a.oid)) continue;
    if (single.has(a.oid)) return { ok: false, message: `attribute ${a.oid} appears more than once` };
    if (a.values.length !== 1) return { ok: false, message: `attribute ${a.oid} must have exactly one value, not ${a.values.length}` };
    single.set(a.oid, a.values[0] as Tlv);
  }
  const ct = single.get(CMS_OID.contentType);
  const md = single.get(CMS_OID.messageDigest);
  if (ct === undefined) return { ok: false, message: 'the contentType attribute is missing (RFC 5652 §5.3)' };
  if (md === undefined) return { ok: false, message: 'the messageDigest attribute is missing (RFC 5652 §5.3)' };
  if (md.tag !== Tag.OCTET_STRING) return { ok: false, message: 'messageDigest must be an OCTET STRING' };
  try {
    const st = single.get(CMS_OID.signingTime);
    return {
      ok: true,
      value: {
        contentType: readOid(ct, 'contentType attribute'),
        messageDigest: valueOf(md),
        signingTime: st === undefined ? undefined : new Date(readTime(st, 'signingTime attribute')),
        signingCertificate: single.get(CMS_OID.signingCertificate),
        signingCertificateV2: single.get(CMS_OID.signingCertificateV2),
      },
    };
  } catch (err) {
    if (isPkiParseError(err)) return { ok: false, message: err.message };
    throw err;
  }
}

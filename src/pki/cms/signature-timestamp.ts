import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, ContentInfo, SignedData, id_signedData } from '@peculiar/asn1-cms';
import { CmsError } from './errors';

/**
 * RFC 3161 Appendix A (and CAdES-T, ETSI EN 319 122-1 §5.3): a time-stamp over a signer's signature value, added
 * to that SignerInfo as the unsigned attribute id-aa-signatureTimeStampToken. Unsigned attributes are outside
 * what the signature covers, so the signature stays valid; the token proves the signature existed by genTime.
 */
export const ID_AA_SIGNATURE_TIME_STAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';

/** Makes a TimeStampToken (DER ContentInfo) over a SHA-256 digest. */
export type SignatureTimeStamper = (sha256Digest: Buffer) => Promise<Uint8Array>;

/** The SHA-256 of the first signer's signature value: what the time-stamp's messageImprint must hold. */
export function signatureValueDigest(cms: Uint8Array): Buffer {
  const signer = parse(cms).signedData.signerInfos[0];
  if (signer === undefined) throw new CmsError('no-signer', 'the SignedData has no SignerInfo');
  return createHash('sha256').update(Buffer.from(signer.signature.buffer)).digest();
}

function parse(cms: Uint8Array): { info: ContentInfo; signedData: SignedData } {
  let info: ContentInfo;
  let signedData: SignedData;
  try {
    info = AsnConvert.parse(cms, ContentInfo);
    if (info.contentType !== id_signedData) throw new Error(`content type ${info.contentType} is not signedData`);
    signedData = AsnConvert.parse(info.content, SignedData);
  } catch (err) {
    throw new CmsError('malformed', `not a CMS SignedData: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return { info, signedData };
}

/** Returns the SignedData with a signature time-stamp on its first SignerInfo (any earlier one is kept). */
export async function addSignatureTimeStamp(cms: Uint8Array, stamp: SignatureTimeStamper): Promise<Buffer> {
  const { signedData } = parse(cms);
  const signer = signedData.signerInfos[0];
  if (signer === undefined) throw new CmsError('no-signer', 'the SignedData has no SignerInfo');
  const token = await stamp(createHash('sha256').update(Buffer.from(signer.signature.buffer)).digest());
  const attribute = new Attribute({ attrType: ID_AA_SIGNATURE_TIME_STAMP_TOKEN, attrValues: [new Uint8Array(token).buffer] });
  signer.unsignedAttrs = [...(signer.unsignedAttrs ?? []), attribute];
  const content = AsnConvert.serialize(signedData);
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content })));
}

/** The signature time-stamp tokens of the first SignerInfo (DER ContentInfo each). */
export function signatureTimeStamps(cms: Uint8Array): Buffer[] {
  const signer = parse(cms).signedData.signerInfos[0];
  return (signer?.unsignedAttrs ?? []).filter((a) => a.attrType === ID_AA_SIGNATURE_TIME_STAMP_TOKEN).flatMap((a) => a.attrValues.map((v) => Buffer.from(v)));
}

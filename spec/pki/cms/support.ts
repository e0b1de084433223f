import { createHash } from 'node:crypto';
import { explicit, integer, octetString, oid, sequence, setOf, tlv } from '../../../src/pki/cms/der-writer';
import { CMS_OID } from '../../../src/pki';

/**
 * Test-only: a SignedData assembled piece by piece, for the rule tests that need what createSignedData
 * refuses to make (missing or repeated attributes, mismatched algorithms, no SignerInfo). The signature is
 * real: `sign` is called on the DER of the attributes with the SET tag, as RFC 5652 §5.4 says.
 */
export const SHA256_ALG = sequence(oid('2.16.840.1.101.3.4.2.1'));
export const ECDSA_SHA256_ALG = sequence(oid('1.2.840.10045.4.3.2'));

export const attribute = (type: string, ...values: Uint8Array[]): Buffer => sequence(oid(type), tlv(0x31, ...values));

export interface HandMadeOptions {
  readonly contentType?: string;
  /** eContent; undefined for detached. */
  readonly content?: Uint8Array;
  /** Encoded Attribute SEQUENCEs in the order given (not sorted, so tests control the bytes); undefined: no signedAttrs. */
  readonly signedAttributes?: readonly Uint8Array[];
  readonly certificates?: readonly Uint8Array[];
  /** Complete SignerIdentifier encoding and the SignerInfo version that goes with it. */
  readonly sid: Uint8Array;
  readonly signerVersion?: number;
  readonly digestAlgorithm?: Uint8Array;
  readonly signatureAlgorithm?: Uint8Array;
  readonly signedDataVersion?: number;
  /** Leave signerInfos empty. */
  readonly noSigner?: boolean;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export async function handMadeSignedData(o: HandMadeOptions): Promise<Buffer> {
  const contentType = o.contentType ?? CMS_OID.data;
  let signedAttrsField: Buffer | undefined;
  let toSign: Uint8Array;
  if (o.signedAttributes !== undefined) {
    const set = tlv(0x31, ...o.signedAttributes);
    toSign = set;
    signedAttrsField = Buffer.from(set);
    signedAttrsField[0] = 0xa0;
  } else {
    toSign = o.content ?? new Uint8Array(0);
  }
  const signature = await o.sign(toSign);
  const signerInfo = sequence(
    integer(o.signerVersion ?? 1),
    Buffer.from(o.sid),
    Buffer.from(o.digestAlgorithm ?? SHA256_ALG),
    ...(signedAttrsField ? [signedAttrsField] : []),
    Buffer.from(o.signatureAlgorithm ?? ECDSA_SHA256_ALG),
    octetString(signature),
  );
  const encap = o.content === undefined ? sequence(oid(contentType)) : sequence(oid(contentType), explicit(0, octetString(o.content)));
  const version = o.signedDataVersion ?? ((o.signerVersion ?? 1) === 3 || contentType !== CMS_OID.data ? 3 : 1);
  const certs = o.certificates ?? [];
  const sd = sequence(
    integer(version),
    setOf([Buffer.from(o.digestAlgorithm ?? SHA256_ALG)]),
    encap,
    ...(certs.length > 0 ? [setOf(certs.map((c) => Buffer.from(c)), 0xa0)] : []),
    tlv(0x31, ...(o.noSigner ? [] : [signerInfo])),
  );
  return sequence(oid(CMS_OID.signedData), explicit(0, sd));
}

/** contentType + messageDigest (SHA-256) for `content`, as encoded attributes. */
export function basicAttributes(content: Uint8Array, contentType: string = CMS_OID.data): Buffer[] {
  return [attribute(CMS_OID.contentType, oid(contentType)), attribute(CMS_OID.messageDigest, octetString(createHash('sha256').update(content).digest()))];
}

/** issuerAndSerialNumber for a certificate given as its issuer Name DER and serial content octets. */
export const issuerAndSerial = (issuerDer: Uint8Array, serial: Uint8Array): Buffer => sequence(Buffer.from(issuerDer), tlv(0x02, serial));

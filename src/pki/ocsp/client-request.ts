import { createHash, randomBytes } from 'node:crypto';
import { integerFromContent, nullValue, octetString, oid, sequence, tlv } from '../cms/der-writer';
import { OID } from '../x509/oids';
import type { Name } from '../x509/name';
import type { SubjectPublicKeyInfo } from '../x509/algorithm';
import { PKIX_OID } from '../profiles/oids';

/** Building OCSP requests (RFC 6960 §4.1): what a relying party sends, and what our tests and benchmark send. */

export type CertIdHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
const HASH_OIDS: Readonly<Record<CertIdHash, string>> = { sha1: OID.sha1, sha256: OID.sha256, sha384: OID.sha384, sha512: OID.sha512 };

export interface CertIdInput {
  /** The DER Name of the certificate's issuer field (its issuer's subject). */
  readonly issuerName: Name | Uint8Array;
  /** The issuer's public key. */
  readonly issuerKey: SubjectPublicKeyInfo;
  /** serialNumber content octets of the certificate asked about. */
  readonly serialNumber: Uint8Array;
}

/** CertID with the hash's parameters NULL, as openssl writes it. */
export function encodeCertId(input: CertIdInput, hash: CertIdHash = 'sha1'): Buffer {
  const nameDer = input.issuerName instanceof Uint8Array ? input.issuerName : input.issuerName.der;
  return sequence(
    sequence(oid(HASH_OIDS[hash]), nullValue()),
    octetString(createHash(hash).update(nameDer).digest()),
    octetString(createHash(hash).update(input.issuerKey.publicKey).digest()),
    integerFromContent(input.serialNumber),
  );
}

/** A fresh 16-octet nonce (RFC 8954 recommends 32 at most; 16 is what openssl sends). */
export const newNonce = (): Buffer => randomBytes(16);

/**
 * An unsigned OCSPRequest for the CertIDs given. With a nonce, the extension's extnValue is the nonce as an
 * OCTET STRING (RFC 8954 §2.1), which is also how openssl encodes it.
 */
export function encodeOcspRequest(certIds: readonly Uint8Array[], nonce?: Uint8Array): Buffer {
  const requestList = sequence(...certIds.map((c) => sequence(c)));
  const extensions = nonce === undefined ? [] : [tlv(0xa2, sequence(sequence(oid(PKIX_OID.ocspNonce), octetString(octetString(nonce)))))];
  return sequence(sequence(requestList, ...extensions));
}

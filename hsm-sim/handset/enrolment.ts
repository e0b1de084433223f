import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { SimCard } from './sim-card';
import type { PinName } from './sim-state';

/**
 * Enrolment, the handset's part: the key pair was made inside the SIM's token (sim-set.ts); the handset now
 * asks for a certificate with a PKCS#10 request (RFC 2986) signed by that key inside the token, which is the
 * RA's proof of possession (src/pki/ra/csr.ts). The PIN of the key must have been verified first. The RA
 * ignores the subject (the registration decides the certificate's contents), so it names only the MSISDN.
 */

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

export async function certificationRequest(card: SimCard, which: PinName): Promise<Buffer> {
  const token = card.token(which);
  const privateKey = await card.key(which);
  const { publicKey } = await token.findKeyPair({ label: which });
  const spki = await token.publicKeySpki(publicKey);
  const subject = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: OID.commonName, value: new AttributeValue({ utf8String: `${card.msisdn} ${which}` }) })])]);
  const info = new CertificationRequestInfo({ subject, subjectPKInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo) });
  const tbs = Buffer.from(AsnConvert.serialize(info));
  const ec = privateKey.keyType === 'EC';
  const signature = await card.sign(which, ec ? 'ES256' : 'RS256', { kind: 'data', data: tbs });
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    // RFC 5758 §3.2: ecdsa-with-SHA256 has absent parameters; RFC 4055: sha256WithRSAEncryption has NULL.
    signatureAlgorithm: new AlgorithmIdentifier(ec ? { algorithm: OID.ecdsaWithSha256 } : { algorithm: OID.sha256WithRsa, parameters: null }),
    signature: new Uint8Array(signature).buffer,
  });
  return Buffer.from(AsnConvert.serialize(request));
}

import { createHash } from 'node:crypto';
import { DerReader, Tag, type Tlv, bytesEqual, integerContent, valueOf } from '../der/reader';
import { parseAlgorithmIdentifierTlv } from '../x509/algorithm';
import type { Certificate } from '../x509/certificate';
import { parseGeneralNamesTlv } from '../x509/general-name';
import { namesMatch } from '../x509/name';
import { type CmsHash, digestAlgorithmDer, digestFromAlgorithm } from './algorithms';
import { explicit, integerFromContent, octetString, sequence } from './der-writer';

/**
 * ESS signing-certificate attributes: SigningCertificate (RFC 2634 §5.4, SHA-1) and SigningCertificateV2
 * (RFC 5035 §3). They bind the signature to one certificate, so that a second certificate for the same key
 * (another issuer, other extensions) cannot be passed off as the signer's. RFC 3161 §2.4.2 requires one in
 * every time-stamp token; RFC 5816 allows V2.
 */

/** IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber } with the issuer as one directoryName. */
function issuerSerial(cert: Certificate): Buffer {
  return sequence(sequence(explicit(4, cert.issuer.der)), integerFromContent(cert.serialNumber));
}

/** SigningCertificateV2 with one ESSCertIDv2; hashAlgorithm is left out for SHA-256, its DEFAULT (X.690 §11.5). */
export function signingCertificateV2Value(cert: Certificate, hash: CmsHash = 'sha256'): Buffer {
  const certHash = createHash(hash).update(cert.der).digest();
  const parts: Buffer[] = hash === 'sha256' ? [] : [digestAlgorithmDer(hash)];
  parts.push(octetString(certHash), issuerSerial(cert));
  return sequence(sequence(sequence(...parts)));
}

export type EssCheck = { readonly ok: true } | { readonly ok: false; readonly rule: 'signing-certificate-mismatch' | 'unsupported-algorithm' | 'signed-attributes'; readonly message: string };

const mismatch = (message: string): EssCheck => ({ ok: false, rule: 'signing-certificate-mismatch', message });

/** Compares an IssuerSerial with the certificate: a directoryName equal to its issuer, and its serial number. */
function issuerSerialMatches(tlv: Tlv, cert: Certificate): boolean {
  const r = DerReader.inside(tlv, 'IssuerSerial');
  const names = parseGeneralNamesTlv(r.expect(Tag.SEQUENCE, 'issuer'), 'IssuerSerial issuer');
  const serial = integerContent(r.expect(Tag.INTEGER, 'serialNumber'), 'IssuerSerial serialNumber');
  r.end();
  const issuerOk = names.some((n) => n.kind === 'directoryName' && namesMatch(n.name, cert.issuer));
  return issuerOk && bytesEqual(serial, cert.serialNumber);
}

/**
 * Checks the first ESSCertID(v2) of a signing-certificate attribute value against the signer's certificate
 * (RFC 5035 §5.4: the first one identifies the signing certificate; the others are for path building).
 * Parse errors propagate as PkiParseError for the caller to report as a bad attribute.
 */
export function checkSigningCertificate(value: Tlv, version: 1 | 2, cert: Certificate): EssCheck {
  const what = version === 1 ? 'SigningCertificate' : 'SigningCertificateV2';
  if (value.tag !== Tag.SEQUENCE) return { ok: false, rule: 'signed-attributes', message: `${what} must be a SEQUENCE` };
  const outer = DerReader.inside(value, what);
  const certs = DerReader.inside(outer.expect(Tag.SEQUENCE, 'certs'), what);
  // policies (SEQUENCE OF PolicyInformation) may follow; they restrict use, and we do not act on them.
  const first = DerReader.inside(certs.expect(Tag.SEQUENCE, 'ESSCertID'), what);
  let hash: CmsHash | 'sha1' = version === 1 ? 'sha1' : 'sha256';
  if (version === 2 && first.peekTag() === Tag.SEQUENCE) {
    const alg = digestFromAlgorithm(parseAlgorithmIdentifierTlv(first.next(), `${what} hashAlgorithm`));
    if (!alg.ok) return { ok: false, rule: 'unsupported-algorithm', message: `${what}: ${alg.message}` };
    hash = alg.value;
  }
  const certHash = valueOf(first.expect(Tag.OCTET_STRING, 'certHash'));
  const serialTlv = first.optional(Tag.SEQUENCE);
  first.end();
  const actual = createHash(hash).update(cert.der).digest();
  if (!bytesEqual(actual, certHash)) return mismatch(`${what}: certHash is not the ${hash} of the signer certificate`);
  if (serialTlv && !issuerSerialMatches(serialTlv, cert)) return mismatch(`${what}: issuerSerial does not name the signer certificate`);
  return { ok: true };
}

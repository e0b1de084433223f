import 'reflect-metadata';
import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { boolean, integer, namedBits, nullValue, octetString, oid, sequence, tlv } from '../cms/der-writer';
import { parseSpki } from '../x509/algorithm';
import { KeyUsageBit } from '../x509/extensions';
import { OID } from '../x509/oids';
import { PKIX_OID } from '../profiles/oids';
import type { CertificateProfile } from '../profiles/profiles';
import { CaError } from './errors';

/**
 * Extension values of the certificates we issue, written with our DER writer so that every byte is the one
 * RFC 5280 asks for (DEFAULT values left out, named bits trimmed). @peculiar/x509 only wraps them.
 */

/** Where relying parties fetch what a CA publishes: written into the certificates that CA issues. */
export interface PublicationUrls {
  /** authorityInfoAccess id-ad-ocsp (RFC 5280 §4.2.2.1): our responder. */
  readonly ocsp?: string;
  /** authorityInfoAccess id-ad-caIssuers: the issuing CA's certificate, DER over HTTP. */
  readonly caIssuers?: string;
  /** cRLDistributionPoints: the issuing CA's full CRL. */
  readonly crl?: string;
}

export interface ExtensionInput {
  readonly profile: CertificateProfile;
  /** The subject's SubjectPublicKeyInfo DER. */
  readonly subjectSpki: Uint8Array;
  /** The issuer's SubjectPublicKeyInfo DER; undefined for a self-signed certificate. */
  readonly issuerSpki?: Uint8Array;
  readonly urls: PublicationUrls;
  /** E.164 with '+', for profiles whose alternative name is the MSISDN. */
  readonly msisdn?: string;
  readonly dnsNames?: readonly string[];
}

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
/** GeneralName uniformResourceIdentifier [6] IMPLICIT IA5String. */
const uriName = (uri: string): Buffer => tlv(0x86, ascii(uri));
/** GeneralName dNSName [2] IMPLICIT IA5String. */
const dnsName = (name: string): Buffer => tlv(0x82, ascii(name));

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function keyIdentifier(spki: Uint8Array): Buffer {
  return createHash('sha1').update(parseSpki(spki).publicKey).digest();
}

function isIa5Uri(uri: string): boolean {
  return /^[\x21-\x7e]+$/.test(uri) && /^[a-z][a-z0-9+.-]*:/i.test(uri);
}

/**
 * The MSISDN goes into subjectAltName as a `tel:` URI (RFC 3966 global number, e.g. tel:+37255512345).
 * X.509 has no GeneralName for telephone numbers; an otherName would need an OID of our own that no relying
 * party knows, while a URI is shown and matched by every X.509 tool, is what RFC 3966 defines for exactly this
 * value, and stays outside DNS/e-mail name constraints. ETSI TS 102 204 identifies users by MSISDN, so
 * relying parties can compare the certificate's number with the one they asked for.
 */
export function msisdnUri(msisdn: string): string {
  if (!/^\+[1-9]\d{7,14}$/.test(msisdn)) throw new CaError('BAD_INPUT', `an MSISDN in a certificate must be E.164 with '+', not "${msisdn}"`);
  return `tel:${msisdn}`;
}

function keyUsageBits(profile: CertificateProfile, subjectIsRsa: boolean): number[] {
  const names = [...profile.keyUsage];
  if (profile.rsaAddsKeyEncipherment === true && subjectIsRsa) names.push('keyEncipherment');
  return names.map((n) => KeyUsageBit[n]);
}

function ext(id: string, critical: boolean, value: Uint8Array): x509.Extension {
  return new x509.Extension(id, critical, value);
}

function altNames(input: ExtensionInput): Buffer[] {
  const { profile } = input;
  if (profile.altName === 'msisdn') {
    if (input.msisdn === undefined) throw new CaError('PROFILE_VIOLATION', `${profile.name} certificates carry the MSISDN; none was given`);
    return [uriName(msisdnUri(input.msisdn))];
  }
  if (profile.altName === 'dns') {
    const names = input.dnsNames ?? [];
    if (names.length === 0) throw new CaError('PROFILE_VIOLATION', `${profile.name} certificates need at least one DNS name`);
    for (const n of names) {
      if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(n)) {
        throw new CaError('BAD_INPUT', `"${n}" is not a DNS name`);
      }
    }
    return names.map((n) => dnsName(n.toLowerCase()));
  }
  if (input.msisdn !== undefined || (input.dnsNames?.length ?? 0) > 0) throw new CaError('PROFILE_VIOLATION', `${profile.name} certificates carry no alternative name`);
  return [];
}

/** The extensions of one certificate, in the order RFC 5280 lists them. */
export function buildExtensions(input: ExtensionInput): x509.Extension[] {
  const { profile, urls } = input;
  const subjectIsRsa = parseSpki(input.subjectSpki).algorithm.oid === OID.rsaEncryption;
  const out: x509.Extension[] = [];

  // basicConstraints: critical in CA certificates (§4.2.1.9); cA FALSE is the DEFAULT, so an end entity's is empty.
  const bc = profile.ca === undefined ? sequence() : sequence(boolean(true), ...(profile.ca.pathLen !== undefined ? [integer(profile.ca.pathLen)] : []));
  out.push(ext(OID.basicConstraints, true, bc));
  out.push(ext(OID.keyUsage, true, namedBits(keyUsageBits(profile, subjectIsRsa))));
  if (profile.extKeyUsage !== undefined) {
    out.push(ext(OID.extKeyUsage, profile.extKeyUsage.critical, sequence(...profile.extKeyUsage.purposes.map(oid))));
  }
  out.push(ext(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(input.subjectSpki))));
  if (input.issuerSpki !== undefined) {
    // keyIdentifier [0] IMPLICIT OCTET STRING
    out.push(ext(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(input.issuerSpki)))));
  }
  const names = altNames(input);
  if (names.length > 0) out.push(ext(OID.subjectAltName, false, sequence(...names)));

  const access: Buffer[] = [];
  if (profile.ocspUrl && urls.ocsp !== undefined) access.push(sequence(oid(PKIX_OID.adOcsp), uriName(checkUrl(urls.ocsp))));
  if (urls.caIssuers !== undefined && input.issuerSpki !== undefined) access.push(sequence(oid(PKIX_OID.adCaIssuers), uriName(checkUrl(urls.caIssuers))));
  if (access.length > 0) out.push(ext(OID.authorityInfoAccess, false, sequence(...access)));
  if (urls.crl !== undefined && input.issuerSpki !== undefined) {
    // DistributionPoint { distributionPoint [0] { fullName [0] GeneralNames } }
    out.push(ext(OID.cRLDistributionPoints, false, sequence(sequence(tlv(0xa0, tlv(0xa0, uriName(checkUrl(urls.crl))))))));
  }
  if (profile.ocspNoCheck === true) out.push(ext(PKIX_OID.ocspNoCheck, false, nullValue()));
  return out;
}

function checkUrl(url: string): string {
  if (!isIa5Uri(url)) throw new CaError('BAD_INPUT', `"${url}" is not a URL that fits a certificate (ASCII, with a scheme)`);
  return url;
}

import { boolean, generalizedTime, integer, integerFromContent, octetString, oid, pkixTime, sequence, tlv } from '../cms/der-writer';
import { signatureAlgorithmIdentifier } from '../ca/algorithm-identifier';
import { keyIdentifier } from '../ca/extensions';
import { wholeSeconds } from '../ca/issue';
import { type SigningKey, signData } from '../ca/signing-key';
import { CrlReason } from '../x509/crl';
import type { Certificate } from '../x509/certificate';
import { OID } from '../x509/oids';

/**
 * Full CRLs (RFC 5280 §5), written with our DER writer and signed through the CA's SigningKey (the HSM).
 * Not with @peculiar/x509's X509CrlGenerator: it writes an empty crlEntryExtensions SEQUENCE for an entry
 * without extensions, which RFC 5280 (SIZE (1..MAX)) and our own parser refuse.
 */
export interface CrlEntryInput {
  /** Lower-case hex of the serial number's DER content octets. */
  readonly serialHex: string;
  readonly revocationDate: Date;
  /** CRLReason; unspecified (0) is left out, as §5.3.1 asks. */
  readonly reason: number | null;
  /** §5.3.2: when the key is known or suspected to have been compromised. */
  readonly invalidityDate: Date | null;
}

export interface CrlInput {
  readonly issuer: { readonly key: SigningKey; readonly certificate: Certificate };
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly CrlEntryInput[];
}

function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function entry(e: CrlEntryInput): Buffer {
  const extensions: Buffer[] = [];
  if (e.reason !== null && e.reason !== CrlReason.unspecified) extensions.push(extension(OID.reasonCode, false, tlv(0x0a, Buffer.from([e.reason]))));
  // GeneralizedTime in the RFC 5280 §4.1.2.5.2 form: whole seconds, Zulu.
  if (e.invalidityDate !== null) extensions.push(extension(OID.invalidityDate, false, generalizedTime(wholeSeconds(e.invalidityDate.getTime()), 0)));
  return sequence(
    integerFromContent(Buffer.from(e.serialHex, 'hex')),
    pkixTime(wholeSeconds(e.revocationDate.getTime())),
    ...(extensions.length > 0 ? [sequence(...extensions)] : []),
  );
}

export function encodeTbsCertList(input: CrlInput): Buffer {
  const { issuer } = input;
  if (input.crlNumber < 0n || input.crlNumber >= 1n << 159n) throw new RangeError('CRL numbers are positive and at most 20 octets (RFC 5280 §5.2.3)');
  if (input.nextUpdate.getTime() <= input.thisUpdate.getTime()) throw new RangeError('nextUpdate must be after thisUpdate');
  const crlExtensions = sequence(
    // keyIdentifier [0] IMPLICIT: the same value as the subjectKeyIdentifier of the CA certificate.
    extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyIdentifier(issuer.key.spki)))),
    extension(OID.cRLNumber, false, integer(input.crlNumber)),
  );
  return sequence(
    integer(1), // v2
    signatureAlgorithmIdentifier(issuer.key.algorithm),
    Buffer.from(issuer.certificate.subject.der),
    pkixTime(wholeSeconds(input.thisUpdate.getTime())),
    pkixTime(wholeSeconds(input.nextUpdate.getTime())),
    ...(input.entries.length > 0 ? [sequence(...input.entries.map(entry))] : []),
    tlv(0xa0, crlExtensions),
  );
}

/** A signed DER CertificateList. */
export async function buildCrl(input: CrlInput): Promise<Buffer> {
  const tbs = encodeTbsCertList(input);
  const signature = await signData(input.issuer.key, tbs);
  return sequence(tbs, signatureAlgorithmIdentifier(input.issuer.key.algorithm), tlv(0x03, Buffer.from([0]), signature));
}

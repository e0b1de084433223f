import { type BitString, DerReader, Tag, ctxCons, rawOf, readBitString, readCount, readOid } from '../der/reader';
import { PkiParseError, isPkiParseError } from '../errors';
import { verifySignature } from '../crypto/verify-signature';
import { type AlgorithmIdentifier, type SubjectPublicKeyInfo, parseAlgorithmIdentifierTlv, parseSpkiTlv } from '../x509/algorithm';
import { type Name, parseNameTlv } from '../x509/name';
import { RaError } from './errors';

/**
 * PKCS#10 certification requests (RFC 2986), parsed strictly on our DER reader. A SIM makes its key pair in
 * its own token and signs the request with it; the signature is the proof that whoever sent the request holds
 * the private key (proof of possession). The RA uses only the public key: the subject and any requested
 * extensions are ignored, because the certificate's contents come from the registration, not the requester.
 */
export interface CertificationRequest {
  readonly der: Uint8Array;
  /** The certificationRequestInfo bytes the signature covers. */
  readonly info: Uint8Array;
  readonly subject: Name;
  readonly subjectPublicKeyInfo: SubjectPublicKeyInfo;
  readonly attributes: readonly { readonly type: string; readonly values: readonly Uint8Array[] }[];
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: BitString;
}

/** Far above an RSA-4096 request (about 1.7 KB); anything bigger is not a request we want to parse. */
export const MAX_CSR_BYTES = 16 * 1024;

function fail(message: string, at?: number): never {
  throw new PkiParseError(`PKCS#10 request: ${message}`, at);
}

/** Throws PkiParseError unless `der` is exactly one well-formed CertificationRequest. */
export function parsePkcs10(der: Uint8Array, maxBytes = MAX_CSR_BYTES): CertificationRequest {
  if (der.length > maxBytes) fail(`larger than ${maxBytes} bytes`);
  const root = DerReader.single(der, 'CertificationRequest');
  if (root.tag !== Tag.SEQUENCE) fail('expected a SEQUENCE', 0);
  const outer = DerReader.inside(root, 'CertificationRequest');
  const infoTlv = outer.expect(Tag.SEQUENCE, 'certificationRequestInfo');
  const signatureAlgorithm = parseAlgorithmIdentifierTlv(outer.expect(Tag.SEQUENCE, 'signatureAlgorithm'), 'CertificationRequest');
  const signature = readBitString(outer.expect(Tag.BIT_STRING, 'signature'), 'signature');
  outer.end();

  const info = DerReader.inside(infoTlv, 'certificationRequestInfo');
  const version = readCount(info.expect(Tag.INTEGER, 'version'), 'version');
  if (version !== 0) fail(`unknown version ${version + 1}`, infoTlv.start);
  const subject = parseNameTlv(info.expect(Tag.SEQUENCE, 'subject'), 'subject');
  const subjectPublicKeyInfo = parseSpkiTlv(info.expect(Tag.SEQUENCE, 'subjectPKInfo'), 'subjectPKInfo');
  // attributes [0] IMPLICIT SET OF Attribute: required by RFC 2986 even when empty.
  const attrs = DerReader.inside(info.expect(ctxCons(0), 'attributes'), 'attributes');
  info.end();
  const attributes: { type: string; values: Uint8Array[] }[] = [];
  while (!attrs.atEnd()) {
    const a = DerReader.inside(attrs.expect(Tag.SEQUENCE, 'Attribute'), 'Attribute');
    const type = readOid(a.expect(Tag.OID, 'type'), 'Attribute');
    const set = DerReader.inside(a.expect(Tag.SET, 'values'), 'Attribute values');
    a.end();
    const values: Uint8Array[] = [];
    while (!set.atEnd()) values.push(rawOf(set.next()));
    attributes.push({ type, values });
  }
  return { der: rawOf(root), info: rawOf(infoTlv), subject, subjectPublicKeyInfo, attributes, signatureAlgorithm, signature };
}

/** Proof of possession: the request's signature verifies with the public key it carries. */
export function checkProofOfPossession(csr: CertificationRequest, what = 'the request'): void {
  if (csr.signature.unusedBits !== 0) throw new RaError('PROOF_OF_POSSESSION', `the signature of ${what} is not a whole number of octets`);
  const check = verifySignature({ algorithm: csr.signatureAlgorithm, publicKey: csr.subjectPublicKeyInfo, data: csr.info, signature: csr.signature.bytes });
  if (!check.ok) throw new RaError('PROOF_OF_POSSESSION', `${what} is not signed by the key it carries: ${check.message}`);
}

const PEM = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/;

/** A request as an officer hands it over: DER, or PEM ("CERTIFICATE REQUEST", or "NEW CERTIFICATE REQUEST"). */
export function csrBytes(input: Uint8Array): Uint8Array {
  const head = Buffer.from(input.subarray(0, Math.min(input.length, 64))).toString('latin1');
  if (!head.includes('-----BEGIN')) return input;
  const m = PEM.exec(Buffer.from(input).toString('latin1'));
  if (m === null || m[1] === undefined) throw new RaError('INVALID_CSR', 'the PEM input holds no CERTIFICATE REQUEST block');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

/** Parses and checks a request; RaError INVALID_CSR or PROOF_OF_POSSESSION when it fails. */
export function readCertificationRequest(input: Uint8Array, what = 'the request'): CertificationRequest {
  let csr: CertificationRequest;
  try {
    csr = parsePkcs10(csrBytes(input));
  } catch (err) {
    if (isPkiParseError(err)) throw new RaError('INVALID_CSR', `${what} is not a well-formed PKCS#10 request: ${err.message}`, { cause: err });
    throw err;
  }
  checkProofOfPossession(csr, what);
  return csr;
}

import { DerReader, Tag, type Tlv, ctxCons, integerContent, rawOf, readBoolean, readCount, readOid, valueOf } from '../der/reader';
import { PkiParseError } from '../errors';
import { parseAlgorithmIdentifierTlv, parametersAbsentOrNull } from '../x509/algorithm';
import { OID } from '../x509/oids';
import { PKIX_OID } from '../profiles/oids';

/**
 * A strict parser of OCSPRequest (RFC 6960 §4.1.1) on our DER reader: anything that is not exactly one
 * well-formed request, within the limits, throws PkiParseError (which the responder answers with
 * malformedRequest). Requests are not required to be signed; a signature present is parsed and ignored.
 */

/** The CertID hash algorithms we answer for: SHA-1 (what RFC 5019 clients and openssl send) and SHA-2. */
export const CERT_ID_HASHES = {
  [OID.sha1]: { node: 'sha1', bytes: 20 },
  [OID.sha256]: { node: 'sha256', bytes: 32 },
  [OID.sha384]: { node: 'sha384', bytes: 48 },
  [OID.sha512]: { node: 'sha512', bytes: 64 },
} as const satisfies Record<string, { node: string; bytes: number }>;
export type CertIdHashOid = keyof typeof CERT_ID_HASHES;

export function isCertIdHash(oid: string): oid is CertIdHashOid {
  return Object.prototype.hasOwnProperty.call(CERT_ID_HASHES, oid);
}

export interface CertId {
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** serialNumber content octets (minimal two's complement). */
  readonly serialNumber: Uint8Array;
  /** The whole CertID encoding: a response echoes it byte for byte. */
  readonly der: Uint8Array;
}

export interface OcspRequest {
  readonly certIds: readonly CertId[];
  /**
   * The nonce extension's extnValue exactly as received (RFC 8954: an OCTET STRING of 1 to 32 octets; older
   * clients put the bare octets), echoed unchanged in the response.
   */
  readonly nonce: Uint8Array | undefined;
  readonly signed: boolean;
}

export interface OcspRequestLimits {
  /** Largest request accepted, in bytes. Default 8192. */
  readonly maxBytes?: number;
  /** Most CertIDs in one request. Default 32. */
  readonly maxCertIds?: number;
}

export const DEFAULT_MAX_OCSP_REQUEST_BYTES = 8192;
export const DEFAULT_MAX_CERT_IDS = 32;
/** RFC 8954 §2.1: nonces of 1 to 32 octets; with the OCTET STRING header that is at most 34 octets of extnValue. */
const MAX_NONCE_EXTN_VALUE = 34;

/** Request extensions whose criticality we honour by understanding them (anything else critical is refused). */
const KNOWN_REQUEST_EXTENSIONS: ReadonlySet<string> = new Set([PKIX_OID.ocspNonce, PKIX_OID.ocspResponse, PKIX_OID.ocspPreferredSignatureAlgorithms]);
const KNOWN_SINGLE_EXTENSIONS: ReadonlySet<string> = new Set([PKIX_OID.ocspServiceLocator]);

interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

function fail(message: string, at?: number): never {
  throw new PkiParseError(`OCSP request: ${message}`, at);
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension, inside an EXPLICIT [n]. */
function parseExtensions(holder: Tlv, what: string): RawExtension[] {
  const h = DerReader.inside(holder, what);
  const list = DerReader.inside(h.expect(Tag.SEQUENCE, 'Extensions'), what);
  h.end();
  const out: RawExtension[] = [];
  const seen = new Set<string>();
  while (!list.atEnd()) {
    const extTlv = list.expect(Tag.SEQUENCE, 'Extension');
    const r = DerReader.inside(extTlv, what);
    const oid = readOid(r.expect(Tag.OID, 'extnID'), what);
    const criticalTlv = r.optional(Tag.BOOLEAN);
    const critical = criticalTlv !== undefined && readBoolean(criticalTlv, what);
    const value = valueOf(r.expect(Tag.OCTET_STRING, 'extnValue'));
    r.end();
    if (seen.has(oid)) fail(`${what}: extension ${oid} appears twice`, extTlv.start);
    seen.add(oid);
    out.push({ oid, critical, value });
  }
  if (out.length === 0) fail(`${what}: empty Extensions`, holder.start);
  return out;
}

function parseCertId(tlv: Tlv): CertId {
  const what = 'CertID';
  const r = DerReader.inside(tlv, what);
  const alg = parseAlgorithmIdentifierTlv(r.expect(Tag.SEQUENCE, 'hashAlgorithm'), what);
  const issuerNameHash = valueOf(r.expect(Tag.OCTET_STRING, 'issuerNameHash'));
  const issuerKeyHash = valueOf(r.expect(Tag.OCTET_STRING, 'issuerKeyHash'));
  const serialNumber = integerContent(r.expect(Tag.INTEGER, 'serialNumber'), what);
  r.end();
  if (isCertIdHash(alg.oid)) {
    // RFC 5754 §2: hash AlgorithmIdentifier parameters are NULL or absent.
    if (!parametersAbsentOrNull(alg)) fail('CertID hash parameters must be NULL or absent', tlv.start);
    const bytes = CERT_ID_HASHES[alg.oid].bytes;
    if (issuerNameHash.length !== bytes || issuerKeyHash.length !== bytes) fail(`CertID hashes must be ${bytes} octets for ${alg.oid}`, tlv.start);
  } else if (issuerNameHash.length === 0 || issuerNameHash.length > 64 || issuerKeyHash.length === 0 || issuerKeyHash.length > 64) {
    // An algorithm we do not answer for gets status unknown, but its hashes must still look like hashes.
    fail('CertID hashes must be 1 to 64 octets', tlv.start);
  }
  return { hashAlgorithm: alg.oid, issuerNameHash, issuerKeyHash, serialNumber, der: rawOf(tlv) };
}

export function parseOcspRequest(der: Uint8Array, limits: OcspRequestLimits = {}): OcspRequest {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_OCSP_REQUEST_BYTES;
  const maxCertIds = limits.maxCertIds ?? DEFAULT_MAX_CERT_IDS;
  if (der.length > maxBytes) fail(`larger than ${maxBytes} bytes`);
  const root = DerReader.single(der, 'OCSPRequest');
  if (root.tag !== Tag.SEQUENCE) fail('expected a SEQUENCE', 0);
  const outer = DerReader.inside(root, 'OCSPRequest');
  const tbs = DerReader.inside(outer.expect(Tag.SEQUENCE, 'tbsRequest'), 'TBSRequest');
  const signature = outer.optional(ctxCons(0));
  outer.end();
  if (signature !== undefined) {
    // Signature ::= SEQUENCE { signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT ... OPTIONAL }
    const holder = DerReader.inside(signature, 'optionalSignature');
    const sig = DerReader.inside(holder.expect(Tag.SEQUENCE, 'Signature'), 'Signature');
    holder.end();
    parseAlgorithmIdentifierTlv(sig.expect(Tag.SEQUENCE, 'signatureAlgorithm'), 'Signature');
    sig.expect(Tag.BIT_STRING, 'signature');
    sig.optional(ctxCons(0));
    sig.end();
  }

  const versionTlv = tbs.optional(ctxCons(0));
  if (versionTlv !== undefined) {
    // DER leaves DEFAULT v1 out; an explicit v1 (seen from some clients) is accepted, anything else is not.
    const v = DerReader.inside(versionTlv, 'version');
    if (readCount(v.expect(Tag.INTEGER, 'version'), 'version') !== 0) fail('only version v1 exists', versionTlv.start);
    v.end();
  }
  const requestor = tbs.optional(ctxCons(1));
  if (requestor !== undefined) DerReader.inside(requestor, 'requestorName').next();
  const list = DerReader.inside(tbs.expect(Tag.SEQUENCE, 'requestList'), 'requestList');
  const extHolder = tbs.optional(ctxCons(2));
  tbs.end();

  const certIds: CertId[] = [];
  while (!list.atEnd()) {
    if (certIds.length >= maxCertIds) fail(`more than ${maxCertIds} certificates in one request`);
    const req = DerReader.inside(list.expect(Tag.SEQUENCE, 'Request'), 'Request');
    certIds.push(parseCertId(req.expect(Tag.SEQUENCE, 'reqCert')));
    const single = req.optional(ctxCons(0));
    req.end();
    if (single !== undefined) {
      for (const e of parseExtensions(single, 'singleRequestExtensions')) {
        if (e.critical && !KNOWN_SINGLE_EXTENSIONS.has(e.oid)) fail(`unsupported critical single request extension ${e.oid}`);
      }
    }
  }
  if (certIds.length === 0) fail('empty requestList');

  let nonce: Uint8Array | undefined;
  if (extHolder !== undefined) {
    for (const e of parseExtensions(extHolder, 'requestExtensions')) {
      if (e.oid === PKIX_OID.ocspNonce) {
        if (e.value.length === 0 || e.value.length > MAX_NONCE_EXTN_VALUE) fail(`nonce must be 1 to 32 octets (RFC 8954)`);
        nonce = e.value;
      } else if (e.critical && !KNOWN_REQUEST_EXTENSIONS.has(e.oid)) {
        fail(`unsupported critical request extension ${e.oid}`);
      }
    }
  }
  return { certIds, nonce, signed: signature !== undefined };
}

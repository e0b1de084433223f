import { type BitString, DerReader, Tag, type Tlv, ctx, ctxCons, integerContent, rawOf, readBitString, readBoolean, readCount, readOid, readTime, valueOf } from '../der/reader';
import { PkiParseError } from '../errors';
import { type AlgorithmIdentifier, parseAlgorithmIdentifierTlv } from '../x509/algorithm';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { type Name, parseNameTlv } from '../x509/name';
import { PKIX_OID } from '../profiles/oids';
import { OCSP_RESPONSE_STATUS, type OcspResponseStatus } from './response';

/**
 * A strict parser of OCSPResponse / BasicOCSPResponse (RFC 6960 §4.2.1) on our DER reader, for the relying-party
 * side (the path validator's OCSP hook, tests, evidence bundles). Throws PkiParseError for anything malformed.
 */

export type ResponderId = { readonly kind: 'byName'; readonly name: Name } | { readonly kind: 'byKey'; readonly keyHash: Uint8Array };

export type ParsedCertStatus =
  | { readonly kind: 'good' }
  | { readonly kind: 'revoked'; readonly revokedAt: number; readonly reason: number | undefined }
  | { readonly kind: 'unknown' };

export interface ParsedSingleResponse {
  /** The CertID encoding, to compare with the one asked for. */
  readonly certIdDer: Uint8Array;
  readonly status: ParsedCertStatus;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
}

export interface BasicOcspResponse {
  readonly tbs: Uint8Array;
  readonly responderId: ResponderId;
  readonly producedAt: number;
  readonly responses: readonly ParsedSingleResponse[];
  /** The nonce extension's extnValue, when present. */
  readonly nonce: Uint8Array | undefined;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: BitString;
  readonly certs: readonly Certificate[];
}

export interface ParsedOcspResponse {
  readonly status: OcspResponseStatus;
  readonly basic: BasicOcspResponse | undefined;
}

const STATUS_NAMES = new Map<number, OcspResponseStatus>(Object.entries(OCSP_RESPONSE_STATUS).map(([k, v]) => [v, k as OcspResponseStatus]));

function fail(message: string, at?: number): never {
  throw new PkiParseError(`OCSP response: ${message}`, at);
}

/** A GeneralizedTime in the RFC 5280 form (Zulu, whole seconds). */
function generalizedTime(tlv: Tlv, what: string): number {
  if (tlv.tag !== Tag.GeneralizedTime) fail(`${what} must be a GeneralizedTime`, tlv.start);
  return readTime(tlv, what);
}

function parseSingle(tlv: Tlv): ParsedSingleResponse {
  const r = DerReader.inside(tlv, 'SingleResponse');
  const certId = r.expect(Tag.SEQUENCE, 'certID');
  const statusTlv = r.next();
  let status: ParsedCertStatus;
  if (statusTlv.tag === ctx(0) && statusTlv.end === statusTlv.valueStart) status = { kind: 'good' };
  else if (statusTlv.tag === ctx(2) && statusTlv.end === statusTlv.valueStart) status = { kind: 'unknown' };
  else if (statusTlv.tag === ctxCons(1)) {
    const ri = DerReader.inside(statusTlv, 'RevokedInfo');
    const revokedAt = generalizedTime(ri.next(), 'revocationTime');
    let reason: number | undefined;
    const reasonTlv = ri.optional(ctxCons(0));
    if (reasonTlv !== undefined) {
      const rr = DerReader.inside(reasonTlv, 'revocationReason');
      reason = readCount(rr.expect(Tag.ENUMERATED, 'CRLReason'), 'CRLReason');
      rr.end();
    }
    ri.end();
    status = { kind: 'revoked', revokedAt, reason };
  } else fail('unknown certStatus', statusTlv.start);
  const thisUpdate = generalizedTime(r.next(), 'thisUpdate');
  let nextUpdate: number | undefined;
  const nu = r.optional(ctxCons(0));
  if (nu !== undefined) {
    const n = DerReader.inside(nu, 'nextUpdate');
    nextUpdate = generalizedTime(n.next(), 'nextUpdate');
    n.end();
  }
  r.optional(ctxCons(1));
  r.end();
  return { certIdDer: rawOf(certId), status, thisUpdate, nextUpdate };
}

function parseBasic(der: Uint8Array): BasicOcspResponse {
  const root = DerReader.single(der, 'BasicOCSPResponse');
  if (root.tag !== Tag.SEQUENCE) fail('BasicOCSPResponse must be a SEQUENCE');
  const b = DerReader.inside(root, 'BasicOCSPResponse');
  const tbsTlv = b.expect(Tag.SEQUENCE, 'tbsResponseData');
  const signatureAlgorithm = parseAlgorithmIdentifierTlv(b.expect(Tag.SEQUENCE, 'signatureAlgorithm'), 'BasicOCSPResponse');
  const signature = readBitString(b.expect(Tag.BIT_STRING, 'signature'), 'signature');
  const certs: Certificate[] = [];
  const certsTlv = b.optional(ctxCons(0));
  b.end();
  if (certsTlv !== undefined) {
    const h = DerReader.inside(certsTlv, 'certs');
    const list = DerReader.inside(h.expect(Tag.SEQUENCE, 'certs'), 'certs');
    h.end();
    while (!list.atEnd()) certs.push(parseCertificate(rawOf(list.expect(Tag.SEQUENCE, 'Certificate'))));
  }
  const t = DerReader.inside(tbsTlv, 'ResponseData');
  const version = t.optional(ctxCons(0));
  if (version !== undefined) {
    const v = DerReader.inside(version, 'version');
    if (readCount(v.expect(Tag.INTEGER, 'version'), 'version') !== 0) fail('only version v1 exists');
    v.end();
  }
  const rid = t.next();
  let responderId: ResponderId;
  if (rid.tag === ctxCons(1)) {
    const n = DerReader.inside(rid, 'byName');
    responderId = { kind: 'byName', name: parseNameTlv(n.expect(Tag.SEQUENCE, 'Name'), 'byName') };
    n.end();
  } else if (rid.tag === ctxCons(2)) {
    const k = DerReader.inside(rid, 'byKey');
    responderId = { kind: 'byKey', keyHash: valueOf(k.expect(Tag.OCTET_STRING, 'KeyHash')) };
    k.end();
  } else fail('unknown ResponderID', rid.start);
  const producedAt = generalizedTime(t.next(), 'producedAt');
  const list = DerReader.inside(t.expect(Tag.SEQUENCE, 'responses'), 'responses');
  const responses: ParsedSingleResponse[] = [];
  while (!list.atEnd()) responses.push(parseSingle(list.expect(Tag.SEQUENCE, 'SingleResponse')));
  let nonce: Uint8Array | undefined;
  const ext = t.optional(ctxCons(1));
  t.end();
  if (ext !== undefined) {
    const h = DerReader.inside(ext, 'responseExtensions');
    const exts = DerReader.inside(h.expect(Tag.SEQUENCE, 'Extensions'), 'responseExtensions');
    h.end();
    while (!exts.atEnd()) {
      const e = DerReader.inside(exts.expect(Tag.SEQUENCE, 'Extension'), 'Extension');
      const id = readOid(e.expect(Tag.OID, 'extnID'), 'Extension');
      const critical = e.optional(Tag.BOOLEAN);
      if (critical !== undefined) readBoolean(critical, 'critical');
      const value = valueOf(e.expect(Tag.OCTET_STRING, 'extnValue'));
      e.end();
      if (id === PKIX_OID.ocspNonce) nonce = value;
    }
  }
  return { tbs: rawOf(tbsTlv), responderId, producedAt, responses, nonce, signatureAlgorithm, signature, certs };
}

export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  const root = DerReader.single(der, 'OCSPResponse');
  if (root.tag !== Tag.SEQUENCE) fail('expected a SEQUENCE', 0);
  const r = DerReader.inside(root, 'OCSPResponse');
  const statusTlv = r.expect(Tag.ENUMERATED, 'responseStatus');
  const code = integerContent(statusTlv, 'responseStatus');
  const status = code.length === 1 ? STATUS_NAMES.get(code[0] as number) : undefined;
  if (status === undefined) fail('unknown responseStatus', statusTlv.start);
  const bytesTlv = r.optional(ctxCons(0));
  r.end();
  if (status !== 'successful') {
    if (bytesTlv !== undefined) fail('responseBytes in an unsuccessful response');
    return { status, basic: undefined };
  }
  if (bytesTlv === undefined) fail('a successful response without responseBytes');
  const h = DerReader.inside(bytesTlv, 'responseBytes');
  const rb = DerReader.inside(h.expect(Tag.SEQUENCE, 'ResponseBytes'), 'ResponseBytes');
  h.end();
  const type = readOid(rb.expect(Tag.OID, 'responseType'), 'ResponseBytes');
  const body = valueOf(rb.expect(Tag.OCTET_STRING, 'response'));
  rb.end();
  if (type !== PKIX_OID.ocspBasic) fail(`responseType ${type} is not id-pkix-ocsp-basic`);
  return { status, basic: parseBasic(body) };
}

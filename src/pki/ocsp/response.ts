import { createHash } from 'node:crypto';
import { generalizedTime, octetString, oid, sequence, tlv } from '../cms/der-writer';
import { parseSpki } from '../x509/algorithm';
import { PKIX_OID } from '../profiles/oids';

/**
 * OCSPResponse and BasicOCSPResponse encoding (RFC 6960 §4.2.1). The parts that do not change between
 * responses (responder ID, signature algorithm, certificates) are encoded once by the responder.
 */

export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;
export type OcspResponseStatus = keyof typeof OCSP_RESPONSE_STATUS;

const ERROR_RESPONSES = new Map<OcspResponseStatus, Buffer>();

/** An OCSPResponse without responseBytes: every status but successful. */
export function errorResponse(status: Exclude<OcspResponseStatus, 'successful'>): Buffer {
  let der = ERROR_RESPONSES.get(status);
  if (der === undefined) {
    der = sequence(tlv(0x0a, Buffer.from([OCSP_RESPONSE_STATUS[status]])));
    ERROR_RESPONSES.set(status, der);
  }
  return der;
}

/** The state of one certificate as a SingleResponse reports it. */
export type CertificateState =
  | { readonly kind: 'good' }
  | { readonly kind: 'revoked'; readonly revokedAt: Date; readonly reason: number | null }
  | { readonly kind: 'unknown' };

const GOOD = Buffer.from([0x80, 0x00]);
const UNKNOWN = Buffer.from([0x82, 0x00]);

function certStatus(state: CertificateState): Buffer {
  if (state.kind === 'good') return GOOD;
  if (state.kind === 'unknown') return UNKNOWN;
  // revoked [1] IMPLICIT RevokedInfo { revocationTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
  const reason = state.reason === null ? [] : [tlv(0xa0, tlv(0x0a, Buffer.from([state.reason])))];
  return tlv(0xa1, generalizedTime(state.revokedAt, 0), ...reason);
}

export interface SingleResponseInput {
  /** The CertID exactly as the request had it. */
  readonly certIdDer: Uint8Array;
  readonly state: CertificateState;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

export function singleResponse(r: SingleResponseInput): Buffer {
  return sequence(r.certIdDer, certStatus(r.state), generalizedTime(r.thisUpdate, 0), tlv(0xa0, generalizedTime(r.nextUpdate, 0)));
}

/** ResponderID byKey [2] EXPLICIT KeyHash: SHA-1 of the responder's subjectPublicKey bits (RFC 5019 §2.2.3 prefers it). */
export function responderIdByKey(spki: Uint8Array): Buffer {
  return tlv(0xa2, octetString(createHash('sha1').update(parseSpki(spki).publicKey).digest()));
}

export interface ResponseDataInput {
  readonly responderId: Buffer;
  readonly producedAt: Date;
  readonly responses: readonly Buffer[];
  /** The request's nonce extnValue, echoed (RFC 6960 §4.4.1). */
  readonly nonce?: Uint8Array;
}

export function responseData(input: ResponseDataInput): Buffer {
  const extensions = input.nonce === undefined ? [] : [tlv(0xa1, sequence(sequence(oid(PKIX_OID.ocspNonce), octetString(input.nonce))))];
  return sequence(input.responderId, generalizedTime(input.producedAt, 0), sequence(...input.responses), ...extensions);
}

/** BasicOCSPResponse wrapped in a successful OCSPResponse. `certs` is the encoded [0] EXPLICIT SEQUENCE OF Certificate. */
export function successfulResponse(tbs: Buffer, signatureAlgorithm: Buffer, signature: Uint8Array, certs: Buffer | undefined): Buffer {
  const basic = sequence(tbs, signatureAlgorithm, tlv(0x03, Buffer.from([0]), signature), ...(certs === undefined ? [] : [certs]));
  return sequence(tlv(0x0a, Buffer.from([0])), tlv(0xa0, sequence(oid(PKIX_OID.ocspBasic), octetString(basic))));
}

/** certs [0] EXPLICIT SEQUENCE OF Certificate. */
export function certsField(certificates: readonly Uint8Array[]): Buffer | undefined {
  return certificates.length === 0 ? undefined : tlv(0xa0, sequence(...certificates));
}

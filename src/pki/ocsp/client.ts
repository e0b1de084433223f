import { createHash } from 'node:crypto';
import { bytesEqual } from '../der/reader';
import { isPkiParseError } from '../errors';
import { verifySignature } from '../crypto/verify-signature';
import type { IssuerInfo, OcspCheck, OcspStatus } from '../path/types';
import { PKIX_OID } from '../profiles/oids';
import type { SubjectPublicKeyInfo } from '../x509/algorithm';
import type { Certificate } from '../x509/certificate';
import { namesMatch } from '../x509/name';
import { type CertIdHash, encodeCertId, encodeOcspRequest, newNonce } from './client-request';
import { type BasicOcspResponse, type ParsedCertStatus, type ResponderId, parseOcspResponse } from './client-response';

/**
 * The relying-party side of OCSP: checks a response the way RFC 6960 §3.2 asks (the CertID asked about, a
 * signature by the CA or by a responder the CA delegated to with id-kp-OCSPSigning, the time window, the nonce)
 * and gives path validation its OCSP hook.
 */

export type OcspVerdict =
  | { readonly ok: true; readonly status: ParsedCertStatus; readonly thisUpdate: number; readonly nextUpdate: number | undefined; readonly signer: 'ca' | 'delegated' }
  | { readonly ok: false; readonly reason: string };

export interface OcspVerifyInput {
  /** The CertID DER the request carried. */
  readonly certId: Uint8Array;
  /** The issuer of the certificate asked about: the CA itself may sign, or delegate. */
  readonly issuer: { readonly name: IssuerInfo['name']; readonly publicKey: SubjectPublicKeyInfo };
  /** The nonce sent, when one was: the response must echo it (RFC 8954). */
  readonly nonce?: Uint8Array;
  readonly time: number;
  /** Clock difference tolerated on thisUpdate and nextUpdate. Default 5 minutes. */
  readonly skewMs?: number;
}

const bad = (reason: string): OcspVerdict => ({ ok: false, reason });

function matchesResponderId(id: ResponderId, name: IssuerInfo['name'], key: SubjectPublicKeyInfo): boolean {
  if (id.kind === 'byName') return namesMatch(id.name, name);
  return bytesEqual(id.keyHash, createHash('sha1').update(key.publicKey).digest());
}

function signedBy(basic: BasicOcspResponse, key: SubjectPublicKeyInfo): boolean {
  if (basic.signature.unusedBits !== 0) return false;
  return verifySignature({ algorithm: basic.signatureAlgorithm, publicKey: key, data: basic.tbs, signature: basic.signature.bytes }).ok;
}

/** RFC 6960 §4.2.2.2: the CA's own key, or a certificate the CA issued directly for OCSP signing. */
function findSigner(basic: BasicOcspResponse, input: OcspVerifyInput): { kind: 'ca' | 'delegated' } | string {
  const { issuer } = input;
  if (matchesResponderId(basic.responderId, issuer.name, issuer.publicKey)) {
    return signedBy(basic, issuer.publicKey) ? { kind: 'ca' } : 'the signature does not verify with the CA key';
  }
  const candidates = basic.certs.filter((c) => matchesResponderId(basic.responderId, c.subject, c.subjectPublicKeyInfo));
  if (candidates.length === 0) return 'no certificate in the response matches the responder ID';
  const reasons: string[] = [];
  for (const cert of candidates) {
    const problem = delegationProblem(cert, input);
    if (problem !== undefined) {
      reasons.push(problem);
      continue;
    }
    if (signedBy(basic, cert.subjectPublicKeyInfo)) return { kind: 'delegated' };
    reasons.push('the signature does not verify with the responder certificate key');
  }
  return reasons.join('; ');
}

function delegationProblem(cert: Certificate, input: OcspVerifyInput): string | undefined {
  if (!namesMatch(cert.issuer, input.issuer.name)) return 'the responder certificate was not issued by the CA of the certificate asked about';
  const issued = verifySignature({ algorithm: cert.signatureAlgorithm, publicKey: input.issuer.publicKey, data: cert.tbs, signature: cert.signatureValue.bytes });
  if (!issued.ok || cert.signatureValue.unusedBits !== 0) return 'the responder certificate is not signed by the CA';
  if (!(cert.ext.extKeyUsage ?? []).includes(PKIX_OID.kpOcspSigning)) return 'the responder certificate lacks id-kp-OCSPSigning';
  if (input.time < cert.notBefore || input.time > cert.notAfter) return 'the responder certificate is not valid now';
  // id-pkix-ocsp-nocheck (which our responders carry) means its status is not asked; others are not checked either.
  return undefined;
}

/** Checks one DER OCSPResponse against what was asked. Never throws. */
export function verifyOcspResponse(der: Uint8Array, input: OcspVerifyInput): OcspVerdict {
  let parsed;
  try {
    parsed = parseOcspResponse(der);
  } catch (err) {
    if (isPkiParseError(err)) return bad(err.message);
    throw err;
  }
  if (parsed.status !== 'successful' || parsed.basic === undefined) return bad(`the responder answered ${parsed.status}`);
  const basic = parsed.basic;
  const single = basic.responses.find((r) => bytesEqual(r.certIdDer, input.certId));
  if (single === undefined) return bad('the response does not answer for the certificate asked about');
  const signer = findSigner(basic, input);
  if (typeof signer === 'string') return bad(signer);
  if (input.nonce !== undefined) {
    const echoed = basic.nonce;
    // Accept the RFC 8954 form (OCTET STRING around the nonce) and the bare octets older responders echo.
    const wrapped = Buffer.concat([Buffer.from([0x04, input.nonce.length]), input.nonce]);
    if (echoed === undefined || !(bytesEqual(echoed, wrapped) || bytesEqual(echoed, input.nonce))) return bad('the response does not echo our nonce');
  }
  const skew = input.skewMs ?? 300_000;
  if (single.thisUpdate > input.time + skew) return bad('thisUpdate is in the future');
  if (single.nextUpdate !== undefined && single.nextUpdate < input.time - skew) return bad('nextUpdate has passed');
  return { ok: true, status: single.status, thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate, signer: signer.kind };
}

/** Sends a DER OCSPRequest and returns the DER OCSPResponse. */
export type OcspTransport = (request: Buffer) => Promise<Uint8Array>;

/** POST to an OCSP URL (RFC 6960 Appendix A.1). */
export function httpOcspTransport(url: string, timeoutMs = 5000): OcspTransport {
  return async (request) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
      body: request,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) throw new Error(`OCSP responder ${url} answered HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}

export interface OcspCheckOptions {
  readonly transport: OcspTransport;
  /** CertID hash. Default sha1 (RFC 5019 §2.1.1). */
  readonly hash?: CertIdHash;
  /** Send a nonce and require it back. Default true. */
  readonly nonce?: boolean;
  readonly clock?: () => number;
}

/**
 * The OCSP hook for validateCertificate: asks the responder about each certificate of the path and answers
 * 'good', 'revoked' or 'unknown' (then path validation falls back to CRLs). A response that fails the checks
 * above throws, which path validation records and treats like 'unknown'.
 */
export function ocspCheck(options: OcspCheckOptions): OcspCheck {
  return async (certificate: Certificate, issuer: IssuerInfo): Promise<OcspStatus> => {
    const certId = encodeCertId({ issuerName: certificate.issuer, issuerKey: issuer.publicKey, serialNumber: certificate.serialNumber }, options.hash ?? 'sha1');
    const nonce = options.nonce === false ? undefined : newNonce();
    const response = await options.transport(encodeOcspRequest([certId], nonce));
    const verdict = verifyOcspResponse(response, {
      certId,
      issuer: { name: issuer.name, publicKey: issuer.publicKey },
      ...(nonce !== undefined ? { nonce } : {}),
      time: (options.clock ?? Date.now)(),
    });
    if (!verdict.ok) throw new Error(`OCSP response refused: ${verdict.reason}`);
    return verdict.status.kind;
  };
}

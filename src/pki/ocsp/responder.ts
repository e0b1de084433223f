import { createHash } from 'node:crypto';
import type { Logger } from '../../log';
import { signatureAlgorithmIdentifier } from '../ca/algorithm-identifier';
import { wholeSeconds } from '../ca/issue';
import { type SigningKey, signData } from '../ca/signing-key';
import { isPkiParseError } from '../errors';
import type { Certificate } from '../x509/certificate';
import { type CachedResponse, ResponseCache, certificateKey } from './cache';
import { CERT_ID_HASHES, type CertId, type OcspRequestLimits, isCertIdHash, parseOcspRequest } from './request';
import {
  type CertificateState,
  type OcspResponseStatus,
  certsField,
  errorResponse,
  responderIdByKey,
  responseData,
  singleResponse,
  successfulResponse,
} from './response';
import type { StatusSource } from './status-source';

/** A CA whose certificates this responder answers for. */
export interface ServedAuthority {
  readonly name: string;
  readonly certificate: Certificate;
}

export interface OcspResponderOptions {
  /** The CA the delegated responder certificate was issued by: RFC 6960 §4.2.2.2 lets it answer for that CA only. */
  readonly authority: ServedAuthority;
  /** The delegated responder: its key (in the HSM) and certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck). */
  readonly signer: { readonly key: SigningKey; readonly certificate: Uint8Array };
  readonly status: StatusSource;
  /** nextUpdate − thisUpdate of every response. Default 3600 s. */
  readonly validitySeconds?: number;
  /** Cached responses kept (0: no cache). Default 100,000. */
  readonly cacheEntries?: number;
  readonly limits?: OcspRequestLimits;
  readonly clock?: () => number;
  readonly logger?: Logger;
}

export interface OcspReply {
  readonly der: Buffer;
  readonly status: OcspResponseStatus;
  /** Present when the response may be cached by HTTP caches (successful, no nonce): RFC 5019 §6.2 headers. */
  readonly cacheable?: { readonly thisUpdate: Date; readonly nextUpdate: Date; readonly etag: string };
  /** Whether the response came from the cache (for metrics and the benchmark). */
  readonly fromCache: boolean;
}

export interface OcspResponderStats {
  readonly signed: number;
  readonly cache: ReturnType<ResponseCache['stats']>;
  readonly byStatus: Readonly<Record<string, number>>;
}

/**
 * RFC 6960 responder with the RFC 5019 profile's caching: parses the request strictly, answers good / revoked
 * (time and reason; hold is revoked with certificateHold) / unknown for each CertID, echoes a nonce, and signs
 * with the delegated responder key. Whatever arrives, it answers with an OCSPResponse and never throws.
 */
export class OcspResponder {
  private readonly issuerIds: ReadonlySet<string>;
  private readonly responderId: Buffer;
  private readonly signatureAlgorithm: Buffer;
  private readonly certs: Buffer | undefined;
  private readonly validityMs: number;
  private readonly cache: ResponseCache;
  private readonly clock: () => number;
  private signed = 0;
  private readonly byStatus: Record<string, number> = {};

  constructor(private readonly options: OcspResponderOptions) {
    const { authority, signer } = options;
    const ids = new Set<string>();
    for (const [hashOid, hash] of Object.entries(CERT_ID_HASHES)) {
      // issuerNameHash covers the issuer's DN as the issued certificates carry it (= the CA's subject);
      // issuerKeyHash covers the CA's subjectPublicKey bits (RFC 6960 §4.1.1).
      const nameHash = createHash(hash.node).update(authority.certificate.subject.der).digest('hex');
      const keyHash = createHash(hash.node).update(authority.certificate.subjectPublicKeyInfo.publicKey).digest('hex');
      ids.add(`${hashOid}|${nameHash}|${keyHash}`);
    }
    this.issuerIds = ids;
    this.responderId = responderIdByKey(signer.key.spki);
    this.signatureAlgorithm = signatureAlgorithmIdentifier(signer.key.algorithm);
    // The responder certificate lets clients check the delegation (issued by the CA, id-kp-OCSPSigning).
    this.certs = certsField([signer.certificate]);
    this.validityMs = (options.validitySeconds ?? 3600) * 1000;
    this.cache = new ResponseCache(options.cacheEntries ?? 100_000);
    this.clock = options.clock ?? Date.now;
  }

  get authorityName(): string {
    return this.options.authority.name;
  }

  /** A status change of this certificate: drop what the responder remembers about it. */
  invalidate(ca: string, serialHex: string): void {
    this.cache.invalidate(certificateKey(ca, serialHex));
    this.options.status.invalidate(ca, serialHex);
  }

  stats(): OcspResponderStats {
    return { signed: this.signed, cache: this.cache.stats(), byStatus: { ...this.byStatus } };
  }

  /** The answer to one DER OCSPRequest. */
  async respond(der: Uint8Array): Promise<OcspReply> {
    let reply: OcspReply;
    try {
      reply = await this.answer(der);
    } catch (err) {
      if (isPkiParseError(err)) {
        this.options.logger?.debug({ ocsp: 'malformedRequest', reason: err.message, bytes: der.length }, 'OCSP request refused');
        reply = this.error('malformedRequest');
      } else {
        // The client learns only that we failed; the log has why (HSM, store).
        this.options.logger?.error({ err, bytes: der.length }, 'OCSP response failed');
        reply = this.error(isUnavailable(err) ? 'tryLater' : 'internalError');
      }
    }
    this.byStatus[reply.status] = (this.byStatus[reply.status] ?? 0) + 1;
    return reply;
  }

  /** What a transport refusal (wrong content type, body too large) gets: malformedRequest. */
  malformed(): OcspReply {
    const reply = this.error('malformedRequest');
    this.byStatus[reply.status] = (this.byStatus[reply.status] ?? 0) + 1;
    return reply;
  }

  private error(status: Exclude<OcspResponseStatus, 'successful'>): OcspReply {
    return { der: errorResponse(status), status, fromCache: false };
  }

  private serves(certId: CertId): boolean {
    if (!isCertIdHash(certId.hashAlgorithm)) return false;
    return this.issuerIds.has(`${certId.hashAlgorithm}|${hex(certId.issuerNameHash)}|${hex(certId.issuerKeyHash)}`);
  }

  private async answer(der: Uint8Array): Promise<OcspReply> {
    const request = parseOcspRequest(der, this.options.limits);
    const now = this.clock();
    const single = request.certIds.length === 1 && request.nonce === undefined ? request.certIds[0] : undefined;
    const cacheKey = single === undefined ? undefined : hex(single.der);
    if (cacheKey !== undefined) {
      const hit = this.cache.get(cacheKey, now);
      if (hit !== undefined) return cachedReply(hit);
    }
    const served = request.certIds.map((id) => this.serves(id));
    // RFC 5019 §2.2.3 / RFC 6960 §2.3: a responder that is not authoritative for any of them says unauthorized.
    if (!served.includes(true)) return this.error('unauthorized');

    const epoch = this.cache.epoch;
    const ca = this.options.authority.name;
    const states: CertificateState[] = await Promise.all(
      request.certIds.map((id, i) => (served[i] === true ? this.options.status.status(ca, hex(id.serialNumber)) : Promise.resolve<CertificateState>({ kind: 'unknown' }))),
    );
    // Whole seconds: RFC 6960 §4.2.2.1 times follow RFC 5280 (no fractions).
    const thisUpdate = wholeSeconds(now);
    const nextUpdate = new Date(thisUpdate.getTime() + this.validityMs);
    const tbs = responseData({
      responderId: this.responderId,
      producedAt: thisUpdate,
      responses: request.certIds.map((id, i) => singleResponse({ certIdDer: id.der, state: states[i] as CertificateState, thisUpdate, nextUpdate })),
      ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
    });
    const signature = await signData(this.options.signer.key, tbs);
    this.signed += 1;
    const out = successfulResponse(tbs, this.signatureAlgorithm, signature, this.certs);
    if (single === undefined || cacheKey === undefined) return { der: out, status: 'successful', fromCache: false };
    const entry: CachedResponse = {
      der: out,
      thisUpdate,
      nextUpdate,
      refreshAt: thisUpdate.getTime() + this.validityMs / 2,
      etag: `"${createHash('sha1').update(out).digest('hex')}"`,
    };
    this.cache.set(cacheKey, certificateKey(ca, hex(single.serialNumber)), entry, epoch);
    return { der: out, status: 'successful', cacheable: { thisUpdate, nextUpdate, etag: entry.etag }, fromCache: false };
  }
}

function cachedReply(hit: CachedResponse): OcspReply {
  return { der: hit.der, status: 'successful', cacheable: { thisUpdate: hit.thisUpdate, nextUpdate: hit.nextUpdate, etag: hit.etag }, fromCache: true };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Store outages and HSM pool exhaustion are worth retrying: tryLater (RFC 6960 §2.3). */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'CONNECT_FAILED' || code === 'ERR_HSM_CLOSED';
}

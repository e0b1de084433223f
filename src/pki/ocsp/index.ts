/** RFC 6960 OCSP: strict request parser, responder with an RFC 5019-style cache, and the relying-party side. */
export { parseOcspRequest, CERT_ID_HASHES, DEFAULT_MAX_OCSP_REQUEST_BYTES, DEFAULT_MAX_CERT_IDS, type CertId, type OcspRequest, type OcspRequestLimits } from './request';
export { OCSP_RESPONSE_STATUS, errorResponse, type OcspResponseStatus, type CertificateState } from './response';
export { ResponseCache, certificateKey, type CachedResponse, type CacheStats } from './cache';
export { StoreStatusSource, type StatusSource } from './status-source';
export { OcspResponder, type OcspResponderOptions, type OcspReply, type OcspResponderStats, type ServedAuthority } from './responder';
export { encodeCertId, encodeOcspRequest, newNonce, type CertIdHash, type CertIdInput } from './client-request';
export { parseOcspResponse, type ParsedOcspResponse, type BasicOcspResponse, type ParsedSingleResponse, type ParsedCertStatus, type ResponderId } from './client-response';
export { verifyOcspResponse, ocspCheck, httpOcspTransport, type OcspVerdict, type OcspVerifyInput, type OcspTransport, type OcspCheckOptions } from './client';

/** src/pki: certificate and CRL parsing, signature verification, RFC 5280 path validation. */
export * from './path';
export { PkiParseError, isPkiParseError } from './errors';
export { parseCertificate } from './x509/certificate';
export type { Certificate } from './x509/certificate';
export { parseCrl } from './x509/crl';
export type { Crl } from './x509/crl';
export { namesMatch, nameToString } from './x509/name';
export type { Name } from './x509/name';
export { verifySignature } from './crypto/verify-signature';
export type { SignatureCheck, SignatureFailure, VerifyInput } from './crypto/verify-signature';
export { parseDssSignature, encodeDssSignature } from './crypto/dss-signature';
export type { DssSignature } from './crypto/dss-signature';

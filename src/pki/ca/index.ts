/** Certification authority: profiles turned into certificates, signed by CA keys that stay in the token. */
export { CA_ERROR_CODES, CaError, isCaError, type CaErrorCode } from './errors';
export { type SigningKey, hsmSigningKey, signingKeyFromPair, signData, algorithmForKey, webCryptoSignParams } from './signing-key';
export { randomSerialHex, normaliseSerialHex, SERIAL_BYTES } from './serial';
export { subjectName, citizenSerialNumber, type SubjectSpec } from './names';
export { buildExtensions, keyIdentifier, msisdnUri, type PublicationUrls, type ExtensionInput } from './extensions';
export { issueCertificate, spkiHash, type Issuer, type IssueInput, type IssuedCertificate } from './issue';
export { CertificationAuthority, ROOT_CA, ISSUING_CA, type IssueRequest } from './authority';
export { PKI_PATHS, publicationUrls, checkBaseUrl } from './urls';
export { PKI_KEY_LABELS, CA_KEY_CHOICES, isCaKeyChoice, type CaKeyChoice } from './keys';
export {
  initCertificationAuthority,
  describeCas,
  DEFAULT_ROOT_CRL_VALIDITY_SECONDS,
  DEFAULT_ISSUING_CRL_VALIDITY_SECONDS,
  type CaInitOptions,
  type CaInitResult,
  type ServiceCertificate,
} from './init';
export { loadCas, latestServiceCertificate, loadServiceIdentity, type LoadedCas, type ServiceIdentity } from './load';
export { REVOCATION_REASONS, isRevocationReason, parseRevocationReason, revocationReasonCode, type RevocationReason } from './reasons';
export { changeStatus, goodStatus, type StatusChange, type StatusChangeInput } from './status';
export { StatusFeed, type StatusFeedOptions } from './status-feed';
export { startPkiRuntime, type PkiRuntime, type PkiRuntimeOptions } from './runtime';
export { signatureAlgorithmIdentifier } from './algorithm-identifier';
export { CRL_REASON_NAMES, CrlReason } from '../x509/crl';
export { issueForRequest, REQUEST_PROFILES, type RequestProfile, type RequestIssueInput } from './issue-request';

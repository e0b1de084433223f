/** Registration authority and the mobile-ID directory. */
export { RA_ERROR_CODES, RaError, isRaError, type RaErrorCode } from './errors';
export { normaliseMsisdn, isNormalisedMsisdn } from './msisdn';
export { newMid, isMid } from './mid';
export { parsePkcs10, checkProofOfPossession, readCertificationRequest, csrBytes, MAX_CSR_BYTES, type CertificationRequest } from './csr';
export { checkIdentity, maxLevelFor, type CitizenIdentity } from './identity';
export {
  RegistrationAuthority,
  currentPair,
  type RegistrationInput,
  type RegistrationResult,
  type RegistrationAuthorityOptions,
  type MobileIdView,
  type CertificateView,
  type IssuedPair,
  type LifecycleInput,
  type CitizenProfile,
  type RaAuditEvent,
} from './authority';

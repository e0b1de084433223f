/** RFC 5280 certification path validation: the public surface. */
export { PATH_RULES } from './types';
export type {
  IssuerInfo,
  OcspCheck,
  OcspStatus,
  PathRule,
  PathValidationFailure,
  PathValidationOptions,
  PathValidationResult,
  PathValidationSuccess,
  RevocationSettings,
  TrustAnchor,
} from './types';
export { validatePath } from './validate-path';
export { trustAnchorFromCertificate, validateCertificate, validateCertificateDer } from './validate-certificate';
export type { CertificateValidationInput, DerValidationInput } from './validate-certificate';
export { buildCandidatePaths } from './build-paths';
export type { CandidatePath } from './build-paths';

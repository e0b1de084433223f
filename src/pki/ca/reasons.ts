import { CrlReason } from '../x509/crl';
import { CaError } from './errors';

/**
 * The CRLReason codes an operator may give when revoking (RFC 5280 §5.3.1). certificateHold is what
 * suspension uses, removeFromCRL belongs to delta CRLs only, aACompromise to attribute certificates.
 */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export function isRevocationReason(value: string): value is RevocationReason {
  return (REVOCATION_REASONS as readonly string[]).includes(value);
}

export function revocationReasonCode(reason: RevocationReason): number {
  return CrlReason[reason];
}

export function parseRevocationReason(value: string): RevocationReason {
  if (!isRevocationReason(value)) throw new CaError('BAD_INPUT', `revocation reason must be one of ${REVOCATION_REASONS.join(', ')}; not "${value}"`);
  return value;
}

export const CERTIFICATE_HOLD = CrlReason.certificateHold;

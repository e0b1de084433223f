import type { Certificate } from '../x509/certificate';
import type { PathValidationResult, TrustAnchor } from './types';

/**
 * What path validation needs beyond RFC 5280's inputs in order to check CRLs signed by someone other than
 * the certificate's issuer (§6.3.3 (f): "obtain and validate the certification path for the issuer of the
 * complete CRL").
 */
export interface ValidationContext {
  /** Every certificate available for building CRL-issuer paths (the intermediates handed to the validator). */
  readonly pool: readonly Certificate[];
  /** CRL issuer certificates whose own validation is in progress, outermost first (bounds the recursion). */
  readonly signerStack: readonly Certificate[];
  /** Builds and validates a path from `anchor` to `signer`, with `stack` as the new signerStack. */
  readonly validateCrlSigner: (signer: Certificate, anchor: TrustAnchor, stack: readonly Certificate[]) => Promise<PathValidationResult>;
  /**
   * Shared by every nested validation of one top-level call. Certificates may come from the signer of a
   * CMS message, so a crafted set (many certificates carrying a real CRL signer's key under forged parents)
   * must not multiply the work without bound.
   */
  readonly budget: { remainingSignerValidations: number };
}

/** Most CRL-issuer path validations one top-level validation may start. */
export const SIGNER_VALIDATION_BUDGET = 32;

/** How deep CRL-issuer validation may nest (a CRL issuer whose CRL issuer has its own CRL issuer...). */
export const MAX_SIGNER_DEPTH = 4;

import type { PathValidationFailure } from '../path';

/**
 * Every way a CMS SignedData can be refused. A closed list, so that callers switch on it and map each rule
 * to their own protocol code (a TS 102 204 status, an HTTP problem); `message` carries the details.
 */
export const CMS_RULES = [
  /** Not exactly one DER ContentInfo holding a SignedData, or a structural rule of RFC 5652 broken. */
  'malformed',
  /** Larger than the bounds we accept (bytes, certificates, signers, attributes). */
  'limits',
  /** Detached content missing, or content both inside the SignedData and given separately. */
  'content',
  /** No SignerInfo. */
  'no-signer',
  /** No certificate in the SignedData (or given by the caller) matches the signer identifier. */
  'signer-certificate-not-found',
  /** Signed attributes missing a required attribute (contentType, messageDigest), repeating one, or with a bad value. */
  'signed-attributes',
  /** The contentType attribute differs from the encapsulated content type. */
  'content-type-mismatch',
  /** The messageDigest attribute is not the digest of the content. */
  'message-digest-mismatch',
  /** An ESS signingCertificate(V2) attribute does not identify the signer's certificate (RFC 2634 §5.4, RFC 5035). */
  'signing-certificate-mismatch',
  /** A digest or signature algorithm outside CMS_SIGNATURE_ALGORITHMS, or the two disagree. */
  'unsupported-algorithm',
  /** The signature does not verify with the signer certificate's key. */
  'signature',
  /** The signer certificate's keyUsage allows neither digitalSignature nor nonRepudiation. */
  'key-usage',
  /** The signer certificate has no valid path to a trust anchor (the path result says which RFC 5280 rule). */
  'path',
] as const;

export type CmsRule = (typeof CMS_RULES)[number];

/** A refusal: thrown by the parser and the signer, returned (as a value) by the verifier. */
export class CmsError extends Error {
  override readonly name = 'CmsError';
  constructor(
    readonly rule: CmsRule,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCmsError(err: unknown): err is CmsError {
  return err instanceof CmsError;
}

export interface CmsVerifyFailure {
  readonly valid: false;
  readonly rule: CmsRule;
  readonly message: string;
  /** Which SignerInfo failed (0-based), when the failure belongs to one. */
  readonly signerIndex?: number;
  /** For rule 'path': the RFC 5280 result (its own rule, the certificate at fault). */
  readonly path?: PathValidationFailure;
}

export const cmsFailure = (rule: CmsRule, message: string, extra: Omit<CmsVerifyFailure, 'valid' | 'rule' | 'message'> = {}): CmsVerifyFailure => ({
  valid: false,
  rule,
  message,
  ...extra,
});

import type { SubjectPublicKeyInfo } from '../x509/algorithm';
import type { Certificate } from '../x509/certificate';
import type { Crl } from '../x509/crl';
import type { GeneralSubtree } from '../x509/extensions';
import type { Name } from '../x509/name';

/**
 * Every way a path can be rejected. A closed list so that callers can `switch` on it and map each rule to
 * their own protocol code; the message carries the details.
 */
export const PATH_RULES = [
  /** A certificate or CRL could not be parsed. */
  'malformed',
  /** No chain from the target to a trust anchor could be built from the certificates given. */
  'no-path',
  /** A certificate's signature does not verify with its issuer's key (or its two algorithm fields differ). */
  'signature',
  /** A signature or key algorithm we do not implement. */
  'unsupported-algorithm',
  /** The validation time is outside a certificate's validity period. */
  'validity',
  /** A certificate's issuer name is not its predecessor's subject name. */
  'name-chaining',
  /** An intermediate certificate is not a CA certificate (basicConstraints cA). */
  'basic-constraints',
  /** More intermediate certificates than a pathLenConstraint allows. */
  'path-length',
  /** An intermediate certificate's keyUsage lacks keyCertSign. */
  'key-usage',
  /** A critical extension this validator does not process. */
  'unknown-critical-extension',
  /** A subject or alternative name outside the permitted or inside the excluded subtrees. */
  'name-constraints',
  /** Certificate policy processing left no acceptable policy while one was required. */
  'policy',
  /** A certificate is revoked (or on hold). */
  'revoked',
  /** CRL checking could not determine a certificate's status (no current, in-scope, correctly signed CRL). */
  'crl-unavailable',
  /** The OCSP hook answered 'unknown' (or failed) and no CRL decided the status either. */
  'revocation-unknown',
] as const;

export type PathRule = (typeof PATH_RULES)[number];

/** RFC 5280 §6.1.1 (d): the trust anchor information. */
export interface TrustAnchor {
  readonly name: Name;
  readonly publicKey: SubjectPublicKeyInfo;
  /** The self-signed certificate the anchor came from, when there is one (its keyUsage is honoured for CRL signing). */
  readonly certificate: Certificate | undefined;
}

/** The issuer of a certificate as validation saw it: what an OCSP client needs to build its request. */
export interface IssuerInfo {
  readonly name: Name;
  readonly publicKey: SubjectPublicKeyInfo;
  /** DSA parameters inherited along the path, when the issuer's own key omits them. */
  readonly keyParameters: Uint8Array | undefined;
  /** The issuer's certificate; undefined for a trust anchor given without one. */
  readonly certificate: Certificate | undefined;
}

export type OcspStatus = 'good' | 'revoked' | 'unknown';

/**
 * The OCSP hook: asked first for every certificate of the path when present. 'good' and 'revoked' decide;
 * 'unknown' (or a thrown error) falls back to the CRLs.
 */
export type OcspCheck = (certificate: Certificate, issuer: IssuerInfo) => Promise<OcspStatus>;

export interface RevocationSettings {
  /**
   * 'required': every certificate's status must be determined (by OCSP or a CRL), or the path is rejected.
   * 'off': no revocation checking at all; only for callers that check status some other way.
   */
  readonly mode: 'required' | 'off';
  /** Complete and delta CRLs available to the validator; their signatures and scope are checked here. */
  readonly crls?: readonly Crl[];
  readonly ocsp?: OcspCheck;
}

/** RFC 5280 §6.1.1 inputs other than the path and the anchor. */
export interface PathValidationOptions {
  /** (b) the time at which the path must be valid. */
  readonly time: Date;
  /** (c) user-initial-policy-set; default { anyPolicy }. */
  readonly initialPolicySet?: readonly string[];
  /** (e) initial-policy-mapping-inhibit; default false. */
  readonly initialPolicyMappingInhibit?: boolean;
  /** (f) initial-explicit-policy; default false. */
  readonly initialExplicitPolicy?: boolean;
  /** (g) initial-any-policy-inhibit; default false. */
  readonly initialAnyPolicyInhibit?: boolean;
  /** (h) initial-permitted-subtrees; default: no restriction. */
  readonly initialPermittedSubtrees?: readonly GeneralSubtree[];
  /** (i) initial-excluded-subtrees; default: none. */
  readonly initialExcludedSubtrees?: readonly GeneralSubtree[];
  readonly revocation: RevocationSettings;
}

export interface PathValidationSuccess {
  readonly valid: true;
  readonly trustAnchor: TrustAnchor;
  /** The validated path: path[0] was issued by the trust anchor, the last element is the target. */
  readonly path: readonly Certificate[];
  /**
   * RFC 5280 §6.1.6 user-constrained-policy-set: the certificate policies the path is valid for, after the
   * intersection with user-initial-policy-set, stated in the trust anchor's domain (the policy each branch
   * started from, before policy mappings renamed it). Empty when the valid_policy_tree is NULL;
   * ['2.5.29.32.0'] when the path is valid for any policy.
   */
  readonly userConstrainedPolicySet: readonly string[];
  /** The target's public key and the algorithm parameters it works with (§6.1.6 outputs). */
  readonly workingPublicKey: SubjectPublicKeyInfo;
  readonly workingPublicKeyParameters: Uint8Array | undefined;
}

export interface PathValidationFailure {
  readonly valid: false;
  readonly rule: PathRule;
  /**
   * RFC 5280 §6.1 numbering: 1 is the certificate issued by the trust anchor, path.length the target;
   * path[certIndex - 1] is the certificate at fault. For 'no-path', path is the partial chain that was
   * built (its first certificate is the one whose issuer was not found).
   */
  readonly certIndex: number;
  /** The subject of the certificate at fault, for people reading logs. */
  readonly subject: string;
  readonly message: string;
  readonly path: readonly Certificate[];
}

export type PathValidationResult = PathValidationSuccess | PathValidationFailure;

import { isPkiParseError } from '../errors';
import { type Certificate, parseCertificate } from '../x509/certificate';
import { type Crl, parseCrl } from '../x509/crl';
import { nameToString } from '../x509/name';
import { DEFAULT_BUILD_LIMITS, buildCandidatePaths } from './build-paths';
import { SIGNER_VALIDATION_BUDGET, type ValidationContext } from './context';
import type { PathValidationFailure, PathValidationOptions, PathValidationResult, TrustAnchor } from './types';
import { validatePath } from './validate-path';

/**
 * The entry point most callers want: build candidate paths from the target through the intermediates to
 * one of the trust anchors, validate each by RFC 5280 §6.1 (revocation by §6.3 and the OCSP hook), and
 * return the first valid one, or the failure of the most plausible candidate.
 */
export interface CertificateValidationInput extends PathValidationOptions {
  readonly target: Certificate;
  /** Unordered; may include certificates that belong to no path (CRL signers, cross-certificates). */
  readonly intermediates?: readonly Certificate[];
  readonly trustAnchors: readonly TrustAnchor[];
}

/** RFC 5280 §6.1.1 (d): a trust anchor taken from a (normally self-signed) certificate. */
export function trustAnchorFromCertificate(certificate: Certificate): TrustAnchor {
  return { name: certificate.subject, publicKey: certificate.subjectPublicKeyInfo, certificate };
}

async function validateWithStack(
  target: Certificate,
  pool: readonly Certificate[],
  anchors: readonly TrustAnchor[],
  options: PathValidationOptions,
  signerStack: readonly Certificate[],
  budget: ValidationContext['budget'],
): Promise<PathValidationResult> {
  const built = buildCandidatePaths(target, pool, anchors, DEFAULT_BUILD_LIMITS);
  const context: ValidationContext = {
    pool,
    signerStack,
    // §6.3.3 (f): the CRL issuer's path starts at the same trust anchor; policy inputs are the defaults,
    // since the user's policy wishes concern the target, not the CRL issuer.
    validateCrlSigner: (signer, anchor, stack) =>
      validateWithStack(signer, pool, [anchor], { time: options.time, revocation: options.revocation }, stack, budget),
    budget,
  };
  let first: PathValidationFailure | undefined;
  for (const candidate of built.candidates) {
    const result = await validatePath(candidate.anchor, candidate.path, options, context);
    if (result.valid) return result;
    first ??= result;
  }
  if (first) return first;
  const top = built.deadEnd[0] as Certificate;
  return {
    valid: false,
    rule: 'no-path',
    certIndex: 1,
    subject: nameToString(top.subject),
    message: `no trust anchor or intermediate certificate is the issuer "${nameToString(top.issuer)}"`,
    path: built.deadEnd,
  };
}

export async function validateCertificate(input: CertificateValidationInput): Promise<PathValidationResult> {
  const { target, intermediates = [], trustAnchors, ...options } = input;
  return validateWithStack(target, intermediates, trustAnchors, options, [], { remainingSignerValidations: SIGNER_VALIDATION_BUDGET });
}

/** DER inputs: what an HTTP handler or the CLI holds. Parse failures become a 'malformed' result. */
export interface DerValidationInput extends Omit<PathValidationOptions, 'revocation'> {
  readonly target: Uint8Array;
  readonly intermediates?: readonly Uint8Array[];
  readonly trustAnchors: readonly Uint8Array[];
  readonly revocation: Omit<PathValidationOptions['revocation'], 'crls'> & { readonly crls?: readonly Uint8Array[] };
}

function malformed(what: string, err: unknown): PathValidationFailure {
  const message = err instanceof Error ? err.message : String(err);
  return { valid: false, rule: 'malformed', certIndex: 0, subject: '', message: `${what}: ${message}`, path: [] };
}

export async function validateCertificateDer(input: DerValidationInput): Promise<PathValidationResult> {
  const parse = <T>(what: string, der: Uint8Array, parser: (d: Uint8Array) => T): T | PathValidationFailure => {
    try {
      return parser(der);
    } catch (err) {
      if (!isPkiParseError(err)) throw err;
      return malformed(what, err);
    }
  };
  const isFailure = (v: unknown): v is PathValidationFailure => typeof v === 'object' && v !== null && 'valid' in v;
  const target = parse('target certificate', input.target, parseCertificate);
  if (isFailure(target)) return target;
  const intermediates: Certificate[] = [];
  for (const [k, der] of (input.intermediates ?? []).entries()) {
    const c = parse(`intermediate certificate ${k}`, der, parseCertificate);
    if (isFailure(c)) return c;
    intermediates.push(c);
  }
  const trustAnchors: TrustAnchor[] = [];
  for (const [k, der] of input.trustAnchors.entries()) {
    const c = parse(`trust anchor ${k}`, der, parseCertificate);
    if (isFailure(c)) return c;
    trustAnchors.push(trustAnchorFromCertificate(c));
  }
  const crls: Crl[] = [];
  for (const [k, der] of (input.revocation.crls ?? []).entries()) {
    const c = parse(`CRL ${k}`, der, parseCrl);
    if (isFailure(c)) return c;
    crls.push(c);
  }
  return validateCertificate({
    time: input.time,
    initialPolicySet: input.initialPolicySet,
    initialExplicitPolicy: input.initialExplicitPolicy,
    initialPolicyMappingInhibit: input.initialPolicyMappingInhibit,
    initialAnyPolicyInhibit: input.initialAnyPolicyInhibit,
    initialPermittedSubtrees: input.initialPermittedSubtrees,
    initialExcludedSubtrees: input.initialExcludedSubtrees,
    target,
    intermediates,
    trustAnchors,
    revocation: { mode: input.revocation.mode, ocsp: input.revocation.ocsp, crls },
  });
}

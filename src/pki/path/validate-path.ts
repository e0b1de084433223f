import type { SubjectPublicKeyInfo } from '../x509/algorithm';
import { parametersAbsentOrNull } from '../x509/algorithm';
import { type Certificate, keyUsageAllows } from '../x509/certificate';
import { KeyUsageBit } from '../x509/extensions';
import { type Name, nameToString, namesMatch } from '../x509/name';
import { OID } from '../x509/oids';
import type { ValidationContext } from './context';
import { type NameConstraintState, checkNameConstraints } from './name-constraints';
import { ANY_POLICY, PolicyTree, PolicyTreeTooLarge } from './policy-tree';
import { checkRevocation } from './revocation';
import { checkSignedObject } from './signatures';
import type { IssuerInfo, PathRule, PathValidationFailure, PathValidationOptions, PathValidationResult, TrustAnchor } from './types';

/**
 * RFC 5280 §6.1: basic path validation of a given path, from the certificate issued by the trust anchor
 * (path[0]) to the target (path[n-1]). The step letters in the comments are the RFC's.
 *
 * Never throws for bad certificates: every rejection is a result naming the rule and the certificate.
 */

/** Extensions this validator processes; any other critical extension rejects the certificate (§6.1.4 (o), §6.1.5 (f)). */
const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.certificatePolicies,
  OID.policyMappings,
  OID.policyConstraints,
  OID.inhibitAnyPolicy,
  OID.nameConstraints,
  // Processed through name constraints (§6.1.3 (b)(c)).
  OID.subjectAltName,
  // Processed by revocation checking (§6.3).
  OID.cRLDistributionPoints,
  OID.freshestCRL,
  // Informational; RFC 5280 requires them non-critical, and reading them is harmless when they are not.
  OID.authorityKeyIdentifier,
  OID.subjectKeyIdentifier,
  OID.issuerAltName,
  OID.authorityInfoAccess,
  OID.subjectInfoAccess,
  // extKeyUsage restricts what the target may be used for, which only the application knows
  // (RFC 5280 §4.2.1.12); it is returned with the path for the caller to apply, so it is "recognised".
  OID.extKeyUsage,
]);

function isSelfIssued(cert: Certificate): boolean {
  return namesMatch(cert.issuer, cert.subject);
}

function failure(rule: PathRule, certIndex: number, path: readonly Certificate[], message: string): PathValidationFailure {
  const cert = path[certIndex - 1];
  return { valid: false, rule, certIndex, subject: cert ? nameToString(cert.subject) : '', message, path };
}

/** The parameters a key brings to working_public_key_parameters: its own when non-NULL (§6.1.4 (e)). */
function ownParameters(spki: SubjectPublicKeyInfo): Uint8Array | undefined {
  return parametersAbsentOrNull(spki.algorithm) ? undefined : spki.algorithm.parameters;
}

interface State {
  tree: PolicyTree | null;
  nameConstraints: NameConstraintState;
  explicitPolicy: number;
  inhibitAnyPolicy: number;
  policyMapping: number;
  workingPublicKey: SubjectPublicKeyInfo;
  workingPublicKeyAlgorithm: string;
  workingPublicKeyParameters: Uint8Array | undefined;
  workingIssuerName: Name;
  workingIssuerCertificate: Certificate | undefined;
  maxPathLength: number;
}

/** §6.1.3 (d)(e)(f): certificate policies of certificate i. Returns a message when (f) fails. */
function processPolicies(state: State, cert: Certificate, i: number, n: number): string | undefined {
  const policies = cert.ext.certificatePolicies;
  const tree = state.tree;
  if (policies && tree) {
    const parents = tree.nodesAt(i - 1);
    let anyPolicyQualifiers: Uint8Array | undefined;
    let hasAnyPolicy = false;
    for (const p of policies) {
      if (p.policy === ANY_POLICY) {
        hasAnyPolicy = true;
        anyPolicyQualifiers = p.qualifiers;
        continue;
      }
      // (d)(1)(i) children for every parent expecting this policy...
      let matched = false;
      for (const node of parents) {
        if (node.expectedPolicySet.has(p.policy)) {
          tree.addChild(node, p.policy, p.qualifiers, new Set([p.policy]));
          matched = true;
        }
      }
      // (d)(1)(ii) ...or else under the anyPolicy parent.
      if (!matched) {
        const anyParent = parents.find((node) => node.validPolicy === ANY_POLICY);
        if (anyParent) tree.addChild(anyParent, p.policy, p.qualifiers, new Set([p.policy]));
      }
    }
    // (d)(2) anyPolicy in the certificate stands for every expected policy not yet matched, unless inhibited.
    if (hasAnyPolicy && (state.inhibitAnyPolicy > 0 || (i < n && isSelfIssued(cert)))) {
      for (const node of parents) {
        for (const expected of node.expectedPolicySet) {
          if (!node.children.some((c) => c.validPolicy === expected)) tree.addChild(node, expected, anyPolicyQualifiers, new Set([expected]));
        }
      }
    }
    // (d)(3)
    tree.pruneChildless(i - 1);
    if (tree.isNull) state.tree = null;
  } else if (!policies) {
    // (e)
    state.tree = null;
  }
  // (f)
  if (state.explicitPolicy <= 0 && state.tree === null) {
    return policies ? 'no certificate policy acceptable to the path remains, and an explicit policy is required' : 'no certificatePolicies extension, and an explicit policy is required';
  }
  return undefined;
}

/** §6.1.4 (a)(b): policy mappings of certificate i. Returns a message when (a) fails. */
function processPolicyMappings(state: State, cert: Certificate, i: number): string | undefined {
  const mappings = cert.ext.policyMappings;
  if (!mappings) return undefined;
  // (a)
  for (const m of mappings) {
    if (m.issuerDomainPolicy === ANY_POLICY || m.subjectDomainPolicy === ANY_POLICY) return 'policyMappings maps to or from anyPolicy';
  }
  const tree = state.tree;
  if (!tree) return undefined;
  const byIssuerPolicy = new Map<string, Set<string>>();
  for (const m of mappings) {
    let set = byIssuerPolicy.get(m.issuerDomainPolicy);
    if (!set) byIssuerPolicy.set(m.issuerDomainPolicy, (set = new Set()));
    set.add(m.subjectDomainPolicy);
  }
  if (state.policyMapping > 0) {
    // (b)(1)
    for (const [idp, sdps] of byIssuerPolicy) {
      const nodes = tree.nodesAt(i).filter((node) => node.validPolicy === idp);
      if (nodes.length > 0) {
        for (const node of nodes) node.expectedPolicySet = new Set(sdps);
      } else {
        const anyNode = tree.nodesAt(i).find((node) => node.validPolicy === ANY_POLICY);
        if (anyNode?.parent) tree.addChild(anyNode.parent, idp, anyNode.qualifiers, new Set(sdps));
      }
    }
  } else {
    // (b)(2) mapping inhibited: the mapped policies end here.
    for (const idp of byIssuerPolicy.keys()) {
      for (const node of tree.nodesAt(i).filter((nd) => nd.validPolicy === idp)) tree.deleteSubtree(node);
    }
    tree.pruneChildless(i - 1);
    if (tree.isNull) state.tree = null;
  }
  return undefined;
}

/** §6.1.5 (g): intersect the tree with the user-initial-policy-set; returns the user-constrained-policy-set or null. */
function intersectWithUserPolicies(tree: PolicyTree | null, userSet: ReadonlySet<string>, n: number): string[] | null {
  if (!tree) return null;
  if (!userSet.has(ANY_POLICY)) {
    // (g)(iii)(1) nodes whose parent is anyPolicy: where the tree's own policies begin.
    const nodeSet = tree.allNodesBelowRoot().filter((node) => node.parent?.validPolicy === ANY_POLICY);
    // (g)(iii)(2)
    for (const node of nodeSet) {
      if (node.validPolicy !== ANY_POLICY && !userSet.has(node.validPolicy)) tree.deleteSubtree(node);
    }
    // (g)(iii)(3) an anyPolicy leaf stands for every user policy not otherwise present.
    const anyLeaf = tree.nodesAt(n).find((node) => node.validPolicy === ANY_POLICY);
    if (anyLeaf?.parent) {
      const present = new Set(nodeSet.map((node) => node.validPolicy));
      for (const p of userSet) if (!present.has(p)) tree.addChild(anyLeaf.parent, p, anyLeaf.qualifiers, new Set([p]));
      tree.deleteSubtree(anyLeaf);
    }
    // (g)(iii)(4)
    tree.pruneChildless(n - 1);
    if (tree.isNull) return null;
  }
  // The set is stated in the user's (the trust anchor's) policy domain: for each depth-n leaf, the policy
  // where its branch left anyPolicy, before any mapping renamed it. PKITS 4.10.3 and 4.11.4 expect this.
  const out = new Set<string>();
  for (let node of tree.nodesAt(n)) {
    while (node.parent && node.parent.validPolicy !== ANY_POLICY) node = node.parent;
    out.add(node.validPolicy);
  }
  return [...out];
}

/** A path with its trust anchor, checked against RFC 5280 §6.1 (and §6.3 for revocation). */
export async function validatePath(
  anchor: TrustAnchor,
  path: readonly Certificate[],
  options: PathValidationOptions,
  context?: ValidationContext,
): Promise<PathValidationResult> {
  try {
    return await runValidation(anchor, path, options, context ?? { pool: path, signerStack: [], validateCrlSigner: noSignerPaths, budget: { remainingSignerValidations: 0 } });
  } catch (err) {
    if (err instanceof PolicyTreeTooLarge) return failure('policy', path.length, path, err.message);
    throw err;
  }
}

/**
 * Used when validatePath is called on its own: CRLs must then be signed by the trust anchor or by the
 * certificate's issuer on the path. validateCertificate also validates separate CRL issuers' paths.
 */
async function noSignerPaths(signer: Certificate): Promise<PathValidationResult> {
  return failure('no-path', 1, [signer], 'no certificate pool to build a CRL issuer path from');
}

async function runValidation(anchor: TrustAnchor, path: readonly Certificate[], options: PathValidationOptions, context: ValidationContext): Promise<PathValidationResult> {
  const n = path.length;
  if (n === 0) return failure('no-path', 0, path, 'empty path');
  const time = options.time.getTime();
  if (!Number.isFinite(time)) throw new RangeError('validation time is not a valid Date');
  const userSet = new Set(options.initialPolicySet ?? [ANY_POLICY]);

  // §6.1.2 initialization
  const state: State = {
    tree: new PolicyTree(),
    nameConstraints: {
      permitted: options.initialPermittedSubtrees ? [options.initialPermittedSubtrees] : [],
      excluded: [...(options.initialExcludedSubtrees ?? [])],
    },
    explicitPolicy: options.initialExplicitPolicy ? 0 : n + 1,
    inhibitAnyPolicy: options.initialAnyPolicyInhibit ? 0 : n + 1,
    policyMapping: options.initialPolicyMappingInhibit ? 0 : n + 1,
    workingPublicKey: anchor.publicKey,
    workingPublicKeyAlgorithm: anchor.publicKey.algorithm.oid,
    workingPublicKeyParameters: ownParameters(anchor.publicKey),
    workingIssuerName: anchor.name,
    workingIssuerCertificate: anchor.certificate,
    maxPathLength: n,
  };

  for (let i = 1; i <= n; i++) {
    const cert = path[i - 1] as Certificate;
    const fail = (rule: PathRule, message: string): PathValidationFailure => failure(rule, i, path, message);
    const selfIssued = isSelfIssued(cert);

    // §6.1.3 (a)(4) first, so that a misplaced certificate is reported as such rather than as a bad signature.
    if (!namesMatch(cert.issuer, state.workingIssuerName)) {
      return fail('name-chaining', `issuer "${nameToString(cert.issuer)}" does not match the subject "${nameToString(state.workingIssuerName)}" of the certificate before it`);
    }
    // (a)(1)
    const sig = checkSignedObject(cert, state.workingPublicKey, state.workingPublicKeyParameters);
    if (!sig.ok) return fail(sig.failure === 'unsupported-algorithm' ? 'unsupported-algorithm' : 'signature', `${sig.failure}: ${sig.message}`);
    // (a)(2)
    if (time < cert.notBefore) return fail('validity', `not valid before ${new Date(cert.notBefore).toISOString()}`);
    if (time > cert.notAfter) return fail('validity', `expired at ${new Date(cert.notAfter).toISOString()}`);
    // §6.1.4 (o) and §6.1.5 (f), checked up front for every certificate.
    for (const e of cert.extensions) {
      if (e.critical && !PROCESSED_EXTENSIONS.has(e.oid)) return fail('unknown-critical-extension', `critical extension ${e.oid} is not processed by this validator`);
    }
    // (b)(c) name constraints apply to every certificate but self-issued intermediates.
    if (i === n || !selfIssued) {
      const problem = checkNameConstraints(cert, state.nameConstraints);
      if (problem) return fail('name-constraints', problem);
    }
    // (d)(e)(f)
    const policyProblem = processPolicies(state, cert, i, n);
    if (policyProblem) return fail('policy', policyProblem);

    // The issuer as it stood when this certificate was verified: CRL checking and the OCSP hook need it.
    const issuer: IssuerInfo = {
      name: state.workingIssuerName,
      publicKey: state.workingPublicKey,
      keyParameters: state.workingPublicKeyParameters,
      certificate: state.workingIssuerCertificate,
    };

    if (i < n) {
      // §6.1.4 preparation for certificate i+1
      const mappingProblem = processPolicyMappings(state, cert, i);
      if (mappingProblem) return fail('policy', mappingProblem);
      // (c)(d)(e)(f)
      const spki = cert.subjectPublicKeyInfo;
      const params = ownParameters(spki);
      if (params) state.workingPublicKeyParameters = params;
      else if (spki.algorithm.oid !== state.workingPublicKeyAlgorithm) state.workingPublicKeyParameters = undefined;
      state.workingIssuerName = cert.subject;
      state.workingIssuerCertificate = cert;
      state.workingPublicKey = spki;
      state.workingPublicKeyAlgorithm = spki.algorithm.oid;
      // (g)
      const nc = cert.ext.nameConstraints;
      if (nc) {
        state.nameConstraints = {
          permitted: nc.permitted ? [...state.nameConstraints.permitted, nc.permitted] : state.nameConstraints.permitted,
          excluded: nc.excluded ? [...state.nameConstraints.excluded, ...nc.excluded] : state.nameConstraints.excluded,
        };
      }
      // (h)
      if (!selfIssued) {
        if (state.explicitPolicy !== 0) state.explicitPolicy--;
        if (state.policyMapping !== 0) state.policyMapping--;
        if (state.inhibitAnyPolicy !== 0) state.inhibitAnyPolicy--;
      }
      // (i)
      const pc = cert.ext.policyConstraints;
      if (pc?.requireExplicitPolicy !== undefined && pc.requireExplicitPolicy < state.explicitPolicy) state.explicitPolicy = pc.requireExplicitPolicy;
      if (pc?.inhibitPolicyMapping !== undefined && pc.inhibitPolicyMapping < state.policyMapping) state.policyMapping = pc.inhibitPolicyMapping;
      // (j)
      const iap = cert.ext.inhibitAnyPolicy;
      if (iap !== undefined && iap < state.inhibitAnyPolicy) state.inhibitAnyPolicy = iap;
      // (k) Version 1 and 2 intermediates cannot say they are CAs; like most validators we refuse them.
      if (cert.version !== 3) return fail('basic-constraints', `a v${cert.version} certificate cannot be an intermediate CA`);
      if (!cert.ext.basicConstraints) return fail('basic-constraints', 'intermediate certificate has no basicConstraints extension');
      if (!cert.ext.basicConstraints.ca) return fail('basic-constraints', 'intermediate certificate has basicConstraints cA FALSE');
      // (l)
      if (!selfIssued) {
        if (state.maxPathLength <= 0) return fail('path-length', 'a pathLenConstraint above allows no further intermediate certificates');
        state.maxPathLength--;
      }
      // (m)
      const pl = cert.ext.basicConstraints.pathLenConstraint;
      if (pl !== undefined && pl < state.maxPathLength) state.maxPathLength = pl;
      // (n)
      if (!keyUsageAllows(cert, KeyUsageBit.keyCertSign)) return fail('key-usage', 'intermediate certificate keyUsage lacks keyCertSign');
    }

    // (a)(3) revocation, once the certificate has passed every structural check.
    if (options.revocation.mode !== 'off') {
      const outcome = await checkRevocation({ cert, issuer, anchor, time, settings: options.revocation, context });
      if (outcome.status === 'revoked') return fail('revoked', outcome.message);
      if (outcome.status === 'undetermined') return fail(outcome.rule, outcome.message);
    }
  }

  // §6.1.5 wrap-up
  const target = path[n - 1] as Certificate;
  // (a)
  if (state.explicitPolicy !== 0) state.explicitPolicy--;
  // (b)
  if (target.ext.policyConstraints?.requireExplicitPolicy === 0) state.explicitPolicy = 0;
  // (c)(d)(e)
  const targetSpki = target.subjectPublicKeyInfo;
  const targetParams = ownParameters(targetSpki) ?? (targetSpki.algorithm.oid === state.workingPublicKeyAlgorithm ? state.workingPublicKeyParameters : undefined);
  // (g)
  const userConstrained = intersectWithUserPolicies(state.tree, userSet, n);
  if (state.explicitPolicy <= 0 && userConstrained === null) {
    return failure('policy', n, path, 'no certificate policy acceptable to both the path and the user-initial-policy-set, and an explicit policy is required');
  }
  return {
    valid: true,
    trustAnchor: anchor,
    path,
    userConstrainedPolicySet: userConstrained ?? [],
    workingPublicKey: targetSpki,
    workingPublicKeyParameters: targetParams,
  };
}

import { bytesEqual } from '../der/reader';
import { keyNeedsInheritedParameters } from '../crypto/public-key';
import type { SubjectPublicKeyInfo } from '../x509/algorithm';
import type { Certificate } from '../x509/certificate';
import { namesMatch } from '../x509/name';
import { checkSignedObject } from './signatures';
import type { TrustAnchor } from './types';

/**
 * Candidate paths from a target certificate up to a trust anchor, through an unordered set of intermediate
 * certificates (the caller's "path set": it may hold certificates that belong to no path, such as a CA's
 * separate CRL-signing certificate). Depth-first, most plausible first: an issuer whose key verifies the
 * certificate's signature is tried before one that does not. Every candidate is then validated in full by
 * RFC 5280 §6.1; building only proposes.
 */
export interface CandidatePath {
  readonly anchor: TrustAnchor;
  /** path[0] is issued by the anchor; the last element is the target. */
  readonly path: readonly Certificate[];
}

export interface BuildLimits {
  /** Longest path, in certificates. */
  readonly maxDepth: number;
  /** Most candidate paths proposed. */
  readonly maxPaths: number;
  /** Most issuer look-ups, so that a large pool of look-alike certificates cannot make building slow. */
  readonly maxSteps: number;
}

export const DEFAULT_BUILD_LIMITS: BuildLimits = { maxDepth: 16, maxPaths: 64, maxSteps: 2_000 };

export interface BuildOutcome {
  readonly candidates: CandidatePath[];
  /** When no candidate exists: the longest chain built (top first), whose first certificate has no issuer. */
  readonly deadEnd: readonly Certificate[];
}

type Issuer = { readonly kind: 'anchor'; readonly anchor: TrustAnchor } | { readonly kind: 'cert'; readonly cert: Certificate };

function issuerKey(issuer: Issuer): SubjectPublicKeyInfo {
  return issuer.kind === 'anchor' ? issuer.anchor.publicKey : issuer.cert.subjectPublicKeyInfo;
}

/** 0: the key verifies the signature; 1: cannot tell yet (DSA key inheriting parameters); 2: it does not. */
function rank(child: Certificate, issuer: Issuer): number {
  const key = issuerKey(issuer);
  if (keyNeedsInheritedParameters(key)) return 1;
  return checkSignedObject(child, key, undefined).ok ? 0 : 2;
}

export function buildCandidatePaths(
  target: Certificate,
  intermediates: readonly Certificate[],
  anchors: readonly TrustAnchor[],
  limits: BuildLimits = DEFAULT_BUILD_LIMITS,
): BuildOutcome {
  const candidates: CandidatePath[] = [];
  // A trust anchor's own certificate in the pool would only make longer copies of the same paths.
  const pool = intermediates.filter((c) => !anchors.some((a) => a.certificate && bytesEqual(a.certificate.der, c.der)));
  let steps = 0;
  let deadEnd: readonly Certificate[] = [target];

  const extend = (chain: Certificate[]): void => {
    if (candidates.length >= limits.maxPaths || ++steps > limits.maxSteps) return;
    const top = chain[chain.length - 1] as Certificate;
    const inChain = (c: Certificate): boolean => chain.some((x) => bytesEqual(x.der, c.der));
    const byName: Issuer[] = [
      ...anchors.filter((a) => namesMatch(top.issuer, a.name)).map((anchor): Issuer => ({ kind: 'anchor', anchor })),
      ...(chain.length < limits.maxDepth ? pool.filter((c) => !inChain(c) && namesMatch(top.issuer, c.subject)).map((cert): Issuer => ({ kind: 'cert', cert })) : []),
    ];
    let issuers = byName;
    if (issuers.length === 0) {
      // Nothing carries the issuer's name. Fall back to whatever key signed it, so that validation can say
      // precisely that the names do not chain instead of only that no path exists.
      const bySignature: Issuer[] = [
        ...anchors.map((anchor): Issuer => ({ kind: 'anchor', anchor })),
        ...(chain.length < limits.maxDepth ? pool.filter((c) => !inChain(c)).map((cert): Issuer => ({ kind: 'cert', cert })) : []),
      ];
      issuers = bySignature.filter((iss) => rank(top, iss) === 0);
    }
    if (issuers.length === 0) {
      if (chain.length > deadEnd.length) deadEnd = [...chain].reverse();
      return;
    }
    const ranked = issuers.map((iss, order) => ({ iss, order, rank: rank(top, iss) })).sort((a, b) => a.rank - b.rank || a.order - b.order);
    for (const { iss } of ranked) {
      if (iss.kind === 'anchor') {
        if (candidates.length < limits.maxPaths) candidates.push({ anchor: iss.anchor, path: [...chain].reverse() });
      } else {
        extend([...chain, iss.cert]);
      }
    }
  };

  extend([target]);
  return { candidates, deadEnd };
}

import type { CitizenCertificates } from './sim-approver';

/**
 * The mobile-ID directory behind a short memory. One signature asks for the citizen's certificates twice (the
 * look-up that admits the request, then the approval) and the RA answers each from seven or so queries; under
 * load that was a third of the store's work per transaction. An answer is kept for `ttlMs`, so a certificate
 * the RA revokes or replaces is seen at most that late here; the validation service checks revocation on its
 * own (CRLs), and CRL-based relying parties accept far older news. Misses are not remembered: a citizen
 * enrolled a moment ago is found at once. Concurrent asks for one MSISDN share one directory query.
 */
export function cachedCertificates(directory: CitizenCertificates, ttlMs: number, now: () => number = Date.now): CitizenCertificates {
  const entries = new Map<string, { readonly at: number; readonly answer: ReturnType<CitizenCertificates['current']> }>();
  return {
    current(msisdn) {
      const t = now();
      const hit = entries.get(msisdn);
      if (hit !== undefined && t - hit.at < ttlMs) return hit.answer;
      const answer = directory.current(msisdn);
      entries.set(msisdn, { at: t, answer });
      // Failures and unknown numbers are asked again next time.
      answer.then(
        (found) => {
          if (found === undefined && entries.get(msisdn)?.answer === answer) entries.delete(msisdn);
        },
        () => {
          if (entries.get(msisdn)?.answer === answer) entries.delete(msisdn);
        },
      );
      // Keep the map from growing without bound on a large directory: drop what has expired now and then.
      if (entries.size > 100_000) for (const [k, v] of entries) if (t - v.at >= ttlMs) entries.delete(k);
      return answer;
    },
  };
}

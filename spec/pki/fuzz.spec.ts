import { fuzzPkiParsers, type PkiFuzzFinding } from '../../fuzz/pki-der';

// A short sample of the fuzz target on every run; `npm run fuzz -- pki-der` runs the full 60,000 (10,000 per parser).
test('3,000 mutated certificates, CRLs, OCSP requests, PKCS#10, CMS and time-stamp queries: no crash, no hang', () => {
  const findings: PkiFuzzFinding[] = [];
  const report = fuzzPkiParsers(3_000, 20_261_122, findings);
  expect(findings).toEqual([]);
  expect(report).toMatchObject({ fuzz: 'pki-der', iterations: 3_000, crashes: 0, hangs: 0 });
  // Each parser got its share and both outcomes, or the sample proves nothing.
  for (const [parser, tally] of Object.entries(report.byParser)) {
    expect({ parser, tried: tally.tried }).toEqual({ parser, tried: 500 });
    expect({ parser, refused: tally.refused > 250 }).toEqual({ parser, refused: true });
  }
}, 60_000);

import { fuzzSoapRequests, type FuzzFinding } from '../../../fuzz/soap-request';

// A short sample of the fuzz target on every run; `npm run fuzz -- soap-request` runs the full 100,000.
test('3,000 mutated SOAP requests: no crash, no hang, and the mutations reach every outcome', () => {
  const findings: FuzzFinding[] = [];
  const results = new Map<string, number>();
  const report = fuzzSoapRequests(3_000, 20_261_122, findings, results);
  expect(findings).toEqual([]);
  expect(report).toMatchObject({ fuzz: 'soap-request', iterations: 3_000, crashes: 0, hangs: 0 });
  // The sample is only worth running if it exercises accepted requests and faults alike.
  const outcomes = [...results.keys()];
  expect(outcomes.some((o) => o.startsWith('ok:'))).toBe(true);
  expect(outcomes).toEqual(expect.arrayContaining(['fault:101', 'fault:102']));
});

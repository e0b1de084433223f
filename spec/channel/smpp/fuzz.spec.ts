import { fuzzSmppParser, type FuzzFinding } from '../../../fuzz/smpp-pdu';

// A short sample of the fuzz target on every run; `npm run fuzz -- smpp-pdu` runs the full 100,000.
test('2,000 mutated PDUs through the frame guard and the parsers: no crash, no hang', () => {
  const findings: FuzzFinding[] = [];
  const report = fuzzSmppParser(2_000, 20_240_601, findings);
  expect(findings).toEqual([]);
  expect(report).toMatchObject({ fuzz: 'smpp-pdu', iterations: 2_000, crashes: 0, hangs: 0 });
  // The mutations must keep reaching the decoder, or the sample proves nothing.
  expect(report.decoded).toBeGreaterThan(1_000);
  expect(report.rejected).toBeGreaterThan(200);
});

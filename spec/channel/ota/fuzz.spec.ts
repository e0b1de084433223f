import { fuzzOtaCodec, type FuzzFinding } from '../../../fuzz/ota-packet';

// A short sample of the fuzz target on every run; `npm run fuzz -- ota-packet` runs the full 100,000.
test('2,000 mutated secured packets: no crash, no hang', async () => {
  const findings: FuzzFinding[] = [];
  const report = await fuzzOtaCodec(2_000, 20_240_601, findings);
  expect(findings).toEqual([]);
  expect(report).toMatchObject({ fuzz: 'ota-packet', iterations: 2_000, crashes: 0, hangs: 0 });
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CMS_RULES, verifySignedData } from '../../../src/pki';

/**
 * STYLE.md example 8: vectors as data, one generic runner. Each vector of fixtures/pki/cms/signed-data.json
 * (written in Python, independently of this code) names its RFC section and the rule verifySignedData answers.
 */
interface Vector {
  readonly name: string;
  readonly spec: string;
  readonly hex: string;
  readonly rule: string;
  readonly detachedContentHex?: string;
}
const VECTORS = (JSON.parse(readFileSync(resolve(__dirname, '../../../fixtures/pki/cms/signed-data.json'), 'utf8')) as { vectors: Vector[] }).vectors;

it.each(VECTORS.map((v) => [`${v.name} → ${v.rule} (${v.spec})`, v] as const))('%s', async (_title, v) => {
  expect(CMS_RULES).toContain(v.rule);
  const result = await verifySignedData(Buffer.from(v.hex, 'hex'), v.detachedContentHex !== undefined ? { detachedContent: Buffer.from(v.detachedContentHex, 'hex') } : {});
  expect(result).toMatchObject({ valid: false, rule: v.rule });
});

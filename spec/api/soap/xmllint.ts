import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

/** Test driver schema: imports the ETSI TS 102 204 schema and what it needs from ../shared/etsi. */
export const MSS_DRIVER_XSD = resolve(__dirname, '../../../fixtures/etsi/mss-messages.xsd');

/** Runs `xmllint --schema` (an independent validator); a missing xmllint fails the test. */
export function xmllintValidate(xml: string, schema = MSS_DRIVER_XSD): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'mss-xml-'));
  const file = join(dir, 'message.xml');
  writeFileSync(file, xml);
  try {
    execFileSync('xmllint', ['--noout', '--nonet', '--schema', schema, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output: '' };
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? err);
    if (/ENOENT/.test(String(err)) && !stderr.includes('validate')) throw new Error('xmllint is not installed (scripts/setup.sh installs it)');
    return { ok: false, output: stderr };
  }
}

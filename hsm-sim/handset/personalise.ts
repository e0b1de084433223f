import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { personalisationLines } from './personalisation-file';
import { readSimRecords } from './sim-set';

/**
 * The personaliser's desk tool for a simulated SIM set:
 *
 *   node -r @swc-node/register hsm-sim/handset/personalise.ts --sims DIR --transport-key transport.pem \
 *        [--msisdn 35850000000 …] [--hash SHA-1|SHA-256] [--out sims.jsonl]
 *
 * Reads DIR/sims.json (made by hsm-sim/handset/main.ts), wraps each SIM's KIc and KID under the transport public
 * key (from `mssp sim transport-key`) and writes the personalisation file for `mssp sim import` (standard output
 * without --out). SoftHSM2 unwraps RSA-OAEP with SHA-1 only, the default.
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      sims: { type: 'string' },
      'transport-key': { type: 'string' },
      msisdn: { type: 'string', multiple: true },
      hash: { type: 'string', default: 'SHA-1' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (values.sims === undefined || values['transport-key'] === undefined) throw new Error('--sims DIR and --transport-key PEM are required');
  if (values.hash !== 'SHA-1' && values.hash !== 'SHA-256') throw new Error('--hash: SHA-1 or SHA-256');
  const wanted = values.msisdn === undefined ? undefined : new Set(values.msisdn.map((m) => m.replace(/^\+/, '')));
  const records = readSimRecords(resolve(values.sims)).filter((r) => wanted === undefined || wanted.has(r.msisdn));
  if (records.length === 0) throw new Error(`no SIMs in ${values.sims}/sims.json${wanted ? ' with those numbers' : ''}`);
  const text = `${personalisationLines(records, readFileSync(values['transport-key'], 'utf8'), values.hash).join('\n')}\n`;
  if (values.out === undefined) process.stdout.write(text);
  else writeFileSync(values.out, text, { mode: 0o600 });
  process.stderr.write(`personalise: ${records.length} SIM(s)${values.out !== undefined ? ` → ${values.out}` : ''}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`personalise: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}

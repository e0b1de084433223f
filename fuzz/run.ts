import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run fuzz` runs every fuzz target at the count its issue names; `npm run fuzz -- NAME [COUNT]` runs one.
 * Each target is its own process and ends with one JSON line of figures; CI runs short samples from Jest instead.
 */
const FULL_COUNTS: Readonly<Record<string, number>> = {
  'smpp-pdu': 100_000,
  'ota-packet': 100_000,
  // Issue 3: 10,000 mutated inputs for each of its six parsers.
  'pki-der': 60_000,
  'soap-request': 100_000,
};
const DEFAULT_COUNT = 100_000;

const fuzzDir = __dirname;
const available = readdirSync(fuzzDir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

const [name, count] = process.argv.slice(2);
if (name !== undefined && !available.includes(name)) {
  process.stderr.write(`unknown fuzz target ${name}; available: ${available.join(', ')}\n`);
  process.exit(2);
}

let failed = 0;
for (const target of name ? [name] : available) {
  const iterations = count ?? String(FULL_COUNTS[target] ?? DEFAULT_COUNT);
  process.stderr.write(`== fuzz ${target} × ${iterations}\n`);
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', join(fuzzDir, `${target}.ts`), iterations], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed += 1;
    process.stderr.write(`fuzz ${target} exited with ${r.status ?? r.signal}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);

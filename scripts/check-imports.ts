import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

/**
 * Keeps the import arrows between src/ modules within the table of ../shared/DESIGN.md,
 * and keeps the packages that touch key material or SQL inside the one module allowed to use them.
 */

/** DESIGN.md's module table: folder → folders it may import. */
export const MODULE_ARROWS: Readonly<Record<string, readonly string[] | '*'>> = {
  api: ['mss', 'mps', 'pki', 'audit'],
  mss: ['approval', 'policy', 'pki', 'audit', 'store'],
  mps: ['approval', 'policy', 'pki', 'audit', 'store'],
  approval: ['channel', 'pki', 'policy'],
  policy: ['store'],
  channel: [],
  pki: ['hsm', 'store'],
  hsm: [],
  audit: ['hsm', 'store'],
  store: [],
  cli: '*',
  // Cross-cutting plumbing every module may use; they import no module themselves.
  config: [],
  log: [],
};
const SHARED_BY_ALL = new Set(['config', 'log']);

/** Packages only one module may import. */
export const PACKAGE_OWNERS: Readonly<Record<string, string>> = {
  pkcs11js: 'hsm',
  knex: 'store',
  pg: 'store',
  sqlite3: 'store',
};

export interface ImportViolation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly reason: string;
}

const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listTsFiles(full));
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

export function checkImports(srcDir: string): ImportViolation[] {
  const root = resolve(srcDir);
  const violations: ImportViolation[] = [];
  for (const file of listTsFiles(root)) {
    const fromModule = relative(root, file).split(sep)[0] ?? '';
    const rules = MODULE_ARROWS[fromModule];
    const text = readFileSync(file, 'utf8');
    const rel = relative(process.cwd(), file);
    for (const match of text.matchAll(IMPORT_PATTERN)) {
      const specifier = match[2] ?? '';
      const line = lineOf(text, match.index ?? 0);
      const report = (reason: string): void => {
        violations.push({ file: rel, line, specifier, reason });
      };
      if (rules === undefined) {
        report(`src/${fromModule} is not a module of DESIGN.md's table`);
        break;
      }
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        const within = relative(root, target);
        if (within.startsWith('..')) {
          if (rules !== '*') report(`only cli may import from outside src/ (${within})`);
          continue;
        }
        const toModule = within.split(sep)[0] ?? '';
        if (toModule === fromModule || rules === '*' || SHARED_BY_ALL.has(toModule)) continue;
        if (!rules.includes(toModule)) report(`${fromModule} may not import ${toModule} (allowed: ${rules.join(', ') || 'none'})`);
        continue;
      }
      const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');
      const owner = PACKAGE_OWNERS[pkg];
      if (owner !== undefined && owner !== fromModule) report(`package ${pkg} belongs to src/${owner} only`);
    }
  }
  return violations;
}

if (require.main === module) {
  const violations = checkImports(process.argv[2] ?? 'src');
  for (const v of violations) process.stderr.write(`${v.file}:${v.line}: import '${v.specifier}': ${v.reason}\n`);
  if (violations.length > 0) {
    process.stderr.write(`${violations.length} import(s) break the module table of ../shared/DESIGN.md\n`);
    process.exit(1);
  }
  process.stdout.write('imports: every arrow between src/ modules is in the module table\n');
}

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { checkImports } from '../../scripts/check-imports';

function tree(files: Record<string, string>): string {
  const root = join(mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'imports-')), 'src');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('import arrows between src/ modules', () => {
  it('the real src/ keeps to the module table of DESIGN.md', () => {
    expect(checkImports(resolve(__dirname, '../../src'))).toEqual([]);
  });

  it('reports an arrow outside the table, a misplaced package and an unknown module', () => {
    const root = tree({
      'hsm/keys.ts': "import { openStore } from '../store';\nimport * as p from 'pkcs11js';\n",
      'mss/flow.ts': "import type { Config } from '../config';\nimport { x } from '../approval/x';\nconst k = require('knex');\n",
      'api/server.ts': "export const s = import('../hsm');\n",
      'cli/main.ts': "import { a } from '../hsm';\nimport { b } from '../../hsm-sim/softhsm';\n",
      'pki/ca.ts': "import { c } from '../../hsm-sim/softhsm';\n",
      'gadgets/x.ts': "import { a } from '../hsm';\n",
    });
    const found = checkImports(root).map((v) => `${v.file.split('/src/')[1]}:${v.line} ${v.specifier}: ${v.reason}`);
    expect(found.sort()).toEqual(
      [
        'api/server.ts:1 ../hsm: api may not import hsm (allowed: mss, mps, pki, audit)',
        'gadgets/x.ts:1 ../hsm: src/gadgets is not a module of DESIGN.md\'s table',
        'hsm/keys.ts:1 ../store: hsm may not import store (allowed: none)',
        'mss/flow.ts:3 knex: package knex belongs to src/store only',
        'pki/ca.ts:1 ../../hsm-sim/softhsm: only cli may import from outside src/ (../hsm-sim/softhsm)',
      ].sort(),
    );
  });
});

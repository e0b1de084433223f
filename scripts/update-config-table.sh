#!/usr/bin/env bash
# Regenerates the README's configuration table from src/config/definitions.ts (`mssp config docs`).
set -euo pipefail
cd "$(dirname "$0")/.."
node bin/mssp.js config docs > /tmp/mssp-config-table.$$
python3 - /tmp/mssp-config-table.$$ <<'PY'
import re, sys
table = open(sys.argv[1]).read().rstrip('\n')
readme = open('README.md').read()
# `mssp config docs` prints the block with its markers: the whole block is replaced.
m = re.search(r'<!-- config-table:begin[^\n]*-->\n.*?\n<!-- config-table:end -->', readme, re.S)
if not m:
    sys.exit('README.md has no config-table markers')
open('README.md', 'w').write(readme[:m.start()] + table + readme[m.end():])
PY
rm -f /tmp/mssp-config-table.$$

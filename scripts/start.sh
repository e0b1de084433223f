#!/usr/bin/env bash
# The one command that runs the platform on a fresh machine on embedded defaults:
# installs what is missing (SoftHSM2 and the npm packages), makes the data folder, the token and the SQLite store, starts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --runtime
node bin/mssp.js init
# The CA (root, issuing, OCSP responder, TSA, audit certificates) in the token, made once.
node bin/mssp.js ca init --if-absent
exec node bin/mssp.js start "$@"

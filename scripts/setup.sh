#!/usr/bin/env bash
# Installs what the platform and its tests need on a fresh Debian machine, and does nothing that is already done:
# Debian packages (SoftHSM2, OpenSC's pkcs11-tool, OpenSSL, xmllint, PostgreSQL), the npm packages,
# a running PostgreSQL with the test role and database. Run as root (or with sudo available).
#   scripts/setup.sh             everything the tests need
#   scripts/setup.sh --runtime   only what `mssp start` on embedded defaults needs (no PostgreSQL, no test peers)
set -euo pipefail
cd "$(dirname "$0")/.."

with_postgres=1
with_test_tools=1
if [ "${1:-}" = "--runtime" ]; then with_postgres=0; with_test_tools=0; fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
say() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
missing=()
command -v softhsm2-util >/dev/null 2>&1 && [ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || missing+=(opensc)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# node-gyp builds pkcs11js and sqlite3.
command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 || missing+=(build-essential)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "$with_test_tools" = 1 ]; then
  # Independent tools the tests check us with: xmllint, Net::SMPP, Kannel's bearerbox, libsmpp34 (golden PDUs).
  command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
  perl -MNet::SMPP -e 1 >/dev/null 2>&1 || missing+=(libnet-smpp-perl)
  command -v bearerbox >/dev/null 2>&1 || [ -x /usr/sbin/bearerbox ] || missing+=(kannel)
  [ -e /usr/include/libsmpp34/smpp34.h ] || missing+=(libsmpp34-dev)
  # An independent SOAP client built only from our ?wsdl (spec/api/soap/zeep.spec.ts); Debian's python3.
  /usr/bin/python3 -c 'import zeep' >/dev/null 2>&1 || missing+=(python3-zeep)
  # JSON Schema 2020-12 validator: REST answers checked against our OpenAPI 3.1 components (spec/api/rest).
  /usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 || missing+=(python3-jsonschema)
fi
if [ "$with_postgres" = 1 ]; then
  { command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; } || missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm packages (native builds of pkcs11js and sqlite3 included) ---------------------------------
if [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  # Not `npm ci`: npm 11 records only this platform's optional binaries (@swc/core-*) in the lock and then
  # `npm ci` refuses the lock as out of sync (npm/cli#4828, #8805). `npm install` installs the locked versions.
  npm install --no-audit --no-fund
fi

# --- PostgreSQL: a running server, the test role and database --------------------------------------
if [ "$with_postgres" = 1 ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
      say "creating PostgreSQL $version cluster"
      $SUDO pg_createcluster "$version" main >/dev/null
    fi
    cluster=$(pg_lsclusters -h | head -1 | awk '{print $1" "$2}')
    say "starting PostgreSQL cluster $cluster"
    # shellcheck disable=SC2086
    $SUDO pg_ctlcluster --skip-systemctl-redirect $cluster start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    pg_isready -q -h 127.0.0.1 -p 5432 || { say "PostgreSQL did not start"; exit 1; }
  fi
  # The test role has a password so that it works whatever pg_hba.conf says (trust here, scram on a fresh install).
  psql_admin() { $SUDO runuser -u postgres -- psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
  if [ "$(psql_admin -c "select 1 from pg_roles where rolname = 'mssp_test'")" != 1 ]; then
    say "creating PostgreSQL role mssp_test"
    psql_admin -c "create role mssp_test login password 'mssp_test'"
  fi
  if [ "$(psql_admin -c "select 1 from pg_database where datname = 'mssp_test'")" != 1 ]; then
    say "creating PostgreSQL database mssp_test"
    psql_admin -c "create database mssp_test owner mssp_test"
  fi
fi

#!/usr/bin/env bash
# What the test suite needs on the machine: PostgreSQL on 127.0.0.1:5432, Chromium for the
# browser tests, Redis on 127.0.0.1:6379 (the RQ queue's tests), and Node.js with the test
# OpenID Connect provider in .ci/oidc (tests/oidc_provider.py starts it). Starts what is installed
# but stopped, installs what is missing (Debian packages), and waits until each answers.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

PG_HOST=127.0.0.1
PG_PORT=5432

# -- PostgreSQL ------------------------------------------------------------------------------
installed_postgres=""
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "PostgreSQL is missing; installing it"
  apt_install postgresql
  installed_postgres=1
fi
version="$(ls /etc/postgresql | sort -V | tail -n 1)"
if [ -n "$installed_postgres" ]; then
  # A server installed by this script is a throwaway test server: let local TCP connections
  # in without a password, as on the project's CI machines. An existing server is left alone.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
fi
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break
  sleep 1
done
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  log "PostgreSQL does not answer on $PG_HOST:$PG_PORT"
  exit 1
fi
if [ -n "$installed_postgres" ]; then
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi

# -- Chromium (never `playwright install`: it downloads a browser) -----------------------------
if [ ! -x /usr/bin/chromium ]; then
  log "Chromium is missing; installing Debian's chromium"
  apt_install chromium
fi

# -- Redis (tests/config/test_tasks_rq.py; it keeps nothing on disk) ---------------------------------
if ! command -v redis-server >/dev/null 2>&1; then
  log "Redis is missing; installing Debian's redis-server"
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi
for _ in $(seq 1 30); do
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
  sleep 1
done
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "Redis does not answer on 127.0.0.1:6379"
  exit 1
fi
# -- The test OpenID Connect provider (npm oidc-provider, exactly as package-lock.json says) ------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "Node.js is missing; installing Debian's nodejs and npm"
  apt_install nodejs npm
fi
if [ ! -d .ci/oidc/node_modules/oidc-provider ] \
  || [ .ci/oidc/package-lock.json -nt .ci/oidc/node_modules/.package-lock.json ]; then
  log "installing the test OpenID Connect provider (npm ci in .ci/oidc)"
  (cd .ci/oidc && npm ci --no-audit --no-fund --loglevel=error)
fi

log "services ready: PostgreSQL $version, Chromium, Redis, the test OpenID Connect provider"

#!/usr/bin/env bash
# What the test suite needs on the machine: PostgreSQL on 127.0.0.1:5432, Chromium for the
# browser tests, Redis on 127.0.0.1:6379 (the RQ queue's tests), ClamAV's daemon on a unix
# socket with a test signature database (the malware scanning tests), and Node.js with the test
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
# -- ClamAV (tests/applications/test_scanning.py and the deployment test) ----------------------
# clamd on a unix socket in a directory of the project's own, with a database of two test
# signatures written here (EICAR's test file as a hash and as a body signature, which also finds
# it inside a DOCX), so it starts in a second and nothing is ever downloaded (no freshclam).
# The tests find the socket at $CLAMD_TEST_SOCKET or /tmp/samverket-clamd/clamd.sock.
CLAMD_DIR="${SAMVERKET_CLAMD_DIR:-/tmp/samverket-clamd}"
CLAMD_SOCKET_PATH="$CLAMD_DIR/clamd.sock"
if ! command -v clamd >/dev/null 2>&1; then
  log "ClamAV is missing; installing Debian's clamav-daemon"
  apt_install clamav-daemon clamav
fi
clamd_answers() {
  [ -S "$CLAMD_SOCKET_PATH" ] && python3 - "$CLAMD_SOCKET_PATH" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"zPING\0")
sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)
PY
}
if ! clamd_answers; then
  mkdir -p "$CLAMD_DIR/db" "$CLAMD_DIR/tmp"
  # EICAR's 68 bytes: MD5 44d88612fea8a8f36de82e1278abb02f; the hex below is the whole string.
  printf '%s\n' '44d88612fea8a8f36de82e1278abb02f:68:Samverket.Test.EICAR-hash' \
    >"$CLAMD_DIR/db/samverket-test.hdb"
  printf '%s\n' 'Samverket.Test.EICAR:0:*:58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d5354414e444152442d414e544956495255532d544553542d46494c452124482b482a' \
    >"$CLAMD_DIR/db/samverket-test.ndb"
  cat >"$CLAMD_DIR/clamd.conf" <<CONF
LocalSocket $CLAMD_SOCKET_PATH
LocalSocketMode 666
DatabaseDirectory $CLAMD_DIR/db
TemporaryDirectory $CLAMD_DIR/tmp
PidFile $CLAMD_DIR/clamd.pid
LogFile $CLAMD_DIR/clamd.log
Foreground no
MaxThreads 4
StreamMaxLength 25M
MaxScanSize 150M
MaxFileSize 100M
CONF
  rm -f "$CLAMD_SOCKET_PATH"
  log "starting clamd on $CLAMD_SOCKET_PATH"
  clamd --config-file="$CLAMD_DIR/clamd.conf"
fi
for _ in $(seq 1 30); do
  clamd_answers && break
  sleep 1
done
if ! clamd_answers; then
  log "clamd does not answer on $CLAMD_SOCKET_PATH (see $CLAMD_DIR/clamd.log)"
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

log "services ready: PostgreSQL $version, Chromium, Redis, clamd, the test OpenID Connect provider"

#!/usr/bin/env bash
# The demo site: a task worker in the background (emails are printed to this console) and the
# development server in the foreground. Stopping the server (Ctrl-C) stops the worker too.
#   serve-demo.sh PYTHON PORT
set -euo pipefail
cd "$(dirname "$0")/.."

py="${1:-.venv/bin/python}"
port="${2:-8000}"
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"
# Links in the emails the worker prints point at this server unless SITE_URL says otherwise.
export SITE_URL="${SITE_URL:-http://127.0.0.1:$port}"

"$py" manage.py db_worker --queue-name default --no-reload &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM

echo "==> Samverket Grants on http://127.0.0.1:$port/  (Ctrl-C stops the server and the worker)"
"$py" manage.py runserver "127.0.0.1:$port"

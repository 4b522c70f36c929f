#!/usr/bin/env bash
# The demo site: a task worker in the background (emails are printed to this console) and the
# development server in the foreground. Stopping the server (Ctrl-C) stops the worker too.
set -euo pipefail
cd "$(dirname "$0")/.."

py="${1:-.venv/bin/python}"
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"

"$py" manage.py db_worker --queue-name default --no-reload &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM

echo "==> Samverket Grants on http://127.0.0.1:8000/  (Ctrl-C stops the server and the worker)"
"$py" manage.py runserver 127.0.0.1:8000

#!/usr/bin/env bash
# Create the virtual environment with Python 3.11 if it is missing. Never recreates one.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

python="${1:-python3.11}"
venv="${2:-.venv}"

if [ -x "$venv/bin/python" ]; then
  exit 0
fi
if ! command -v "$python" >/dev/null 2>&1; then
  log "$python is missing; installing it from Debian"
  apt_install python3.11 python3.11-venv
fi
log "creating $venv with $python"
if ! "$python" -m venv "$venv"; then
  # Debian's python3.11 ships venv's ensurepip in a separate package.
  rm -rf "$venv"
  apt_install python3.11-venv
  "$python" -m venv "$venv"
fi

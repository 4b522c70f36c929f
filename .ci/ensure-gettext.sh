#!/usr/bin/env bash
# compilemessages needs GNU gettext's msgfmt.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

if ! command -v msgfmt >/dev/null 2>&1; then
  log "msgfmt is missing; installing gettext"
  apt_install gettext
fi

#!/usr/bin/env bash
# What WeasyPrint needs to make decision letters: Pango (with its FreeType backend) and the
# DejaVu fonts the letters use. Installs the Debian packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/lib.sh

missing=()
ldconfig -p | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing for PDF letters: ${missing[*]}"
  apt_install "${missing[@]}"
fi

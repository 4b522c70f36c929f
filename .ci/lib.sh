# Shared helpers for the .ci scripts (sourced, not run).

log() { printf '==> %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    log "need root for: $*  (run as root or install sudo)"
    return 1
  fi
}

APT_UPDATED=""
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$APT_UPDATED" ]; then
    as_root apt-get update -qq </dev/null
    APT_UPDATED=1
  fi
  as_root apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

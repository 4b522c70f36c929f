#!/usr/bin/env bash
# Make the two lock files from pyproject.toml, with uv (itself installed from the dev lock):
#   requirements.lock      what production runs: [project] dependencies, every hash
#   requirements-dev.lock  what development and tests add on top ([project.optional-dependencies]
#                          dev), resolved together with the production lock so the versions
#                          agree, and holding only the packages the production lock does not
# Both are installed with `pip install --no-deps --require-hashes`, so pip never resolves
# anything against the index: what lands in the venv is exactly these files.
# Existing pins are kept where they still satisfy pyproject.toml (uv prefers what the output
# file holds); pass --upgrade to take the newest versions instead.
set -euo pipefail
cd "$(dirname "$0")/.."

uv="${UV:-.venv/bin/uv}"
common=(--generate-hashes --python-version 3.11 --universal --quiet "$@")

"$uv" pip compile pyproject.toml "${common[@]}" -o requirements.lock

full="$(mktemp)"
trap 'rm -f "$full"' EXIT
# Seed the full resolution with the dev lock's pins too, so they are kept as well.
if [ -f requirements-dev.lock ]; then cat requirements.lock requirements-dev.lock >"$full"; fi
"$uv" pip compile pyproject.toml --extra dev -c requirements.lock "${common[@]}" -o "$full"
.venv/bin/python .ci/lockfile.py subtract "$full" requirements.lock >requirements-dev.lock

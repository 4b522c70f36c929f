# Samverket Grants: one command for the demo, one for the tests.
#
#   make demo   install, migrate, translate, seed demo data, run the site on 127.0.0.1:8000
#   make test   install, start services, lint, run the whole suite on SQLite and PostgreSQL
#   make lint   ruff check, ruff format --check, and the import layers (lint-imports)
#   make lock   re-make requirements.lock and requirements-dev.lock from pyproject.toml
#   make audit  known vulnerabilities in the locked dependencies (needs a vulnerability feed)
#
# Every step is idempotent: run them as often as you like.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# The PostgreSQL pass; pytest-django creates and drops test_<name> databases itself.
PG_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/samverket
# Two workers keep a 2-CPU machine busy without starving the browser tests.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: help demo test lint audit install install-prod lock check-lock messages services \
	test-sqlite test-postgres

help:
	@echo "make demo   run the site with demo data on http://127.0.0.1:8000 (PORT=8200 for another)"
	@echo "make test   lint, then the whole suite on SQLite and PostgreSQL (with browser and S3 tests)"
	@echo "make lint   ruff check, ruff format --check, and the import layers (lint-imports)"
	@echo "make lock   re-make both lock files from pyproject.toml"
	@echo "make audit  known vulnerabilities in the locked dependencies (needs a vulnerability feed)"

# -- installation ---------------------------------------------------------------------------

$(PY):
	.ci/ensure-python.sh "$(PYTHON)" "$(VENV)"

# Reinstalled only when a lock changes. --no-deps: pip installs exactly the pinned files, checked
# by hash, and never resolves a dependency against the index (the locks are complete: uv made
# them), so the install is the same on any day and with any pip. `pip check` then proves the set
# is consistent. The project itself is not installed: it runs from the checkout (manage.py and
# pytest put it on the path). `make install-prod` is what a production host runs (docs/deploy.md).
LOCKS := requirements.lock requirements-dev.lock

$(VENV)/.installed-lock: $(LOCKS) | $(PY)
	$(PY) -m pip install --quiet --no-deps --require-hashes $(addprefix -r ,$(LOCKS))
	$(PY) -m pip check
	cat $(LOCKS) > $@

install-prod: | $(PY)
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements.lock
	$(PY) -m pip check

# The locks from pyproject.toml (uv comes from the dev lock); see .ci/relock.sh.
lock: install
	.ci/relock.sh $(LOCK_ARGS)

# The venv holds exactly the locks: names and versions, nothing more (part of `make test`).
check-lock: install
	$(PY) .ci/lockfile.py check $(LOCKS)

install: $(VENV)/.installed-lock

# .mo files are generated, never committed. The system libraries for PDF letters come here
# too, since both `make demo` and `make test` pass through this step. (A build step: debug on,
# so the settings do not ask for production's secret key.)
messages: install
	.ci/ensure-gettext.sh
	.ci/ensure-pdf.sh
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore "$(VENV)" --ignore node_modules -v 0

# -- demo -------------------------------------------------------------------------------------

# PORT picks the port (make demo PORT=8200); links in the printed emails follow it unless
# SITE_URL is set.
PORT ?= 8000
demo: export SITE_URL := $(or $(SITE_URL),http://127.0.0.1:$(PORT))

demo: install messages
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput -v 0
	DJANGO_DEBUG=true $(PY) manage.py seed_demo
	DJANGO_DEBUG=true .ci/serve-demo.sh "$(PY)" "$(PORT)"

# -- checks -----------------------------------------------------------------------------------

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

services:
	.ci/ensure-services.sh

# Known vulnerabilities in every locked dependency (pip-audit, which asks a vulnerability feed on
# the network about each pinned version). Only for machines that reach such a feed: it is not
# part of `make test`, since CI machines reach the package index and nothing else, and a check
# that cannot answer must not pass as "no vulnerabilities" (--strict fails when any package
# could not be checked). The locks are read as they are (--disable-pip: every pin has hashes).
audit: install
	$(VENV)/bin/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
		$(addprefix -r ,$(LOCKS))

# SQLite pass: the whole suite, with the coverage floor on services, selectors and rules.
test-sqlite: install messages services
	env -u DATABASE_URL $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider \
		--cov --cov-report=term $(PYTEST_ARGS)

# PostgreSQL pass: the whole suite again, including the concurrency tests that need row locks.
test-postgres: install messages services
	DATABASE_URL="$(PG_DATABASE_URL)" $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider \
		$(PYTEST_ARGS)

test: lint check-lock test-sqlite test-postgres

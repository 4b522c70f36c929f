# Samverket Grants: one command for the demo, one for the tests.
#
#   make demo   install, migrate, translate, seed demo data, run the site on 127.0.0.1:8000
#   make test   install, start services, lint, run the whole suite on SQLite and PostgreSQL
#   make lint   ruff check and ruff format --check
#   make audit  known vulnerabilities in the locked dependencies (pip-audit)
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

.PHONY: help demo test lint audit install messages services test-sqlite test-postgres

help:
	@echo "make demo   run the site with demo data on http://127.0.0.1:8000"
	@echo "make test   lint, then the whole suite on SQLite and PostgreSQL (with browser and S3 tests)"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make audit  known vulnerabilities in the locked dependencies (pip-audit)"

# -- installation ---------------------------------------------------------------------------

$(PY):
	.ci/ensure-python.sh "$(PYTHON)" "$(VENV)"

# Reinstalled only when the lock changes. The project itself is not installed: it runs from
# the checkout (manage.py and pytest put it on the path).
$(VENV)/.installed-lock: requirements.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	cp requirements.lock $@

install: $(VENV)/.installed-lock

# .mo files are generated, never committed. The system libraries for PDF letters come here
# too, since both `make demo` and `make test` pass through this step. (A build step: debug on,
# so the settings do not ask for production's secret key.)
messages: install
	.ci/ensure-gettext.sh
	.ci/ensure-pdf.sh
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore "$(VENV)" --ignore node_modules -v 0

# -- demo -------------------------------------------------------------------------------------

demo: install messages
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput -v 0
	DJANGO_DEBUG=true $(PY) manage.py seed_demo
	DJANGO_DEBUG=true .ci/serve-demo.sh "$(PY)"

# -- checks -----------------------------------------------------------------------------------

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

services:
	.ci/ensure-services.sh

# Known vulnerabilities in every locked dependency, from PyPI's vulnerability feed, which
# pip-audit asks once per pinned version (https://pypi.org/pypi/<name>/<version>/json). The lock
# is read as it is (--disable-pip: every pin has its hashes). --strict fails when any package
# could not be checked, so a feed that does not answer never passes as "no vulnerabilities".
# Where the feed is not reachable at all (some networks let only the package index through),
# `make audit` fails saying so; `make test` says AUDIT BLOCKED and goes on (AUDIT_UNREACHABLE=warn
# for it; pass AUDIT_UNREACHABLE=fail to make that an error too).
AUDIT_UNREACHABLE ?= fail
AUDIT_PROBE := https://pypi.org/pypi/django/$(shell sed -n 's/^django==\([^ ]*\).*/\1/p' requirements.lock)/json

audit: install
	@if ! $(PY) -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=30)' \
			"$(AUDIT_PROBE)" 2>/dev/null; then \
		echo "AUDIT BLOCKED: PyPI's vulnerability feed does not answer here ($(AUDIT_PROBE));" \
			"the locked dependencies were NOT checked for known vulnerabilities." >&2; \
		test "$(AUDIT_UNREACHABLE)" = warn; \
	else \
		$(VENV)/bin/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
			-r requirements.lock; \
	fi

# SQLite pass: the whole suite, with the coverage floor on services, selectors and rules.
test-sqlite: install messages services
	env -u DATABASE_URL $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider \
		--cov --cov-report=term $(PYTEST_ARGS)

# PostgreSQL pass: the whole suite again, including the concurrency tests that need row locks.
test-postgres: install messages services
	DATABASE_URL="$(PG_DATABASE_URL)" $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider \
		$(PYTEST_ARGS)

test: AUDIT_UNREACHABLE = warn
test: lint audit test-sqlite test-postgres

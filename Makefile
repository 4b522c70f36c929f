# Samverket Grants: one command for the demo, one for the tests.
#
#   make demo   install, migrate, translate, seed demo data, run the site on 127.0.0.1:8000
#   make test   install, start services, lint, run the whole suite on SQLite and PostgreSQL
#   make lint   ruff check and ruff format --check
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

.PHONY: help demo test lint install messages services test-sqlite test-postgres

help:
	@echo "make demo   run the site with demo data on http://127.0.0.1:8000"
	@echo "make test   lint, then the whole suite on SQLite and PostgreSQL (with browser and S3 tests)"
	@echo "make lint   ruff check and ruff format --check"

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

# SQLite pass: the whole suite, with the coverage floor on services, selectors and rules.
test-sqlite: install messages services
	env -u DATABASE_URL $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider \
		--cov --cov-report=term $(PYTEST_ARGS)

# PostgreSQL pass: the whole suite again, including the concurrency tests that need row locks.
test-postgres: install messages services
	DATABASE_URL="$(PG_DATABASE_URL)" $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider \
		$(PYTEST_ARGS)

test: lint test-sqlite test-postgres

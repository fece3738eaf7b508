# Ponctuel: `make run` starts everything locally, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PYTEST := $(UV) run pytest
# Integration tests wait on SQLite, PostgreSQL and Redis a third of the time: one worker more
# than the two cores of the reference machine keeps both busy.
TEST_WORKERS ?= 3
export PICCOLO_CONF := app.piccolo_conf
# Each test process imports the whole stack: let Python keep its bytecode between processes.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install run test lint format unit integration integration-sqlite integration-postgres \
        browser browser-deps migrate migration bench bench-pages bench-search vendor-htmx vendor-axe vendor-check \
        messages clean coverage mutation mutation-results screenshots import-sirene

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

install: ## install Python dependencies from the lock file (and uv itself, from PyPI, if missing)
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

run: install ## migrate, seed demo data, start web + worker + Redis + SMTP outbox + OIDC sandbox
	$(UV) run python -m app.dev.run

import-sirene: install ## import INSEE's stock files: make import-sirene UNITS=StockUniteLegale.zip SIEGES=StockEtablissement.zip
	$(UV) run python -m app.companies import-sirene $(if $(UNITS),--units "$(UNITS)") $(if $(SIEGES),--establishments "$(SIEGES)")

migrate: install ## apply migrations to DATABASE_URL (SQLite file by default)
	$(UV) run piccolo migrations forwards ponctuel

migration: install ## create a migration from table changes: make migration NAME="what changed"
	$(UV) run piccolo migrations new ponctuel --auto --desc="$(NAME)"

test: install lint unit integration browser ## the whole suite: lint, unit, integration on PostgreSQL and SQLite, browser

lint: install ## ruff, ruff format --check, mypy, import contracts, vendored file hashes
	$(UV) run ruff check app workers tests bench scripts
	$(UV) run ruff format --check app workers tests bench scripts
	$(UV) run mypy
	$(UV) run lint-imports
	$(UV) run python scripts/vendor.py --check

format: install ## reformat and autofix
	$(UV) run ruff format app workers tests bench scripts
	$(UV) run ruff check --fix app workers tests bench scripts

unit: install ## pure rules, no I/O
	$(PYTEST) tests/unit -q -n 2

integration: integration-postgres integration-sqlite ## integration tests on both engines

integration-postgres: install ## integration tests on a fresh PostgreSQL database
	TEST_DATABASE=postgres $(PYTEST) tests/integration -q -rs -n $(TEST_WORKERS)

integration-sqlite: install ## integration tests on a fresh SQLite database
	TEST_DATABASE=sqlite $(PYTEST) tests/integration -q -n $(TEST_WORKERS)

coverage: install ## unit + integration tests on SQLite with branch coverage of app and workers (htmlcov/)
	TEST_DATABASE=sqlite $(PYTEST) tests/unit tests/integration -q -n 2 \
	  --cov=app --cov=workers --cov-branch --cov-report=term-missing --cov-report=html

mutation: install ## mutation testing of app/accounts and rules (unit + integration, SQLite); MUTANTS='glob'
	TEST_DATABASE=sqlite TEST_SQLITE_TEMPLATE_DIR=$(CURDIR)/var/test-templates $(UV) run mutmut run $(foreach m,$(MUTANTS),'$(m)')

mutation-results: install ## survivors of the last `make mutation`; diff: uv run mutmut show NAME
	@$(UV) run mutmut results | grep -E ': (survived|timeout|suspicious|no tests|segfault)$$' || true

browser: install browser-deps ## browser tests in Debian's Chromium (Playwright)
	$(PYTEST) tests/browser -q -p no:xdist

browser-deps: ## install Debian's Chromium when missing (never Playwright's own download)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; \
	  else \
	    echo "Chromium is missing: install Debian's 'chromium' package (see README)"; \
	  fi; \
	fi

screenshots: install browser-deps ## every page at 1280 and 390 px, French and English, into var/screenshots/ (journeys/: every page the browser tests open)
	$(PYTEST) tests/browser/screenshots.py -q -p no:xdist -s
	rm -rf var/screenshots/journeys
	JOURNEY_SHOTS=$(CURDIR)/var/screenshots/journeys $(PYTEST) tests/browser -q -p no:xdist

bench: bench-pages bench-search ## every benchmark: figures and ratios against baselines of the same run

bench-pages: install ## the public pages under load beside a bare Litestar app (about 1 minute)
	$(UV) run python -m bench

bench-search: install ## import and search on a generated registry (BENCH_COMPANIES=1000000), both engines
	$(UV) run python -m bench.search

vendor-htmx: ## vendor htmx: make vendor-htmx VERSION=2.0.11
	$(UV) run python scripts/vendor.py htmx $(VERSION)

vendor-axe: ## vendor axe-core for the browser tests: make vendor-axe VERSION=4.14.1
	$(UV) run python scripts/vendor.py axe $(VERSION)

vendor-check: ## check vendored files against their recorded SHA-256 (offline)
	$(UV) run python scripts/vendor.py --check

messages: install ## extract UI strings and update the English catalogue
	$(UV) run pybabel extract -F babel.cfg -k N_ -k _ -o app/translations/messages.pot --no-location --omit-header .
	$(UV) run pybabel update -i app/translations/messages.pot -d app/translations -l en --no-fuzzy-matching

clean: ## remove local data (SQLite file, outbox, logs)
	rm -rf var

# GabaCare: two commands matter.
#   make run   install into .venv, seed a demo journal and serve the web app on http://127.0.0.1:8000
#   make test  install everything the tests need (PostgreSQL server packages) and run every check
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install system-deps lint typecheck importlint unit demo bench contract clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# `make run`: the web app with a demo journal. The demo database is .venv/demo-journal.sqlite3 (inside the
# virtualenv, so `make clean` removes it and it never mixes with a real journal in the user data directory).
DEMO_DB := sqlite:///$(abspath $(VENV))/demo-journal.sqlite3
run: install
	@$(BIN)/gabacare demo-seed --db "$(DEMO_DB)"
	@echo "Open http://127.0.0.1:8000 and sign in with the demo account above (Ctrl+C stops the server)."
	@GABACARE_DB="$(DEMO_DB)" $(BIN)/gabacare serve --host 127.0.0.1 --port 8000

# The command-line demo: a titration, a renal check and interactions, printed by the CLI.
demo: install
	@$(BIN)/python -m gabacare.demo

# System packages the tests need (Debian): the PostgreSQL 15 server for the journal's real-database
# tests and Chromium for the browser tests. Installed only when missing.
SYSTEM_PKGS_CHECK := ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && test -x /usr/bin/chromium
system-deps:
	@if ! ( $(SYSTEM_PKGS_CHECK) ); then \
		echo "installing system packages for the tests: postgresql chromium (Debian)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check src tests $(wildcard benchmarks)

typecheck: install
	$(BIN)/mypy

importlint: install
	$(BIN)/lint-imports

# The coverage floor (issue 14): the suite fails if line coverage of the package falls below it. Set a
# little under the level measured by the last full run (94.05% on 2026-12-06).
COVERAGE_FLOOR ?= 93

# Tests run in TEST_WORKERS processes (pytest-xdist; each has its own PostgreSQL server, SQLite files and
# browser): two keep a quiet 2-core machine busy, as the browser tests wait on pages much of the time.
# `make unit TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= 2

unit: install
	$(BIN)/pytest -q -n $(TEST_WORKERS) --durations=15 --cov=gabacare --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR)

test: install system-deps lint typecheck importlint unit

# The benchmark needs the `bench` extra (SciPy, numba); `dev` includes both, so this installs only when they are missing.
bench: install
	@$(BIN)/python -c "import scipy, numba" 2>/dev/null || $(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/pk_population.py

contract: install
	../shared/contract-check $(BIN)/gabacare

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis

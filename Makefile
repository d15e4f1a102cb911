# One-command set-up: `make demo` runs the main job, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser postgres demo serve test lint typecheck unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip check
	touch $(STAMP)

# Debian's Chromium for the browser tests (tests/e2e); Playwright drives it, nothing is downloaded.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Debian's PostgreSQL server binaries for the ledger tests: each test session starts its own
# throwaway server from them (tests/postgres_server.py); no cluster is made or started here.
postgres:
	test -x "$$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | head -n 1)" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)

demo: install
	$(BIN)/fauxlab demo --out demo-output

serve: install
	$(BIN)/fauxlab serve

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q -n 2

test: lint typecheck unit

bench: install
	$(BIN)/python benchmarks/extract.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache

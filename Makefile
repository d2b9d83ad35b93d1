# Porte-voix — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PORTE_VOIX_CACHE ?= $(HOME)/.cache/porte-voix

.PHONY: run test test-busy lint format venv system-deps pds assets migrate demo check-python clean

check-python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"' \
	  || { echo "Porte-voix needs Python >= 3.11 (set PYTHON=...)"; exit 1; }

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml constraints.txt | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Debian packages the tests need (redis-server, chromium); installed only when run as root.
system-deps:
	@bash deploy/install-system-deps.sh

# Node 22 and the Bluesky PDS, cached outside the work tree (see peers/).
pds:
	@bash peers/install_pds.sh

# FullCalendar (served by the calendar page) and axe-core (the accessibility tests), from npm,
# cached outside the work tree (deploy/install_assets.sh).
assets:
	@bash deploy/install_assets.sh >/dev/null

## make run: the demo — migrates, loads a demo organisation, starts local Mastodon and
## Bluesky peers, the web server, a Celery worker and beat. Ctrl-C stops everything.
run: venv assets
	$(BIN)/python deploy/run_demo.py

## make test: lint, then the whole suite against throwaway Postgres and Redis servers.
test: venv system-deps pds assets lint
	$(BIN)/python -m peers.services run -- $(BIN)/python -m pytest $(PYTEST_ARGS)

## make test-busy: the same suite while stress-ng keeps every core busy (a test that needs an
## idle machine is a test of its speed); prints the load it ran under. See docs/operations.md.
test-busy: venv pds assets lint
	@bash deploy/install-system-deps.sh stress-ng
	BIN=$(BIN) bash tests/busy.sh $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	DATA_DIR=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run
	DATA_DIR=$$(mktemp -d) $(BIN)/python manage.py check

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache

# Two commands: `make run` (the demo on http://127.0.0.1:8000) and `make test`.
# Only python3 is needed; Debian packages (python3-venv, chromium) are installed when root.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DOCS_PORT ?= 8001
PYTEST_ARGS ?= -n 2 -q
CHROMIUM := /usr/bin/chromium

NPM_DEPS := tests/npm/node_modules/.installed
# Installs say nothing unless something fails: no progress, no "new pip available", no
# root-user or script-location notices (pip's errors, and a failed build's output, still show).
PIP := $(BIN)/python -m pip --quiet --quiet --disable-pip-version-check
PIP_INSTALL := $(PIP) install --no-warn-script-location
export PIP_ROOT_USER_ACTION := ignore

.PHONY: run test bench lint chromium screenshots docs docs-serve

# The demo prints links to UPSTATE_PUBLIC_URL; point it at where `serve` listens.
run: export UPSTATE_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	@$(BIN)/upstate demo
	@echo
	@$(BIN)/upstate serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev chromium $(NPM_DEPS)
	@status=0; data=$$(mktemp -d); trap 'rm -rf "$$data"' EXIT; \
	echo "== ruff check"; \
	$(BIN)/ruff check . || status=1; \
	echo "== pytest on SQLite"; \
	env -u DATABASE_URL UPSTATE_DATA_DIR="$$data/sqlite" \
		$(BIN)/python -m pytest $(PYTEST_ARGS) || status=1; \
	case "$${DATABASE_URL:-}" in postgres*) \
		echo "== pytest on PostgreSQL"; \
		UPSTATE_DATA_DIR="$$data/postgres" $(BIN)/python -m pytest $(PYTEST_ARGS) || status=1;; \
	esac; \
	echo "== documentation (mkdocs build --strict)"; \
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir "$$data/site" || status=1; \
	exit $$status

# The documentation site (docs/, mkdocs.yml) into site/: strict, so a broken link or a page
# missing from the nav fails (never with --quiet: it hides the warnings strict mode counts).
# Open site/index.html, or serve it with `make docs-serve`.
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Beside `make run` (port 8000), on a port of its own.
docs-serve: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr $(HOST):$(DOCS_PORT)

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/public_read.py
	$(BIN)/python bench/match.py

# The documentation's screenshots (docs/images/), from a throwaway demo installation.
screenshots: $(VENV)/.installed-dev chromium
	$(BIN)/python scripts/screenshots.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
		rm -rf $(VENV); \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); \
		else \
			echo "error: '$(PYTHON) -m venv' failed; install python3-venv and retry" >&2; exit 1; \
		fi; }
	@$(PIP_INSTALL) --upgrade pip

# Stamps: reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing Upstate and its dependencies into $(VENV)..."
	@$(PIP_INSTALL) -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "Installing Upstate with its development tools into $(VENV)..."
	@$(PIP_INSTALL) -e '.[dev]'
	@# Statuspage's published Python client, which the Statuspage-compatible API is tested
	@# with; its exact pins (old requests, urllib3) would downgrade ours, so without them.
	@$(PIP_INSTALL) --no-deps atlassian-statuspage==1.0.2 lambda-thread-pool==0.0.2
	@touch $@ $(VENV)/.installed

# Third-party browser code the tests run against Upstate (Statuspage's web component), pinned
# by the lockfile and fetched from the npm registry only.
$(NPM_DEPS): tests/npm/package.json tests/npm/package-lock.json
	@command -v npm >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update && apt-get install -y npm; \
		else \
			echo "error: the browser tests need npm; install it with: sudo apt-get install npm" >&2; \
			exit 1; \
		fi; }
	npm ci --prefix tests/npm --ignore-scripts --no-audit --no-fund
	touch $@

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update && apt-get install -y chromium; \
		else \
			echo "error: the browser tests need Debian's chromium at $(CHROMIUM);" \
				"install it with: sudo apt-get install chromium" >&2; \
			exit 1; \
		fi; \
	fi

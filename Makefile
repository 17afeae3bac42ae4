# Social Media at Work: every set-up step lives here, so a fresh machine needs only python3 and make.
#   make demo       the whole trainer cycle on synthetic learners (workspace in var/demo/)
#   make test       every test (installs what it needs first)
#   make test-fast  the tests that run no kernel, browser or database: for while you work
#   make lab        JupyterLab as a learner sees the course: fetch, practise, Validate, submit (var/lab/)
#   make formgrader JupyterLab as a trainer sees it: formgrader on the demo workspace (var/demo/)
#   make hub        the company JupyterHub on this machine (root): accounts from data/roster.csv (var/hub/)
#   make release    rebuild exercises/ from solutions/ and check nothing leaked
#   make bench      benchmark ratios against the stock tools
#   make lint       ruff

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# axe-core (accessibility checks in the browser tests), from npm, pinned in tools/axe/package-lock.json.
AXE := tools/axe/node_modules/axe-core/axe.min.js
PIP_FLAGS := --disable-pip-version-check --quiet
PYTEST_ARGS ?=
# make test runs on every core (pytest-xdist); each test file stays in one worker, so fixtures a file
# shares (a hub, a Jupyter server, a graded batch) are built once. PYTEST_JOBS=0 runs serially.
PYTEST_JOBS ?= auto
XDIST := -n $(PYTEST_JOBS) --dist loadfile
# nbgrader runs tools of its environment (alembic) by name: the venv comes first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: all venv system-deps hub-deps demo test test-fast lab formgrader hub release bench lint clean

all: test

$(STAMP): pyproject.toml
	@echo "==> Creating $(VENV) and installing the course package with its test extras"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	@$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[test,bench]'
	@touch $(STAMP)

venv: $(STAMP)

# npm packages the hub sign-in tests run (tests/hub/oidc: node-oidc-provider, configurable-http-proxy).
NODE_TEST := tests/hub/oidc/node_modules/.package-lock.json
$(NODE_TEST): tests/hub/oidc/package-lock.json
	@command -v npm >/dev/null 2>&1 && npm ci --prefix tests/hub/oidc --no-audit --no-fund --silent \
	  || echo "note: npm missing or failed; the hub sign-in tests will be skipped (or fail under CI=true)." >&2

# Chromium (browser tests), bubblewrap (sandboxed grading) and PostgreSQL (gradebook on a real
# server): installed from Debian's packages where missing and where this user may install them.
system-deps:
	@bash tools/system-deps.sh

$(AXE): tools/axe/package.json tools/axe/package-lock.json
	@if command -v npm >/dev/null 2>&1; then echo "==> Installing axe-core into tools/axe/node_modules"; \
	  npm ci --prefix tools/axe --no-audit --no-fund --ignore-scripts --silent && touch $(AXE); \
	else echo "note: npm is missing; the accessibility tests will be skipped (or fail under CI=true)." >&2; fi

demo: $(STAMP)
	@$(BIN)/course demo

# configurable-http-proxy (JupyterHub's proxy) from npm, into var/node/ (nothing installed globally).
CHP_VERSION := 5.3.0
CHP := var/node/node_modules/.bin/configurable-http-proxy
$(CHP):
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install npm (or make system-deps)"; exit 1; }
	@echo "==> Installing configurable-http-proxy $(CHP_VERSION) into var/node"
	@mkdir -p var/node && npm install --prefix var/node --no-audit --no-fund --loglevel=error \
	  configurable-http-proxy@$(CHP_VERSION) >/dev/null

hub-deps: $(CHP)

hub: $(STAMP) system-deps $(CHP)
	@$(BIN)/course hub up

test: $(STAMP) system-deps $(NODE_TEST) $(AXE)
	@$(MAKE) --no-print-directory hub-deps || echo "note: no configurable-http-proxy; the hub tests will skip (fail under CI=true)"
	@$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: $(STAMP)
	@$(BIN)/python -m pytest $(XDIST) -m "not slow and not browser and not postgres" $(PYTEST_ARGS)

# Both use the demo workspace's local nbgrader exchange; `course lab --help` for the port and learner id.
lab: $(STAMP)
	@$(BIN)/course lab

formgrader: $(STAMP)
	@test -f var/demo/course-workspace.json || $(BIN)/course demo
	@$(BIN)/course lab --trainer

release: $(STAMP)
	@$(BIN)/course release

bench: $(STAMP)
	@for b in bench/*.py; do echo "==> $$b"; $(BIN)/python $$b || exit 1; done

lint: $(STAMP)
	@$(BIN)/ruff check course tests bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

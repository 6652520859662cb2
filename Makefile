# A4CO: every target does its own set-up on a fresh machine (only Python 3.11 and make needed).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/uv/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode for the dependencies at install, and for our own modules on first import, even where the
# machine sets PYTHONDONTWRITEBYTECODE: without it every service process compiles all of its imports
# again (5 s of CPU to start one service instead of 2).
export UV_COMPILE_BYTECODE := 1
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup run demo test test-fast test-slow lint format check-generated check-compat generate sdk lock bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv "uv==$(UV_VERSION)"

$(SYNCED): pyproject.toml uv.lock generated/pyproject.toml | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

setup: $(SYNCED) ## create .venv with the pinned dependencies

run: setup ## run the marketplace on embedded NATS, Redis and SQLite (Ctrl-C stops it)
	$(BIN)/a4co run

demo: setup ## place orders against a running `make run` and watch their sagas
	$(BIN)/a4co demo --orders 20

lint: setup ## ruff, mypy --strict and the contract lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/a4co contracts lint

format: setup ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

generate: setup ## regenerate generated/ from the contracts
	$(BIN)/a4co codegen generate

sdk: check-generated ## build the SDK wheel for integrators into dist/
	$(UV) build --wheel generated -o dist

check-generated: setup ## fail when generated/ is stale
	$(BIN)/a4co codegen check

# The contracts of the previous commit (BASE=<ref> to compare with another): a breaking change fails.
check-compat: setup ## fail on a breaking contract change against the previous commit
	@base="$${BASE:-$$(git rev-parse -q --verify HEAD~1 || true)}"; \
	if [ -n "$$base" ]; then $(BIN)/a4co codegen diff --base "$$base"; \
	else echo "no previous commit in this clone: no contracts to compare with"; fi

test: setup check-generated check-compat lint ## everything CI runs: checks, unit, contract, integration and end-to-end tests
	$(BIN)/pytest

test-fast: setup ## the tests that need no servers
	$(BIN)/pytest -m "not slow"

test-slow: setup ## only the slow suites (crash tests, load)
	$(BIN)/pytest -m slow

bench: setup ## benchmarks, printed as tables
	$(BIN)/python -m bench

lock: | $(UV) ## re-resolve the dependency pins after editing pyproject.toml
	$(UV) lock --python $(PYTHON)

clean: ## remove caches and local state (keeps .venv)
	rm -rf .run dist .pytest_cache .mypy_cache .ruff_cache

# Pulse: `make run` starts the whole stack, `make test` runs every test but the long fault
# runs, which `make faults` runs at full strength.
# They install what is missing first: uv (from PyPI, into .tools/ when not on PATH),
# then the locked workspace (uv sync --frozen).

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
TOOLS := .tools
# Test processes side by side, each with its own broker and PostgreSQL; a module's tests
# stay in one process (its fixtures are per module). Most integration tests wait on
# consumers, so two processes fit two cores.
TEST_WORKERS ?= 2
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/$(TOOLS)/bin/uv)
SYNC_STAMP := .venv/.pulse-synced

.PHONY: help install run demo test faults lint fmt bench clean dashboards

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(CURDIR)/$(TOOLS)/bin/uv:
	@echo "uv not found on PATH; installing it from PyPI into $(TOOLS)/"
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS) uv \
	  || { $(PYTHON) -m venv $(TOOLS)/venv && $(TOOLS)/venv/bin/pip install --quiet uv \
	       && mkdir -p $(TOOLS)/bin && ln -sf $(CURDIR)/$(TOOLS)/venv/bin/uv $(TOOLS)/bin/uv; } \
	  || { echo "make: cannot install uv: install pip or python3-venv for $(PYTHON), or uv itself" >&2; exit 1; }

$(SYNC_STAMP): uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml) | $(UV)
	$(UV) sync --frozen --all-packages
	@touch $@

install: $(SYNC_STAMP) ## install the workspace from uv.lock

run: $(SYNC_STAMP) ## start broker, PostgreSQL and all four services (Ctrl-C stops them)
	exec .venv/bin/pulse dev

demo: $(SYNC_STAMP) ## start the stack (or use a running one) and watch a simulated customer base go through it
	exec .venv/bin/pulse demo

test: $(SYNC_STAMP) ## run every package's tests against a real broker and PostgreSQL (quick fault forms)
	.venv/bin/pytest -m "not faults" -n $(TEST_WORKERS) --dist loadfile

faults: $(SYNC_STAMP) ## run the long kill -9, restart and crash-loop tests at full strength
	.venv/bin/pytest -m faults

lint: $(SYNC_STAMP) ## ruff (lint and format check) and mypy --strict
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy libs services bench

bench: $(SYNC_STAMP) ## measure throughput and latency beside their ceilings; writes bench/results/latest.json
	.venv/bin/python bench/run.py

dashboards: $(SYNC_STAMP) ## generate deploy/grafana/dashboards/*.json from the Python code
	.venv/bin/pulse dashboards

fmt: $(SYNC_STAMP) ## apply ruff's fixes and formatting
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

clean: ## remove the virtualenv, caches and the dev stack's data (.pulse/)
	rm -rf .venv $(TOOLS) .pulse .pytest_cache .mypy_cache .ruff_cache

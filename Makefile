# Two commands for a newcomer: `make reproduce` and `make test`. Both create the
# virtual environment from the lock file when it is missing or out of date.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check

export DVC_NO_ANALYTICS := 1
export SOURCE_DATE_EPOCH ?= 1761436800
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: help setup reproduce test lint verify bench lab lock clean stage-deps

help:
	@echo "make reproduce   run the whole pipeline on data/raw (sets up .venv when needed)"
	@echo "make test        run the test suite"
	@echo "make lint        ruff (style, formatting), mypy (types) and the stages' code deps (pyproject.toml)"
	@echo "make verify      rerun everything in a fresh clone: same bytes as committed? every published claim?"
	@echo "make bench       measure cold, in-process floor, no-op, incremental and 100x runs (bench/latest.json)"
	@echo "make lab         open JupyterLab on the notebooks with the project's environment"
	@echo "make stage-deps  rewrite each dvc.yaml stage's code dependencies from its imports"
	@echo "make lock        refresh requirements.lock from pyproject.toml (needs the network)"

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	@touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/compendium reproduce

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/python -m compendium.pipeline.codedeps --check

stage-deps: $(STAMP)
	$(BIN)/python -m compendium.pipeline.codedeps

verify: $(STAMP)
	$(BIN)/compendium verify

bench: $(STAMP)
	$(BIN)/compendium bench

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[test]'
	( echo "# Every package of the environment at an exact version; written by 'make lock'."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' ) > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data/interim .dvc/tmp .pytest_cache

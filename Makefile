# Two commands for a newcomer: `make reproduce` and `make test`. Both create the
# virtual environment from the lock file when it is missing or out of date.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip --disable-pip-version-check

# The deterministic environment of src/compendium/core/environment.py (FIXED as :=,
# DEFAULTS as ?=), for make test and make lab; tests/test_params.py checks that they agree.
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
export DVC_NO_ANALYTICS := 1
export TZ := UTC
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export VECLIB_MAXIMUM_THREADS := 1
export NUMEXPR_NUM_THREADS := 1
export SOURCE_DATE_EPOCH ?= 1761436800
export PYDEVD_DISABLE_FILE_VALIDATION ?= 1

.PHONY: help setup reproduce test lint verify bench lab lock clean stage-deps site-check

help:
	@echo "make reproduce   run the whole pipeline on data/raw (sets up .venv when needed)"
	@echo "make test        run the test suite"
	@echo "make lint        ruff (style, formatting), mypy (types) and the stages' code deps (pyproject.toml)"
	@echo "make verify      rerun everything in a fresh clone: same bytes as committed? every published claim?"
	@echo "make bench       measure cold, in-process floor, no-op, incremental and 100x runs (bench/latest.json)"
	@echo "make site-check  screenshots of index.html and manuscript.html at 1280 and 390 px, layout checks (needs chromium)"
	@echo "make lab         open JupyterLab on the notebooks with the project's environment"
	@echo "make stage-deps  rewrite each dvc.yaml stage's code dependencies from its imports"
	@echo "make lock        refresh requirements.lock from pyproject.toml (needs the network)"

setup: $(STAMP)

# The installer: uv (bootstrapped from PyPI at the version the lock pins; about ten
# times faster than pip on the 430 packages) unless INSTALLER=pip. Both install exactly
# requirements.lock; conda users get the same lock through environment.yml. Both leave
# every module compiled to bytecode (pip does so by default, uv when asked): where
# PYTHONDONTWRITEBYTECODE is set, as in many containers, Python would otherwise compile
# DVC, pandas and Jupyter from source in every process the pipeline starts.
INSTALLER ?= uv

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifeq ($(INSTALLER),uv)
	$(PIP) install --quiet "$$(grep -i '^uv==' requirements.lock)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
else
	$(PIP) install --quiet -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
endif
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/compendium reproduce

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal

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

# Headless Chromium (Debian: apt-get install -y chromium) lays out reports/index.html and
# reports/manuscript.html at 1280 and 390 px: full-length screenshots into site-check/
# (git-ignored), then the checks of tests/sitecheck.py (no sideways scrolling, figures
# the column's width on a phone, no clipped table on the landing page) and the site's tests.
site-check: $(STAMP)
	@status=0; \
	$(BIN)/python tests/sitecheck.py reports site-check || status=1; \
	$(BIN)/python -m pytest -q tests/test_site.py || status=1; \
	exit $$status

# Containers and Binder run as root, which JupyterLab refuses without --allow-root.
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[test]'
	( echo "# Every package of the environment at an exact version; written by 'make lock'."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' ) > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data/interim .dvc/tmp .pytest_cache

# attrprior — one command per task. Needs only python3 (>= 3.11) and pip's configured indexes.
#   make book    install if needed, run every notebook at the default profile, build the book
#   make test    install if needed, pytest tests/ + nbval on every notebook at the smoke profile
# See README.md for the rest (smoke, paper, run, bench, clean).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.attrprior-installed
PROFILE := default
NB      :=
PARAMS  :=
DRY     :=
# DRY=1: print which notebooks would execute and why (which part of their cache key changed); run nothing.
RUN_FLAGS := $(if $(DRY),--dry-run,)
# User values reach the runner through the environment, never pasted into a shell line: $(value ...) keeps
# make from expanding them (no $(shell ...) runs) and the recipe quotes them ("$$ATTRPRIOR_RUN_NB").
export ATTRPRIOR_RUN_NB      := $(value NB)
export ATTRPRIOR_RUN_PROFILE := $(value PROFILE)
export ATTRPRIOR_RUN_PARAMS  := $(value PARAMS)
unexport NB PROFILE PARAMS
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
# pip prints one "Location ... is ignored" warning per missing local index entry; hide those.
PIP_FILTER := { grep -v -e 'is ignored: it is neither a file nor a directory' || true; }

.PHONY: help install book test smoke paper run bench clean distclean

help:
	@echo "make book    - install if needed, execute notebooks (profile default), build the book"
	@echo "               add DRY=1 (to book, smoke, paper or run) to see what would execute and why"
	@echo "make test    - install if needed, run pytest and nbval (profile smoke)"
	@echo "make smoke   - execute every notebook at the smoke profile"
	@echo "make paper   - execute every notebook at the paper profile (slow; GPU/online data helps)"
	@echo "make run NB=00_data PARAMS=\"n_examples=20\" [PROFILE=default]  - rerun one notebook"
	@echo "make bench   - run benchmarks/run_all.py"
	@echo "make clean   - remove build outputs (keeps .venv and downloads)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "attrprior needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# The stamp makes a second `make` skip the install; editing pyproject.toml re-installs.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --progress-bar off -e . 2>&1 | $(PIP_FILTER)
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (attrprior)" >/dev/null
	@$(PY) -c 'import attrprior, torch, papermill, jupyter_book, nbval' \
	  || { echo "install incomplete: see the pip output above" >&2; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(PY) -m attrprior.run --profile default $(RUN_FLAGS)
	$(if $(DRY),,$(PY) -m attrprior.compendium.book --profile default)

# pytest exits 5 when it collects no tests: not a failure while the suite is empty.
test: $(STAMP)
	@$(PY) -m attrprior.run --check-data
	@rc=0; $(PY) -m pytest tests/ -q || rc=$$?; \
	  if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi
ifneq ($(NOTEBOOKS),)
	@rc=0; ATTRPRIOR_PROFILE=smoke $(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider -q $(NOTEBOOKS) || rc=$$?; \
	  if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi
else
	@echo "no notebooks to validate"
endif

smoke: $(STAMP)
	$(PY) -m attrprior.run --profile smoke $(RUN_FLAGS)

paper: $(STAMP)
	$(PY) -m attrprior.run --profile paper $(RUN_FLAGS)

# One notebook, new parameters:  make run NB=01 PARAMS="tv_lambdas=0.01,0.1 seeds=0,1,2" [PROFILE=smoke]
run: $(STAMP)
	@test -n "$$ATTRPRIOR_RUN_NB" || { echo 'usage: make run NB=<notebook> PARAMS="key=value ..." [PROFILE=...]' >&2; exit 2; }
	$(PY) -m attrprior.run "$$ATTRPRIOR_RUN_NB" --profile "$$ATTRPRIOR_RUN_PROFILE" --params "$$ATTRPRIOR_RUN_PARAMS" $(RUN_FLAGS)

bench: $(STAMP)
	@if [ -f benchmarks/run_all.py ]; then $(PY) benchmarks/run_all.py; \
	  else echo "benchmarks/run_all.py does not exist yet"; fi

clean:
	rm -rf build _build .pytest_cache
	find lib tests -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) data/cache lib/*.egg-info

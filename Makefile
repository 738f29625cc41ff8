# Paths and Gates — the two commands are `make book` and `make test`; `make help` lists the rest.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
# The test pass runs every chapter with a seed other than its default (nbval re-runs the default one).
# It is derived from the commit, so it changes with every submission but is reproducible for a given one.
SEED   ?= $(shell h=$$(git rev-parse --short=6 HEAD 2>/dev/null || echo 00beef); echo $$((16#$$h + 1)))
NB     ?=

export PATH := $(BIN):$(PATH)
# relulab is imported from this checkout's lib/ (also in a git worktree that shares another checkout's .venv).
export PYTHONPATH := $(abspath lib)
export PYTHONHASHSEED := 0
export MPLBACKEND := module://matplotlib_inline.backend_inline
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help install book chapters html check-html test test-lib test-chapters test-nbval test-html chapter determinism format bench sweep mutation clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[book,test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (relulab)" >/dev/null
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the pinned dependencies and relulab (only when missing or changed)

book: install chapters html ## install, execute every chapter (default parameters, in place), build _build/html

chapters: install ## execute every chapter in place with its default parameters (papermill)
	$(BIN)/python tests/run_chapters.py --in-place --jobs $(JOBS)

html: install ## build the HTML book from the committed notebooks (warnings are errors)
	rm -rf _build/html _build/.doctrees && mkdir -p _build
	$(BIN)/jupyter-book build --all -n -W --keep-going --path-output . . 2>&1 | tee _build/book.log
	$(BIN)/python tests/check_offline_html.py _build/html

check-html: ## open every built page in headless Chromium: MathJax rendered, no request left the machine, no console error
	$(BIN)/python tests/check_html.py _build/html

chapter: install ## re-execute one chapter in place: make chapter NB=chapters/part4-path-kernel/01-....ipynb
	@test -n "$(NB)" || { echo "usage: make chapter NB=chapters/<part>/<chapter>.ipynb"; exit 2; }
	$(BIN)/python tests/run_chapters.py --in-place --jobs 1 $(NB)

test: install test-lib test-chapters test-nbval html check-html ## the whole test suite: library, chapters (other seed), nbval, ledger, book build

test-lib: install ## the library's pytest suite (fast) and the ledger completeness check
	$(BIN)/python -m pytest -q -n $(JOBS) tests

test-chapters: install ## execute every chapter with a non-default seed; any failed claim stops it
	@echo "chapters with seed=$(SEED)"
	$(BIN)/python tests/run_chapters.py --jobs $(JOBS) --out _build/papermill -p seed $(SEED)

test-nbval: install ## re-execute the committed chapters and compare with their stored outputs
	TQDM_DISABLE=1 $(BIN)/python -m pytest -q --nbval $$($(BIN)/python tests/run_chapters.py --list) -n $(JOBS) --dist loadfile \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p tests.nbval_numbers -p no:randomly

determinism: install ## execute every chapter twice (seed $(SEED)) and require byte-identical outputs (slow; not in CI)
	$(BIN)/python tests/run_chapters.py --jobs $(JOBS) --out _build/determinism/a -p seed $(SEED)
	$(BIN)/python tests/run_chapters.py --jobs $(JOBS) --out _build/determinism/b -p seed $(SEED)
	$(BIN)/python tests/compare_runs.py _build/determinism/a _build/determinism/b

format: install ## format the chapters' code to 88 columns (ruff, on the notebooks; outputs untouched)
	$(BIN)/ruff format chapters

bench: install ## print each fast kernel's cost against its naive reference
	$(BIN)/python bench/run.py

SEEDS ?= 20
SCHEDULER ?=
CHAPTERS ?=
sweep: install ## robustness sweep: every chapter x SEEDS seeds as Dask tasks (SCHEDULER=tcp://host:port for a cluster); writes book/robustness.jsonl
	$(BIN)/python tools/sweep.py --seeds $(SEEDS) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(CHAPTERS),--chapters $(CHAPTERS))

MUTVENV ?= $(abspath _build/mutvenv)
MUTANTS ?= 0
mutation: ## mutation score of the core modules (slow; not in CI)
	@# mutmut lives in its own venv (never in .venv); a .pth file lets it import relulab's pinned dependencies from .venv
	test -x $(MUTVENV)/bin/python || $(PYTHON) -m venv $(MUTVENV)
	$(MUTVENV)/bin/python -m pip install -q mutmut==3.8.1
	$(BIN)/python -c 'import site; print(site.getsitepackages()[0])' \
	  > "$$($(MUTVENV)/bin/python -c 'import site; print(site.getsitepackages()[0])')/relulab-deps.pth"
	@# MUTANTS=N draws N mutants per module (seeded); MUTANTS=0 runs every mutant (hours on 2 cores)
	HYPOTHESIS_EXAMPLES=5 $(MUTVENV)/bin/python bench/mutation.py --sample $(MUTANTS) --seed 0 --jobs $(JOBS)

clean: ## remove build outputs (keeps .venv)
	rm -rf _build

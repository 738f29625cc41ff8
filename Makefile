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

.PHONY: help install book chapters refresh html pdf check-pdf check-html check-pages test test-lib test-chapters \
        test-nbval test-paper-smoke chapter paper determinism format bench sweep mutation clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -c constraints.txt -e '.[book,test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (relulab)" >/dev/null
	@touch $(STAMP)

# Kernels started by papermill and nbval drop two log lines that are noise (see the file).
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py
$(KERNEL_CONFIG): tools/ipython_kernel_config.py $(STAMP)
	@mkdir -p $(dir $@) && cp $< $@

install: $(STAMP) $(KERNEL_CONFIG) ## create .venv and install the pinned dependencies and relulab (only when missing or changed)

# make book executes copies of the chapters in _build/src and builds from there: tracked files are never touched.
book: install ## execute every chapter (NB=... for some) into _build/src and build _build/html from those copies
	$(BIN)/python tools/stage_book.py
	$(BIN)/python tests/run_chapters.py --jobs $(JOBS) --out _build/src/chapters $(NB)
	$(BIN)/python tools/build_book.py
	$(BIN)/python tests/check_offline_html.py _build/html
	$(BIN)/python tests/check_book_pages.py _build/html

refresh: install ## authors: re-execute every committed chapter in place (outputs committed; no timestamps)
	$(BIN)/python tests/run_chapters.py --in-place --jobs $(JOBS)

chapters: refresh ## the same as make refresh

chapter: install ## authors: re-execute one chapter in place: make chapter NB=chapters/part4-path-kernel/01-....ipynb
	@test -n "$(NB)" || { echo "usage: make chapter NB=chapters/<part>/<chapter>.ipynb"; exit 2; }
	$(BIN)/python tests/run_chapters.py --in-place --jobs 1 $(NB)

html: install ## build _build/html from the committed notebooks, as they are (warnings are errors)
	$(BIN)/python tools/stage_book.py
	$(BIN)/python tools/build_book.py
	$(BIN)/python tests/check_offline_html.py _build/html
	$(BIN)/python tests/check_book_pages.py _build/html

check-html: ## open every built page in headless Chromium: MathJax rendered, no request left the machine, no console error
	$(BIN)/python tests/check_html.py _build/html

check-pages: ## the generated pages: a ledger row per claim, a Findings row per finding, every link reaches its cell
	$(BIN)/python tests/check_book_pages.py _build/html

pdf: install ## the whole book as one PDF, _build/pdf/paths-and-gates.pdf (Chromium prints the single-page HTML)
	$(BIN)/python tools/stage_book.py --dest _build/pdf/src
	$(BIN)/python tools/make_pdf.py

check-pdf: ## page count, text, no missing-glyph boxes and page images of the PDF (skipped, saying so, without Chromium)
	$(BIN)/python tests/check_pdf.py _build/pdf/paths-and-gates.pdf

test: install test-lib test-chapters test-nbval test-paper-smoke html check-html pdf check-pdf ## the whole test suite
	@echo "make test: every step passed"

test-lib: install ## chapter code formatted (ruff, 88 columns), the library's pytest suite, the ledger check, the build tools and the workflow lint
	$(BIN)/ruff format --check chapters || { echo "chapter code is not formatted: run make format"; exit 1; }
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile tests

test-chapters: install ## execute every chapter (copies in _build/papermill) with a non-default seed; tracked files must not change
	@echo "chapters with seed=$(SEED)"
	$(BIN)/python tools/tree_state.py save _build/tree-before.txt
	$(BIN)/python tests/run_chapters.py --jobs $(JOBS) --out _build/papermill -p seed $(SEED)
	$(BIN)/python tools/tree_state.py compare _build/tree-before.txt

test-nbval: install ## re-execute the committed chapters and compare with their stored outputs
	TQDM_DISABLE=1 $(BIN)/python -m pytest -q --nbval $$($(BIN)/python tests/run_chapters.py --list) -n $(JOBS) --dist loadfile \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p tests.nbval_numbers -p no:randomly

test-paper-smoke: install ## run every chapter's scale="paper" branch with the tiny sizes of tests/paper_smoke.yml
	$(BIN)/python tools/paper_scale.py smoke --jobs $(JOBS)

PAPER_TIMEOUT ?= 900
paper: install ## run chapters at scale="paper" (NB=... for one; all by default) and record each run in book/paper_runs.json
	$(BIN)/python tools/paper_scale.py record --timeout $(PAPER_TIMEOUT) $(NB)

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

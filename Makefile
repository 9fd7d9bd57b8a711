# Every target creates .venv and installs what it needs on first use: `make demo` and
# `make test` are the only two commands a newcomer needs.

# pytest keeps assertion-rewritten modules (its own plugins' too: Hypothesis has ~90) in
# __pycache__; with PYTHONDONTWRITEBYTECODE set it must rewrite them on every run, a second or more.
unexport PYTHONDONTWRITEBYTECODE

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
CONSTRAINTS := requirements/constraints.txt
BASE := $(VENV)/.installed-base
DEV := $(VENV)/.installed-dev
LAB := $(VENV)/.installed-lab
DOCS := $(VENV)/.installed-docs
PYTEST := $(BIN)/python -m pytest
# The kit's own suite runs from its folder, with its own pytest settings (sockettest/pyproject.toml).
KIT_PYTEST := cd sockettest && ../$(PYTEST)

.PHONY: help demo test unit integration stress-small stress notebooks course-html docs diagrams lint \
	format lab bench explore-bench explore-processes time-game time-readme time-tiers lines signal-stop import-cost mutate \
	flake-hunt constraints clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

# sockettest, the generic kit, is its own package in this repository: installed first, so that
# game's `testing` extra finds it already there.
$(DEV): $(BASE) $(CONSTRAINTS) sockettest/pyproject.toml
	$(PIP) -c $(CONSTRAINTS) -e './sockettest[pytest]'
	$(PIP) -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

$(DOCS): $(BASE) $(CONSTRAINTS) sockettest/pyproject.toml
	$(PIP) -c $(CONSTRAINTS) -e './sockettest[docs]'
	touch $@

$(LAB): $(DEV)
	$(PIP) -c $(CONSTRAINTS) -e '.[lab]'
	touch $@

demo: $(BASE)  ## two bots play a whole game over loopback
	$(BIN)/python -m game demo

test: lint unit integration stress-small notebooks  ## everything CI runs

unit: $(DEV)  ## the unit tier of the kit and of the game: no real socket can be opened
	$(KIT_PYTEST) tests/unit
	$(PYTEST) tests/unit tests/transports -m "not loopback"

integration: $(DEV)  ## the integration tier of the kit and of the game: real sockets, loopback only
	$(KIT_PYTEST) tests/integration
	$(PYTEST) tests/integration tests/transports -m "not memory"

stress-small: $(DEV)  ## the stress tier of the kit and of the game at small scale (part of make test)
	$(KIT_PYTEST) tests/stress
	$(PYTEST) tests/stress

stress: $(DEV)  ## the stress tier at full size
	STRESS_SCALE=full $(KIT_PYTEST) tests/stress
	STRESS_SCALE=full $(PYTEST) tests/stress

notebooks: $(DEV)  ## execute every tutorial notebook, two at a time (a kernel waits on its tests' processes)
	$(PYTEST) -c pyproject.toml -p nbmake --nbmake -n 2 notebooks

course-html: $(DEV)  ## the course executed, with its outputs, as HTML: build/course/index.html
	$(BIN)/python scripts/course_html.py

docs: $(DOCS)  ## the kit's API reference, from its docstrings, warnings as errors: build/docs/index.html
	rm -rf build/docs
	$(BIN)/python -m sphinx -W --keep-going -q -b html sockettest/docs build/docs

diagrams: $(BASE)  ## draw the notebooks' mermaid diagrams to notebooks/diagrams/ (needs npm, Chromium)
	$(BIN)/python scripts/diagrams.py render

lint: $(DEV)  ## ruff, ruff format --check, mypy --strict, no notebook outputs, diagrams, actionlint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd sockettest && ../$(BIN)/mypy
	$(BIN)/nbstripout --verify notebooks/*.ipynb
	$(BIN)/python scripts/diagrams.py check
	$(BIN)/python scripts/lint_workflows.py

format: $(DEV)  ## apply ruff's fixes and format, strip notebook outputs
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/nbstripout notebooks/*.ipynb

bench: $(DEV)  ## benchmarks side by side in one run (~1 min)
	$(BIN)/python scripts/bench.py

explore-bench: $(DEV)  ## ten planted concurrency bugs: attempts to the first failure by policy and on real threads, a table and a plot (~3 min)
	cd sockettest && ../$(BIN)/python -m benchmarks.run

explore-processes: $(DEV)  ## explore(processes=2) against a serial explore, the same seeds, side by side (~1 min)
	cd sockettest && ../$(BIN)/python -m benchmarks.explore_processes

time-game: $(DEV)  ## one whole game and a test's fixed cost: loopback, in-memory, sans-IO, simulated
	$(BIN)/python scripts/time_game.py

time-readme: $(DEV)  ## the kit README's socketserver echo and asyncio idle-timeout examples, on real and virtual time
	$(BIN)/python scripts/time_readme.py

time-tiers: $(DEV)  ## each unit tier against an empty pytest run in the same venv: wall, CPU, ratio, targets
	$(BIN)/python scripts/time_tiers.py

lines: $(DEV)  ## the kit's package, module by module: wc -l, split into code, docstrings, comments and blank lines; issue 17's targets
	$(BIN)/python scripts/count_lines.py

signal-stop: $(DEV)  ## serve stopped by SIGTERM and SIGINT under a connect/close flood, 50 runs of each case
	$(BIN)/python scripts/signal_stop.py

import-cost: $(DEV)  ## what importing sockettest and its plugin adds to pytest's start-up
	$(BIN)/python scripts/import_cost.py

mutate: $(DEV)  ## the bug zoo in full, then mutation testing of the game and the kit, tier by tier (20 of each, by module; MUTANTS=N or all, PRODUCTS=kit)
	$(if $(filter game,$(or $(PRODUCTS),game)),$(BIN)/python scripts/bug_zoo.py --record)
	$(BIN)/python scripts/mutate.py --record notebooks/mutation_score.json \
		$(if $(filter all,$(MUTANTS)),,--sample $(or $(MUTANTS),20)) \
		$(if $(PRODUCTS),--products $(PRODUCTS))

flake-hunt: $(DEV)  ## every tier but the notebooks 50 times: random order, -n 2, no reruns (RUNS=N; HOGS=N CPU hogs beside)
	@# the kit's hunt runs even when the game's finds a failure; either failing fails the target
	status=0; \
	$(BIN)/python scripts/flake_hunt.py --runs $(or $(RUNS),50) --stress $(if $(HOGS),--hogs $(HOGS)) \
		tests/unit tests/integration tests/transports || status=1; \
	$(BIN)/python scripts/flake_hunt.py --runs $(or $(RUNS),50) --stress $(if $(HOGS),--hogs $(HOGS)) \
		--kit tests/unit tests/integration || status=1; \
	exit $$status

lab: $(LAB)  ## open the tutorials in JupyterLab
	$(BIN)/jupyter lab notebooks

constraints: $(LAB)  ## re-pin every development dependency
	head -n 2 $(CONSTRAINTS) > $(CONSTRAINTS).new
	$(BIN)/python -m pip freeze --exclude-editable >> $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	rm -rf sockettest/.pytest_cache sockettest/.mypy_cache sockettest/.hypothesis

# The two commands a new machine needs: `make run` (the app) and `make test` (the whole check).
# Both create .venv on first use, installing the pinned CPU build of torch before the project.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test setup lint typecheck contracts unit validate bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev,optimizer]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/quizapp $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check quizapp tests bench
	$(BIN)/ruff format --check quizapp tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

validate: $(STAMP)
	$(BIN)/quizapp validate questions/

unit: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: lint typecheck contracts validate unit

bench: $(STAMP)
	$(BIN)/python bench/check_latency.py
	$(BIN)/python bench/runner_latency.py
	$(BIN)/python bench/explain_overhead.py
	$(BIN)/python bench/stats_queries.py
	$(BIN)/python bench/tui_startup.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

# Two commands get a fresh machine going: `make demo` and `make test`.
# Both create .venv with the machine's python3 and install the project into it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: demo test quick lint lab bench docs clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
# the dashboard's JavaScript, from the npm registry, so that `crmsim dashboard` works offline
	$(BIN)/python -m sim.dashboard.assets
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/crmsim run baseline --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check sim agents tests benchmarks scenarios
	$(BIN)/mypy

test: $(STAMP) lint
	bash scripts/ensure_browser.sh
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

quick: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache

docs: $(STAMP)
	$(BIN)/python scripts/regen_docs.py

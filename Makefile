# Every install step lives here: CI starts from a clean clone with nothing installed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# branch coverage of provisioner/ (statements and branches together), printed by `make test`; the
# floor is the figure measured when it was introduced (88.7% on 2026-12-02), rounded down
COVERAGE_FLOOR ?= 88.5
COVERAGE := --cov=provisioner --cov-branch --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

# GitHub Actions workflows checked by actionlint (with shellcheck from the venv on PATH for `run:`)
WORKFLOWS := examples/ci/provision.yml
ACTIONLINT = PATH="$(abspath $(BIN)):$$PATH" $(BIN)/actionlint $(WORKFLOWS)

.PHONY: demo test lint typecheck bench clean install fidelity

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash scripts/demo.sh

test: $(STAMP)
	$(BIN)/ruff check provisioner tests benchmarks
	$(ACTIONLINT)
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q $(COVERAGE)

lint: $(STAMP)
	$(BIN)/ruff check provisioner tests benchmarks
	$(ACTIONLINT)

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# the vendor's own SDK specs and CLI against a fresh sandbox (needs npm; not part of `make test`)
fidelity: $(STAMP)
	status=0; $(BIN)/python scripts/fidelity/run_fidelity.py || status=1; \
	$(BIN)/python scripts/fidelity/field_agent.py || status=1; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

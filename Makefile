# jd-ops-warehouse: the two commands that matter are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export JD_DATA_DIR ?= $(CURDIR)/data
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo test dev bench bench-quick lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need (headless chromium, CJK fonts): scripts/system-packages.txt.
system-deps:
	@bash scripts/install-system-deps.sh

demo: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/jd-pipeline demo

test: $(STAMP) system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest $(PYTEST_ARGS)

dev: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/jd-pipeline dev

bench: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python benchmarks/run.py

bench-quick: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python benchmarks/run.py --quick

lint: $(STAMP)
	$(BIN)/ruff check jd_pipeline tests benchmarks

clean:
	rm -rf data dbt_project/target dbt_project/logs

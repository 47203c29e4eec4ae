# jd-ops-warehouse: the two commands that matter are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export JD_DATA_DIR ?= $(CURDIR)/data
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo test test-fast test-bi test-spark spark-install bi superset-install dev bench bench-quick bench-forecast lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,deploy]'
	@touch $(STAMP)

install: $(STAMP)

# The `spark` extra (dbt-spark[session], pyspark: pins in pyproject.toml) in the same virtualenv, for
# `dbt build --target spark` and tests/spark. Java comes from scripts/system-packages.txt.
SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

spark-install: $(SPARK_STAMP)

# Apache Superset in its own virtualenv: its pins (pandas<2.2, SQLAlchemy<2) fight ours.
SUPERSET_VENV := .venv-superset
SUPERSET_STAMP := $(SUPERSET_VENV)/.installed
$(SUPERSET_STAMP): bi/superset/requirements.txt
	@test -x $(SUPERSET_VENV)/bin/python || $(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SUPERSET_VENV)/bin/python -m pip install --quiet -r bi/superset/requirements.txt
	@touch $(SUPERSET_STAMP)

superset-install: $(SUPERSET_STAMP)

# Superset on 127.0.0.1:8088 with the three dashboards (runs the demo first on a fresh clone).
bi: $(STAMP) $(SUPERSET_STAMP) system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m jd_pipeline.bi.serve

# Debian packages the tests need (headless chromium, CJK fonts): scripts/system-packages.txt.
system-deps:
	@bash scripts/install-system-deps.sh

demo: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/jd-pipeline demo

# tests/bi needs Superset's own virtualenv, tests/spark Java and pyspark: their own targets and CI
# steps (`make test-bi`, `make test-spark`).
test: $(STAMP) system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest --ignore=tests/bi --ignore=tests/spark $(PYTEST_ARGS)

# The inner loop (< 2 min): no full pipeline, dbt, PostgreSQL, browser or Dagster job (markers in pyproject.toml).
FAST_MARKERS := not slow and not dbt and not postgres and not browser and not integration
test-fast: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest --ignore=tests/bi --ignore=tests/spark -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

test-bi: $(STAMP) $(SUPERSET_STAMP) system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest tests/bi $(PYTEST_ARGS)

# The dbt project on Spark equals it on DuckDB, mart by mart (tests/spark; Java 17 + the `spark`
# extra, which it installs; fails, never skips, without them).
test-spark: $(SPARK_STAMP) system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest tests/spark $(PYTEST_ARGS)

dev: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/jd-pipeline dev

bench: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python benchmarks/run.py

bench-quick: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python benchmarks/run.py --quick

bench-forecast: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python benchmarks/forecast_bench.py

# ruff, mypy on jd_pipeline/ ([tool.mypy] in pyproject.toml), sqlfluff on the dbt models (.sqlfluff).
lint: $(STAMP)
	$(BIN)/ruff check jd_pipeline tests benchmarks great_expectations scripts dbt_project/sqlfluff_libs
	$(BIN)/ruff format --check jd_pipeline tests benchmarks great_expectations scripts dbt_project/sqlfluff_libs
	$(BIN)/mypy
	$(BIN)/sqlfluff lint dbt_project/models --processes 2

clean:
	rm -rf data dbt_project/target dbt_project/logs

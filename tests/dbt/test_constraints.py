"""The published marts' not-null rules are enforced constraints of the contract (DuckDB refuses a
NULL at insert, so a bad row never lands), not after-the-fact tests: every column the yml marks
`not_null` carries the constraint in the built table."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.dbt.support import EXCLUDE, make_data_dir, run_dbt

pytestmark = pytest.mark.dbt  # runs dbt itself (support.run_dbt)


def declared_not_null(manifest: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        cols = {
            c["name"]
            for c in node["columns"].values()
            if any(k["type"] == "not_null" for k in c.get("constraints", []))
        }
        if cols:
            out[node["name"]] = cols
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    data_dir = make_data_dir(tmp_path_factory.mktemp("jd_constraints"))
    run_dbt(data_dir, "build", *EXCLUDE, "--exclude", "test_type:data")
    return data_dir


def test_every_declared_not_null_column_is_not_null_in_the_table(built):
    manifest = json.loads((built / "dbt_target" / "manifest.json").read_text())
    declared = declared_not_null(manifest)
    assert len(declared) >= 15 and sum(map(len, declared.values())) >= 100
    conn = duckdb.connect(str(built / "warehouse" / "warehouse.duckdb"), read_only=True)
    built_tables = {
        t
        for (t,) in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
        ).fetchall()
    }
    enforced = {}
    for table, column in conn.execute(
        "SELECT table_name, unnest(constraint_column_names) FROM duckdb_constraints() "
        "WHERE schema_name = 'marts' AND constraint_type = 'NOT NULL'"
    ).fetchall():
        enforced.setdefault(table, set()).add(column)
    missing = {
        t: cols - enforced.get(t, set())
        for t, cols in declared.items()
        if t in built_tables and cols - enforced.get(t, set())
    }
    assert not missing, missing
    assert "fct_sales_daily" in enforced and {"date_day", "brand", "gmv"} <= enforced["fct_sales_daily"]


def test_a_null_in_a_not_null_column_is_refused(built):
    conn = duckdb.connect(str(built / "warehouse" / "warehouse.duckdb"))
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed: fct_sales_daily.gmv"):
        conn.execute(
            "INSERT INTO marts.fct_sales_daily SELECT * REPLACE (NULL AS gmv) FROM marts.fct_sales_daily LIMIT 1"
        )
    conn.close()


def test_an_incremental_run_keeps_the_constraints(built):
    run_dbt(
        built,
        "run",
        *EXCLUDE,
        "--select",
        "fct_sales_daily",
        vars={"min_date": "2026-03-01", "max_date": "2026-03-01"},
    )
    conn = duckdb.connect(str(built / "warehouse" / "warehouse.duckdb"), read_only=True)
    assert (
        conn.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE schema_name = 'marts' "
            "AND table_name = 'fct_sales_daily' AND constraint_type = 'NOT NULL'"
        ).fetchone()[0]
        >= 5
    )
    conn.close()

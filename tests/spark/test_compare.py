"""The comparer of the Spark proof on hand-made tables: it must see one cent, a wrong ratio, a
missing row and a missing table, and must not see what the tolerance allows (a double's last
digits, partition folders, another row order)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.spark.compare import Mart, compare_marts, render

MART = Mart("marts", "fct_example_daily", ("date_day", "sku_id"))
ROWS = [
    ("2026-02-01", "SKU1", 3, "12.34", 0.1234567891234, "线上"),
    ("2026-02-01", "SKU2", 0, "0.00", 0.0, None),
    ("2026-02-02", "SKU1", 7, "1000000.01", 2.0 / 3.0, "线下"),
]


def _duckdb_side(path: Path) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.fct_example_daily (date_day date, sku_id varchar, units bigint, "
            "amount decimal(18,2), share double, channel varchar)"
        )
        conn.executemany("insert into marts.fct_example_daily values (?, ?, ?, ?, ?, ?)", ROWS)


def _spark_side(warehouse: Path, rows: list[tuple], partitioned: bool = False) -> None:
    """The layout Spark writes: `<warehouse>/marts.db/<table>/part-*.parquet` (or date folders),
    int for bigint and a wider decimal, as Spark may type them."""
    folder = warehouse / "marts.db" / MART.name
    folder.mkdir(parents=True)
    with duckdb.connect() as conn:
        conn.execute(
            "create table t (date_day date, sku_id varchar, units integer, amount decimal(38,6), "
            "share double, channel varchar)"
        )
        conn.executemany("insert into t values (?, ?, ?, ?, ?, ?)", list(reversed(rows)))
        target = f"{folder}/part-00000.parquet" if not partitioned else str(folder)
        options = "format parquet" + (", partition_by (date_day)" if partitioned else "")
        conn.execute(f"copy t to '{target}' ({options})")
    (folder / "_SUCCESS").write_text("")


def _with_change(index: int, column: int, value: object) -> list[tuple]:
    rows = [list(r) for r in ROWS]
    rows[index][column] = value
    return [tuple(r) for r in rows]


@pytest.fixture
def duck(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    _duckdb_side(path)
    return path


@pytest.mark.parametrize("partitioned", [False, True])
def test_equal_tables_compare_equal(duck: Path, tmp_path: Path, partitioned: bool) -> None:
    _spark_side(tmp_path / "spark", ROWS, partitioned)
    [result] = compare_marts(duck, tmp_path / "spark", [MART])
    assert result.equal, result.describe()
    assert (result.duckdb_rows, result.spark_rows) == (3, 3)


def test_double_noise_below_nine_significant_digits_is_equal(duck: Path, tmp_path: Path) -> None:
    _spark_side(tmp_path / "spark", _with_change(2, 4, 2.0 / 3.0 + 1e-13))
    [result] = compare_marts(duck, tmp_path / "spark", [MART])
    assert result.equal, result.describe()


def test_one_cent_differs_and_names_the_key(duck: Path, tmp_path: Path) -> None:
    _spark_side(tmp_path / "spark", _with_change(2, 3, "1000000.02"))
    [result] = compare_marts(duck, tmp_path / "spark", [MART])
    assert not result.equal
    text = render([result])
    assert "marts.fct_example_daily" in text and "1 differ" in text
    assert "(date_day=2026-02-02, sku_id=SKU1)" in text
    assert "columns that differ: ['amount']" in text
    assert "1000000" not in text, "cell values other than the grain keys must not be shown"


def test_a_ratio_off_in_the_sixth_digit_differs(duck: Path, tmp_path: Path) -> None:
    _spark_side(tmp_path / "spark", _with_change(0, 4, 0.1234577891234), partitioned=True)
    [result] = compare_marts(duck, tmp_path / "spark", [MART])
    assert not result.equal
    assert "(date_day=2026-02-01, sku_id=SKU1)" in result.describe()


def test_a_null_string_differs_from_an_empty_one(duck: Path, tmp_path: Path) -> None:
    _spark_side(tmp_path / "spark", _with_change(1, 5, ""))
    [result] = compare_marts(duck, tmp_path / "spark", [MART])
    assert not result.equal


def test_a_missing_row_differs(duck: Path, tmp_path: Path) -> None:
    _spark_side(tmp_path / "spark", ROWS[:2])
    [result] = compare_marts(duck, tmp_path / "spark", [MART])
    assert not result.equal and (result.duckdb_rows, result.spark_rows) == (3, 2)
    assert "only in DuckDB" in result.describe()


def test_a_missing_table_differs(duck: Path, tmp_path: Path) -> None:
    (tmp_path / "spark").mkdir()
    [result] = compare_marts(duck, tmp_path / "spark", [MART])
    assert not result.equal
    assert "missing in the Spark warehouse" in result.describe()

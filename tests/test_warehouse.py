"""The shared warehouse helpers: a transaction keeps all of its block or none of it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from jd_pipeline.warehouse import fetch_value, table_exists, transaction


def test_transaction_rolls_back_the_whole_block_on_error(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("create table t (x integer)")
    with transaction(conn):
        conn.execute("insert into t values (1)")
    with pytest.raises(ZeroDivisionError), transaction(conn):
        conn.execute("insert into t values (2)")
        raise ZeroDivisionError
    assert fetch_value(conn, "select list(x order by x) from t") == [1]
    assert table_exists(conn, "main", "t")
    assert not table_exists(conn, "main", "u")

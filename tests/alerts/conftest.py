from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.alerts import handmade


@pytest.fixture()
def wh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse with the hand-made rows of tests/alerts/handmade.py."""
    monkeypatch.setenv("JD_DATA_DIR", str(tmp_path / "data"))
    conn = duckdb.connect(str(tmp_path / "wh.duckdb"))
    handmade.build(conn)
    yield conn
    conn.close()

"""The quality tests' warehouse fixture; its builders and row helpers are in handmade.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.quality.handmade import Warehouse


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    w = Warehouse(tmp_path / "warehouse.duckdb")
    try:
        yield w
    finally:
        w.close()

"""A lake that fails mid-sync: the warehouse keeps its rows, the lake keeps only whole objects,
the error names the unit, and the next sync completes (docs/raw_lake.md, atomicity)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from jd_pipeline.contracts import get_contract
from jd_pipeline.lake import Lake, LakeSyncError, sync_lake
from tests.lake.helpers import assert_lake_equals_raw, lake_units, load, write_ads

DAYS = [("2026-03-01", "20260302"), ("2026-03-02", "20260303"), ("2026-03-03", "20260304")]


def _fail_second(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> list[str]:
    """Make `cls.name` raise on its 2nd call (the 2nd unit of a sync); returns the calls' paths."""
    real = getattr(cls, name)
    calls: list[str] = []

    def flaky(self, *args, **kwargs):
        calls.append(str(args[-1]))
        if len(calls) == 2:
            raise OSError("connection reset by peer")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, flaky)
    return calls


@pytest.mark.parametrize("where", ["folder", "memory"])
def test_a_sync_failing_on_the_second_unit_keeps_whole_objects_and_the_next_sync_completes(
    where: str, landing: Path, conn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fsspec

    memory = fsspec.filesystem("memory")
    url = str(tmp_path / "lake") if where == "folder" else "memory://jd-lake-fail"
    monkeypatch.setenv("JD_RAW_LAKE_URL", url)
    for day, pulled in DAYS:
        write_ads(landing, day, pulled)
    # the put (the commit step of a unit's object) fails on the second unit
    calls = _fail_second(monkeypatch, Lake, "put")
    with pytest.raises(LakeSyncError) as err:
        load(conn, "jd_ads", "2026-03-01", "2026-03-03", landing)
    assert "unit jd_ads acme/-/2026-03-02" in str(err.value)
    assert "period=2026-03-02/part.parquet" in str(err.value) and "connection reset by peer" in str(err.value)
    assert len(calls) == 2

    # the warehouse committed every day; the lake holds the first unit only, whole, and nothing else
    assert conn.execute("SELECT count(*), sum(cost) FROM raw.jd_ads").fetchone() == (6, D("2400.00"))
    fs, root = (
        (fsspec.filesystem("file"), str(tmp_path / "lake"))
        if where == "folder"
        else (memory, "/jd-lake-fail")
    )
    objects = sorted(fs.find(root))
    assert [o.removeprefix(root) for o in objects] == [
        "/jd_ads/brand=acme/store=_none_/period=2026-03-01/part.parquet"
    ]
    with fs.open(objects[0], "rb") as f:
        assert pq.read_table(f).num_rows == 2
    assert lake_units(conn, "jd_ads") == [("acme", None, "2026-03-01", None, 2)]

    monkeypatch.undo()
    monkeypatch.setenv("JD_RAW_LAKE_URL", url)
    monkeypatch.setenv("JD_BUYER_SALT", "test-salt")
    result = sync_lake(conn, get_contract("jd_ads"))
    assert result is not None and (result.units_written, result.units_total) == (2, 3)
    assert assert_lake_equals_raw(conn, url, "jd_ads") == 6
    assert len(fs.find(root)) == 3 + 1  # the units and the source's (empty) file totals object
    if where == "memory":
        memory.rm("/jd-lake-fail", recursive=True)


def test_an_object_store_failing_between_upload_and_move_leaves_no_temporary_key(
    landing: Path, conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    url = "memory://jd-lake-mv"
    monkeypatch.setenv("JD_RAW_LAKE_URL", url)
    for day, pulled in DAYS[:2]:
        write_ads(landing, day, pulled)
    _fail_second(monkeypatch, MemoryFileSystem, "mv")
    with pytest.raises(LakeSyncError, match="unit jd_ads acme/-/2026-03-02"):
        load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    fs = fsspec.filesystem("memory")
    assert sorted(fs.find("/jd-lake-mv")) == [
        "/jd-lake-mv/jd_ads/brand=acme/store=_none_/period=2026-03-01/part.parquet"
    ]
    monkeypatch.undo()
    monkeypatch.setenv("JD_BUYER_SALT", "test-salt")
    result = sync_lake(conn, get_contract("jd_ads"), url)
    assert result is not None and result.units_written == 1
    assert assert_lake_equals_raw(conn, url, "jd_ads") == 4
    fs.rm("/jd-lake-mv", recursive=True)


def test_the_next_load_retries_what_a_failed_sync_left(
    landing: Path, conn, lake_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day, pulled in DAYS[:2]:
        write_ads(landing, day, pulled)
    _fail_second(monkeypatch, Lake, "put")
    with pytest.raises(LakeSyncError):
        load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    monkeypatch.undo()
    monkeypatch.setenv("JD_RAW_LAKE_URL", str(lake_dir))
    monkeypatch.setenv("JD_BUYER_SALT", "test-salt")
    summary = load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    assert [f.status for f in summary.files] == ["skipped", "skipped"]  # nothing new to load
    assert summary.lake is not None and summary.lake.units_written == 1
    assert assert_lake_equals_raw(conn, str(lake_dir), "jd_ads") == 4

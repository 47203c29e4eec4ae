"""The lake carries the other warehouse tables the dbt models read (docs/raw_lake.md): the config
tables, rewritten with the warehouse's copy, and ops.file_totals, one object per source rewritten
by the source's sync when its rows changed. Both replaced atomically."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from jd_pipeline.brands import Brand, write_config_tables
from jd_pipeline.contracts import get_contract
from jd_pipeline.lake import Lake, LakeSyncError, sync_lake
from tests.extract_files import write_extract
from tests.ingest.samples import BRAND, SAMPLES
from tests.lake.helpers import load

BRANDS = {
    "acme": Brand("acme", ("ACME", "艾克米"), ("pop", "self"), {"服装": D("0.08"), "*": D("0.06")}),
    "beta": Brand("beta", ("BETA",), ("self",), {}),
}
CONFIG_TABLES = ("brands", "brand_names", "pop_commission_rates")
INVENTORY_TOTALS = "ops/file_totals/source=jd_vc_inventory/part.parquet"


def assert_object_equals(conn, url: str, relpath: str, table_sql: str) -> int:
    """The object at `relpath` has the columns, types and rows (as a multiset) of `table_sql`."""
    if url.startswith("memory://") and not conn.filesystem_is_registered("memory"):
        import fsspec

        conn.register_filesystem(fsspec.filesystem("memory"))
    lake = f"(SELECT * FROM read_parquet('{url}/{relpath}'))"
    table = f"({table_sql})"
    assert conn.sql(f"SELECT * FROM {lake}").types == conn.sql(f"SELECT * FROM {table}").types
    for a, b in ((lake, table), (table, lake)):
        extra = conn.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall()
        assert extra == [], f"{relpath}: rows of {a} not in {b}: {extra[:3]}"
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _files(root: Path) -> dict[str, int]:
    """Every file under `root` -> its inode (a rename onto the key gives a new one)."""
    return {p.relative_to(root).as_posix(): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def test_config_tables_follow_the_warehouse_copy(conn, lake_dir: Path) -> None:
    write_config_tables(conn, BRANDS)
    files = _files(lake_dir)
    assert set(files) == {f"config/{t}/part.parquet" for t in CONFIG_TABLES}  # no temporary object left
    counts = [
        assert_object_equals(conn, str(lake_dir), f"config/{t}/part.parquet", f"SELECT * FROM config.{t}")
        for t in CONFIG_TABLES
    ]
    assert counts == [2, 3, 2]

    changed = {**BRANDS, "beta": Brand("beta", ("BETA",), ("pop",), {"*": D("0.05")})}
    write_config_tables(conn, changed)
    after = _files(lake_dir)
    assert set(after) == set(files) and all(after[f] != files[f] for f in files)  # each moved onto its key
    for table in CONFIG_TABLES:
        assert_object_equals(
            conn, str(lake_dir), f"config/{table}/part.parquet", f"SELECT * FROM config.{table}"
        )
    assert conn.execute(
        f"SELECT stores FROM read_parquet('{lake_dir}/config/brands/part.parquet') WHERE brand = 'beta'"
    ).fetchone() == ("pop",)


def test_config_tables_stay_in_the_warehouse_with_the_lake_off(conn, tmp_path: Path) -> None:
    write_config_tables(conn, BRANDS)
    assert conn.execute("SELECT count(*) FROM config.brands").fetchone() == (2,)
    assert not any(tmp_path.rglob("*.parquet"))


def test_a_failed_config_write_keeps_the_previous_objects_whole(
    memory_lake, conn, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, fs = memory_lake
    write_config_tables(conn, BRANDS)

    def broken(self: Lake, tmp: str, relpath: str) -> None:
        raise OSError("connection reset by peer")

    monkeypatch.setattr(Lake, "put", broken)
    conn.register_filesystem(fs)
    with pytest.raises(LakeSyncError, match="config tables .* connection reset by peer"):
        write_config_tables(conn, {"acme": BRANDS["acme"]})
    # the warehouse has the new configuration, the lake still the previous one, whole
    assert conn.execute("SELECT count(*) FROM config.brands").fetchone() == (1,)
    assert conn.execute(
        f"SELECT count(*) FROM read_parquet('{url}/config/brands/part.parquet')"
    ).fetchone() == (2,)
    assert sorted(p.rsplit("/", 2)[-2] for p in fs.find("/jd-lake-test")) == sorted(CONFIG_TABLES)


def _inventory(landing: Path, day: str, on_hand: int) -> None:
    rows = [
        [day, "300000000001", "羽绒服", "北京", on_hand, 90, 20, 2, 10, "10.5"],
        [day, "300000000001", "羽绒服", "全国", on_hand, 90, 20, 2, 10, "10.5"],
    ]
    write_extract(landing, f"jd_vc_inventory/{BRAND}/{day}/inventory.xlsx", rows)


@pytest.mark.parametrize("where", ["folder", "memory"])
def test_file_totals_follow_the_source_and_are_rewritten_only_when_they_change(
    where: str, landing: Path, conn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = str(tmp_path / "lake") if where == "folder" else "memory://jd-lake-totals"
    monkeypatch.setenv("JD_RAW_LAKE_URL", url)
    totals = "SELECT * FROM ops.file_totals WHERE source = 'jd_vc_inventory'"
    expected = SAMPLES["jd_vc_inventory"](landing)
    summary = load(conn, "jd_vc_inventory", expected.start, expected.end, landing)
    assert summary.lake is not None and summary.lake.file_totals_rows == expected.file_totals
    assert assert_object_equals(conn, url, INVENTORY_TOTALS, totals) == expected.file_totals

    # nothing changed: not rewritten
    again = sync_lake(conn, get_contract("jd_vc_inventory"))
    assert again is not None and again.file_totals_rows is None

    # a new day's delivery adds its totals: the source's object is rewritten with them
    _inventory(landing, "2026-03-02", 70)
    summary = load(conn, "jd_vc_inventory", "2026-03-02", "2026-03-02", landing)
    assert summary.lake is not None and summary.lake.file_totals_rows == expected.file_totals + 5
    assert assert_object_equals(conn, url, INVENTORY_TOTALS, totals) == expected.file_totals + 5
    recorded = conn.execute("SELECT relpath, rows, url FROM ops.lake_tables").fetchall()
    assert recorded == [(INVENTORY_TOTALS, expected.file_totals + 5, f"{url}/{INVENTORY_TOTALS}")]
    if where == "memory":
        import fsspec

        fsspec.filesystem("memory").rm("/jd-lake-totals", recursive=True)


def test_a_source_without_totals_gets_an_empty_object_to_read_the_schema_from(
    landing: Path, conn, lake_dir: Path
) -> None:
    expected = SAMPLES["jd_ads"](landing)
    load(conn, "jd_ads", expected.start, expected.end, landing)
    relpath = "ops/file_totals/source=jd_ads/part.parquet"
    assert assert_object_equals(conn, str(lake_dir), relpath, "SELECT * FROM ops.file_totals") == 0


def test_a_failed_totals_write_names_the_source_and_the_next_sync_writes_it(
    landing: Path, conn, lake_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = SAMPLES["jd_vc_inventory"](landing)
    real = Lake.put

    def fail_totals(self: Lake, tmp: str, relpath: str) -> None:
        if relpath.startswith("ops/"):
            raise OSError("connection reset by peer")
        real(self, tmp, relpath)

    monkeypatch.setattr(Lake, "put", fail_totals)
    with pytest.raises(LakeSyncError, match="ops.file_totals of jd_vc_inventory"):
        load(conn, "jd_vc_inventory", expected.start, expected.end, landing)
    assert not [p for p in lake_dir.rglob("*") if p.is_file() and "ops" in p.parts]  # no partial object
    monkeypatch.setattr(Lake, "put", real)
    result = sync_lake(conn, get_contract("jd_vc_inventory"))
    assert (
        result is not None and result.units_written == 0 and result.file_totals_rows == expected.file_totals
    )
    totals = "SELECT * FROM ops.file_totals WHERE source = 'jd_vc_inventory'"
    assert assert_object_equals(conn, str(lake_dir), INVENTORY_TOTALS, totals) == expected.file_totals

"""The raw lake follows `raw.<source>` after every load (issue #18 item 1, docs/raw_lake.md)."""

from __future__ import annotations

import os
from decimal import Decimal as D
from pathlib import Path

import pytest

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest.plausibility import accept
from jd_pipeline.lake import sync_lake
from tests.extract_files import write_extract
from tests.ingest.helpers import set_mtime
from tests.ingest.samples import ADS_HEADERS, BRAND, SAMPLES
from tests.lake.helpers import assert_lake_equals_raw, lake_relation, lake_units, load, write_ads

ADS_UNIT = "jd_ads/brand=acme/store=_none_/period={day}/part.parquet"


def _objects(root: Path) -> dict[str, tuple[int, int]]:
    """Every raw file under the lake folder -> (inode, mtime_ns): which units a sync rewrote. The
    ops/ objects (each source's file totals) are test_tables.py's."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != "ops"
    }


def test_every_source_in_the_lake_equals_raw_row_for_row(landing: Path, conn, lake_dir: Path) -> None:
    for source in sorted(SAMPLES):
        expected = SAMPLES[source](landing)
        summary = load(conn, source, expected.start, expected.end, landing)
        assert summary.lake is not None and summary.lake.units_written >= 1, source
        assert assert_lake_equals_raw(conn, str(lake_dir), source) == expected.rows, source
        lake = lake_relation(conn, str(lake_dir), source)
        for column, value in expected.sums.items():
            got = conn.execute(f"SELECT sum({column}) FROM {lake}").fetchone()[0]
            assert got == pytest.approx(value) if isinstance(value, float) else got == value, (source, column)
    # the layout of LAKE_SPEC, and nothing else in the lake (no temporary objects)
    files = set(_objects(lake_dir))
    assert "jd_ads/brand=acme/store=_none_/period=2026-03-01/part.parquet" in files
    assert "jd_pop_orders/brand=acme/store=pop/period=2026-03-01/part.parquet" in files
    assert {f for f in files if f.startswith("fin_sales_plan/")} == {
        "fin_sales_plan/brand=acme/store=_none_/period=2026/file=sales_plan_2026_budget.xlsx/part.parquet",
        "fin_sales_plan/brand=acme/store=_none_/period=2026/file=sales_plan_2026_q2.xlsx/part.parquet",
    }
    assert all(f.endswith("/part.parquet") for f in files)
    recorded = conn.execute("SELECT count(*), sum(rows) FROM ops.lake_units").fetchone()
    assert recorded == (len(files), sum(SAMPLES[s](landing).rows for s in SAMPLES))
    assert lake_units(conn, "jd_ads") == [("acme", None, "2026-03-01", None, 2)]
    # a buyer is in the lake only as its salted hash (what raw holds), never the account
    lake = lake_relation(conn, str(lake_dir), "jd_pop_orders")
    assert "buyer_account" not in conn.sql(f"SELECT * FROM {lake}").columns
    # nothing changed: a second sync writes nothing
    again = sync_lake(conn, get_contract("jd_ads"))
    assert again is not None and (again.units_written, again.units_removed, again.units_total) == (0, 0, 1)


def test_a_newer_ads_pull_replaces_its_day_and_nothing_else(landing: Path, conn, lake_dir: Path) -> None:
    for day, pulled in (("2026-03-01", "20260302"), ("2026-03-02", "20260303"), ("2026-03-03", "20260304")):
        write_ads(landing, day, pulled)
    load(conn, "jd_ads", "2026-03-01", "2026-03-03", landing)
    before = _objects(lake_dir)
    assert len(before) == 3

    newer = write_ads(landing, "2026-03-02", "20260310", cost="¥650.00")
    summary = load(conn, "jd_ads", "2026-03-01", "2026-03-03", landing)
    assert [f.status for f in summary.files if f.path == newer.relative_to(landing).as_posix()] == ["loaded"]
    assert summary.lake is not None
    assert (summary.lake.units_written, summary.lake.units_removed) == (1, 0)

    after = _objects(lake_dir)
    changed = ADS_UNIT.format(day="2026-03-02")
    assert set(after) == set(before)
    assert after[changed] != before[changed]
    assert {k: v for k, v in after.items() if k != changed} == {
        k: v for k, v in before.items() if k != changed
    }
    assert assert_lake_equals_raw(conn, str(lake_dir), "jd_ads") == 6
    lake = lake_relation(conn, str(lake_dir), "jd_ads")
    by_day = conn.execute(
        f"SELECT CAST(date_day AS VARCHAR), sum(cost) FROM {lake} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert by_day == [("2026-03-01", D("800.00")), ("2026-03-02", D("950.00")), ("2026-03-03", D("800.00"))]


def _plan(landing: Path, name: str, gmv: int) -> Path:
    return write_extract(
        landing,
        f"fin_sales_plan/{BRAND}/2026/{name}",
        [["2026-Q2滚动", "2026-04-10", "2026-01", "POP", "服饰", gmv, 550, 9000]],
    )


def test_a_re_delivered_plan_version_replaces_only_its_file_unit(landing: Path, conn, lake_dir: Path) -> None:
    SAMPLES["fin_sales_plan"](landing)  # the budget (2 rows) and the Q2 version (1 row)
    load(conn, "fin_sales_plan", "2026", "2026", landing)
    before = _objects(lake_dir)
    assert len(before) == 2

    q2 = _plan(landing, "sales_plan_2026_q2.xlsx", 120000)
    set_mtime(q2, os.stat(q2).st_mtime + 3600)
    summary = load(conn, "fin_sales_plan", "2026", "2026", landing)
    assert summary.lake is not None and (summary.lake.units_written, summary.lake.units_removed) == (1, 0)

    after = _objects(lake_dir)
    q2_key = "fin_sales_plan/brand=acme/store=_none_/period=2026/file=sales_plan_2026_q2.xlsx/part.parquet"
    budget_key = q2_key.replace("sales_plan_2026_q2", "sales_plan_2026_budget")
    assert after[budget_key] == before[budget_key]
    assert after[q2_key] != before[q2_key]
    assert assert_lake_equals_raw(conn, str(lake_dir), "fin_sales_plan") == 3
    lake = lake_relation(conn, str(lake_dir), "fin_sales_plan")
    assert conn.execute(f"SELECT sum(target_gmv) FROM {lake}").fetchone()[0] == D("300000.00")
    assert lake_units(conn, "fin_sales_plan") == [
        ("acme", None, "2026", "sales_plan_2026_budget.xlsx", 2),
        ("acme", None, "2026", "sales_plan_2026_q2.xlsx", 1),
    ]


def test_a_held_delivery_changes_nothing_until_accepted_then_its_empty_day_leaves_the_lake(
    landing: Path, conn, lake_dir: Path
) -> None:
    write_ads(landing, "2026-03-01", "20260302")
    write_ads(landing, "2026-03-02", "20260303")
    load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    before = _objects(lake_dir)
    # a newer pull of 03-01 with no rows at all: held (it would empty the day)
    empty = landing / "jd_ads/acme/2026-03-01/ads_pulled20260305.csv"
    empty.write_bytes(b"\xef\xbb\xbf" + ",".join(ADS_HEADERS).encode() + b"\r\n")
    summary = load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    assert [f.status for f in summary.files if f.path.endswith("20260305.csv")] == ["held"]
    assert _objects(lake_dir) == before

    assert accept(conn, "jd_ads/acme/2026-03-01/ads_pulled20260305.csv") == 1
    summary = load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    assert summary.lake is not None and (summary.lake.units_written, summary.lake.units_removed) == (0, 1)
    after = _objects(lake_dir)
    assert set(after) == {ADS_UNIT.format(day="2026-03-02")}
    assert after[ADS_UNIT.format(day="2026-03-02")] == before[ADS_UNIT.format(day="2026-03-02")]
    assert not (lake_dir / "jd_ads/brand=acme/store=_none_/period=2026-03-01").exists()
    assert assert_lake_equals_raw(conn, str(lake_dir), "jd_ads") == 2
    assert lake_units(conn, "jd_ads") == [("acme", None, "2026-03-02", None, 2)]


def test_a_memory_url_works_as_an_object_store(landing: Path, conn, memory_lake) -> None:
    url, fs = memory_lake
    write_ads(landing, "2026-03-01", "20260302")
    write_ads(landing, "2026-03-02", "20260303")
    load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    keys = sorted(k for k in fs.find("/jd-lake-test") if not k.startswith("/jd-lake-test/ops/"))
    assert keys == [
        "/jd-lake-test/" + ADS_UNIT.format(day="2026-03-01"),
        "/jd-lake-test/" + ADS_UNIT.format(day="2026-03-02"),
    ]
    untouched = fs.store[keys[1]]
    write_ads(landing, "2026-03-01", "20260309", cost="¥700.00")
    summary = load(conn, "jd_ads", "2026-03-01", "2026-03-02", landing)
    assert summary.lake is not None and summary.lake.units_written == 1
    after = sorted(fs.find("/jd-lake-test"))
    assert [k for k in after if "/ops/" not in k] == keys and not [k for k in after if "/_tmp-" in k]
    assert fs.store[keys[1]] is untouched  # the other day's object was not rewritten
    assert assert_lake_equals_raw(conn, url, "jd_ads") == 4
    lake = lake_relation(conn, url, "jd_ads")
    assert conn.execute(f"SELECT sum(cost) FROM {lake}").fetchone()[0] == D("1800.00")
    assert conn.execute("SELECT url FROM ops.lake_units ORDER BY period").fetchall() == [
        (f"{url}/{ADS_UNIT.format(day='2026-03-01')}",),
        (f"{url}/{ADS_UNIT.format(day='2026-03-02')}",),
    ]


def test_lake_off_writes_no_file_and_no_bookkeeping(landing: Path, conn, tmp_path: Path) -> None:
    write_ads(landing, "2026-03-01", "20260302")
    summary = load(conn, "jd_ads", "2026-03-01", "2026-03-01", landing)
    assert summary.rows_loaded == 2 and summary.lake is None
    assert sorted(p.name for p in tmp_path.rglob("*.parquet*")) == []
    tables = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ops'"
    ).fetchall()
    assert ("lake_units",) not in tables


def test_the_lake_follows_a_lake_url_change(landing: Path, conn, tmp_path: Path, monkeypatch) -> None:
    write_ads(landing, "2026-03-01", "20260302")
    monkeypatch.setenv("JD_RAW_LAKE_URL", str(tmp_path / "old"))
    load(conn, "jd_ads", "2026-03-01", "2026-03-01", landing)
    monkeypatch.setenv("JD_RAW_LAKE_URL", str(tmp_path / "new"))
    result = sync_lake(conn, get_contract("jd_ads"))
    assert result is not None and result.units_written == 1
    assert assert_lake_equals_raw(conn, str(tmp_path / "new"), "jd_ads") == 2
    assert (tmp_path / "old" / ADS_UNIT.format(day="2026-03-01")).exists()  # not ours to delete any more
    assert conn.execute("SELECT count(*) FROM ops.lake_units").fetchone()[0] == 1

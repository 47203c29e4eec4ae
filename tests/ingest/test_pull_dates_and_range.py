"""Issue 22 (5): pull dates, in-place rewrites, periods outside the partition range, and what
`jd-pipeline status` shows about them (rejected out-of-range files, missing days)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest import load_partition_range
from jd_pipeline.ingest.landing import business_today
from tests.extract_files import write_csv
from tests.ingest.helpers import SALT, set_mtime
from tests.ingest.samples import ADS_HEADERS, POP_HEADERS, POP_ROWS, ads_rows

DAY = "2026-03-01"


def _ads(landing: Path, pulled: str, cost: str = "¥500.00") -> Path:
    return write_csv(
        landing,
        f"jd_ads/acme/{DAY}/ads_pulled{pulled}.csv",
        ADS_HEADERS,
        ads_rows(cost1=cost),
        encoding="utf-8",
        bom=True,
    )


def _manifest(conn) -> dict[str, tuple[str, str | None]]:
    return {
        p: (s, r) for p, s, r in conn.execute("SELECT path, status, reason FROM ops.load_manifest").fetchall()
    }


def test_a_pull_dated_after_today_is_refused_and_the_real_pulls_load(landing: Path, conn) -> None:
    future = (business_today() + timedelta(days=1)).strftime("%Y%m%d")
    typo = _ads(landing, future, cost="¥9,999.00")
    real = _ads(landing, "20260305")
    load_partition_range(conn, get_contract("jd_ads"), DAY, DAY, landing, salt=SALT)
    m = _manifest(conn)
    rel = typo.relative_to(landing).as_posix()
    assert m[rel] == (
        "rejected",
        (f"{rel}: _pulled date {business_today() + timedelta(days=1)} is after today (Asia/Shanghai)"),
    )
    assert m[real.relative_to(landing).as_posix()][0] == "loaded"
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 800
    # a later real pull still replaces the day (the typo pins nothing)
    _ads(landing, "20260310", cost="¥600.00")
    load_partition_range(conn, get_contract("jd_ads"), DAY, DAY, landing, salt=SALT)
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 900


def test_a_pull_before_the_report_day_or_not_a_date_is_refused(landing: Path, conn) -> None:
    early = _ads(landing, "20260228")
    invalid = _ads(landing, "20261345")
    load_partition_range(conn, get_contract("jd_ads"), DAY, DAY, landing, salt=SALT)
    m = _manifest(conn)
    e, i = early.relative_to(landing).as_posix(), invalid.relative_to(landing).as_posix()
    assert m[e] == ("rejected", f"{e}: _pulled date 2026-02-28 is before the report day {DAY}")
    assert m[i] == ("rejected", f"{i}: _pulled date 20261345 is not a valid date")
    assert conn.execute("SELECT count(*) FROM raw.jd_ads").fetchone()[0] == 0


def test_an_in_place_rewrite_with_the_same_size_and_mtime_is_reloaded(landing: Path, conn) -> None:
    path = _ads(landing, "20260305", cost="¥500.00")
    set_mtime(path, 1_700_000_000)
    load_partition_range(conn, get_contract("jd_ads"), DAY, DAY, landing, salt=SALT)
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 800
    before = path.stat()
    data = path.read_bytes().replace("¥500.00".encode(), "¥700.00".encode())
    with path.open("r+b") as fh:  # same inode, same size
        fh.write(data)
    set_mtime(path, 1_700_000_000)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    summary = load_partition_range(conn, get_contract("jd_ads"), DAY, DAY, landing, salt=SALT)
    assert [f.status for f in summary.files] == ["loaded"]
    assert conn.execute("SELECT sum(cost) FROM raw.jd_ads").fetchone()[0] == 1000
    # unchanged afterwards: nothing is read again
    assert [
        f.status
        for f in load_partition_range(conn, get_contract("jd_ads"), DAY, DAY, landing, salt=SALT).files
    ] == ["skipped"]


def _pop(landing: Path, day: str) -> Path:
    rows = [[*r[:5], f"{day} 10:00:00", *r[6:]] for r in POP_ROWS]
    return write_csv(landing, f"jd_pop_orders/acme/{day}/orders.csv", POP_HEADERS, rows)


def test_files_outside_the_partition_range_are_recorded_and_shown_by_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    landing = data_dir / "landing"
    monkeypatch.setenv("JD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("JD_PARTITIONS_START", "2026-01-01")
    tomorrow = business_today() + timedelta(days=1)
    old, future = _pop(landing, "2025-12-31"), _pop(landing, tomorrow.isoformat())
    for day in ("2026-03-01", "2026-03-03"):
        _pop(landing, day)
    from jd_pipeline.config import get_settings
    from jd_pipeline.runtime.status import collect_status, format_status

    db = get_settings().warehouse_db
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as conn:
        load_partition_range(
            conn, get_contract("jd_pop_orders"), "2026-03-01", "2026-03-03", landing, salt=SALT
        )
        load_partition_range(
            conn, get_contract("jd_pop_orders"), "2026-03-01", "2026-03-03", landing, salt=SALT
        )  # recorded once
        m = _manifest(conn)
        assert (
            conn.execute("SELECT count(*) FROM ops.load_manifest WHERE status = 'rejected'").fetchone()[0]
            == 2
        )
    o, f = old.relative_to(landing).as_posix(), future.relative_to(landing).as_posix()
    assert m[o] == (
        "rejected",
        (f"{o}: period 2025-12-31 is before JD_PARTITIONS_START 2026-01-01: never loaded (out of range)"),
    )
    assert m[f] == ("rejected", f"{f}: period {tomorrow} is in the future: never loaded (out of range)")
    text = format_status(collect_status(get_settings()))
    assert "Files outside the partition range, never loaded" in text
    assert f"  {o}: {m[o][1]}" in text and f"  {f}: {m[f][1]}" in text
    yesterday = business_today() - timedelta(days=1)
    gaps = (yesterday - date_(2026, 3, 4)).days + 2
    assert f"  jd_pop_orders acme: {gaps} day(s): 2026-03-02, 2026-03-04..{yesterday}" in text
    assert os.environ["JD_PARTITIONS_START"] == "2026-01-01"


def date_(y: int, m: int, d: int):
    from datetime import date

    return date(y, m, d)

"""Re-running any period any number of times, and delivering files out of order, leaves identical tables."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest import load_partition_range
from tests.extract_files import write_bytes, write_csv, write_xlsx
from tests.ingest.helpers import SALT, set_mtime
from tests.ingest.samples import (
    ADS_HEADERS,
    POP_HEADERS,
    POP_ROWS,
    ads_rows,
    sample_jd_sz_traffic,
    sample_jd_vc_sales,
)

SOURCES = ("jd_pop_orders", "jd_ads", "jd_vc_sales", "jd_sz_traffic")


def _deliveries() -> list[tuple[str, object]]:
    """(relpath, writer) of every delivery, in their true order (mtime ascending)."""
    bad = [list(r) for r in POP_ROWS]
    bad[1][1] = "1.23457E+13"
    fixed = [list(r) for r in POP_ROWS[:3]]
    fixed[0][12] = "已取消"
    return [
        (
            "jd_pop_orders/acme/2026-03-01/orders_v1.csv",
            lambda landing, p: write_csv(landing, p, POP_HEADERS, bad),
        ),
        (
            "jd_pop_orders/acme/2026-03-02/orders.csv",
            lambda landing, p: write_csv(
                landing, p, POP_HEADERS, [[*r[:5], "2026-03-02 08:00:00", *r[6:]] for r in bad]
            ),
        ),
        (
            "jd_ads/acme/2026-03-01/ads_pulled20260302.csv",
            lambda landing, p: write_csv(landing, p, ADS_HEADERS, ads_rows(), encoding="utf-8", bom=True),
        ),
        (
            "jd_pop_orders/acme/2026-03-01/orders_v2.csv",
            lambda landing, p: write_csv(landing, p, POP_HEADERS, fixed),
        ),
        (
            "jd_ads/acme/2026-03-01/ads_pulled20260303.csv",
            lambda landing, p: write_csv(
                landing, p, ADS_HEADERS, ads_rows(cost1="650"), encoding="utf-8", bom=True
            ),
        ),
        (
            "jd_ads/acme/2026-03-01/ads_pulled20260303_copy.csv",
            lambda landing, p: write_csv(
                landing, p, ADS_HEADERS, ads_rows(cost1="650"), encoding="utf-8", bom=True
            ),
        ),
    ]


def _deliver(landing: Path, index: int) -> None:
    relpath, writer = _deliveries()[index]
    path = writer(landing, relpath)  # type: ignore[operator]
    set_mtime(path, 1_700_000_000 + 1000 * index)


_STATIC: dict[str, bytes] = {}


def _static(landing: Path) -> None:
    """Workbooks with identical bytes in every scenario (openpyxl stamps the save time)."""
    if not _STATIC:
        tmp = Path(tempfile.mkdtemp())
        sample_jd_vc_sales(tmp)
        sample_jd_sz_traffic(tmp)
        _STATIC.update({p.relative_to(tmp).as_posix(): p.read_bytes() for p in tmp.rglob("*.xlsx")})
        shutil.rmtree(tmp)
    for relpath, data in _STATIC.items():
        set_mtime(write_bytes(landing, relpath, data), 1_600_000_000)


def _load_all(conn: duckdb.DuckDBPyConnection, landing: Path, sources: tuple[str, ...] = SOURCES) -> None:
    for source in sources:
        load_partition_range(conn, get_contract(source), "2026-03-01", "2026-03-31", landing, salt=SALT)


def _checksums(conn: duckdb.DuckDBPyConnection, sources: tuple[str, ...] = SOURCES) -> dict[str, tuple]:
    """Checksums of every raw table and the current loads' ops rows.

    `_load_id` is compared through the bytes it stands for (the manifest sha256): when the same
    bytes were delivered twice under two names, which name was seen first may differ with the
    arrival order (the later copy is a `duplicate` and changes nothing), the data may not.
    """
    sha = "(SELECT sha256 FROM ops.load_manifest m WHERE m.load_id = {0})"
    out = {
        s: conn.execute(
            f"SELECT count(*), sum(hash(x)) FROM (SELECT * EXCLUDE (_load_id), {sha.format('t._load_id')} AS _sha "
            f"FROM raw.{s} t) x"
        ).fetchone()
        for s in sources
    }
    current = "load_id IN (SELECT load_id FROM ops.load_manifest WHERE status = 'loaded')"
    out["quarantine"] = conn.execute(
        f"SELECT count(*), sum(hash({sha.format('q.load_id')}, row_number, reason, raw_values)) "
        f"FROM ops.quarantine_rows q WHERE {current}"
    ).fetchone()
    out["file_totals"] = conn.execute(
        f"SELECT count(*), sum(hash(x)) FROM (SELECT * EXCLUDE (load_id), {sha.format('f.load_id')} AS _sha "
        f"FROM ops.file_totals f WHERE {current}) x"
    ).fetchone()
    out["loaded"] = conn.execute(
        "SELECT list((source, period, sha256) ORDER BY source, period) FROM ops.load_manifest "
        "WHERE status = 'loaded'"
    ).fetchone()[0]
    out = {k: tuple(v) for k, v in out.items()}
    return out


def _scenario(
    tmp: Path, order: list[int], load_after_each: bool, reruns: int = 1, sources: tuple[str, ...] = SOURCES
) -> dict[str, tuple]:
    landing = tmp / "landing"
    landing.mkdir(parents=True)
    _static(landing)
    conn = duckdb.connect(str(tmp / "w.duckdb"))
    try:
        for i in order:
            _deliver(landing, i)
            if load_after_each:
                _load_all(conn, landing, sources)
        for _ in range(reruns):
            _load_all(conn, landing, sources)
        return _checksums(conn, sources)
    finally:
        conn.close()


@pytest.mark.integration
def test_rerun_and_out_of_order_deliveries_leave_identical_tables(tmp_path: Path) -> None:
    n = len(_deliveries())
    reference = _scenario(tmp_path / "all_at_once", list(range(n)), load_after_each=False)
    assert reference["jd_pop_orders"][0] == 3 + 3  # v2 of 03-01 (3 lines) + 03-02 (3 of 4: one mangled ID)
    assert reference["jd_ads"][0] == 2
    assert reference["quarantine"][0] == 1
    orders = [list(range(n)), list(reversed(range(n))), [3, 0, 5, 1, 4, 2]]
    for k, order in enumerate(orders):
        got = _scenario(tmp_path / f"order_{k}", order, load_after_each=True, reruns=2)
        assert got == reference, order


@pytest.mark.integration
def test_every_permutation_of_competing_deliveries_converges(tmp_path: Path) -> None:
    """The three jd_ads pulls of one day, in every arrival order: the newest pull wins."""
    results = set()
    for k, order in enumerate(itertools.permutations([2, 4, 5])):
        got = _scenario(tmp_path / f"p{k}", list(order), load_after_each=True, sources=("jd_ads",))
        results.add((got["jd_ads"], got["loaded"]))
    assert len(results) == 1


@pytest.mark.integration
def test_rerunning_a_period_changes_nothing(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    for i in range(len(_deliveries())):
        _deliver(landing, i)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    _load_all(conn, landing)
    before = (
        _checksums(conn),
        conn.execute("SELECT count(*), sum(hash(load_id, status)) FROM ops.load_manifest").fetchone(),
    )
    for _ in range(2):
        _load_all(conn, landing)
    after = (
        _checksums(conn),
        conn.execute("SELECT count(*), sum(hash(load_id, status)) FROM ops.load_manifest").fetchone(),
    )
    assert before == after
    conn.close()


@pytest.mark.integration
def test_rows_read_equals_loaded_plus_quarantined_for_every_file(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    for i in range(len(_deliveries())):
        _deliver(landing, i)
    _static(landing)
    write_xlsx(
        landing, "jd_vc_sales/acme/2026-03-02/vc.xlsx", ["时间", "SKU"], [["2026-03-02", "1"]]
    )  # rejected
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    _load_all(conn, landing)
    rows = conn.execute(
        "SELECT path, status, rows_read, rows_loaded, rows_quarantined FROM ops.load_manifest"
    ).fetchall()
    assert {s for _, s, *_ in rows} == {"loaded", "replaced", "duplicate", "rejected"}
    assert all(r == lo + q for _, _, r, lo, q in rows)
    per_load = conn.execute(
        """SELECT m.rows_quarantined, (SELECT count(*) FROM ops.quarantine_rows q WHERE q.load_id = m.load_id)
           FROM ops.load_manifest m WHERE status = 'loaded'"""
    ).fetchall()
    assert all(a == b for a, b in per_load)
    for source in SOURCES:
        loaded = conn.execute(
            f"SELECT coalesce(sum(rows_loaded), 0) FROM ops.load_manifest WHERE status = 'loaded' AND source = '{source}'"
        ).fetchone()[0]
        assert conn.execute(f"SELECT count(*) FROM raw.{source}").fetchone()[0] == loaded
    conn.close()

"""Issue 22 (1): personal data planted in every kind of bad file is written nowhere.

Each bad file of a source with personal data (jd_pop_orders) carries planted 下单帐号, 客户姓名,
客户地址, 联系电话 and remarks; the loader runs as Dagster runs on a persistent instance
(DAGSTER_HOME with run/event storage and compute logs on disk), the warehouse is published to
the served copy BI reads, and then every byte written under the test's directory, everything
logged and everything printed is searched for the planted values (UTF-8 and GB18030)."""

from __future__ import annotations

import copy
import logging
import os
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from tests.extract_files import csv_text, write_bytes
from tests.ingest.helpers import SALT
from tests.ingest.samples import POP_HEADERS, POP_ROWS
from tests.ingest.test_pii import PLANTED

pytestmark = pytest.mark.integration  # runs Dagster jobs

DAYS = [f"2026-03-{d:02d}" for d in range(1, 13)]


def _row(order: str, day: str) -> list:
    r = copy.deepcopy(POP_ROWS[1])
    r[0], r[5] = order, f"{day} 10:00:00"
    r[14], r[15], r[16], r[17] = (
        PLANTED["account"],
        PLANTED["name"],
        "广东省深圳市" + PLANTED["street"],
        PLANTED["phone"],
    )
    r[18], r[19] = PLANTED["note"], PLANTED["merchant_note"]
    return r


def _rows(day: str, n: int = 6) -> list[list]:
    return [_row(str(500000 + i), day) for i in range(n)]


def _text(
    day: str, rows: list[list] | None = None, headers: list[str] = POP_HEADERS, newline: str = "\r\n"
) -> str:
    return csv_text(headers, rows if rows is not None else _rows(day), newline)


def _pop(day: str) -> str:
    return f"jd_pop_orders/acme/{day}/orders.csv"


def _write_bad_files(landing: Path) -> int:
    """One bad file per day; returns how many kinds were written."""
    d = iter(DAYS)
    # 1. no header line: the first line is a data row full of personal data
    write_bytes(landing, _pop(day := next(d)), _text(day).split("\r\n", 1)[1].encode("gb18030"))
    # 2. a truncated last line holding personal data
    write_bytes(
        landing,
        _pop(day := next(d)),
        (
            _text(day) + f"599999,100012345678,x,1,在线支付,{day} 10:00:00,1,1,1,1,0,0,完成,普通订单,"
            f"{PLANTED['account']},{PLANTED['name']}"
        ).encode("gb18030"),
    )
    # 3. an unbalanced quote in a line with personal data (the rest of the file must not be swallowed)
    lines = _text(day := next(d)).split("\r\n")
    lines[3] = lines[3].replace("袜子", '"显示器 27寸 4K')
    write_bytes(landing, _pop(day), "\r\n".join(lines).encode("gb18030"))
    # 4. a NUL byte inside a personal column
    rows = _rows(day := next(d))
    rows[2][17] = PLANTED["phone"][:5] + "\x00" + PLANTED["phone"][5:]
    write_bytes(landing, _pop(day), _text(day, rows).encode("gb18030"))
    # 5. a duplicated known header
    write_bytes(
        landing,
        _pop(day := next(d)),
        _text(day, [[*r, r[15]] for r in _rows(day)], [*POP_HEADERS, "客户姓名"]).encode("gb18030"),
    )
    # 6. mixed line endings
    text = _text(day := next(d))
    write_bytes(landing, _pop(day), text.replace("\r\n", "\n", 3).encode("gb18030"))
    # 7. a 5 MB field in a row with personal data
    rows = _rows(day := next(d))
    rows[1][2] = "显示器" * ((5 << 20) // 6)
    write_bytes(landing, _pop(day), _text(day, rows).encode("gb18030"))
    # 8. bytes that are not GB18030 after rows with personal data
    write_bytes(landing, _pop(day := next(d)), _text(day).encode("gb18030") + b"\x81\x20broken")
    # 9. values that are no numbers (0x10, 1e3) in rows with personal data
    rows = _rows(day := next(d))
    rows[0][3], rows[1][6] = "0x10", "1e3"
    write_bytes(landing, _pop(day), _text(day, rows).encode("gb18030"))
    # 10. an Excel-mangled ID and a missing key in rows with personal data
    rows = _rows(day := next(d))
    rows[0][1], rows[1][0] = "1.23457E+13", ""
    write_bytes(landing, _pop(day), _text(day, rows).encode("gb18030"))
    # 11. a headerless UTF-8 export hard-linked into another source's folder (jd_ads reads it)
    src = write_bytes(
        landing, _pop(day := next(d)), b"\xef\xbb\xbf" + _text(day).split("\r\n", 1)[1].encode("utf-8")
    )
    link = landing / "jd_ads/acme/2026-03-01/report_pulled20260302.csv"
    link.parent.mkdir(parents=True)
    os.link(src, link)
    # 12. a control byte in the address that also shifts nothing else
    rows = _rows(day := next(d))
    rows[3][16] = "广东省\x01" + PLANTED["street"]
    write_bytes(landing, _pop(day), _text(day, rows).encode("gb18030"))
    return 12


def _hits(data: bytes) -> list[str]:
    found = []
    for label, value in PLANTED.items():
        for enc in ("utf-8", "gb18030", "utf-16-le"):
            if value.encode(enc) in data:
                found.append(f"{label} ({enc})")
    return found


def test_personal_data_in_every_kind_of_bad_file_is_written_nowhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data_dir, home, tmp = tmp_path / "data", tmp_path / "dagster_home", tmp_path / "tmp"
    for p in (home, tmp):
        p.mkdir()
    assert _write_bad_files(data_dir / "landing") == 12
    monkeypatch.setenv("JD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("JD_BUYER_SALT", SALT)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    caplog.set_level(logging.DEBUG)

    from jd_pipeline.config import get_settings
    from jd_pipeline.defs.ingest import ingest_assets
    from jd_pipeline.defs.resources import WarehouseResource
    from jd_pipeline.serving.duckdb_publish import publish_serving

    assets = {a.key.path[-1]: a for a in ingest_assets}
    with dg.DagsterInstance.get() as instance:
        run_ids = []
        for source, start, end in (("jd_pop_orders", DAYS[0], DAYS[-1]), ("jd_ads", DAYS[0], DAYS[0])):
            result = dg.materialize(
                [assets[source]],
                instance=instance,
                resources={"warehouse": WarehouseResource()},
                tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
            )
            assert result.success
            run_ids.append(result.run_id)
        events = "".join(
            str(r.event_log_entry)
            for run_id in run_ids
            for r in instance.get_records_for_run(run_id, limit=100_000).records
        )
    publish_serving(get_settings())

    import duckdb

    with duckdb.connect(str(get_settings().warehouse_db), read_only=True) as conn:
        statuses = dict(
            conn.execute(
                "SELECT period || '/' || source, status FROM ops.load_manifest "
                "WHERE path NOT LIKE 'jd_ads%' OR source = 'jd_ads'"
            ).fetchall()
        )
        quarantined = conn.execute("SELECT count(*) FROM ops.quarantine_rows").fetchone()[0]
        loaded = conn.execute("SELECT count(*) FROM raw.jd_pop_orders").fetchone()[0]
    # the test really exercised rejections and quarantine of each kind
    assert statuses[f"{DAYS[0]}/jd_pop_orders"] == "rejected"  # no header
    assert statuses[f"{DAYS[4]}/jd_pop_orders"] == "rejected"  # duplicated header
    assert statuses[f"{DAYS[7]}/jd_pop_orders"] == "rejected"  # not GB18030
    assert statuses["2026-03-01/jd_ads"] == "rejected"  # the hard link
    assert quarantined >= 9 and loaded > 30

    out, err = capfd.readouterr()
    assert _hits(out.encode()) == [] and _hits(err.encode()) == []
    assert _hits(caplog.text.encode()) == []
    assert _hits(events.encode()) == []
    assert "missing required header" in events  # the rejections did reach the event log
    written = [
        p
        for root in (data_dir / "warehouse", data_dir / "serving", home, tmp)
        for p in root.rglob("*")
        if p.is_file()
    ]
    assert any(p.name == "warehouse.duckdb" for p in written) and any(home in p.parents for p in written)
    leaks = {str(p.relative_to(tmp_path)): h for p in written if (h := _hits(p.read_bytes()))}
    assert leaks == {}

"""Personal data (客户姓名, 联系电话, 订单备注, 商家备注, full 客户地址, 下单帐号) is written nowhere:
not in any warehouse table (incl. quarantine raw values), not in the DuckDB file bytes, not in
logs, not in Dagster events/metadata."""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.extract_files import write_csv
from tests.ingest.helpers import SALT
from tests.ingest.samples import POP_HEADERS, POP_ROWS

pytestmark = pytest.mark.integration  # runs Dagster jobs

PLANTED = {
    "name": "欧阳娜娜测试",
    "phone": "13912345678",
    "note": "放在丰巢柜别打电话",
    "merchant_note": "VIP老客户勿催",
    "street": "科技园南区深南大道9988号",
    "account": "planted_account_77",
}


def _planted_rows() -> list[list]:
    rows = copy.deepcopy(POP_ROWS)
    for r in rows:
        r[14], r[15], r[16], r[17] = (
            PLANTED["account"],
            PLANTED["name"],
            "广东省深圳市" + PLANTED["street"],
            PLANTED["phone"],
        )
        r[18], r[19] = PLANTED["note"], PLANTED["merchant_note"]
    bad_id = copy.deepcopy(rows[0])
    bad_id[0], bad_id[1] = "300009", "1.23457E+13"  # quarantined
    bad_qty = copy.deepcopy(rows[1])
    bad_qty[0], bad_qty[3] = "300010", "many"  # quarantined
    return [*rows, bad_id, bad_qty, copy.deepcopy(rows[0])]  # + a duplicate key


def _write(landing: Path) -> None:
    tail = ",".join(
        [
            "300011",
            "100012345678",
            "x",
            "1",
            "在线支付",
            "2026-03-01 10:00:00",
            "1",
            "1",
            "1",
            "1",
            "0",
            "0",
            "完成",
            "普通订单",
            PLANTED["account"],
            PLANTED["name"],
        ]
    )  # truncated line with PII
    write_csv(landing, "jd_pop_orders/acme/2026-03-01/orders.csv", POP_HEADERS, _planted_rows(), tail=tail)


def _scan_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    hits = []
    tables = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    ).fetchall()
    assert tables
    for schema, table in tables:
        cols = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchall()
        for (col,) in cols:
            for label, value in PLANTED.items():
                n = conn.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE strpos(CAST("{col}" AS VARCHAR), ?) > 0',
                    [value],
                ).fetchone()[0]
                if n:
                    hits.append(f"{schema}.{table}.{col}: {label}")
    return hits


def _scan_bytes(data: bytes) -> list[str]:
    return [label for label, v in PLANTED.items() if v.encode("utf-8") in data or v.encode("gb18030") in data]


def test_personal_data_is_written_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    landing = data_dir / "landing"
    _write(landing)
    monkeypatch.setenv("JD_DATA_DIR", str(data_dir))
    monkeypatch.setenv("JD_BUYER_SALT", SALT)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    caplog.set_level(logging.DEBUG)

    from jd_pipeline.defs.ingest import ingest_assets
    from jd_pipeline.defs.resources import WarehouseResource

    asset = next(a for a in ingest_assets if a.key == dg.AssetKey(["raw", "jd_pop_orders"]))
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [asset], partition_key="2026-03-01", instance=instance, resources={"warehouse": WarehouseResource()}
    )
    assert result.success

    db = data_dir / "warehouse" / "warehouse.duckdb"
    conn = duckdb.connect(str(db))
    try:
        loaded, quarantined = conn.execute(
            "SELECT rows_loaded, rows_quarantined FROM ops.load_manifest WHERE status = 'loaded'"
        ).fetchone()
        assert (loaded, quarantined) == (4, 4)  # the test really exercised quarantine
        assert _scan_tables(conn) == []
        key = conn.execute("SELECT DISTINCT buyer_key FROM raw.jd_pop_orders").fetchall()
        assert key == [(hashlib.sha256((SALT + PLANTED["account"]).encode()).hexdigest(),)]
        assert conn.execute("SELECT DISTINCT province FROM raw.jd_pop_orders").fetchall() == [("广东",)]
        conn.execute("CHECKPOINT")
    finally:
        conn.close()

    for path in db.parent.iterdir():  # the database file and any WAL
        assert _scan_bytes(path.read_bytes()) == [], path
    assert list((tmp_path / "tmp").rglob("jd_ingest_*")) == []  # transcoded temp copies are removed
    assert _scan_bytes(caplog.text.encode()) == []
    events = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    )
    assert events
    everything = "".join(str(r.event_log_entry) for r in instance.get_records_for_run(result.run_id).records)
    assert _scan_bytes(everything.encode()) == []
    assert os.environ["JD_BUYER_SALT"] not in everything

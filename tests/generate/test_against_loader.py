"""The loader (issue 3) against generated data: clean data loads without a reject or a quarantined
row; every observable planted fault is caught where the catalogue says (docs/bad_inputs.md)."""

from __future__ import annotations

import collections
import json
from datetime import date

import duckdb
import pytest

from jd_pipeline import ingest
from jd_pipeline.contracts import get_contract
from jd_pipeline.generate import generate

pytestmark = pytest.mark.integration  # loads everything the demo generator wrote

QUARANTINED = {"non_numeric", "negative_quantity", "date_outside_period", "duplicate_key", "excel_mangled_id"}
REJECTED = {"wrong_encoding", "empty_file", "missing_required_header", "xlsx_really_csv"}


def _load(landing, db):
    conn = duckdb.connect(str(db))
    ingest.ensure_ops_tables(conn)
    by_source = collections.defaultdict(list)
    for f in ingest.scan_landing(landing):
        by_source[f.source].append(f)
    for source, files in sorted(by_source.items()):
        ingest.load_files(conn, get_contract(source), files)
    return conn


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("JD_DEMO_MODE", "1")  # the fixed demo salt for buyer_key
    root = tmp_path_factory.mktemp("vs_loader")
    kw = {
        "brands": 1,
        "start": date(2026, 10, 20),
        "end": date(2026, 11, 12),
        "scale": 0.01,
        "ads_pulls": 2,
        "workers": 1,
    }
    clean = generate(root / "clean" / "landing", seed=5, **kw)
    faulty = generate(root / "faulty" / "landing", seed=6, faults=0.08, **kw)
    yield (
        (clean, _load(clean.out, root / "clean.duckdb")),
        (faulty, _load(faulty.out, root / "faulty.duckdb")),
    )
    mp.undo()


def test_clean_data_loads_without_rejects_or_quarantine(loaded):
    _, conn = loaded[0]
    statuses = dict(conn.sql("select status, count(*) from ops.load_manifest group by 1").fetchall())
    assert "rejected" not in statuses and statuses["loaded"] > 100
    assert conn.execute("select count(*) from ops.quarantine_rows").fetchone()[0] == 0
    assert conn.execute("select count(*) from raw.jd_pop_orders").fetchone()[0] > 1000


def test_every_observable_planted_fault_is_caught(loaded):
    summary, conn = loaded[1]
    faults = json.loads(summary.manifest.read_text(encoding="utf-8"))["faults"]
    manifest = {
        p: (s, r) for p, s, r in conn.sql("select path, status, reason from ops.load_manifest").fetchall()
    }
    quarantined = set(conn.sql("select file_path, row_number from ops.quarantine_rows").fetchall())
    copies = {f["detail"]: f["file"] for f in faults if f["kind"] == "same_file_twice"}
    checked = collections.Counter()
    missed = []
    for f in faults:
        if f["superseded"] or f["kind"] not in QUARANTINED | REJECTED:
            continue
        paths = [f["file"]] + ([copies[f["file"]]] if f["file"] in copies else [])
        if f["kind"] in REJECTED:
            ok = any(manifest.get(p, ("",))[0] == "rejected" for p in paths)
        else:
            ok = any(p.endswith(q) and r == f["row"] for q in paths for p, r in quarantined)
        checked[f["kind"]] += 1
        if not ok:
            missed.append((f, [manifest.get(p) for p in paths]))
    assert not missed, missed[:5]
    assert len(checked) >= 6, checked

"""Nightly equals rebuild at scale: the differential scenario of
tests/e2e/test_nightly_equals_rebuild.py (2 brands, 2026-02-01..2026-04-05, every restatement kind)
at a larger --scale, one run over everything vs the replayed nights; prints the equality figure."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

START, END = date(2026, 2, 1), date(2026, 4, 5)


def _in_data_dir(root: Path, work):
    for sub in ("landing", "warehouse", "serving", "reports"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in ("JD_DATA_DIR", "DAGSTER_HOME")}
    os.environ.update({"JD_DATA_DIR": str(root), "DAGSTER_HOME": str(root / "dagster_home")})
    try:
        return work()
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def measure(scale: float, nights: int) -> dict[str, object]:
    """Run both sides and compare; returns the figures (tables, rows, differing tables, seconds)."""
    os.environ.setdefault("JD_DEMO_MODE", "1")
    from jd_pipeline.generate.restatements import RESTATEMENT_KINDS
    from jd_pipeline.runtime.equality import compare, fingerprints
    from jd_pipeline.runtime.replay import build_scenario, replay_nightly, run_full

    work = Path(tempfile.mkdtemp(prefix="jd-equality-"))
    try:
        began = time.perf_counter()
        scenario = build_scenario(work / "scenario", START, END, scale)
        generated = time.perf_counter() - began
        full = _in_data_dir(work / "full", lambda: run_full(scenario, work / "full"))
        first_night = END + timedelta(days=1) - timedelta(days=nights)
        nightly = _in_data_dir(
            work / "nightly", lambda: replay_nightly(scenario, work / "nightly", first_night)
        )
        full_db = str(work / "full" / "warehouse" / "warehouse.duckdb")
        figures = fingerprints(full_db)
        differences = compare(full_db, str(work / "nightly" / "warehouse" / "warehouse.duckdb"))
        return {
            "restatement_kinds": sorted(scenario.planted),
            "kinds_missing": sorted(set(RESTATEMENT_KINDS) - set(scenario.planted)),
            "tables": len(figures),
            "rows": sum(f.rows for f in figures.values()),
            "differing_tables": [d.describe("full", "nightly") for d in differences],
            "full_run_s": round(full.seconds, 1),
            "nights": len(nightly.reports) - 1,
            "night_s_median": round(sorted(nightly.seconds[1:])[len(nightly.seconds[1:]) // 2], 1),
            "all_runs_ok": full.report.success and all(r.success for r in nightly.reports),
            "generate_s": round(generated, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--nights", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(measure(args.scale, args.nights), indent=2, ensure_ascii=False))

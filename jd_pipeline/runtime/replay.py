"""Replaying deliveries night by night, against one run over everything: the two sides of the
nightly-equals-rebuild test (tests/e2e/test_nightly_equals_rebuild.py) and its benchmark.

`build_scenario` generates a landing zone and plants every restatement kind; `run_full` copies it
whole and runs the scenario window once; `replay_nightly` loads what was delivered before
`first_night` with one backfill run, then, for each later day, copies the files delivered that day
(mtime in Asia/Shanghai, as the generator sets it) and runs that day, as the 02:00 nightly run does
the next morning. Both sides run in the current `$JD_DATA_DIR`.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from jd_pipeline.generate.restatements import deliveries, plant_restatements

SEED = 1313


@dataclass
class Scenario:
    landing: Path
    brands_file: Path
    start: date
    end: date
    planted: dict[str, list[str]]


@dataclass
class RunResult:
    report: object
    seconds: float


@dataclass
class Replay:
    reports: list = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def build_scenario(root: Path, start: date, end: date, scale: float, brands: int = 2) -> Scenario:
    from jd_pipeline.generate import generate

    landing = root / "landing"
    generate(
        out=landing, brands=brands, start=start, end=end, scale=scale, seed=SEED, faults=0.0, ads_pulls=15
    )
    planted = plant_restatements(landing, start, end)
    return Scenario(landing, root / "brands.yaml", start, end, planted)


def _copy(scenario: Scenario, files: list[Path], landing: Path) -> None:
    for path in files:
        target = landing / path.relative_to(scenario.landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)  # keeps the mtime: the loader orders deliveries by it


# The groups that build the dbt marts. The quality gate, KPIs, the forecast, reports and publish read
# the marts and write none of the dbt ones (the forecast writes marts.fct_demand_forecast, a model
# output of its run date, not a restatement), so the comparison leaves them out: a night then costs
# ingest + dbt only.
MART_GROUPS = frozenset({"ingest", "staging", "marts"})


def _run(start: date, end: date):
    from jd_pipeline.orchestrate import run_pipeline

    return run_pipeline(start, end, progress=lambda _: None, skip_publish=True, only_groups=MART_GROUPS)


def run_full(scenario: Scenario, data_dir: Path) -> RunResult:
    shutil.copy(scenario.brands_file, data_dir / "brands.yaml")
    _copy(
        scenario, [p for files in deliveries(scenario.landing).values() for p in files], data_dir / "landing"
    )
    began = time.perf_counter()
    report = _run(scenario.start, scenario.end)
    return RunResult(report, time.perf_counter() - began)


def replay_nightly(scenario: Scenario, data_dir: Path, first_night: date) -> Replay:
    """Backfill what was delivered before `first_night`, then one run per delivery day."""
    shutil.copy(scenario.brands_file, data_dir / "brands.yaml")
    by_day = deliveries(scenario.landing)
    landing = data_dir / "landing"
    replay = Replay()
    _copy(scenario, [p for day, files in by_day.items() if day < first_night for p in files], landing)
    began = time.perf_counter()
    replay.reports.append(_run(scenario.start, first_night - timedelta(days=1)))
    replay.seconds.append(time.perf_counter() - began)
    last_night = max(by_day)
    night = first_night
    while night <= last_night:
        _copy(scenario, by_day.get(night, []), landing)
        began = time.perf_counter()
        replay.reports.append(_run(min(night, scenario.end), min(night, scenario.end)))
        replay.seconds.append(time.perf_counter() - began)
        night += timedelta(days=1)
    return replay

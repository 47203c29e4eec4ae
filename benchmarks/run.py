"""Benchmarks of issue 9: throughput, full rebuild, nightly run, check share, generation.

    python benchmarks/run.py            # full mode, --scale 1, one year (run before closing)
    python benchmarks/run.py --quick    # small scale, a few minutes, for everyday use

Generated data is cached under benchmarks/cache/<mode>/ (keyed by the generator parameters).
Prints one table (figure, value, target, met) and writes benchmarks/results/<mode>.json.
Peak memory is the largest resident set of any process of a step (getrusage of children).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "benchmarks" / "cache"
RESULTS = REPO / "benchmarks" / "results"
sys.path.insert(0, str(REPO))


@dataclass(frozen=True)
class Mode:
    name: str
    scale: float
    start: date
    days: int  # history days; the nightly day is the one after them
    brands: int = 1
    ads_pulls: int = 15
    throughput_days: int = 30
    short_days: int = 30  # history of the short warehouse the nightly run is compared with
    rebuilds: int = 1  # full rebuilds run, for the spread of their per-stage times
    history_points: tuple[int, ...] = (15, 30, 45)  # days of history of the scale group's memory runs

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days)  # includes the nightly day

    @property
    def nightly_day(self) -> date:
        return self.end


FULL = Mode("full", scale=1.0, start=date(2025, 1, 1), days=365, rebuilds=3, history_points=(30, 180, 365))
QUICK = Mode("quick", scale=0.02, start=date(2025, 1, 1), days=45, throughput_days=10)


@dataclass
class Figure:
    name: str
    value: float | None
    target: str
    met: bool | None
    note: str = ""


# ------------------------------------------------------------------------------------ processes
MEASURE = (
    "import json, resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "json.dump({'peak_kib': u.ru_maxrss, 'cpu': u.ru_utime + u.ru_stime}, open(sys.argv[0] + '.json', 'w'))\n"
    "sys.exit(code)\n"
)


def run_costed(
    cmd: list[str], env: dict[str, str], probe: Path | None = None
) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS (MiB) of the largest process among `cmd` and its descendants, their
    CPU seconds (user + system), and the finished process.

    A fresh wrapper process runs `cmd`, so the high-water mark covers this command only. `probe`:
    where the wrapper script and its result go (default: one per bench process under the cache).
    """
    probe = probe or CACHE / f"measure-{os.getpid()}"
    probe.parent.mkdir(parents=True, exist_ok=True)
    script = probe.with_suffix(".py")
    script.write_text(MEASURE)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script), *cmd], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    usage = json.loads(Path(str(script) + ".json").read_text())
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
    return wall, usage["peak_kib"] / 1024, usage["cpu"], done


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS (MiB) of `cmd` (run_costed without the CPU seconds)."""
    wall, peak, _, done = run_costed(cmd, env)
    return wall, peak, done


def pipeline_env(data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "JD_DATA_DIR": str(data_dir),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "JD_DEMO_MODE": "1",
        "JD_PARTITIONS_START": "2025-01-01",
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def jd(*args: str) -> list[str]:
    return [sys.executable, "-m", "jd_pipeline.cli", *args]


# ------------------------------------------------------------------------------------- data
def cached_landing(mode: Mode) -> tuple[Path, float | None, float | None]:
    """Generate (once) the landing zone of `mode`; returns it and generation wall/peak if run now."""
    key = f"{mode.name}-s{mode.scale}-b{mode.brands}-{mode.start}-{mode.end}-p{mode.ads_pulls}"
    root = CACHE / key
    landing = root / "landing"
    meta = root / "generation.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        return landing, info["wall_seconds"], info["peak_mib"]
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    print(f"generating {key} ...", flush=True)
    wall, peak, done = run_measured(
        jd(
            "generate",
            "--out",
            str(landing),
            "--brands",
            str(mode.brands),
            "--start",
            str(mode.start),
            "--end",
            str(mode.end),
            "--scale",
            str(mode.scale),
            "--ads-pulls",
            str(mode.ads_pulls),
        ),
        pipeline_env(root),
    )
    if done.returncode != 0:
        raise SystemExit("generation failed")
    meta.write_text(json.dumps({"wall_seconds": wall, "peak_mib": peak}))
    return landing, wall, peak


def data_dir_with(landing: Path, name: str) -> Path:
    """A fresh JD_DATA_DIR whose landing zone hard-links the cached files."""
    data_dir = CACHE / "runs" / name
    shutil.rmtree(data_dir, ignore_errors=True)
    (data_dir / "landing").mkdir(parents=True)
    for path in landing.rglob("*"):
        if path.is_file():
            target = data_dir / "landing" / path.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    brands = landing.parent / "brands.yaml"  # the generator's brand configuration, beside its landing zone
    if brands.exists():
        shutil.copyfile(brands, data_dir / "brands.yaml")
    return data_dir


# ---------------------------------------------------------------------------------- figures
def ads_csv_files(landing: Path, mode: Mode) -> list[Path]:
    """The newest 京准通 pull of each report day in the throughput window: the files the loader
    parses (older pulls are superseded without being read, which would flatter the loader)."""
    last = mode.start + timedelta(days=mode.throughput_days - 1)
    newest: dict[Path, Path] = {}
    for path in sorted((landing / "jd_ads").rglob("*.csv")):
        if mode.start <= date.fromisoformat(path.parent.name) <= last:
            newest[path.parent] = path  # names end in _pulledYYYYMMDD: sorted order = pull order
    return sorted(newest.values())


def bare_duckdb_load(files: list[Path], db: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with duckdb.connect(str(db)) as conn:
        listing = ", ".join(f"'{f}'" for f in files)
        conn.execute(
            f"create or replace table bare as select * from read_csv([{listing}], union_by_name=true)"
        )
        rows = conn.execute("select count(*) from bare").fetchone()[0]
    return time.perf_counter() - started, rows


def pandas_load(files: list[Path], db: Path) -> tuple[float, int]:
    import pandas as pd

    started = time.perf_counter()
    rows = 0
    with duckdb.connect(str(db)) as conn:
        for number, path in enumerate(files):
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
            rows += len(frame)
            conn.register("frame", frame)
            if number == 0:
                conn.execute("create or replace table pandas_loaded as select * from frame")
            else:
                conn.execute("insert into pandas_loaded by name select * from frame")
            conn.unregister("frame")
    return time.perf_counter() - started, rows


def project_load(data_dir: Path, files: list[Path]) -> tuple[float, int]:
    """The project's loader on exactly these files, through its public API."""
    os.environ.update(pipeline_env(data_dir))
    from jd_pipeline.contracts import get_contract
    from jd_pipeline.ingest import load_files, scan_landing

    wanted = {path.resolve() for path in files}
    landing_files = [f for f in scan_landing(data_dir / "landing", "jd_ads") if f.path.resolve() in wanted]
    db = data_dir / "warehouse" / "warehouse.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with duckdb.connect(str(db)) as conn:
        summary = load_files(conn, get_contract("jd_ads"), landing_files)
    return time.perf_counter() - started, summary.rows_read


def throughput_figures(landing: Path, mode: Mode) -> list[Figure]:
    data_dir = data_dir_with(landing, f"{mode.name}-throughput")
    files = ads_csv_files(data_dir / "landing", mode)
    bare_s, bare_rows = bare_duckdb_load(files, data_dir / "bare.duckdb")
    pandas_s, _ = pandas_load(files, data_dir / "pandas.duckdb")
    project_s, project_rows = project_load(data_dir, files)
    ratio_bare = (project_rows / project_s) / (bare_rows / bare_s)
    ratio_pandas = project_s / pandas_s
    note = (
        f"{len(files)} jd_ads CSVs, {bare_rows:,} rows; bare {bare_rows / bare_s:,.0f} rows/s, "
        f"project {project_rows / project_s:,.0f} rows/s (read {project_rows:,}), pandas {pandas_s:.1f}s"
    )
    return [
        Figure(
            "ingest throughput ÷ DuckDB bare read_csv", round(ratio_bare, 3), "≥ 0.6", ratio_bare >= 0.6, note
        ),
        Figure(
            "project loader ÷ pandas loader (wall)",
            round(ratio_pandas, 3),
            "info",
            None,
            "target retired: DuckDB's own bare read is ~0.65 of pandas (benchmarks/README.md)",
        ),
    ]


def check_step_keys() -> set[str]:
    """Step keys of every asset check op (`<asset path joined by __>_<check name>`)."""
    os.environ.setdefault("JD_DEMO_MODE", "1")
    from jd_pipeline.defs.project import prepare_dbt_manifest

    prepare_dbt_manifest()
    from jd_pipeline.definitions import defs

    return {
        f"{'__'.join(key.asset_key.path)}_{key.name}" for key in defs.resolve_asset_graph().asset_check_keys
    }


def dbt_test_seconds(since: float) -> float:
    """dbt test time of the dbt invocations that finished after `since` (dagster-dbt gives each
    invocation its own target folder)."""
    total = 0.0
    for run_results in (REPO / "dbt_project" / "target").glob("*/run_results.json"):
        if run_results.stat().st_mtime < since:
            continue
        results = json.loads(run_results.read_text())["results"]
        total += sum(r.get("execution_time", 0) for r in results if r["unique_id"].startswith("test."))
    return total


def check_seconds(report: dict, since: float) -> tuple[float, float]:
    """Seconds spent in asset-check steps and dbt tests, and the stages' wall seconds."""
    checks = check_step_keys()
    total = sum(stage["seconds"] for stage in report["stages"])
    in_checks = sum(
        seconds
        for stage in report["stages"]
        for step, seconds in stage["step_seconds"].items()
        if step in checks or step == "quality__dq_gate"
    )
    return in_checks + dbt_test_seconds(since), total


def row_number_integrity(data_dir: Path) -> Figure:
    """Loaded rows whose `_row_number` is not a data line of their file (1 .. rows read + total
    rows), over every raw table: must be 0. At this volume DuckDB once renumbered staged rows
    under the loader (an undone grouped read), which small test files do not reproduce."""
    with duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
            ).fetchall()
        ]
        bad = sum(
            conn.execute(
                f"SELECT count(*) FROM raw.{t} r JOIN ops.load_manifest m ON m.load_id = r._load_id "
                "WHERE r._row_number < 1 OR r._row_number > m.rows_read + m.rows_total"
            ).fetchone()[0]
            for t in tables
        )
        rows = sum(conn.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in tables)
    return Figure("loaded rows with an impossible row number", bad, "= 0", bad == 0, f"of {rows:,} raw rows")


def recording_share(report_path: Path, wall: float, what: str) -> Figure:
    """Share of a run's wall time spent recording it in the Dagster instance the UI reads (the
    event log's writes, timed by jd_pipeline/runtime/event_storage.py and put in the run report)."""
    if not report_path.exists():
        return Figure(f"recording in the UI's instance ÷ {what}", None, "≤ 0.10", False, "no run report")
    seconds = json.loads(report_path.read_text()).get("event_log_seconds", 0.0)
    share = seconds / wall if wall else 0.0
    return Figure(
        f"recording in the UI's instance ÷ {what}",
        round(share, 3),
        "≤ 0.10",
        share <= 0.10,
        f"{seconds:.1f}s of event-log writes in {wall:.1f}s",
    )


def ingest_seconds(report: dict) -> float:
    """Wall seconds of a run's ingest stages (loading and the GX checks of the loaded batches)."""
    return sum(stage["seconds"] for stage in report["stages"] if stage["stage"].startswith("ingest_"))


def gx_seconds(data_dir: Path, report: dict) -> float:
    """Seconds the GX suites took in the run's stages (each check records its own time)."""
    os.environ.update(pipeline_env(data_dir))
    from jd_pipeline.quality import check_costs

    run_ids = [stage["run_id"] for stage in report["stages"] if stage["run_id"]]
    with duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        return sum(cost.seconds for cost in check_costs(conn, run_ids) if cost.layer == "gx")


def stage_spread(reports: list[dict], loads: list[float]) -> Figure:
    """Per-stage seconds over the rebuilds: which stage the wall's spread comes from."""
    per_stage: dict[str, list[float]] = {}
    for report in reports:
        for stage in report["stages"]:
            per_stage.setdefault(stage["stage"], []).append(stage["seconds"])
    walls = [sum(stage["seconds"] for stage in report["stages"]) for report in reports]
    spreads = {name: max(v) - min(v) for name, v in per_stage.items()}
    widest = max(spreads, key=lambda name: spreads[name]) if spreads else "-"
    stages = "; ".join(f"{name} {min(v):.0f}-{max(v):.0f}s" for name, v in per_stage.items() if max(v) >= 1)
    return Figure(
        f"full rebuild spread over {len(reports)} runs (s, stages)",
        round(max(walls) - min(walls), 1) if walls else None,
        "printed",
        None,
        f"widest: {widest} ({spreads.get(widest, 0):.1f}s); load average before each run "
        f"{', '.join(f'{x:.1f}' for x in loads)}; {stages}",
    )


def floor_figures(full_dir: Path, report: dict, rebuild_wall: float) -> list[Figure]:
    """Ingest and rebuild against the floor: the same files read bare (benchmarks/ingest_floor.py)."""
    from benchmarks.ingest_floor import measure_floor

    floor = measure_floor(full_dir / "warehouse" / "warehouse.duckdb", full_dir / "landing", scratch=full_dir)
    ingest = ingest_seconds(report)
    gx = gx_seconds(full_dir, report)
    ratio = floor.seconds / ingest if ingest else float("nan")  # same rows: throughput ratio = time ratio
    rebuild = rebuild_wall / floor.seconds if floor.seconds else float("nan")
    slowest = sorted(floor.sources, key=lambda s: s.seconds, reverse=True)[:3]
    return [
        Figure(
            "full-year ingest throughput ÷ the floor (bare read, all sources)",
            round(ratio, 3),
            "≥ 0.8",
            ratio >= 0.8,
            f"floor {floor.seconds:.1f}s ({floor.files:,} files, {floor.rows_read_by_loader:,} rows; "
            + ", ".join(f"{s.source} {s.seconds:.1f}s" for s in slowest)
            + f"), ingest stages {ingest:.1f}s of which GX {gx:.1f}s",
        ),
        Figure(
            "full rebuild ÷ the floor",
            round(rebuild, 2),
            "≤ 1.6",
            rebuild <= 1.6,
            f"{rebuild_wall:.1f}s vs {floor.seconds:.1f}s",
        ),
        Figure(
            "GX time ÷ ingest time, full year",
            round(gx / ingest, 3) if ingest else None,
            "≤ 0.10",
            bool(ingest) and gx / ingest <= 0.10,
            f"{gx:.1f}s of {ingest:.1f}s",
        ),
    ]


def full_rebuilds(
    landing: Path, mode: Mode, history_end: date
) -> tuple[Path, list[float], list[dict], Figure, Figure]:
    """`mode.rebuilds` full rebuilds, each in a fresh data dir; the LAST one is kept for the
    nightly run. Returns its dir, every wall (the kept run's last), every run report (the kept
    run's last), the kept run's peak memory and the per-stage spread.

    The last one is kept because every data dir hard-links the same cached files: linking or
    unlinking a file changes its ctime, which is part of the landing fingerprint
    (ingest/landing.py), so a warehouse whose files were re-linked after its rebuild sees every
    file as changed and its nightly run catches up the whole history. Earlier run dirs are removed
    before the next one is linked, and nothing links the cache again until its nightly runs are done.
    """
    walls, reports, loads = [], [], []
    run_dir, peak, failed = None, 0.0, False
    for number in range(mode.rebuilds):
        if run_dir is not None:
            shutil.rmtree(run_dir, ignore_errors=True)
        run_dir = data_dir_with(landing, f"{mode.name}-full" if number == 0 else f"{mode.name}-full-{number}")
        loads.append(os.getloadavg()[0])
        wall, peak, done = run_measured(
            jd(
                "run",
                "--start",
                str(mode.start),
                "--end",
                str(history_end),
                "--report-json",
                str(run_dir / "full.json"),
            ),
            pipeline_env(run_dir),
        )
        failed = failed or done.returncode != 0
        walls.append(wall)
        if (run_dir / "full.json").exists():
            reports.append(json.loads((run_dir / "full.json").read_text()))
    assert run_dir is not None
    spread = stage_spread(reports, loads)
    if failed:
        spread.note = "RUN FAILED; " + spread.note
    return (
        run_dir,
        walls,
        reports,
        Figure("full rebuild peak memory (MiB)", round(peak), "≤ 3072", peak <= 3072),
        spread,
    )


def pipeline_figures(landing: Path, mode: Mode, shared: dict | None = None) -> list[Figure]:
    """The pipeline group; `shared` (if given) receives the first rebuild's and the nightly run's
    costs, which the scale group reuses as its single-brand side."""
    from benchmarks.scale_bench import RunCost, raw_rows

    history_end = mode.nightly_day - timedelta(days=1)
    figures = []
    full_dir, walls, reports, peak_figure, spread = full_rebuilds(landing, mode, history_end)
    wall = walls[-1]  # the kept run: the floor and the nightly runs are measured on its warehouse
    rebuilt = "RUN FAILED" not in spread.note
    if shared is not None:
        rows = raw_rows(full_dir) if rebuilt else 0
        shared["rebuild"] = RunCost(wall, float(peak_figure.value or 0), rows, rebuilt)
    figures.append(
        Figure(
            f"full rebuild, {mode.days} days (wall s)",
            round(wall, 1),
            "info",
            None,
            "runs " + ", ".join(f"{w:.1f}" for w in walls) + " s" if len(walls) > 1 else "",
        )
    )
    figures.append(recording_share(full_dir / "full.json", wall, "full rebuild"))
    figures.append(peak_figure)
    if len(walls) > 1:
        figures.append(spread)
    figures.append(row_number_integrity(full_dir))
    if reports:
        figures += floor_figures(full_dir, reports[-1], wall)

    report_path = full_dir / "nightly.json"
    nightly_started = time.time()
    wall_long, peak_long, done = run_measured(
        jd("run", "--date", str(mode.nightly_day), "--report-json", str(report_path)), pipeline_env(full_dir)
    )
    if shared is not None:
        shared["nightly"] = RunCost(wall_long, peak_long, ok=done.returncode == 0)
    per_day = wall / mode.days
    in_days = wall_long / per_day if per_day else float("nan")
    figures.append(
        Figure(
            f"nightly run after {mode.days} days ÷ (full rebuild ÷ {mode.days}): days of rebuild",
            round(in_days, 1),
            "≤ 20",
            done.returncode == 0 and in_days <= 20,
            f"nightly {wall_long:.1f}s, a day of rebuild {per_day:.2f}s",
        )
    )
    if report_path.exists():
        in_checks, total = check_seconds(json.loads(report_path.read_text()), nightly_started)
        share = in_checks / total if total else 0.0
        figures.append(
            Figure(
                "checks' share of the nightly run",
                round(share, 3),
                "≤ 0.20",
                share <= 0.20,
                f"{in_checks:.1f}s of {total:.1f}s in stages",
            )
        )

    # The weekly run whose dbt tests read whole tables (schedule weekly_whole_table_tests; not part
    # of the nightly run): measured as the same day run again with JD_DQ_FULL_SCOPE=1 (full mode
    # only: it would take --quick past its 3 minutes).
    whole_report = full_dir / "nightly-whole-tables.json"
    whole_started = time.time()
    wall_whole, _, done = (
        (0.0, 0.0, None)
        if mode.scale < 1
        else run_measured(
            jd("run", "--date", str(mode.nightly_day), "--report-json", str(whole_report)),
            {**pipeline_env(full_dir), "JD_DQ_FULL_SCOPE": "1"},
        )
    )
    if done is not None and whole_report.exists():
        in_checks, total = check_seconds(json.loads(whole_report.read_text()), whole_started)
        figures.append(
            Figure(
                "weekly whole-table test run: check seconds",
                round(in_checks, 1),
                "info",
                None if done.returncode == 0 else False,
                f"{in_checks / total if total else 0:.2f} of its {total:.1f}s in stages, "
                f"wall {wall_whole:.1f}s (same day re-run)",
            )
        )

    if mode.scale < 1:  # at 1/50 of the volume both nightly runs are fixed costs: the ratio says nothing
        return figures
    short_dir = data_dir_with(landing, f"{mode.name}-short")
    # Partitions start at the short history's first day: with the year's partitions, its first run
    # would take in every older file of the landing zone as a late delivery and hold the whole year.
    short_start = mode.nightly_day - timedelta(days=mode.short_days)
    short_env = {**pipeline_env(short_dir), "JD_PARTITIONS_START": str(short_start)}
    subprocess.run(
        jd(
            "run",
            "--start",
            str(short_start),
            "--end",
            str(history_end),
        ),
        env=short_env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    wall_short, _, done = run_measured(jd("run", "--date", str(mode.nightly_day)), short_env)
    ratio = wall_long / wall_short if wall_short else float("nan")
    figures.append(
        Figure(
            f"nightly after {mode.days} days ÷ after {mode.short_days} days",
            round(ratio, 2),
            "≤ 1.3",
            ratio <= 1.3,
            f"{wall_long:.1f}s vs {wall_short:.1f}s",
        )
    )
    return figures


def equality_figure(mode: Mode) -> Figure:
    """Nightly equals rebuild (benchmarks/nightly_equals_rebuild.py): marts that differ between one run
    over the restatement scenario and its deliveries replayed night by night."""
    from benchmarks.nightly_equals_rebuild import measure

    result = measure(scale=0.01 if mode.scale < 1 else 0.1, nights=8)
    differing = len(result["differing_tables"])
    return Figure(
        "nightly ≡ rebuild: marts differing",
        differing,
        "0",
        differing == 0 and result["all_runs_ok"] and not result["kinds_missing"],
        f"{result['tables']} marts, {result['rows']:,} rows, {len(result['restatement_kinds'])} restatement "
        f"kinds; full run {result['full_run_s']} s, night median {result['night_s_median']} s",
    )


def publish_figures(mode: Mode) -> list[Figure]:
    """The publish figures of issues 17 and 19, each from its own script in a process of its own
    (the PostgreSQL bench starts a server and sets JD_PG_* for itself)."""
    full = mode.scale >= 1
    history_out = RESULTS / f"publish_history_{mode.name}.json"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_publish_history.py"),
            "--rows-per-day",
            "3000" if full else "300",
            "--nights",
            "3",
            "--out",
            str(history_out),
        ],
        check=True,
    )
    history = json.loads(history_out.read_text())
    short, long = (sorted(history[f"nightly_publish_seconds_{d}d"]) for d in (31, 1096))
    ratio = history["ratio_nightly_3y_to_30d"]
    figures = [
        Figure(
            "nightly publish after 3 years ÷ after 30 days",
            ratio,
            "≤ 1.1",
            ratio <= 1.1,
            f"medians {long[1]:.2f}s vs {short[1]:.2f}s; copying every table: "
            f"{history['ratio_full_copy_3y_to_30d']}",
        )
    ]
    pg_out = RESULTS / f"pg_publish_{mode.name}.json"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_pg_publish.py"),
            "--rows",
            "4000000" if full else "200000",
            "--rounds",
            "3",
            "--readers",
            "20",
            "--publishes",
            "3" if full else "2",
            "--out",
            str(pg_out),
        ],
        check=True,
    )
    pg = json.loads(pg_out.read_text())
    ratio = pg["ratio_pg_first_to_duckdb"]
    figures.append(
        Figure(
            f"PostgreSQL first publish ÷ DuckDB publish ({pg['rows']:,} rows)",
            ratio,
            "≤ 2",
            ratio <= 2,
            f"rounds {pg['ratio_pg_first_to_duckdb_rounds']}; wal_level {pg.get('pg_wal_level')}; medians "
            f"{pg['pg_first_publish_seconds']}s vs {pg['duckdb_publish_seconds']}s",
        )
    )
    bad = pg["reader_errors"] + pg["torn_reads"]
    figures.append(
        Figure(
            "BI readers during PostgreSQL publishes: errors + torn reads",
            bad,
            "0",
            bad == 0,
            f"{pg['readers']} readers, {pg['reader_queries']:,} queries, "
            f"{pg['generations_seen']} generations seen",
        )
    )
    return figures


def print_table(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    print(f"\n{'figure':<{width}}  {'value':>10}  {'target':>8}  met")
    for f in figures:
        met = "yes" if f.met else ("no" if f.met is not None else "-")
        value = "-" if f.value is None else f"{f.value:g}"
        print(f"{f.name:<{width}}  {value:>10}  {f.target:>8}  {met}  {f.note}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small scale, a few minutes")
    parser.add_argument(
        "--only",
        choices=["throughput", "pipeline", "scale", "equality", "publish"],
        help="run one group of figures",
    )
    parser.add_argument(
        "--days",
        type=int,
        help="history days instead of the mode's (e.g. --quick --days 365: "
        "a year of partitions at the small scale, for the recording figure)",
    )
    args = parser.parse_args()
    mode = QUICK if args.quick else FULL
    if args.days:
        points = tuple(d for d in mode.history_points if d < args.days) + (args.days,)
        mode = replace(mode, name=f"{mode.name}-{args.days}d", days=args.days, history_points=points)
    landing, gen_wall, gen_peak = cached_landing(mode)
    figures = [
        Figure(
            f"generate --scale {mode.scale}, {mode.days + 1} days (wall s)",
            round(gen_wall, 1) if gen_wall else None,
            "≤ 180",
            gen_wall <= 180 if gen_wall and mode is FULL else None,
            f"peak {gen_peak:.0f} MiB" if gen_peak else "",
        )
    ]
    if args.only in (None, "throughput"):
        figures += throughput_figures(landing, mode)
    shared: dict = {}  # the pipeline group's rebuild and nightly, reused by the scale group
    if args.only in (None, "pipeline"):
        figures += pipeline_figures(landing, mode, shared)
    if args.only in (None, "scale"):
        from benchmarks.scale_bench import scale_figures

        figures += scale_figures(mode, shared)
    if args.only in (None, "equality"):
        figures.append(equality_figure(mode))
    if args.only in (None, "publish"):
        figures += publish_figures(mode)
    print_table(figures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{mode.name}.json"
    merged = {f["name"]: f for f in (json.loads(out.read_text()) if args.only and out.exists() else [])}
    merged.update({f.name: f.__dict__ for f in figures})  # --only refreshes its figures, keeps the rest
    out.write_text(json.dumps(list(merged.values()), indent=2, ensure_ascii=False))
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where one machine ends (issue 18, item 5): the `scale` group of `benchmarks/run.py`.

    python benchmarks/run.py --only scale            # 10 brands x 0.1 vs 1 brand x 1, the year
    python benchmarks/run.py --quick --only scale    # 10 x 0.002 vs 1 x 0.02, 45 days
    python benchmarks/run.py --only scale --days 120 # both sides over 120 days
    python benchmarks/scale_bench.py [--quick] [--days N] [--part brands|history]  # one part alone

Two questions, on DuckDB, through the real pipeline (`jd-pipeline run` in a subprocess):

1. Does cost follow rows or brands? N brands at scale s against one brand at scale N*s over the
   same days: about the same rows, N times the files and brand partitions of the raw layer. The
   figure is the multi-brand run's seconds per loaded row over the single brand's.
2. How does memory grow with history? The nightly run (and the rebuild that made its warehouse)
   after 30, 180 and 365 days of history (quick: 15, 30, 45), same nightly day, same landing
   zone: peak RSS per point and the least-squares slope in MiB per month of history.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import duckdb

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import (
    FULL,
    QUICK,
    REPO,
    Figure,
    Mode,
    cached_landing,
    data_dir_with,
    jd,
    pipeline_env,
    print_table,
    run_costed,
)

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class RunCost:
    """One measured `jd-pipeline run`: wall seconds, peak RSS (MiB), loaded raw rows, success, and
    CPU seconds (user + system of every process of the run: on a shared machine the wall moves
    with the load, the CPU seconds much less)."""

    wall: float
    peak_mib: float
    rows: int = 0
    ok: bool = True
    cpu: float = 0.0


def raw_rows(data_dir: Path) -> int:
    """Rows of every table of the warehouse's `raw` schema: what the loader kept (superseded
    京准通 pulls and replaced deliveries are not read, so they are not counted on either side)."""
    with duckdb.connect(str(data_dir / "warehouse" / "warehouse.duckdb"), read_only=True) as conn:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
            ).fetchall()
        ]
        return sum(conn.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in tables)


def history_env(run_dir: Path, mode: Mode, history_days: int) -> dict[str, str]:
    """The pipeline's environment for a warehouse holding the `history_days` days before the
    nightly day. The landing zone holds every day of the mode, and a run takes in every file
    not loaded yet up to its window's end (late deliveries, runtime/catch_up.py): only
    JD_PARTITIONS_START keeps the older days out, as it would for a brand onboarded that day."""
    first = mode.nightly_day - timedelta(days=history_days)
    return {**pipeline_env(run_dir), "JD_PARTITIONS_START": str(first)}


def rebuild(landing: Path, name: str, mode: Mode, history_days: int) -> tuple[Path, RunCost]:
    """A rebuild of the `history_days` days before the mode's nightly day, in a fresh data dir."""
    run_dir = data_dir_with(landing, name)
    last = mode.nightly_day - timedelta(days=1)
    first = mode.nightly_day - timedelta(days=history_days)
    wall, peak, cpu, done = run_costed(
        jd("run", "--start", str(first), "--end", str(last), "--report-json", str(run_dir / "rebuild.json")),
        history_env(run_dir, mode, history_days),
        run_dir.parent / f"{name}-rebuild-measure",
    )
    ok = done.returncode == 0
    return run_dir, RunCost(wall, peak, raw_rows(run_dir) if ok else 0, ok, cpu)


def nightly(run_dir: Path, mode: Mode, history_days: int) -> RunCost:
    wall, peak, cpu, done = run_costed(
        jd("run", "--date", str(mode.nightly_day)),
        history_env(run_dir, mode, history_days),
        run_dir.parent / f"{run_dir.name}-nightly-measure",
    )
    return RunCost(wall, peak, ok=done.returncode == 0, cpu=cpu)


def multi_brand_mode(mode: Mode, brands: int) -> Mode:
    return replace(mode, brands=brands, scale=round(mode.scale / brands, 6))


def brands_figures(mode: Mode, brands: int, single: RunCost, multi: RunCost) -> list[Figure]:
    """Rows, wall, CPU, rows/s of both sides and the per-row ratios (the verdict)."""
    multi_mode = multi_brand_mode(mode, brands)

    def side(label: str, cost: RunCost) -> Figure:
        rate = cost.rows / cost.wall if cost.wall else 0.0
        return Figure(
            f"{label}: rebuild {mode.days} days (wall s)",
            round(cost.wall, 1),
            "info",
            None if cost.ok else False,
            f"{cost.rows:,} raw rows, {rate:,.0f} rows/s, CPU {cost.cpu:.0f}s, peak {cost.peak_mib:,.0f} MiB"
            + ("" if cost.ok else "; RUN FAILED"),
        )

    def per_row(a: float, b: float) -> float | None:
        return (a / multi.rows) / (b / single.rows) if multi.rows and single.rows and b else None

    wall_ratio = per_row(multi.wall, single.wall)
    cpu_ratio = per_row(multi.cpu, single.cpu)
    memory = multi.peak_mib / single.peak_mib if single.peak_mib else None
    single_label = f"1 brand x {mode.scale:g}"
    multi_label = f"{brands} brands x {multi_mode.scale:g}"
    both_ok = single.ok and multi.ok
    rows = f"rows {multi.rows / single.rows if single.rows else 0:.2f}x"
    return [
        side(single_label, single),
        side(multi_label, multi),
        Figure(
            f"{multi_label} ÷ {single_label}: wall seconds per row",
            None if wall_ratio is None else round(wall_ratio, 2),
            "≤ 1.2",
            wall_ratio is not None and wall_ratio <= 1.2 and both_ok,
            f"cost follows rows, not brands; {rows}, wall {multi.wall / single.wall if single.wall else 0:.2f}x",
        ),
        Figure(
            f"{multi_label} ÷ {single_label}: CPU seconds per row",
            None if cpu_ratio is None else round(cpu_ratio, 2),
            "≤ 1.2",
            None if cpu_ratio is None else cpu_ratio <= 1.2 and both_ok,
            f"{rows}, CPU {multi.cpu:.0f}s vs {single.cpu:.0f}s (less sensitive to the machine's load)"
            if cpu_ratio is not None
            else "no CPU seconds for the reused single-brand rebuild (the pipeline group does not record them)",
        ),
        Figure(
            f"{multi_label} ÷ {single_label}: peak memory",
            None if memory is None else round(memory, 2),
            "≤ 1.2",
            memory is not None and memory <= 1.2,
            f"{multi.peak_mib:,.0f} vs {single.peak_mib:,.0f} MiB",
        ),
    ]


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


def memory_figures(mode: Mode, points: dict[int, tuple[RunCost, RunCost]]) -> list[Figure]:
    """Peak RSS of each history's rebuild and nightly, and the slopes per month of history."""
    figures = []
    for days, (built, night) in sorted(points.items()):
        figures.append(
            Figure(
                f"nightly after {days} days of history: peak memory (MiB)",
                round(night.peak_mib),
                "info",
                None if night.ok and built.ok else False,
                f"nightly {night.wall:.1f}s wall, {night.cpu:.0f}s CPU; the {days}-day rebuild before it "
                f"{built.peak_mib:,.0f} MiB, {built.wall:.1f}s wall, {built.cpu:.0f}s CPU, {built.rows:,} raw rows",
            )
        )
    if len(points) >= 2:
        months = {days: days / DAYS_PER_MONTH for days in points}
        span = f"least squares over {min(points)}-{max(points)} days at --scale {mode.scale:g}"
        for what, pick in (("nightly", 1), ("rebuild", 0)):
            figures.append(
                Figure(
                    f"{what} peak memory per month of history (MiB/month)",
                    round(slope([(months[d], costs[pick].peak_mib) for d, costs in points.items()]), 1),
                    "info",
                    None,
                    span,
                )
            )
    return figures


def scale_figures(
    mode: Mode, reused: dict | None = None, brands: int = 10, parts: tuple[str, ...] = ("brands", "history")
) -> list[Figure]:
    """The scale group. `reused` may hold the pipeline group's kept rebuild of this mode
    (`rebuild`: RunCost with rows) and its nightly (`nightly`: RunCost), run in the same
    invocation on the same landing zone: they are the single-brand side and the longest history
    point. `parts` runs the brands comparison, the memory history, or both."""
    reused = reused or {}
    single_landing, _, _ = cached_landing(mode)
    figures: list[Figure] = []
    summary: dict = {
        "mode": mode.name,
        "days": mode.days,
        "brands": brands,
        "load_average_before": os.getloadavg(),
    }

    single = reused.get("rebuild")
    longest = reused.get("nightly")
    if single is None:
        single_dir, single = rebuild(single_landing, f"{mode.name}-scale-single", mode, mode.days)
        # Its nightly runs now: linking the cached files into another data dir changes their ctime,
        # part of the landing fingerprint, and this warehouse's nightly would then catch up every day.
        if "history" in parts:
            longest = nightly(single_dir, mode, mode.days) if single.ok else RunCost(0, 0, ok=False)
        shutil.rmtree(single_dir, ignore_errors=True)
    summary["single"] = single.__dict__

    if "brands" in parts:
        multi_landing, gen_wall, _ = cached_landing(multi_brand_mode(mode, brands))
        multi_dir, multi = rebuild(multi_landing, f"{mode.name}-scale-multi", mode, mode.days)
        shutil.rmtree(multi_dir, ignore_errors=True)
        figures += brands_figures(mode, brands, single, multi)
        summary["multi"] = multi.__dict__
        if gen_wall:
            figures.append(
                Figure(
                    f"generate {brands} brands x {multi_brand_mode(mode, brands).scale:g} (wall s)",
                    round(gen_wall, 1),
                    "info",
                    None,
                    "first run only; cached afterwards",
                )
            )

    if "history" in parts:
        points: dict[int, tuple[RunCost, RunCost]] = {}
        for days in [d for d in mode.history_points if d < mode.days]:
            run_dir, built = rebuild(single_landing, f"{mode.name}-scale-history-{days}", mode, days)
            points[days] = (built, nightly(run_dir, mode, days) if built.ok else RunCost(0, 0, ok=False))
            shutil.rmtree(run_dir, ignore_errors=True)
        points[mode.days] = (single, longest or RunCost(0, 0, ok=False))
        figures += memory_figures(mode, points)
        summary["history"] = {
            d: {"rebuild": b.__dict__, "nightly": n.__dict__} for d, (b, n) in points.items()
        }

    summary["load_average_after"] = os.getloadavg()
    out = REPO / "benchmarks" / "results" / f"scale_{mode.name}_{'_'.join(parts)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 x 0.002 vs 1 x 0.02, 45 days")
    parser.add_argument("--days", type=int, help="history days instead of the mode's (both sides)")
    parser.add_argument("--part", choices=["brands", "history"], help="one part only (default both)")
    parser.add_argument(
        "--points",
        type=int,
        nargs="+",
        help="days of history of the memory runs (default: the mode's, up to --days)",
    )
    args = parser.parse_args()
    mode = QUICK if args.quick else FULL
    if args.days:
        points = tuple(d for d in mode.history_points if d < args.days) + (args.days,)
        mode = replace(mode, name=f"{mode.name}-{args.days}d", days=args.days, history_points=points)
    if args.points:
        mode = replace(mode, history_points=tuple(sorted(set(args.points) | {mode.days})))
    figures = scale_figures(mode, parts=(args.part,) if args.part else ("brands", "history"))
    print_table(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run the pipeline for a window of days through Dagster's own execution APIs.

Assets of different partition kinds cannot share one run, so the asset graph is cut into
stages, one per (ingest or not, partitions definition), ordered by their dependencies. Each
stage is one in-process run over the partition range that covers the window (single-run
backfill), against the persistent instance in `$JD_DATA_DIR/dagster_home` (runtime/instance.py), so the
runs, their steps, the materialized partitions and the check results show up in the UI. A failed stage stops the stages after it: reports and the published marts stay at
their last good state.
"""

from __future__ import annotations

import contextlib
import graphlib
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from jd_pipeline.config import Settings, get_settings
from jd_pipeline.runtime.catch_up import CatchUp, missing_deliveries, pending_partitions, window_has_files
from jd_pipeline.warehouse import fetch_value

if TYPE_CHECKING:
    from jd_pipeline.console import RunConsole

INGEST_GROUP = "ingest"
PUBLISH_GROUP = "publish"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Stage:
    name: str
    keys: tuple[dg.AssetKey, ...]
    partitions_def: dg.PartitionsDefinition | None
    is_ingest: bool


@dataclass
class FailedCheck:
    check: str
    asset: str
    severity: str
    observed: str


@dataclass
class StageOutcome:
    stage: str
    partitions: str
    success: bool
    seconds: float
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[FailedCheck] = field(default_factory=list)
    warned_checks: list[FailedCheck] = field(default_factory=list)
    run_id: str = ""
    step_seconds: dict[str, float] = field(default_factory=dict)
    loaded: dict[str, dict[str, int]] = field(default_factory=dict)  # ingest asset -> file/row counts


@dataclass
class RunReport:
    start: date
    end: date
    outcomes: list[StageOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    event_log_seconds: float = 0.0  # spent writing Dagster's event log (the cost of recording the runs)
    held: dict[str, str] = field(default_factory=dict)  # asset -> why it was held back
    build_start: date | None = None  # first day rebuilt (earlier than start when catching up)
    notes: list[str] = field(default_factory=list)  # late deliveries taken in
    missing: list[str] = field(default_factory=list)  # expected daily deliveries without a file
    no_data: bool = False  # no file for the window and nothing new: nothing was run

    @property
    def success(self) -> bool:
        return (
            all(o.success for o in self.outcomes) and not self.skipped and not self.held and not self.no_data
        )

    def to_json(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "success": self.success,
            "build_start": self.build_start.isoformat() if self.build_start else None,
            "skipped": self.skipped,
            "held": self.held,
            "notes": self.notes,
            "missing": self.missing,
            "no_data": self.no_data,
            "event_log_seconds": round(self.event_log_seconds, 2),
            "stages": [asdict(o) for o in self.outcomes],
        }

    def render(self) -> str:
        status = "NO DATA" if self.no_data else "OK" if self.success else "FAILED"
        lines = [f"pipeline run {self.start} .. {self.end}: {status}"]
        for o in self.outcomes:
            lines.append(f"  [{'ok' if o.success else 'FAILED'}] {o.stage} {o.partitions} ({o.seconds:.1f}s)")
            lines += [f"      failed step: {s}" for s in o.failed_steps]
            lines += [
                f"      failed check: {c.check} on {c.asset} [{c.severity}] observed: {c.observed}"
                for c in o.failed_checks
            ]
            lines += [f"      warning: {c.check} on {c.asset}: {c.observed}" for c in o.warned_checks]
        lines += [f"  [skipped] {name}" for name in self.skipped]
        from jd_pipeline.runtime.run_summary import render_summary

        lines += render_summary(self)
        return "\n".join(lines)


# ------------------------------------------------------------------------------------ staging plan
def _stage_label(pdef: dg.PartitionsDefinition | None) -> str:
    from jd_pipeline.defs.partitions import PARTITIONS_BY_PERIOD_KIND

    if pdef is None:
        return "unpartitioned"
    for kind, candidate in PARTITIONS_BY_PERIOD_KIND.items():
        if candidate == pdef:
            return kind
    return "partitioned"


def plan_stages(
    defs: dg.Definitions, include_publish: bool = True, only_groups: frozenset[str] | None = None
) -> list[Stage]:
    """Cut the asset graph into runnable stages in dependency order (only the assets of
    `only_groups` when given)."""
    graph = defs.resolve_asset_graph()
    members: dict[tuple[bool, str], list[dg.AssetKey]] = {}
    pdefs: dict[tuple[bool, str], dg.PartitionsDefinition | None] = {}
    stage_of: dict[dg.AssetKey, tuple[bool, str]] = {}
    left_out = _left_out(graph, only_groups)
    for key in sorted(graph.materializable_asset_keys, key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if node.group_name == PUBLISH_GROUP and not include_publish:
            continue
        if key in left_out:
            continue
        ident = (node.group_name == INGEST_GROUP, _stage_label(node.partitions_def))
        members.setdefault(ident, []).append(key)
        pdefs[ident] = node.partitions_def
        stage_of[key] = ident
    edges: dict[tuple[bool, str], set[tuple[bool, str]]] = {ident: set() for ident in members}
    for key, ident in stage_of.items():
        for parent in graph.get(key).parent_keys:
            if parent in stage_of and stage_of[parent] != ident:
                edges[ident].add(stage_of[parent])
    order = _toposort(edges, prefer=lambda ident: (not ident[0], list(members).index(ident)))
    return [
        Stage(
            name=f"{'ingest' if ident[0] else 'build'}_{ident[1]}",
            keys=tuple(members[ident]),
            partitions_def=pdefs[ident],
            is_ingest=ident[0],
        )
        for ident in order
    ]


def _left_out(graph, only_groups: frozenset[str] | None) -> set[dg.AssetKey]:
    """Assets outside `only_groups` and everything downstream of them (they could not be built)."""
    if only_groups is None:
        return set()
    outside = [k for k in graph.materializable_asset_keys if graph.get(k).group_name not in only_groups]
    return set(dg.AssetSelection.assets(*outside).downstream().resolve(graph)) if outside else set()


def _toposort(edges: dict, prefer: Callable) -> list:
    """Stages in dependency order; among the stages ready at a time, the most preferred first."""
    sorter = graphlib.TopologicalSorter(edges)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise RuntimeError(f"asset stages depend on each other in a cycle: {exc.args[1]}") from None
    ready: list = []
    order: list = []
    while sorter.is_active():
        ready.extend(sorter.get_ready())
        ready.sort(key=prefer)
        stage = ready.pop(0)
        order.append(stage)
        sorter.done(stage)
    return order


def _stage_selection(defs: dg.Definitions, stage: Stage) -> dg.AssetSelection:
    """The stage's assets with their checks, except freshness checks: those judge the clock, not
    the data, and are evaluated by the freshness sensor (a backfill of past days would fail them)."""
    keys = set(stage.keys)
    checks = [
        check
        for check in defs.resolve_asset_graph().asset_check_keys
        if check.asset_key in keys and not check.name.startswith("freshness")
    ]
    return dg.AssetSelection.assets(*stage.keys).without_checks() | dg.AssetSelection.checks(*checks)


def partition_range(pdef: dg.PartitionsDefinition | None, start: date, end: date) -> tuple[str, str] | None:
    """First and last partition keys of `pdef` whose windows overlap [start, end]."""
    if pdef is None:
        return None
    assert isinstance(pdef, dg.TimeWindowPartitionsDefinition)
    window_start = datetime.combine(start, datetime.min.time())
    window_end = datetime.combine(end + timedelta(days=1), datetime.min.time())
    keys = [
        key
        for key in pdef.get_partition_keys()
        if _overlaps(pdef.time_window_for_partition_key(key), window_start, window_end)
    ]
    return (keys[0], keys[-1]) if keys else None


def _overlaps(window: dg.TimeWindow, start: datetime, end: datetime) -> bool:
    return window.start.replace(tzinfo=None) < end and window.end.replace(tzinfo=None) > start


# ---------------------------------------------------------------------------------------- running
def _instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance the UI shows (`$DAGSTER_HOME`, runtime/instance.py): every run,
    a day or a year, leaves its runs, steps, materialized partitions and check results there."""
    from jd_pipeline.runtime.instance import open_instance

    return open_instance(settings)


def _free_slots_of_dead_runs(instance: dg.DagsterInstance, progress: Progress) -> None:
    """A killed run keeps its warehouse pool slot; without this the next run would wait forever."""
    from jd_pipeline.runtime.recovery import recover_dead_runs

    recovered = recover_dead_runs(instance)
    if recovered.failed_runs:
        progress(f"marked {len(recovered.failed_runs)} run(s) of dead processes as failed")


def _observed(metadata: dict) -> str:
    for name in ("observed_value", "observed", "gap", "failed_rows", "dagster_dbt/failed_row_count"):
        if name in metadata:
            value = metadata[name]
            return str(getattr(value, "value", value))
    return ", ".join(f"{k}={getattr(v, 'value', v)}" for k, v in list(metadata.items())[:3])


STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


def _step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    # only the step events: a year's run also holds an event per asset and partition
    for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            seconds[event.step_key] = round(entry.timestamp - started[event.step_key], 3)
    return seconds


def _root_cause(error) -> str:
    """The innermost error message: Dagster wraps user errors in an execution error."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name or "error"


def _collect_outcome(
    stage: Stage, partitions: str, result, seconds: float, instance: dg.DagsterInstance
) -> StageOutcome:
    outcome = StageOutcome(stage.name, partitions, result.success, seconds, run_id=result.run_id)
    outcome.step_seconds = _step_seconds(instance, result.run_id)
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION" and stage.is_ingest:
            _note_loaded(outcome, event)
        elif event.is_step_failure:
            outcome.failed_steps.append(f"{event.step_key}: {_root_cause(event.step_failure_data.error)}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.asset_check_evaluation_data
            if evaluation.passed:
                continue
            severity = evaluation.severity.value if evaluation.severity else "ERROR"
            failed = FailedCheck(
                evaluation.check_name,
                evaluation.asset_key.to_user_string(),
                severity,
                _observed(dict(evaluation.metadata)),
            )
            (outcome.failed_checks if severity == "ERROR" else outcome.warned_checks).append(failed)
    if outcome.failed_checks and outcome.success:
        outcome.success = False  # a failed blocking check fails the pipeline even if no step did
    return outcome


LOAD_COUNTS = (
    "files_loaded",
    "files_replaced",
    "files_duplicate",
    "files_rejected",
    "rows_loaded",
    "rows_quarantined",
)


def _note_loaded(outcome: StageOutcome, event) -> None:
    """File and row counts of an ingest asset (a range run repeats them on every partition)."""
    key = event.asset_key.to_user_string()
    if key in outcome.loaded:
        return
    metadata = event.event_specific_data.materialization.metadata
    outcome.loaded[key] = {
        name: int(getattr(metadata[name], "value", metadata[name]) or 0)
        for name in LOAD_COUNTS
        if name in metadata
    }


def run_pipeline(
    start: date,
    end: date,
    progress: Progress = print,
    skip_publish: bool = False,
    defs: dg.Definitions | None = None,
    log_level: str = "WARNING",
    only_groups: frozenset[str] | None = None,
    console: RunConsole | None = None,
) -> RunReport:
    """Run every stage over [start, end]; Dagster's console log shows `log_level` and above.

    `console` (jd_pipeline/console.py): stage lines with a live step bar, Dagster's and dbt's
    output to its log file; without it every line goes to `progress`.
    """
    if console is not None:
        progress = console.message
    settings = get_settings()
    settings.ensure_dirs()
    brands = None
    if defs is None:
        from jd_pipeline.brands import configured_brands

        brands = configured_brands()  # BrandConfigError before anything runs: no file, an unknown brand
        from jd_pipeline.defs.project import prepare_dbt_manifest

        prepare_dbt_manifest()  # the definitions read it; importing them never runs dbt
        from jd_pipeline.definitions import defs as loaded

        defs = loaded
    stages = plan_stages(defs, include_publish=not skip_publish, only_groups=only_groups)
    jobs = [
        dg.define_asset_job(f"cli_{stage.name}", selection=_stage_selection(defs, stage)) for stage in stages
    ]
    runnable = dg.Definitions.merge(defs, dg.Definitions(jobs=jobs))
    instance = _instance(settings)
    _free_slots_of_dead_runs(instance, progress)
    report = RunReport(start, end)
    catch_up = pending_partitions(settings, start, end)
    report.build_start = catch_up.build_start(start)
    report.notes += catch_up.describe(start)
    if brands is not None:
        report.missing = missing_deliveries(
            settings.landing_dir, {b.code: b.stores for b in brands.values()}, start, end
        )
    for line in report.notes + [f"missing delivery: {line}" for line in report.missing]:
        progress(line)
    if brands is not None and not catch_up.pending and not window_has_files(settings.landing_dir, start, end):
        report.no_data = True
        progress(
            f"no extract file in {settings.landing_dir} for {start}..{end} and nothing new to load: "
            "nothing run, nothing published"
        )
        return report
    graph = runnable.resolve_asset_graph()
    held: dict[dg.AssetKey, str] = {}
    from jd_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG

    writes_before = getattr(instance.event_log_storage, "write_seconds", 0.0)
    for number, stage in enumerate(stages, start=1):
        keys = tuple(key for key in stage.keys if key not in held)
        if not keys:
            report.skipped.append(f"{stage.name} (held back: {_held_reasons(stage.keys, held)})")
            continue
        bounds = _stage_bounds(stage, start, end, report.build_start, catch_up)
        if stage.partitions_def is not None and bounds is None:
            progress(f"[{number}/{len(stages)}] {stage.name}: no partitions in {start}..{end}, skipped")
            continue
        tags = {RANGE_START_TAG: bounds[0], RANGE_END_TAG: bounds[1]} if bounds else {}
        label = f"{bounds[0]}..{bounds[1]}" if bounds else ""
        title = f"[{number}/{len(stages)}] {stage.name} {label} ({len(keys)} assets" + (
            f", {len(stage.keys) - len(keys)} held back)" if len(keys) < len(stage.keys) else ")"
        )
        if console is None:
            progress(f"{title} ...")
        job = (
            runnable.resolve_job_def(f"cli_{stage.name}")
            if keys == stage.keys
            else _subset_job(defs, stage, keys)
        )
        run_id = str(uuid.uuid4())  # what Dagster's run ids are
        began = time.perf_counter()
        with console.stage(title, job, instance, run_id) if console else contextlib.nullcontext():
            result = job.execute_in_process(
                instance=instance,
                tags=tags,
                raise_on_error=False,
                run_id=run_id,
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            )
        outcome = _collect_outcome(stage, label, result, time.perf_counter() - began, instance)
        report.outcomes.append(outcome)
        _hold_downstream(graph, keys, result, outcome, held)
        if console is None:
            progress(
                f"    {'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f}s (run {outcome.run_id[:8]})"
            )
        else:
            console.stage_done(title, outcome)
    report.held = {key.to_user_string(): reason for key, reason in held.items()}
    _record_held(settings, held, report)
    report.event_log_seconds = getattr(instance.event_log_storage, "write_seconds", 0.0) - writes_before
    return report


def _stage_bounds(
    stage: Stage, start: date, end: date, build_start: date, catch_up: CatchUp
) -> tuple[str, str] | None:
    """Partition range of a stage: the window, widened to the late deliveries (ingest) or to the
    first day to rebuild (build stages)."""
    if stage.partitions_def is None:
        return None
    if not stage.is_ingest:
        return partition_range(stage.partitions_def, build_start, end)
    bounds = partition_range(stage.partitions_def, start, end)
    # only partitions that exist (a folder before JD_PARTITIONS_START has none to load into)
    pending = catch_up.pending.get(_stage_label(stage.partitions_def), set()) & set(
        stage.partitions_def.get_partition_keys()
    )
    if not pending:
        return bounds
    keys = set(pending) | (set(bounds) if bounds else set())
    return min(keys), max(keys)


def _subset_job(defs: dg.Definitions, stage: Stage, keys: tuple[dg.AssetKey, ...]) -> dg.JobDefinition:
    subset = Stage(stage.name, keys, stage.partitions_def, stage.is_ingest)
    job = dg.define_asset_job(
        f"cli_{stage.name}_subset",
        selection=_stage_selection(defs, subset),
        partitions_def=stage.partitions_def,
    )
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(job.name)


def _hold_downstream(
    graph, keys: tuple[dg.AssetKey, ...], result, outcome: StageOutcome, held: dict[dg.AssetKey, str]
) -> None:
    """Hold back the assets a failure in this stage reaches through the lineage (runtime/held.py)."""
    from jd_pipeline.runtime.held import downstream_of, not_materialized

    roots: dict[dg.AssetKey, str] = {}
    for check in outcome.failed_checks:
        roots.setdefault(
            dg.AssetKey.from_user_string(check.asset), f"blocking check {check.check} failed on {check.asset}"
        )
    if not outcome.success:
        step_error = outcome.failed_steps[0] if outcome.failed_steps else "step failed"
        for key in sorted(not_materialized(keys, result), key=lambda k: k.to_user_string()):
            roots.setdefault(key, f"{key.to_user_string()} not built ({step_error[:200]})")
    for root, reason in roots.items():
        for key in sorted(downstream_of(graph, [root]), key=lambda k: k.to_user_string()):
            held.setdefault(key, reason)


def _held_reasons(keys: Iterable[dg.AssetKey], held: dict[dg.AssetKey, str]) -> str:
    reasons = sorted({held[key] for key in keys if key in held})
    return "; ".join(reasons[:3]) + (f" and {len(reasons) - 3} more" if len(reasons) > 3 else "")


def _record_held(settings: Settings, held: dict[dg.AssetKey, str], report: RunReport) -> None:
    import duckdb

    from jd_pipeline.config import duckdb_config
    from jd_pipeline.runtime.held import record_held

    if not settings.warehouse_db.exists():
        return
    run_id = next((o.run_id for o in report.outcomes), "")
    # A step's dbt process may still be releasing the file lock when the last stage returns: retry.
    for attempt in range(HELD_WRITE_ATTEMPTS):
        try:
            with duckdb.connect(str(settings.warehouse_db), config=duckdb_config()) as conn:
                record_held(conn, held, report.build_start or report.start, report.end, run_id)
            return
        except duckdb.IOException:
            if attempt == HELD_WRITE_ATTEMPTS - 1:
                report.notes.append(
                    "could not record the held-back assets (warehouse locked): "
                    "the next run recomputes them from its own failures"
                )
                return
            time.sleep(HELD_WRITE_PAUSE_S)


HELD_WRITE_ATTEMPTS = 15
HELD_WRITE_PAUSE_S = 2.0


# ------------------------------------------------------------------------------- landing and demo
def landing_date_bounds(landing_dir: Path) -> tuple[date, date] | None:
    """The first and last business day covered by the files in the landing zone."""
    from jd_pipeline.contracts import get_contract
    from jd_pipeline.ingest.landing import scan_landing
    from jd_pipeline.periods import period_bounds

    days: list[date] = []
    for item in scan_landing(landing_dir):
        days += period_bounds(get_contract(item.source).period_kind, item.period)
    return (min(days), max(days)) if days else None


def _served_table_counts(db_path: Path) -> Iterable[tuple[str, int]]:
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'ops') order by 1, 2"
        ).fetchall()
        for schema, name in tables:
            yield f"{schema}.{name}", fetch_value(conn, f'select count(*) from "{schema}"."{name}"')


def print_demo_summary(settings: Settings) -> None:
    """What the demo left behind, in a screenful: the published tables (two to a line) and a
    few of the reports (the run summary above already says how many and where)."""
    print("== jd-ops-warehouse demo")
    if settings.serving_db.exists():
        counts = [f"{table:<34} {rows:>9,}" for table, rows in _served_table_counts(settings.serving_db)]
        print(f"published database (BI reads this): {settings.serving_db}  ({len(counts)} tables, rows)")
        for left, right in zip(counts[::2], counts[1::2] + [""]):
            print(f"  {left}   {right}".rstrip())
    else:
        print(f"nothing published yet at {settings.serving_db}")
    reports = sorted(p for p in settings.reports_dir.rglob("*.html"))
    for path in reports[:6]:
        print(f"  report: {path.relative_to(settings.reports_dir)}")
    if len(reports) > 6:
        print(
            f"  ... and {len(reports) - 6} more HTML reports (each with an xlsx) under {settings.reports_dir}"
        )
    print("open the UI: make dev  (http://127.0.0.1:3000)")

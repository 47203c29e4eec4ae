"""What `jd-pipeline run` and `demo` print: one line per stage with a live step bar, then a summary.

Dagster's and dbt's own output (dbt prints a line per model and test, Dagster its warnings) goes
to a log file under `$JD_DATA_DIR/logs/`, named at the start; `--verbose` sends it to the
terminal instead, as before. The live bar (rich) is drawn only on a terminal; piped output (CI,
`make demo | tee`) gets the same stage lines without it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    import dagster as dg

    from jd_pipeline.orchestrate import StageOutcome

STEP_END_EVENTS = frozenset({"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"})


def run_log_path(logs_dir: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%dT%H%M%S")
    return logs_dir / f"run-{stamp}.log"


class RunConsole:
    """Stage lines and a live step bar on the terminal; Dagster/dbt output to `log_path`."""

    def __init__(
        self, log_path: Path | None = None, verbose: bool = False, out: IO[str] | None = None
    ) -> None:
        self.verbose = verbose
        self.log_path = None if verbose else log_path
        self.console = Console(file=out or sys.stdout, highlight=False, soft_wrap=True)
        self._log: IO[str] | None = None

    # ----------------------------------------------------------------------------- plain lines
    def message(self, text: str) -> None:
        """A line of progress (the `progress` callback of run_pipeline)."""
        self.console.print(text, markup=False)

    # ------------------------------------------------------------------------- the tool output
    @contextlib.contextmanager
    def tool_output(self) -> Iterator[None]:
        """Send what Dagster and dbt write to stdout/stderr into the log file (not with --verbose)."""
        if self.log_path is None:
            yield
            return
        if self._log is None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("a", encoding="utf-8")
        with contextlib.redirect_stdout(self._log), contextlib.redirect_stderr(self._log):
            yield
        self._log.flush()

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    # ---------------------------------------------------------------------------------- stages
    @contextlib.contextmanager
    def stage(
        self, title: str, job: dg.JobDefinition, instance: dg.DagsterInstance, run_id: str
    ) -> Iterator[None]:
        """A live bar over the stage's steps while it runs (terminal only), fed by the run's events."""
        if not self.console.is_terminal:
            with self.tool_output():
                yield
            return
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("steps"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task(title, total=len(job.graph.node_dict))

            def on_event(entry) -> None:
                event = entry.dagster_event
                if event is not None and event.event_type_value in STEP_END_EVENTS:
                    bar.advance(task)
                elif event is not None and event.event_type_value == "STEP_START":
                    bar.update(task, description=f"{title}  {event.step_key}")

            instance.add_event_listener(run_id, on_event)
            with self.tool_output():
                yield

    def stage_done(self, title: str, outcome: StageOutcome) -> None:
        mark = "[green]✓[/]" if outcome.success else "[red]✗[/]"
        steps = f"{len(outcome.step_seconds)} steps" if outcome.step_seconds else ""
        self.console.print(
            f"{mark} {title}  [dim]{steps} {outcome.seconds:.1f}s  run {outcome.run_id[:8]}[/]"
        )


# ------------------------------------------------------------------------------------ summary
MAX_LISTED = 8


def summary_lines(report, reports_dir: Path | None = None, log_path: Path | None = None) -> list[str]:
    """The end-of-run summary: what loaded, failed and warned checks with their observed values,
    what was held back or skipped, where the reports and the full log are."""
    from jd_pipeline.runtime.run_summary import render_summary

    seconds = sum(o.seconds for o in report.outcomes)
    status = "NO DATA" if getattr(report, "no_data", False) else "OK" if report.success else "FAILED"
    lines = [f"== run {report.start}..{report.end}: {status} ({len(report.outcomes)} stages, {seconds:.0f}s)"]
    lines += render_summary(
        report
    )  # per source loaded / held, late and missing deliveries (runtime/run_summary.py)
    failed_steps = [step for o in report.outcomes for step in o.failed_steps]
    lines += [f"failed step: {step}" for step in failed_steps[:MAX_LISTED]]
    failed = [c for o in report.outcomes for c in o.failed_checks]
    lines += [
        f"failed check: {c.check} on {c.asset} [{c.severity}] observed: {c.observed}"
        for c in failed[:MAX_LISTED]
    ]
    warned = [c for o in report.outcomes for c in o.warned_checks]
    lines += [f"warning: {c.check} on {c.asset}: {c.observed}" for c in warned[:MAX_LISTED]]
    hidden = (
        max(0, len(failed) - MAX_LISTED)
        + max(0, len(warned) - MAX_LISTED)
        + max(0, len(failed_steps) - MAX_LISTED)
    )
    if hidden:
        lines.append(f"... and {hidden} more (see the run log)")
    if not failed and not failed_steps:
        lines.append("checks: no blocking check failed")
    lines += [f"skipped: {name}" for name in report.skipped]
    if reports_dir is not None and reports_dir.exists():
        files = [p for p in reports_dir.rglob("*") if p.is_file()]
        lines.append(f"reports: {len(files)} files under {reports_dir}")
    if log_path is not None and log_path.exists():
        lines.append(f"full log (Dagster, dbt): {log_path}")
    recorded = getattr(report, "event_log_seconds", 0.0)
    lines.append(
        "UI: `make dev` (http://127.0.0.1:3000) shows these runs, partitions and check results"
        + (f" (recording them took {recorded:.1f}s)" if recorded else "")
    )
    return lines

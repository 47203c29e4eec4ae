"""What `jd-pipeline` prints: one line for a configuration error, a summary after a run."""

from datetime import date
from pathlib import Path

import pytest

from jd_pipeline.cli import main
from jd_pipeline.console import RunConsole, summary_lines
from jd_pipeline.orchestrate import FailedCheck, RunReport, StageOutcome


def test_missing_salt_is_one_line_and_exit_2(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("JD_DEMO_MODE", raising=False)
    monkeypatch.delenv("JD_BUYER_SALT", raising=False)
    export = data_dir / "landing" / "jd_pop_orders" / "acme" / "2025-03-10" / "orders.csv"
    export.parent.mkdir(parents=True)
    export.write_text("订单号\n")
    assert main(["run", "--date", "2025-03-10"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "JD_BUYER_SALT" in lines[0] and "Traceback" not in captured.out + captured.err
    assert not (data_dir / "dagster_home").exists()  # nothing ran


def test_summary_names_loads_failed_checks_held_and_log(tmp_path: Path) -> None:
    report = RunReport(date(2025, 3, 1), date(2025, 3, 3))
    ingest = StageOutcome("ingest_daily", "2025-03-01..2025-03-03", True, 3.0, run_id="a" * 36)
    ingest.loaded["raw/jd_pop_orders"] = {
        "files_loaded": 3,
        "files_rejected": 1,
        "rows_loaded": 1200,
        "rows_quarantined": 4,
    }
    build = StageOutcome("build_daily", "2025-03-01..2025-03-03", False, 9.0, run_id="b" * 36)
    build.failed_checks.append(FailedCheck("totals_match", "marts/fct_sales_daily", "ERROR", "gap 12.50"))
    report.outcomes += [ingest, build]
    report.skipped.append("build_unpartitioned")
    log = tmp_path / "run.log"
    log.write_text("dbt says hello\n")
    lines = summary_lines(report, tmp_path / "no-reports", log)
    text = "\n".join(lines)
    assert lines[0].startswith("== run 2025-03-01..2025-03-03: FAILED (2 stages, 12s)")
    assert (
        "raw/jd_pop_orders" in text
        and "3 file(s) loaded, 1,200 rows (4 rows quarantined, 1 file(s) rejected)" in text
    )
    assert "failed check: totals_match on marts/fct_sales_daily [ERROR] observed: gap 12.50" in text
    assert "skipped: build_unpartitioned" in text and str(log) in text


def test_tool_output_goes_to_the_log_not_the_terminal(tmp_path: Path, capsys) -> None:
    log = tmp_path / "logs" / "run.log"
    console = RunConsole(log_path=log)
    console.message("[1/1] stage")
    with console.tool_output():
        print("1 of 208 START sql view model staging.x")
    console.close()
    assert "START sql view" not in capsys.readouterr().out
    assert "START sql view" in log.read_text()


def test_invalid_instance_config_is_one_line_and_exit_2(data_dir: Path, capsys) -> None:
    from tests.e2e import fixtures as fx

    fx.write_brands(data_dir)
    export = data_dir / "landing" / "jd_pop_orders" / fx.BRAND / "2025-03-10" / "orders.csv"
    export.parent.mkdir(parents=True)
    export.write_text("订单号\n")
    home = data_dir / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  klass: Queued\n"
    )
    assert main(["run", "--date", "2025-03-10"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.out + captured.err, captured.err
    assert str(home / "dagster.yaml") in lines[0] and "not a valid Dagster instance configuration" in lines[0]

"""`jd-pipeline`: generate demo data, run the pipeline, start the UI, show status."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jd_pipeline.config import BUSINESS_TIMEZONE, check_data_dir, get_settings

DEMO_START = date(2025, 1, 1)
DEMO_END = date(2026, 6, 30)
DEMO_BRANDS = 2
DEMO_SCALE = 0.01
DEMO_SEED = 618
DEMO_FAULTS = 0.001
DEMO_ADS_PULLS = 3


def demo_fault_kinds() -> frozenset[str]:
    """The demo plants the bad inputs the pipeline absorbs by itself (rejected files, re-deliveries,
    format variants, duplicate keys and out-of-period rows quarantined). Faults that must stop the
    pipeline (a total that disagrees, an unknown 产品线, USD in the ledger, and any row fault that
    makes a file's 合计/全国 rows disagree with its details: Excel-mangled IDs, negative or
    non-numeric quantities) are shown by the tests and by `jd-pipeline generate --faults`; in the
    demo they would close the quality gate on purpose."""
    from jd_pipeline.generate import TOLERATED_KINDS

    return TOLERATED_KINDS | {"duplicate_key", "date_outside_period"}


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _progress(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------- generate
def cmd_generate(args: argparse.Namespace) -> int:
    from jd_pipeline.generate import generate

    started = time.perf_counter()
    summary = generate(
        out=Path(args.out),
        brands=args.brands,
        start=args.start,
        end=args.end,
        scale=args.scale,
        seed=args.seed,
        faults=args.faults,
        ads_pulls=args.ads_pulls,
        progress=_progress,
    )
    print(f"generated into {args.out} in {time.perf_counter() - started:.1f}s: {summary}")
    return 0


# -------------------------------------------------------------------------------------------- run
def _resolve_window(args: argparse.Namespace) -> tuple[date, date]:
    if args.date:
        return args.date, args.date
    if args.start or args.end:
        if not (args.start and args.end):
            raise SystemExit("--start and --end go together")
        if args.end < args.start:
            raise SystemExit(f"--end {args.end} is before --start {args.start}")
        return args.start, args.end
    if args.all:
        from jd_pipeline.orchestrate import landing_date_bounds

        bounds = landing_date_bounds(get_settings().landing_dir)
        if bounds is None:
            raise SystemExit(f"--all: no extract files found under {get_settings().landing_dir}")
        return bounds
    yesterday = business_yesterday()
    print(f"no date given: running {yesterday} (yesterday in {BUSINESS_TIMEZONE})", flush=True)
    return yesterday, yesterday


def business_yesterday(now: datetime | None = None) -> date:
    """Yesterday in the business time zone (the nightly run's day), whatever the machine's zone."""
    now = now or datetime.now(UTC)
    return now.astimezone(ZoneInfo(BUSINESS_TIMEZONE)).date() - timedelta(days=1)


def _console(verbose: bool):
    from jd_pipeline.console import RunConsole, run_log_path

    return RunConsole(log_path=run_log_path(get_settings().data_dir / "logs"), verbose=verbose)


def _check_configuration() -> None:
    """Settings a run needs, checked before anything runs (a ConfigError: one line, exit 2)."""
    from jd_pipeline.config import buyer_salt

    orders = get_settings().landing_dir / "jd_pop_orders"
    if orders.is_dir() and any(path.is_file() for path in orders.rglob("*")):
        buyer_salt()


def cmd_run(args: argparse.Namespace) -> int:
    from jd_pipeline.brands import BrandConfigError
    from jd_pipeline.console import summary_lines
    from jd_pipeline.orchestrate import run_pipeline

    start, end = _resolve_window(args)
    _check_configuration()
    console = _console(args.verbose)
    try:
        report = run_pipeline(
            start,
            end,
            skip_publish=args.no_publish,
            console=console,
            log_level="INFO" if args.verbose else "WARNING",
        )
    except BrandConfigError as exc:
        print(f"jd-pipeline run: {exc}", file=sys.stderr)
        return 2
    finally:
        console.close()
    for line in summary_lines(report, get_settings().reports_dir, console.log_path):
        print(line)
    if args.report_json:
        Path(args.report_json).write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    return 0 if report.success else 1


# ------------------------------------------------------------------------------------------- demo
def cmd_demo(args: argparse.Namespace) -> int:
    from jd_pipeline.orchestrate import print_demo_summary, run_pipeline

    os.environ.setdefault("JD_DEMO_MODE", "1")
    settings = get_settings()
    settings.ensure_dirs()
    if not args.skip_generate:
        _progress(f"== generating demo extracts into {settings.landing_dir}")
        from jd_pipeline.generate import generate

        generate(
            out=settings.landing_dir,
            brands=DEMO_BRANDS,
            start=DEMO_START,
            end=DEMO_END,
            scale=DEMO_SCALE,
            seed=DEMO_SEED,
            faults=DEMO_FAULTS,
            ads_pulls=DEMO_ADS_PULLS,
            fault_kinds=demo_fault_kinds(),
            progress=_progress,
        )
    from jd_pipeline.console import summary_lines

    console = _console(args.verbose)
    try:
        report = run_pipeline(
            DEMO_START, DEMO_END, console=console, log_level="INFO" if args.verbose else "WARNING"
        )
    finally:
        console.close()
    for line in summary_lines(report, settings.reports_dir, console.log_path):
        print(line)
    print_demo_summary(settings)
    return 0 if report.success else 1


# -------------------------------------------------------------------------------- dev and status
def cmd_dev(args: argparse.Namespace) -> int:
    from jd_pipeline.runtime.devserver import run_dev_server

    return run_dev_server(get_settings())


def cmd_accept(args: argparse.Namespace) -> int:
    """Accept a held re-delivery: the next load of its partition replaces the period with it."""
    import duckdb

    from jd_pipeline.config import duckdb_config
    from jd_pipeline.ingest.plausibility import accept

    with duckdb.connect(str(get_settings().warehouse_db), config=duckdb_config()) as conn:
        n = accept(conn, args.path)
    if not n:
        print(f"jd-pipeline accept: no held delivery at {args.path} (see ops.load_manifest)", file=sys.stderr)
        return 2
    print(f"accepted {args.path}: the next run of its partition loads it (recorded in ops.load_manifest)")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from jd_pipeline.runtime.status import print_status

    return print_status(get_settings())


def cmd_publish_postgres(args: argparse.Namespace) -> int:
    from jd_pipeline.serving.pg_settings import pg_settings
    from jd_pipeline.serving.postgres_publish import publish_postgres

    settings = get_settings()
    if pg_settings() is None:
        print("JD_PG_DSN is not set: nothing to publish to (see docs/bi_access.md)", file=sys.stderr)
        return 2
    result = publish_postgres(settings.serving_db)
    assert result is not None
    for t in result.tables:
        state = f"copied in {t.seconds:.2f}s" if t.copied else "unchanged"
        print(f"  {t.schema}.{t.name}: {t.row_count:,} rows, {state}")
    print(
        f"published generation {result.generation} to {result.target} in {result.duration_seconds:.2f}s "
        f"({result.copied_rows:,} rows copied, {result.rows_per_second:,.0f} rows/s)"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from jd_pipeline.runtime.verify import VerifyError, verify

    try:
        result = verify(get_settings(), keep_scratch=args.keep_scratch)
    except VerifyError as exc:
        print(f"jd-pipeline verify: {exc}", file=sys.stderr)
        return 2
    print(result.render())
    return 0 if result.equal else 1


def cmd_lake_sync(args: argparse.Namespace) -> int:
    """Write every source's `raw.*` units the raw lake lacks, remove the ones raw no longer has."""
    import duckdb

    from jd_pipeline.config import duckdb_config, normalize_lake_url
    from jd_pipeline.contracts import load_contracts
    from jd_pipeline.lake import LakeSyncError, LakeSyncResult, sync_all

    settings = get_settings()
    url = normalize_lake_url(args.url) or settings.raw_lake_url
    if url is None:
        print(
            "jd-pipeline lake-sync: JD_RAW_LAKE_URL is not set (or pass --url; docs/raw_lake.md)",
            file=sys.stderr,
        )
        return 2
    if not settings.warehouse_db.exists():
        print(
            f"jd-pipeline lake-sync: no warehouse at {settings.warehouse_db} (run the pipeline first)",
            file=sys.stderr,
        )
        return 2

    def progress(r: LakeSyncResult) -> None:
        print(
            f"  {r.source}: {r.units_written} unit(s) written ({r.rows_written:,} rows), "
            f"{r.units_removed} removed, {r.units_total} in the lake ({r.seconds:.2f}s)",
            flush=True,
        )

    started = time.perf_counter()
    print(f"lake-sync: {settings.warehouse_db} -> {url}", flush=True)
    try:
        with duckdb.connect(str(settings.warehouse_db), config=duckdb_config()) as conn:
            results = sync_all(conn, load_contracts().values(), url, progress)
    except LakeSyncError as exc:
        print(f"jd-pipeline lake-sync: {exc}", file=sys.stderr)
        return 1
    except duckdb.IOException as exc:  # the warehouse is locked by a running pipeline
        print(f"jd-pipeline lake-sync: cannot open {settings.warehouse_db}: {exc}", file=sys.stderr)
        return 1
    print(
        f"lake-sync: {sum(r.units_written for r in results)} unit(s) written, "
        f"{sum(r.units_removed for r in results)} removed, {sum(r.units_total for r in results)} in the lake "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jd-pipeline",
        description="jd-ops-warehouse: JD.com extracts -> DuckDB marts, checks, KPIs and reports. "
        "Data lives under $JD_DATA_DIR (default ./data).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write deterministic demo extracts in the landing layout")
    gen.add_argument("--out", required=True, help="landing directory to write into")
    gen.add_argument("--brands", type=int, default=2, help="number of brands (default 2)")
    gen.add_argument("--start", type=_iso_date, default=DEMO_START, help="first business day")
    gen.add_argument("--end", type=_iso_date, default=DEMO_END, help="last business day")
    gen.add_argument("--scale", type=float, default=1.0, help="1 = one mid-size brand (20k POP lines/day)")
    gen.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed (same seed, same bytes)")
    gen.add_argument("--faults", type=float, default=0.0, help="rate of planted bad inputs (0 = none)")
    gen.add_argument("--ads-pulls", type=int, default=15, help="nightly re-pulls per 京准通 report day")
    gen.set_defaults(func=cmd_generate)

    run = sub.add_parser("run", help="materialize the pipeline for a window of days")
    window = run.add_mutually_exclusive_group()
    window.add_argument("--date", type=_iso_date, help="one business day")
    window.add_argument("--all", action="store_true", help="every period found in the landing zone")
    run.add_argument("--start", type=_iso_date, help="first day (with --end)")
    run.add_argument("--end", type=_iso_date, help="last day (with --start)")
    run.add_argument("--no-publish", action="store_true", help="do not publish to serving/")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="show Dagster's and dbt's log (a line per model and test) instead of progress",
    )
    run.add_argument("--report-json", help="also write the run report (stages, steps, checks) as JSON")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="generate demo data, run everything, publish, summarize")
    demo.add_argument("--skip-generate", action="store_true", help="reuse the landing zone as it is")
    demo.add_argument(
        "--verbose", action="store_true", help="show Dagster's and dbt's log instead of progress"
    )
    demo.set_defaults(func=cmd_demo)

    dev = sub.add_parser("dev", help="start the Dagster UI on 127.0.0.1:3000 (Ctrl-C stops it)")
    dev.set_defaults(func=cmd_dev)

    verify = sub.add_parser(
        "verify",
        help="rebuild the marts from raw into a scratch warehouse and compare "
        "them with the working one, table by table",
    )
    verify.add_argument("--keep-scratch", action="store_true", help="keep $JD_DATA_DIR/verify for inspection")
    verify.set_defaults(func=cmd_verify)

    status = sub.add_parser("status", help="newest loaded period per source and brand, rejects, publish")
    status.set_defaults(func=cmd_status)
    acc = sub.add_parser("accept", help="accept a held re-delivery (path relative to the landing zone)")
    acc.add_argument("path", help="e.g. jd_pop_orders/acme/2026-03-01/orders_v2.csv")
    acc.set_defaults(func=cmd_accept)

    lake = sub.add_parser(
        "lake-sync",
        help="write raw.* to the raw lake (JD_RAW_LAKE_URL): back-fill an existing warehouse, or retry a failed sync",
    )
    lake.add_argument("--url", help="the lake (a folder or an fsspec URL); default JD_RAW_LAKE_URL")
    lake.set_defaults(func=cmd_lake_sync)

    pg = sub.add_parser(
        "publish-postgres", help="copy the served DuckDB file to the PostgreSQL serving database (JD_PG_DSN)"
    )
    pg.set_defaults(func=cmd_publish_postgres)

    from jd_pipeline.lineage.cli import add_explain_parser

    add_explain_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from jd_pipeline.config import ConfigError

    args = build_parser().parse_args(argv)
    try:
        if args.func in (cmd_run, cmd_demo):
            check_data_dir(get_settings(), must_exist=args.func is cmd_run)
        return args.func(args)
    except ConfigError as exc:  # a setting to fix, not a bug: one line, no traceback
        print(f"jd-pipeline {args.command}: configuration error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:  # an unwritable path met on the way: one line, exit 2
        print(
            f"jd-pipeline {args.command}: cannot write {exc.filename or ''}: {exc.strerror}", file=sys.stderr
        )
        return 2
    except OSError as exc:
        if exc.errno != errno.EROFS:
            raise
        print(
            f"jd-pipeline {args.command}: cannot write {exc.filename or ''}: read-only file system",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The `explain` subcommand: registered by `jd_pipeline.cli`, kept here whole."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jd_pipeline.config import get_settings


def cmd_explain(args: argparse.Namespace) -> int:
    from jd_pipeline.lineage.explain import ExplainError, run_explain

    started = time.perf_counter()
    try:
        text = run_explain(
            Path(args.db) if args.db else get_settings().warehouse_db,
            args.mart,
            args.filters,
            as_json=args.json,
        )
    except ExplainError as exc:
        print(f"explain: {exc}", file=sys.stderr)
        return 2
    print(text)
    if not args.json:
        print(f"\n({time.perf_counter() - started:.2f}s)")
    return 0


def add_explain_parser(sub: argparse._SubParsersAction) -> None:
    from jd_pipeline.lineage.feeds import LINEAGE

    p = sub.add_parser(
        "explain",
        help="the delivered files and raw rows behind a mart figure",
        description="Trace the rows of a mart matching COLUMN=VALUE filters on its grain (a partial grain "
        "explains the sum of the matching rows) to the delivered files (path, sha256, delivered_at, manifest "
        f"status) and their row numbers. Marts: {', '.join(sorted(LINEAGE))}.",
    )
    p.add_argument("mart", help="e.g. fct_sales_daily")
    p.add_argument(
        "filters", nargs="+", metavar="COLUMN=VALUE", help="e.g. brand=brand_a date_day=2026-06-30"
    )
    p.add_argument("--db", help="warehouse file (default: $JD_DATA_DIR/warehouse/warehouse.duckdb)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_explain)

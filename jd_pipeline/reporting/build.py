"""Build every report of a month for a brand, render them, and publish the files together.

Layout: `$JD_DATA_DIR/reports/<brand>/<period>/<file_stem>.html|.xlsx|.pdf` where period is the month
(`YYYY-MM`: business review, monthly OPEX, campaign recaps by end month), the quarter (`YYYYQn`:
OPEX quarter to date, agency scorecard) or the year (`YYYY`: OPEX year to date, agency scorecard).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from jd_pipeline.periods import month_bounds, quarter_label
from jd_pipeline.reporting.agency import build_agency_scorecard, scorecard_periods
from jd_pipeline.reporting.campaign import build_campaign_recap, ended_campaigns
from jd_pipeline.reporting.mbr import build_mbr
from jd_pipeline.reporting.model import Report
from jd_pipeline.reporting.opex import build_opex
from jd_pipeline.reporting.output_files import publish_files
from jd_pipeline.reporting.pdf import htmls_to_pdfs
from jd_pipeline.reporting.render import render_html, render_xlsx
from jd_pipeline.reporting.rolling_plan import build_rolling_plan

REPORT_KINDS = ("monthly_business_review", "campaign_recap", "opex", "agency_scorecard", "rolling_plan")


@dataclass
class BuiltReport:
    report: Report
    html_path: Path
    xlsx_path: Path
    seconds: float
    files: dict[Path, bytes] = field(default_factory=dict, repr=False)

    @property
    def pdf_path(self) -> Path:
        return self.html_path.with_suffix(".pdf")


def report_dir(reports_root: Path, brand: str, period: str) -> Path:
    return reports_root / brand / period


def render(report: Report, reports_root: Path, started: float) -> BuiltReport:
    folder = report_dir(reports_root, report.brand, report.period)
    html_path = folder / f"{report.file_stem}.html"
    xlsx_path = folder / f"{report.file_stem}.xlsx"
    files = {html_path: render_html(report).encode("utf-8"), xlsx_path: render_xlsx(report)}
    return BuiltReport(report, html_path, xlsx_path, time.perf_counter() - started, files)


def brands_with_sales(conn: duckdb.DuckDBPyConnection, month: str) -> list[str]:
    start, end = month_bounds(month)
    rows = conn.execute(
        "select distinct brand from marts.fct_sales_daily where date_day between ? and ? order by 1",
        [start, end],
    ).fetchall()
    return [r[0] for r in rows]


def _timed(reports_root: Path, builder: Callable[..., Report], *args: object) -> BuiltReport:
    started = time.perf_counter()
    return render(builder(*args), reports_root, started)


def build_kind(
    conn: duckdb.DuckDBPyConnection, kind: str, month: str, reports_root: Path, period_close: bool = True
) -> list[BuiltReport]:
    """Every report of one kind for every brand with sales in `month` (rendered, not yet published).

    `period_close=False` skips the quarter/year-to-date reports (a later month of the same run
    rewrites them anyway)."""
    built: list[BuiltReport] = []
    start, end = month_bounds(month)
    for brand in brands_with_sales(conn, month):
        if kind == "monthly_business_review":
            built.append(_timed(reports_root, build_mbr, conn, brand, month))
        elif kind == "rolling_plan":
            built.append(_timed(reports_root, build_rolling_plan, conn, brand, month))
        elif kind == "opex":
            for scope in ("month", "quarter", "year") if period_close else ("month",):
                built.append(_timed(reports_root, build_opex, conn, brand, month, scope))
        elif kind == "campaign_recap":
            for code in ended_campaigns(conn, brand, start, end):
                built.append(_timed(reports_root, build_campaign_recap, conn, brand, code))
        elif kind == "agency_scorecard":
            if not period_close:
                continue
            for period in scorecard_periods(conn, brand, [quarter_label(month), month[:4]]):
                built.append(_timed(reports_root, build_agency_scorecard, conn, brand, period))
        else:
            raise ValueError(f"unknown report kind {kind!r}")
    return built


def months_of_run(months: list[str]) -> list[tuple[str, bool]]:
    """(month, period_close): period_close for the last month of each quarter present in the run."""
    last_of_quarter = {quarter_label(m): m for m in sorted(months)}
    return [(m, last_of_quarter[quarter_label(m)] == m) for m in sorted(months)]


def add_pdfs(built: list[BuiltReport]) -> None:
    """Print every report's HTML to its PDF (one headless Chromium for the whole run)."""
    todo = [b for b in built if b.pdf_path not in b.files]
    started = time.perf_counter()
    pdfs = htmls_to_pdfs([b.files[b.html_path].decode("utf-8") for b in todo])
    share = (time.perf_counter() - started) / max(len(todo), 1)
    for b, pdf in zip(todo, pdfs):
        b.files[b.pdf_path] = pdf
        b.seconds += share


def publish(built: list[BuiltReport]) -> list[Path]:
    """All files of all reports of the run (HTML, xlsx, PDF), renamed into place only once every one
    has rendered."""
    add_pdfs(built)
    files: dict[Path, bytes] = {}
    for b in built:
        files.update(b.files)
    return publish_files(files)

"""A test that looks: every report of the fixture run, opened in headless Chromium as a reader would.

From the DOM: nothing wider than a 1400 px screen or an A4 landscape page, no `00:00:00`, no
snake_case header, no NaN/None, a unit on every money card (or 待总账 where the figure does not exist
yet). Screenshots are kept under test-artifacts/screenshots/ (tests.browser.screenshot).
"""

from __future__ import annotations

import pytest

from jd_pipeline.reporting.build import REPORT_KINDS, BuiltReport
from tests.browser import screenshot
from tests.reporting.looks import check_report


@pytest.mark.parametrize("kind", REPORT_KINDS)
def test_every_report_reads_cleanly(built_reports: dict[str, list[BuiltReport]], page, kind: str) -> None:
    reports = built_reports[kind]
    assert reports, f"no {kind} report in the fixture run"
    problems = {}
    for b in reports:
        found = check_report(page, b.html_path)
        shot = screenshot(page, f"report_{b.report.brand}_{b.report.period}_{b.report.file_stem}")
        assert shot.stat().st_size > 10_000
        if found:
            problems[str(b.html_path.name)] = found
    assert not problems, problems


def test_the_checks_catch_what_they_look_for(page, tmp_path) -> None:
    """The same checks on a page with every fault planted: each one is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><header><h1>t</h1></header><main>"
        '<div class="kpis"><div class="kpi" data-key="gmv" data-fmt="money"><div class="label">GMV</div>'
        '<div class="value"><span class="number">1,234.00</span></div></div></div>'
        "<h3>fct_sales_daily</h3><div class='table-wrap'><table data-table='x'><thead><tr><th>actual_gmv</th>"
        "</tr></thead><tbody><tr><td>2026-05-31 00:00:00</td><td>NaN</td></tr></tbody></table></div>"
        "<div style='width: 1600px'>wide</div></main></body></html>",
        encoding="utf-8",
    )
    found = "\n".join(check_report(page, bad))
    for expected in (
        "snake_case header: 'actual_gmv'",
        "00:00:00",
        "'NaN'",
        "money card gmv has no unit",
        "page is",
        "model name",
    ):
        assert expected in found, (expected, found)

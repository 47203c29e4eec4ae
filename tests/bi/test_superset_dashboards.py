"""Real browser on real Superset: log in, open each dashboard, wait for every chart, check the
headline numbers against the marts (by hand and by SQL on the PostgreSQL serving database)."""

from __future__ import annotations

import re
from decimal import Decimal

import psycopg
import pytest
import yaml

from jd_pipeline.bi.superset import ASSETS_DIR
from tests.bi.fixture_marts import expected_headlines
from tests.browser import screenshot

# Each headline chart's SQL on the serving database, written here, not taken from the export.
HEADLINE_SQL = {
    "实际GMV": "SELECT sum(actual_gmv) FROM marts.fct_plan_vs_actual_monthly",
    "计划GMV": "SELECT sum(plan_gmv) FROM marts.fct_plan_vs_actual_monthly",
    "预算GMV": "SELECT sum(budget_gmv) FROM marts.fct_plan_vs_actual_monthly",
    "广告花费": "SELECT sum(cost) FROM marts.fct_ads_daily",
    "广告成交金额": "SELECT sum(total_order_amount) FROM marts.fct_ads_daily",
    "整体ROI": "SELECT round(sum(total_order_amount) / sum(cost), 2) FROM marts.fct_ads_daily",
    "OPEX 实际": "SELECT sum(actual) FROM marts.fct_opex_monthly",
    "OPEX 预算": "SELECT sum(budget) FROM marts.fct_opex_monthly",
    "贡献利润": "SELECT sum(contribution) FROM marts.fct_ecom_pnl_monthly",
}
DASHBOARDS = {
    "jd-overview": ("经营概览", ["实际GMV", "计划GMV", "预算GMV"]),
    "jd-ads": ("广告", ["广告花费", "广告成交金额", "整体ROI"]),
    "jd-opex-pnl": ("OPEX 与 P&L", ["OPEX 实际", "OPEX 预算", "贡献利润"]),
}


def exported_charts(slug: str) -> list[str]:
    dashboard = yaml.safe_load((ASSETS_DIR / "dashboards" / f"{slug}.yaml").read_text(encoding="utf-8"))
    return [
        v["meta"]["sliceName"]
        for v in dashboard["position"].values()
        if isinstance(v, dict) and v.get("type") == "CHART"
    ]


def sql_headlines(env: dict[str, str]) -> dict[str, Decimal]:
    with psycopg.connect(
        env["JD_PG_DSN"].rsplit("user=", 1)[0] + "user=jd_bi_reader", password=env["JD_PG_BI_PASSWORD"]
    ) as con:
        return {title: con.execute(query).fetchone()[0] for title, query in HEADLINE_SQL.items()}


def shown_number(text: str) -> Decimal:
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


def login(page, site) -> None:
    page.goto(f"{site.url}/login/")
    page.fill("input#username, input[name=username]", site.user)
    page.fill("input#password, input[name=password]", site.password)
    page.get_by_role("button", name=re.compile("登录|Sign in|Login", re.IGNORECASE)).click()
    page.wait_for_url(re.compile(r"/superset/welcome/|/dashboard/list"), timeout=60_000)


def test_the_exported_headlines_are_the_ones_checked() -> None:
    for slug, (_, headlines) in DASHBOARDS.items():
        assert set(headlines) <= set(exported_charts(slug)), slug


@pytest.mark.parametrize("slug", list(DASHBOARDS))
def test_dashboard_shows_the_marts(superset_site, page, slug: str) -> None:
    title, headlines = DASHBOARDS[slug]
    by_hand = expected_headlines()
    by_sql = sql_headlines(superset_site.pg_env)
    for name in headlines:
        assert by_sql[name] == by_hand[name], name

    # Tall enough for the whole dashboard: a full-page screenshot then needs no re-layout.
    page.set_viewport_size({"width": 1400, "height": 2000})
    login(page, superset_site)
    page.goto(f"{superset_site.url}/superset/dashboard/{slug}/")
    page.get_by_text(title, exact=True).first.wait_for(timeout=60_000)
    charts = exported_charts(slug)
    # Every chart is on the page and has drawn (a canvas, a table or a big number), none an error.
    for name in charts:
        chart = page.locator(f'[data-test="chart-grid-component"][data-test-chart-name="{name}"]')
        chart.wait_for(timeout=60_000)
        chart.locator("canvas, table, .header-line, [role=alert]").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1500)  # ECharts animates in
    screenshot(page, f"superset_{slug}")
    errors = page.locator('[data-test="chart-grid-component"] [role=alert]')
    assert errors.count() == 0, errors.all_inner_texts()
    for name in headlines:
        chart = page.locator(f'[data-test="chart-grid-component"][data-test-chart-name="{name}"]')
        value = chart.locator(".header-line").first.inner_text(timeout=60_000)
        assert shown_number(value) == by_hand[name], (name, value)

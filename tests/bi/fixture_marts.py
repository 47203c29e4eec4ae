"""A hand-made served DuckDB file with the marts the dashboards read, and its known headline totals.

Small and deterministic: the totals below are computed here by hand (Python over the same
rows), independently of the SQL the dashboards run, and the test checks both.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

MONTHS = ["2026-01", "2026-02", "2026-03"]
STORES = ["pop", "self"]
CATEGORIES = ["洗护", "彩妆"]
CENT = Decimal("0.01")


def plan_rows() -> list[tuple]:
    rows = []
    for m, month in enumerate(MONTHS):
        for s, store in enumerate(STORES):
            for c, category in enumerate(CATEGORIES):
                base = Decimal(100_000 + 25_000 * m + 40_000 * s + 10_000 * c)
                rows.append(
                    (
                        month,
                        f"{month}-01",
                        "brand_a",
                        store,
                        category,
                        base * Decimal("1.10"),
                        base * Decimal("1.05") + Decimal("0.37"),
                        base + Decimal("12.34"),
                    )
                )
    return rows


def ads_rows() -> list[tuple]:
    rows = []
    for d in range(1, 11):
        for p, line in enumerate(["kuaiche", "recommendation", "smart"]):
            cost = Decimal(1000 + 37 * d + 300 * p) + Decimal("0.25")
            amount = (cost * Decimal("3.5") + Decimal(d)).quantize(
                CENT, ROUND_HALF_UP
            )  # as DECIMAL(18,2) stores it
            rows.append(
                (
                    f"2026-03-{d:02d}",
                    "brand_a",
                    line,
                    f"c{p}",
                    f"g{p}",
                    f"sku{d}",
                    "pop",
                    d % 3 == 0,
                    cost,
                    amount,
                )
            )
    return rows


def opex_rows() -> list[tuple]:
    rows = []
    for m, month in enumerate(MONTHS):
        for c, center in enumerate(["pop", "self", "shared"]):
            for t, cost_type in enumerate(["ads", "staff", "logistics"]):
                actual = Decimal(5_000 + 700 * m + 300 * c + 111 * t) + Decimal("0.11")
                rows.append(
                    (
                        month,
                        f"{month}-01",
                        "brand_a",
                        center,
                        cost_type,
                        actual,
                        actual + Decimal(250 - 90 * t),
                    )
                )
    return rows


def pnl_rows() -> list[tuple]:
    rows = []
    for m, month in enumerate(MONTHS):
        for s, store in enumerate(STORES):
            revenue = Decimal(300_000 + 20_000 * m + 50_000 * s) + Decimal("0.50")
            rows.append(
                (
                    month,
                    f"{month}-01",
                    "brand_a",
                    store,
                    revenue,
                    revenue * Decimal("0.4"),
                    revenue * Decimal("0.1") - Decimal(m * 1_000),
                    m == 2,
                )
            )
    return rows


def expected_headlines() -> dict[str, Decimal]:
    """Dashboard title -> {big-number chart title: value}, by hand."""
    plan, ads, opex, pnl = plan_rows(), ads_rows(), opex_rows(), pnl_rows()
    cost = sum(r[8] for r in ads)
    amount = sum(r[9] for r in ads)
    return {
        "实际GMV": sum(r[7] for r in plan),
        "计划GMV": sum(r[6] for r in plan),
        "预算GMV": sum(r[5] for r in plan),
        "广告花费": cost,
        "广告成交金额": amount,
        "整体ROI": (amount / cost).quantize(CENT, ROUND_HALF_UP),
        "OPEX 实际": sum(r[5] for r in opex),
        "OPEX 预算": sum(r[6] for r in opex),
        "贡献利润": sum(r[6] for r in pnl),
    }


def build_served_marts(path: Path, generation: str = "bi-test-1") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA marts; CREATE SCHEMA ops")
        con.execute("""CREATE TABLE marts.fct_plan_vs_actual_monthly (month VARCHAR, month_start DATE, brand VARCHAR,
            store_type VARCHAR, category VARCHAR, budget_gmv DECIMAL(18,2), plan_gmv DECIMAL(18,2),
            actual_gmv DECIMAL(18,2))""")
        con.executemany(
            "INSERT INTO marts.fct_plan_vs_actual_monthly VALUES (?, ?, ?, ?, ?, ?, ?, ?)", plan_rows()
        )
        con.execute("""CREATE TABLE marts.fct_sales_daily AS
            SELECT DATE '2026-03-01' + CAST(i % 10 AS INTEGER) AS date_day, 'brand_a' AS brand,
                   CASE WHEN i % 4 = 0 THEN 'self' ELSE 'pop' END AS store_type, 'sku' || i AS sku_id,
                   CAST(1 AS BIGINT) AS units, CAST(100 + i AS DECIMAL(18,2)) AS gmv,
                   CAST(90 + i AS DECIMAL(18,2)) AS net_sales, CAST(1 AS BIGINT) AS orders, CAST(1 AS BIGINT) AS buyers
            FROM range(40) t(i)""")
        con.execute("""CREATE TABLE marts.fct_ads_daily (date_day DATE, brand VARCHAR, product_line VARCHAR,
            campaign_id VARCHAR, adgroup_id VARCHAR, sku_id VARCHAR, store_type VARCHAR, is_haitou BOOLEAN,
            cost DECIMAL(18,2), total_order_amount DECIMAL(18,2))""")
        con.executemany("INSERT INTO marts.fct_ads_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ads_rows())
        con.execute("""CREATE TABLE marts.fct_traffic_daily AS
            SELECT DATE '2026-03-01' + CAST(i % 10 AS INTEGER) AS date_day, 'brand_a' AS brand, 'pop' AS store_type,
                   'src' || (i % 3) AS source_l1, 'x' AS source_l2, 'y' || i AS source_l3, i % 2 = 0 AS is_paid,
                   CAST(50 + i AS BIGINT) AS visitors, CAST(500 + 3 * i AS DECIMAL(18,2)) AS deal_amount
            FROM range(20) t(i)""")
        con.execute("""CREATE TABLE marts.fct_opex_monthly (month VARCHAR, month_start DATE, brand VARCHAR,
            cost_center VARCHAR, cost_type VARCHAR, actual DECIMAL(18,2), budget DECIMAL(18,2))""")
        con.executemany("INSERT INTO marts.fct_opex_monthly VALUES (?, ?, ?, ?, ?, ?, ?)", opex_rows())
        con.execute("""CREATE TABLE marts.fct_ecom_pnl_monthly (month VARCHAR, month_start DATE, brand VARCHAR,
            store_type VARCHAR, revenue DECIMAL(18,2), gross_margin DECIMAL(18,2), contribution DECIMAL(18,2),
            is_estimate BOOLEAN)""")
        con.executemany("INSERT INTO marts.fct_ecom_pnl_monthly VALUES (?, ?, ?, ?, ?, ?, ?, ?)", pnl_rows())
        con.execute(f"CREATE TABLE ops.publish_info AS SELECT '{generation}' AS generation, 0 AS total_rows")
    finally:
        con.close()

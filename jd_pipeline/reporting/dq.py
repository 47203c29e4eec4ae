"""The data-quality section every report ends with, in words, about the report's brand and period only.

Sentences, not check ids: "6月3日 商智 文件被拒收: 当日对账未做". A check's failure is told only where
its details concern this brand and days of this period (a gap found on another brand's day or a day
outside the period is not this report's). The 商智-vs-orders reconciliation lists a day with one side
missing as "not comparable", never as a gap.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from jd_pipeline.reporting.formatting import as_date, cn_day
from jd_pipeline.reporting.model import KeyNumber, Section, Table
from jd_pipeline.warehouse import table_exists

SOURCE_NAMES = {
    "jd_pop_orders": "POP 订单",
    "jd_sz_sku": "商智 商品明细",
    "jd_sz_traffic": "商智 流量来源",
    "jd_sz_industry": "商智 行业品牌榜",
    "jd_ads": "京准通",
    "jd_vc_sales": "自营 商品业绩",
    "jd_vc_inventory": "自营 库存",
    "jd_vc_purchase_orders": "自营 采购单",
    "fin_opex_actuals": "费用总账",
    "fin_opex_budget": "OPEX 预算",
    "fin_sales_plan": "销售计划",
    "ref_products": "商品主数据",
    "tp_campaign_plan": "活动计划",
    "tp_team_kpi": "代运营 KPI",
    "tp_action_plan": "30-60-90 行动计划",
}
CHECK_NAMES = {
    "sz_pop_deal_vs_orders_gmv": "商智 POP 成交金额 vs 订单 GMV",
    "ads_attributed_vs_sz_deal": "京准通订单金额 vs 商智成交金额",
    "inventory_national_equals_rdc_sum": "库存 全国 = 各配送中心之和",
    "opex_closed_months_unchanged": "已关账月份总账未变",
    "plan_months_sum_to_year": "销售计划 12 个月齐全",
    "traffic_subtotals_match": "流量来源 小计 = 明细之和",
    "total_rows_match_details": "合计行 = 明细之和",
}
SZ_CHECK = "sz_pop_deal_vs_orders_gmv"


def source_name(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def check_name(name: str, asset: str) -> str:
    source = asset.split("/")[-1]
    base = CHECK_NAMES.get(name)
    if base is None:
        return f"{source_name(source)} 数据检查"
    return (
        base
        if name in ("sz_pop_deal_vs_orders_gmv", "ads_attributed_vs_sz_deal")
        else f"{source_name(source)}: {base}"
    )


def _period_day(period: str) -> date | None:
    return as_date(period) if len(period) == 10 else None


def _period_text(period: str) -> str:
    day = _period_day(period)
    if day:
        return cn_day(day)
    if len(period) == 7:
        return f"{int(period[:4])}年{int(period[5:7])}月"
    return period


def rejected_files(conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> list[str]:
    """Sentences for the brand's files of the period that were rejected and not re-delivered."""
    if not table_exists(conn, "ops", "load_manifest"):
        return []
    from jd_pipeline.quality.windows import period_end_sql, period_start_sql

    rows = conn.execute(
        f"""
        select distinct r.source, r.store, r.period
        from ops.load_manifest r
        where r.status = 'rejected' and r.brand = ?
          and {period_start_sql("r.period")} <= ? and {period_end_sql("r.period")} > ?
          and not exists (select 1 from ops.load_manifest l
                          where l.status in ('loaded', 'replaced') and l.brand = r.brand and l.source = r.source
                            and l.store is not distinct from r.store and l.period = r.period)
        order by r.period, r.source""",
        [brand, end, start],
    ).fetchall()
    out = []
    for source, store, period in rows:
        store_text = {"pop": " (POP店)", "self": " (自营)"}.get(store or "", "")
        consequence = "当日对账未做, 当日数据缺失" if _period_day(str(period)) else "该期数据缺失"
        out.append(
            f"{_period_text(str(period))} {source_name(source)}{store_text} 文件被拒收: {consequence}。"
        )
    return out


def _latest_details(
    conn: duckdb.DuckDBPyConnection, name: str, asset: str | None, start: date, end: date
) -> list[dict[str, Any]]:
    """Details of the latest result of a check per window overlapping [start, end]."""
    if not table_exists(conn, "ops", "dq_results"):
        return []
    rows = conn.execute(
        """
        select details from ops.dq_results
        where check_name = ? and (? is null or asset = ?)
          and cast(details->>'window_start' as date) <= ? and cast(details->>'window_end' as date) > ?
        qualify row_number() over (partition by details->>'window_start', details->>'window_end', asset
                                   order by checked_at desc) = 1""",
        [name, asset, asset, end, start],
    ).fetchall()
    return [json.loads(r[0]) if isinstance(r[0], str) else (r[0] or {}) for r in rows]


def _in_scope(row: dict[str, Any], brand: str, start: date, end: date) -> bool:
    day = as_date(row.get("day"))
    return row.get("brand") == brand and day is not None and start <= day <= end


def sz_sentences(conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date) -> list[str]:
    """商智 vs orders: the brand's days beyond tolerance and its days that could not be compared."""
    gaps: dict[date, float] = {}
    missing: dict[date, str] = {}
    for details in _latest_details(conn, SZ_CHECK, None, start, end):
        for r in details.get("days_beyond_tolerance", []):
            day = as_date(r.get("day"))
            if day is not None and _in_scope(r, brand, start, end) and r.get("gap_pct") is not None:
                gaps[day] = float(r["gap_pct"])
        for r in details.get("days_not_comparable", []):
            day = as_date(r.get("day"))
            if day is not None and _in_scope(r, brand, start, end):
                missing[day] = r.get("missing", "")
    out = []
    if gaps:
        days = "、".join(f"{cn_day(d)} (差 {g:.1%})" for d, g in sorted(gaps.items()))
        out.append(f"商智 POP 成交金额与订单 GMV 相差超过 10%: {days}。")
    for d, side in sorted(missing.items()):
        what = "商智数据缺失" if side == "jd_sz_sku" else "当日无 POP 订单"
        out.append(f"{cn_day(d)} {what}: 商智与订单不可比, 当日对账未做。")
    return out


def _check_sentences(
    conn: duckdb.DuckDBPyConnection,
    checks: list[dict[str, Any]],
    brand: str,
    start: date,
    end: date,
    outcome: str,
) -> list[str]:
    out = []
    word = "未通过 (阻断报表)" if outcome == "failed" else "警告"
    for c in checks:
        if c["check_name"] == SZ_CHECK:
            continue  # told day by day by sz_sentences
        details = _latest_details(conn, c["check_name"], c["asset"], start, end)
        brands = {b for d in details for b in d.get("failing_brands", [])}
        if brands and brand not in brands:
            continue
        out.append(f"{check_name(c['check_name'], c['asset'])} {word}。")
    return out


def dq_section(
    conn: duckdb.DuckDBPyConnection, brand: str, start: date, end: date
) -> tuple[Section, list[KeyNumber]]:
    """What went wrong with this brand's data in [start, end], in words, plus the counts."""
    from jd_pipeline.quality.gate import dq_summary
    from jd_pipeline.quality.windows import Window

    window = Window(start, end + timedelta(days=1), f"{start}..{end}")
    summary = dq_summary(conn, brand, window)
    sentences = (
        rejected_files(conn, brand, start, end)
        + sz_sentences(conn, brand, start, end)
        + _check_sentences(conn, summary.failed_checks, brand, start, end, "failed")
        + _check_sentences(conn, summary.warned_checks, brand, start, end, "warned")
    )
    if summary.quarantined_rows:
        sentences.append(
            f"共 {summary.quarantined_rows:,} 行数据因格式或规则问题被隔离 (未计入报表), 原因见下表。"
        )
    checked = summary.passed + summary.warned + summary.failed
    lead = (
        f"{cn_day(start)} 至 {cn_day(end)}: {checked} 项检查, {summary.passed} 项通过, "
        f"{summary.warned} 项警告, {summary.failed} 项失败。"
        if checked
        else f"{cn_day(start)} 至 {cn_day(end)}: 尚无数据检查结果。"
    )
    if not sentences:
        sentences = ["本期数据完整, 未发现问题。"]
    tables = []
    if summary.quarantined_by_reason:
        quarantine = pd.DataFrame(list(summary.quarantined_by_reason.items()), columns=["reason", "rows"])
        tables.append(
            Table(
                "DQ隔离",
                "被隔离的行 (按原因)",
                quarantine,
                {"rows": "int"},
                labels={"reason": "原因", "rows": "行数"},
            )
        )
    section = Section(title="数据质量", tables=tables, notes=[lead, *sentences])
    keys = [
        KeyNumber("dq_failed_checks", "失败检查", float(summary.failed), "int"),
        KeyNumber("dq_quarantined_rows", "隔离行", float(summary.quarantined_rows), "int"),
    ]
    return section, keys

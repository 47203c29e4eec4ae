"""Which rows of which relation feed each mart, by grain column.

A feed reads a relation that carries the manifest `load_id` and the 1-based data row number of
the delivered file (the raw tables: `_load_id`, `_row_number`; `int_vc_purchase_orders__latest`:
`load_id`, `row_number_in_file`), restricted to the rows the mart's definition keeps (dealt POP
lines, RDC rows without 全国, the newest state of a PO line, …). Each grain column maps to a
predicate builder; a grain column a feed has no say on (e.g. `store_type` for a store-only
source) is handled by `stores`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from jd_pipeline.periods import month_bounds

Predicate = Callable[[str], tuple[str, list[object]]]


def eq(expr: str) -> Predicate:
    return lambda value: (f"{expr} = ?", [value])


def eq_date(expr: str) -> Predicate:
    def build(value: str) -> tuple[str, list[object]]:
        return f"{expr} = ?", [date.fromisoformat(value)]

    return build


def period_in_month(expr: str) -> Predicate:
    """A daily `_period` label (YYYY-MM-DD text) inside the month: a range, so DuckDB's zone maps prune."""

    def build(value: str) -> tuple[str, list[object]]:
        first, last = month_bounds(value)
        return f"{expr} between ? and ?", [first.isoformat(), last.isoformat()]

    return build


def date_in_month(expr: str) -> Predicate:
    def build(value: str) -> tuple[str, list[object]]:
        first, last = month_bounds(value)
        return f"{expr} between ? and ?", [first, last]

    return build


@dataclass(frozen=True)
class Feed:
    source: str  # the source of sources.md the files belong to
    relation: str  # the relation read, aliased `r`
    measures: tuple[str, ...]  # mart columns this feed is behind ("*" = all)
    predicates: dict[str, Predicate]
    stores: tuple[str, ...] | None = None  # store_type values the feed serves (None: any)
    where: str = "true"
    joins: str = ""
    load_col: str = "r._load_id"
    row_col: str = "r._row_number"
    note: str = ""


@dataclass(frozen=True)
class MartLineage:
    mart: str
    grain: tuple[str, ...]
    feeds: tuple[Feed, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


DEALT_POP = (
    "r.paid_ts is not null and trim(replace(replace(r.order_status, '(删除)', ''), '（删除）', '')) "
    "<> '已取消'"
)
PO_SELL_IN = "r.po_status <> '已取消' and r.completed_ts is not null and coalesce(r.qty_received, 0) > 0"
PO_RELATION = "intermediate.int_vc_purchase_orders__latest"
LEDGER_JOIN = "left join reference.cost_center_map as cc on cc.cost_center_raw = r.cost_center"
ACCOUNT_JOIN = "left join reference.account_cost_type as act on act.account_code = r.account_code"
COST_LINES = (
    "commission",
    "platform_fee",
    "ads",
    "agency_fee",
    "logistics",
    "campaign",
    "samples",
    "staff",
    "other",
    "allocated_shared",
    "contribution",
    "contribution_margin_pct",
)


def _pop_orders(daily: bool) -> Feed:
    day = eq("r._period") if daily else period_in_month("r._period")
    return Feed(
        "jd_pop_orders",
        "raw.jd_pop_orders",
        ("*",) if daily else ("gmv", "revenue", "cogs", "gross_margin"),
        {"date_day" if daily else "month": day, "brand": eq("r._brand"), "sku_id": eq("r.sku_id")},
        stores=("pop",),
        where=DEALT_POP,
        note="dealt order lines (paid, not 已取消)",
    )


LINEAGE: dict[str, MartLineage] = {
    m.mart: m
    for m in (
        MartLineage(
            "fct_sales_daily",
            ("date_day", "brand", "store_type", "sku_id"),
            (
                _pop_orders(daily=True),
                Feed(
                    "jd_vc_sales",
                    "raw.jd_vc_sales",
                    ("units", "gmv", "net_sales"),
                    {"date_day": eq_date("r.date_day"), "brand": eq("r._brand"), "sku_id": eq("r.sku_id")},
                    stores=("self",),
                ),
                Feed(
                    "jd_sz_sku",
                    "raw.jd_sz_sku",
                    ("orders", "buyers"),
                    {"date_day": eq_date("r.date_day"), "brand": eq("r._brand"), "sku_id": eq("r.sku_id")},
                    stores=("self",),
                    where="r._store = 'self'",
                ),
            ),
        ),
        MartLineage(
            "fct_sku_funnel_daily",
            ("date_day", "brand", "store_type", "sku_id"),
            (
                Feed(
                    "jd_sz_sku",
                    "raw.jd_sz_sku",
                    ("*",),
                    {
                        "date_day": eq_date("r.date_day"),
                        "brand": eq("r._brand"),
                        "store_type": eq("r._store"),
                        "sku_id": eq("r.sku_id"),
                    },
                ),
            ),
        ),
        MartLineage(
            "fct_ads_daily",
            ("date_day", "brand", "product_line", "campaign_id", "adgroup_id", "sku_id"),
            (
                Feed(
                    "jd_ads",
                    "raw.jd_ads",
                    ("*",),
                    {
                        "date_day": eq_date("r.date_day"),
                        "brand": eq("r._brand"),
                        "product_line": eq("plm.product_line"),
                        "campaign_id": eq("r.campaign_id"),
                        "adgroup_id": eq("r.adgroup_id"),
                        "sku_id": eq("r.sku_id"),
                    },
                    joins="left join reference.product_line_map as plm on plm.product_line_raw = r.product_line",
                    note="the newest pull of each report day",
                ),
            ),
        ),
        MartLineage(
            "fct_inventory_daily",
            ("date_day", "brand", "sku_id", "dc"),
            (
                Feed(
                    "jd_vc_inventory",
                    "raw.jd_vc_inventory",
                    ("*",),
                    {
                        "date_day": eq_date("r.date_day"),
                        "brand": eq("r._brand"),
                        "sku_id": eq("r.sku_id"),
                        "dc": eq("r.dc"),
                    },
                    where="r.dc <> '全国'",
                    note="RDC rows (the 全国 total row is not a detail)",
                ),
            ),
        ),
        MartLineage(
            "fct_sell_in_daily",
            ("date_day", "brand", "sku_id"),
            (
                Feed(
                    "jd_vc_purchase_orders",
                    PO_RELATION,
                    ("*",),
                    {
                        "date_day": eq_date("cast(r.completed_ts as date)"),
                        "brand": eq("r.brand"),
                        "sku_id": eq("r.sku_id"),
                    },
                    where=PO_SELL_IN,
                    load_col="r.load_id",
                    row_col="r.row_number_in_file",
                    note="the newest state of each PO line, received and completed that day",
                ),
            ),
        ),
        MartLineage(
            "fct_ecom_pnl_monthly",
            ("month", "brand", "store_type"),
            (
                _pop_orders(daily=False),
                Feed(
                    "jd_vc_sales",
                    "raw.jd_vc_sales",
                    ("gmv", "allocated_shared"),
                    {"month": date_in_month("r.date_day"), "brand": eq("r._brand")},
                    stores=("self",),
                ),
                Feed(
                    "jd_vc_purchase_orders",
                    PO_RELATION,
                    ("revenue", "cogs", "gross_margin"),
                    {"month": date_in_month("cast(r.completed_ts as date)"), "brand": eq("r.brand")},
                    stores=("self",),
                    where=PO_SELL_IN,
                    load_col="r.load_id",
                    row_col="r.row_number_in_file",
                    note="sell-in: the newest state of each PO line completed in the month",
                ),
                Feed(
                    "fin_opex_actuals",
                    "raw.fin_opex_actuals",
                    COST_LINES,
                    {
                        "month": eq("r.period"),
                        "brand": eq("r._brand"),
                        "store_type": lambda v: ("(cc.store_type = ? or cc.cost_center = 'shared')", [v]),
                    },
                    joins=LEDGER_JOIN,
                    note="ledger lines of the store's cost centre and of JD-共享 (allocated by gmv share)",
                ),
            ),
            notes=(
                (
                    "A month without ledger lines is an estimate (is_estimate): its cost lines come from 京准通 "
                    "cost and the rate card, not from ledger files."
                ),
            ),
        ),
        MartLineage(
            "fct_opex_monthly",
            ("month", "brand", "cost_center", "cost_type"),
            (
                Feed(
                    "fin_opex_actuals",
                    "raw.fin_opex_actuals",
                    ("actual",),
                    {
                        "month": eq("r.period"),
                        "brand": eq("r._brand"),
                        "cost_center": eq("cc.cost_center"),
                        "cost_type": eq("act.cost_type"),
                    },
                    joins=f"{LEDGER_JOIN} {ACCOUNT_JOIN}",
                ),
            ),
            notes=("budget and plan come from fin_opex_budget versions (not traced here).",),
        ),
    )
}

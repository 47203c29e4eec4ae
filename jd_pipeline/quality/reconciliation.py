"""Reconciliation checks across sources, pushed down as SQL on the warehouse.

Each check reads only the partition window and returns a CheckOutcome. Missing tables mean
"nothing to reconcile yet" (passed, observed value says so), never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from jd_pipeline.quality.gx_runner import load_suite_spec, suite_path
from jd_pipeline.quality.results import CheckOutcome, Severity, to_json
from jd_pipeline.quality.windows import Window, period_start_sql
from jd_pipeline.warehouse import fetch_value

POP_GMV_TOLERANCE = 0.10  # |商智 POP 成交金额 − orders gmv| / gmv per brand and day
ADS_SHARE_LIMIT = 1.0  # ads-attributed order amount / 商智 deal amount
AMOUNT_TOLERANCE = Decimal("0.005")  # totals vs details: exact to the cent
# ops.file_totals labels read `<header>=<marker>[ (<outer level>=<value>)]`, e.g. `配送中心=全国 (SKU=1000)`.
NATIONAL_LABEL = "regexp_matches(ft.total_label, '(^|=)全国')"
MAX_EXAMPLES = 20
DEALT = "paid_ts IS NOT NULL AND regexp_replace(order_status, '^\\(删除\\)', '') <> '已取消'"

CheckFn = Callable[[duckdb.DuckDBPyConnection, Window], CheckOutcome]


@dataclass(frozen=True)
class ReconSpec:
    """A reconciliation check: attached to `raw/<source>`, reading `deps` too."""

    name: str
    source: str
    severity: Severity
    fn: CheckFn
    deps: tuple[str, ...] = ()
    description: str = ""

    @property
    def asset(self) -> str:
        return f"raw/{self.source}"


def _exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _in_window(column: str = "_period") -> str:
    start = period_start_sql(column)
    return f"{start} >= ? AND {start} < ?"


def _outcome(
    spec: ReconSpec,
    window: Window,
    passed: bool,
    observed: Any,
    details: dict[str, Any],
    severity: Severity | None = None,
) -> CheckOutcome:
    return CheckOutcome(
        check_name=spec.name,
        asset=spec.asset,
        passed=passed,
        severity=severity or spec.severity,
        observed_value=observed,
        window=window,
        description=spec.description,
        details=json.loads(to_json(details)),
    )


def _missing(spec: ReconSpec, window: Window, tables: list[str]) -> CheckOutcome:
    return _outcome(
        spec,
        window,
        True,
        "nothing to reconcile: " + ", ".join(tables) + " not loaded",
        {"missing_tables": tables},
    )


# ------------------------------------------------------------------ 商智 POP vs orders


def sz_pop_deal_vs_orders_gmv(
    spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window
) -> CheckOutcome:
    missing = [t for t in ("jd_sz_sku", "jd_pop_orders") if not _exists(conn, "raw", t)]
    if missing:
        return _missing(spec, window, missing)
    sql = f"""
        WITH sz AS (
            -- both by business day = folder date (a stray row date is the loader's to flag)
            SELECT _brand AS brand, CAST(_period AS DATE) AS day, sum(deal_amount) AS sz_deal_amount
            FROM raw.jd_sz_sku WHERE _store = 'pop' AND {_in_window()} GROUP BY ALL),
        o AS (
            SELECT _brand AS brand, CAST(_period AS DATE) AS day, sum(unit_price * qty) AS orders_gmv
            FROM raw.jd_pop_orders WHERE {DEALT} AND {_in_window()} GROUP BY ALL)
        SELECT coalesce(sz.brand, o.brand) AS brand, coalesce(sz.day, o.day) AS day,
               sz_deal_amount, orders_gmv,
               sz_deal_amount - orders_gmv AS gap,
               abs(sz_deal_amount - orders_gmv) / greatest(abs(orders_gmv), 0.01) AS gap_pct
        FROM sz FULL JOIN o ON sz.brand = o.brand AND sz.day = o.day
        ORDER BY gap_pct DESC NULLS LAST, 1, 2"""
    rows = _rows(conn, sql, [window.start, window.end] * 2)
    # A day with one side missing (its 商智 file rejected or not delivered, or no orders) is not
    # comparable: it is listed as such, never counted as a gap of (amount ÷ 0.01).
    compared = [r for r in rows if r["sz_deal_amount"] is not None and r["orders_gmv"] is not None]
    not_comparable = [
        {
            "brand": r["brand"],
            "day": r["day"],
            "missing": "jd_sz_sku" if r["sz_deal_amount"] is None else "jd_pop_orders",
        }
        for r in rows
        if r["sz_deal_amount"] is None or r["orders_gmv"] is None
    ]
    over = [r for r in compared if r["gap_pct"] > POP_GMV_TOLERANCE]
    max_gap = max((r["gap_pct"] for r in compared), default=0.0)
    observed = (
        f"max gap {max_gap:.2%} over {len(compared)} brand-days; {len(over)} beyond {POP_GMV_TOLERANCE:.0%}"
        + (f"; {len(not_comparable)} not comparable (one side missing)" if not_comparable else "")
    )
    return _outcome(
        spec,
        window,
        not over,
        observed,
        {
            "tolerance": POP_GMV_TOLERANCE,
            "max_gap_pct": max_gap,
            "days_compared": len(compared),
            "days_beyond_tolerance": over[:MAX_EXAMPLES],
            "days_not_comparable": not_comparable[:MAX_EXAMPLES],
            "failing_brands": sorted({r["brand"] for r in over}),
        },
    )


# ------------------------------------------------------------------ ads vs 商智


def ads_attributed_vs_sz_deal(
    spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window
) -> CheckOutcome:
    missing = [t for t in ("jd_ads", "jd_sz_sku") if not _exists(conn, "raw", t)]
    if missing:
        return _missing(spec, window, missing)
    sql = f"""
        WITH a AS (SELECT _brand AS brand, date_day AS day, sum(total_order_amount) AS ads_amount
                   FROM raw.jd_ads WHERE {_in_window()} GROUP BY ALL),
        s AS (SELECT _brand AS brand, date_day AS day, sum(deal_amount) AS sz_deal_amount
              FROM raw.jd_sz_sku WHERE {_in_window()} GROUP BY ALL)
        SELECT a.brand, a.day, a.ads_amount, coalesce(s.sz_deal_amount, 0) AS sz_deal_amount,
               CASE WHEN coalesce(s.sz_deal_amount, 0) > 0 THEN a.ads_amount / s.sz_deal_amount END AS share
        FROM a LEFT JOIN s ON a.brand = s.brand AND a.day = s.day
        ORDER BY share DESC NULLS FIRST"""
    rows = _rows(conn, sql, [window.start, window.end] * 2)
    over = [
        r
        for r in rows
        if (r["share"] is None and r["ads_amount"] > 0)
        or (r["share"] is not None and r["share"] > ADS_SHARE_LIMIT)
    ]
    max_share = max((r["share"] for r in rows if r["share"] is not None), default=0.0)
    observed = f"max ads-attributed share {max_share:.1%}; {len(over)} brand-days above {ADS_SHARE_LIMIT:.0%}"
    return _outcome(
        spec,
        window,
        not over,
        observed,
        {
            "limit": ADS_SHARE_LIMIT,
            "max_share": max_share,
            "days_above_limit": over[:MAX_EXAMPLES],
            "failing_brands": sorted({r["brand"] for r in over}),
        },
    )


# ------------------------------------------------------------------ totals (ops.file_totals)


def _additive_columns(source: str) -> list[str]:
    if not suite_path(source).exists():
        return []
    return list(load_suite_spec(source).meta.get("additive_columns", []))


def _current_loads_filter(conn: duckdb.DuckDBPyConnection) -> str:
    if _exists(conn, "ops", "load_manifest"):
        return "AND ft.load_id IN (SELECT load_id FROM ops.load_manifest WHERE status = 'loaded')"
    return ""


def _total_mismatches(
    conn: duckdb.DuckDBPyConnection, source: str, window: Window, labels_sql: str
) -> tuple[int, list[dict[str, Any]]]:
    """(total rows compared, mismatching rows) of ops.file_totals for the source and window."""
    columns = _additive_columns(source)
    sql = f"""
        SELECT ft.load_id, ft.brand, ft.store, ft.period, ft.row_number, ft.total_label, ft.column_name,
               ft.total_value, ft.detail_value, ft.total_value - coalesce(ft.detail_value, 0) AS diff
        FROM ops.file_totals ft
        WHERE ft.source = ? AND {_in_window("ft.period")} {labels_sql} {_current_loads_filter(conn)}
          AND ft.column_name IN (SELECT unnest(?)) AND ft.total_value IS NOT NULL
        ORDER BY abs(ft.total_value - coalesce(ft.detail_value, 0)) DESC"""
    rows = _rows(conn, sql, [source, window.start, window.end, columns])
    bad = [r for r in rows if abs(Decimal(str(r["diff"]))) > AMOUNT_TOLERANCE]
    return len(rows), bad


def _paths(conn: duckdb.DuckDBPyConnection, load_ids: set[str]) -> list[str]:
    if not load_ids or not _exists(conn, "ops", "load_manifest"):
        return sorted(load_ids)
    rows = conn.execute(
        "SELECT DISTINCT path FROM ops.load_manifest WHERE load_id IN (SELECT unnest(?))", [sorted(load_ids)]
    ).fetchall()
    return sorted(str(r[0]) for r in rows) or sorted(load_ids)


def _totals_outcome(
    spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window, labels_sql: str, what: str
) -> CheckOutcome:
    if not _exists(conn, "ops", "file_totals"):
        return _missing(spec, window, ["ops.file_totals"])
    compared, bad = _total_mismatches(conn, spec.source, window, labels_sql)
    files = _paths(conn, {str(r["load_id"]) for r in bad})
    observed = (
        f"{compared} {what} values match their details"
        if not bad
        else f"{len(bad)} of {compared} {what} values differ from their details, e.g. "
        + ", ".join(
            f"{r['total_label']}.{r['column_name']} {r['total_value']} vs {r['detail_value']}"
            for r in bad[:3]
        )
        + " in "
        + ", ".join(files[:3])
    )
    return _outcome(
        spec,
        window,
        not bad,
        observed,
        {
            "compared": compared,
            "mismatches": bad[:MAX_EXAMPLES],
            "files": files,
            "failing_brands": sorted({r["brand"] for r in bad}),
        },
    )


def total_rows_match_details(
    spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window
) -> CheckOutcome:
    return _totals_outcome(spec, conn, window, f"AND NOT {NATIONAL_LABEL}", "total-row")


def traffic_subtotals_match(spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window) -> CheckOutcome:
    return _totals_outcome(spec, conn, window, "", "subtotal/total")


def inventory_national_equals_rdc_sum(
    spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window
) -> CheckOutcome:
    outcome = _totals_outcome(spec, conn, window, f"AND {NATIONAL_LABEL}", "全国")
    if _exists(conn, "raw", "jd_vc_inventory"):  # a 全国 row that slipped into raw: compare there too
        leaked = _rows(
            conn,
            f"""
            WITH n AS (SELECT _brand, date_day, sku_id, sum(on_hand) AS national FROM raw.jd_vc_inventory
                       WHERE dc = '全国' AND {_in_window()} GROUP BY ALL),
                 r AS (SELECT _brand, date_day, sku_id, sum(on_hand) AS rdc_sum FROM raw.jd_vc_inventory
                       WHERE dc <> '全国' AND {_in_window()} GROUP BY ALL)
            SELECT n.*, coalesce(r.rdc_sum, 0) AS rdc_sum FROM n LEFT JOIN r USING (_brand, date_day, sku_id)
            WHERE n.national <> coalesce(r.rdc_sum, 0)""",
            [window.start, window.end] * 2,
        )
        if leaked:
            outcome.passed = False
            outcome.observed_value = (
                f"{outcome.observed_value}; {len(leaked)} 全国 rows in raw differ from Σ RDC"
            )
            outcome.details["raw_mismatches"] = json.loads(to_json(leaked[:MAX_EXAMPLES]))
    return outcome


# ------------------------------------------------------------------ OPEX closed months

OPEX_SNAPSHOT_SQL = f"""
    WITH cur AS (
        SELECT _brand AS brand, _period AS period, count(*) AS lines, sum(debit) AS debit, sum(credit) AS credit,
               md5(string_agg(concat_ws('|', voucher_id, line_no, cost_center, account_code, debit, credit, currency),
                              ';' ORDER BY voucher_id, line_no)) AS fingerprint,
               min(_load_id) AS load_id
        FROM raw.fin_opex_actuals WHERE {_in_window()} GROUP BY ALL),
    latest AS (SELECT _brand AS brand, max(_period) AS latest_period FROM raw.fin_opex_actuals GROUP BY ALL)
    SELECT cur.*, cur.period < latest.latest_period AS closed
    FROM cur JOIN latest USING (brand) ORDER BY brand, period"""


def _opex_baselines(conn: duckdb.DuckDBPyConnection, check_name: str) -> dict[str, dict[str, Any]]:
    """The first passed snapshot of each closed (brand, month), from earlier results of this check."""
    if not _exists(conn, "ops", "dq_results"):
        return {}
    baselines: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        "SELECT details FROM ops.dq_results WHERE check_name = ? AND passed ORDER BY checked_at", [check_name]
    ).fetchall()
    for (details,) in rows:
        for key, snap in (json.loads(details).get("months") or {}).items():
            if snap.get("closed") and key not in baselines:
                baselines[key] = snap
    return baselines


def opex_closed_months_unchanged(
    spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window
) -> CheckOutcome:
    """A month is closed once a later month of the brand's ledger has been delivered; from then on
    a re-delivery must reproduce the same lines as the delivery first seen closed."""
    if not _exists(conn, "raw", "fin_opex_actuals"):
        return _missing(spec, window, ["raw.fin_opex_actuals"])
    current = {
        f"{r['brand']}|{r['period']}": json.loads(to_json(r))
        for r in _rows(conn, OPEX_SNAPSHOT_SQL, [window.start, window.end])
    }
    baselines = _opex_baselines(conn, spec.name)
    changed: list[dict[str, Any]] = []
    for key, snap in current.items():
        base = baselines.get(key)
        if snap["closed"] and base and base["fingerprint"] != snap["fingerprint"]:
            changed.append(
                {
                    "month": key,
                    "before": {k: base.get(k) for k in ("lines", "debit", "credit", "load_id")},
                    "now": {k: snap.get(k) for k in ("lines", "debit", "credit", "load_id")},
                }
            )
    files = _paths(conn, {c["now"]["load_id"] for c in changed})
    observed = (
        f"{sum(s['closed'] for s in current.values())} closed months unchanged"
        if not changed
        else "closed months changed: "
        + "; ".join(
            f"{c['month']} debit {c['before']['debit']} -> {c['now']['debit']}, "
            f"credit {c['before']['credit']} -> {c['now']['credit']}"
            for c in changed[:3]
        )
        + " in "
        + ", ".join(files[:3])
    )
    return _outcome(
        spec,
        window,
        not changed,
        observed,
        {
            "months": current,
            "changed": changed,
            "files": files,
            "failing_brands": sorted({c["month"].split("|")[0] for c in changed}),
        },
    )


# ------------------------------------------------------------------ plan months


def plan_months_sum_to_year(spec: ReconSpec, conn: duckdb.DuckDBPyConnection, window: Window) -> CheckOutcome:
    """Every (version, store, category) of a yearly plan has each of its months exactly once, so the
    months add up to the year (the year-total rows themselves are checked by
    `total_rows_match_details`). The budget (the year's first version by 发布日期) covers the 12
    months; a later revision covers either the 12 months or the remaining months only, January..
    December cut at its first month (a 2026-Q2滚动 of April..December, docs/marts_notes.md): the
    months before stay on the previous version."""
    if not _exists(conn, "raw", "fin_sales_plan"):
        return _missing(spec, window, ["raw.fin_sales_plan"])
    sql = f"""
        WITH groups AS (
            SELECT _brand AS brand, _period AS year, plan_version, store, category, min(_load_id) AS load_id,
                   min(published_on) AS published_on, count(*) AS lines, count(DISTINCT month) AS months,
                   min(month) AS first_month, max(month) AS last_month,
                   count(*) FILTER (WHERE substr(month, 1, 4) <> _period) AS outside_year,
                   sum(target_gmv) AS year_target_gmv
            FROM raw.fin_sales_plan WHERE {_in_window()} GROUP BY ALL),
        budgets AS (SELECT brand, year, min(published_on) AS budget_published FROM groups GROUP BY ALL)
        SELECT g.* EXCLUDE (published_on), g.published_on = b.budget_published AS is_budget
        FROM groups AS g JOIN budgets AS b USING (brand, year)
        WHERE g.lines <> g.months OR g.outside_year > 0 OR g.last_month <> g.year || '-12'
           OR g.months <> 13 - CAST(substr(g.first_month, 6, 2) AS INTEGER)
           OR (g.published_on = b.budget_published AND g.first_month <> g.year || '-01')
        ORDER BY ALL"""
    bad = _rows(conn, sql, [window.start, window.end])
    groups = fetch_value(
        conn,
        f"SELECT count(*) FROM (SELECT DISTINCT _brand, _period, plan_version, store, category "
        f"FROM raw.fin_sales_plan WHERE {_in_window()})",
        [window.start, window.end],
    )
    files = _paths(conn, {str(r["load_id"]) for r in bad})
    observed = (
        f"{groups} plan lines cover their months (budget: 12, revisions: 12 or the remaining ones)"
        if not bad
        else f"{len(bad)} of {groups} plan lines do not cover their months exactly once, e.g. "
        + ", ".join(
            f"{r['plan_version']}/{r['store']}/{r['category']}: {r['months']} months" for r in bad[:3]
        )
        + " in "
        + ", ".join(files[:3])
    )
    return _outcome(
        spec,
        window,
        not bad,
        observed,
        {
            "groups": groups,
            "incomplete": bad[:MAX_EXAMPLES],
            "files": files,
            "failing_brands": sorted({r["brand"] for r in bad}),
        },
    )


# ------------------------------------------------------------------ registry


@dataclass
class _Builder:
    specs: list[ReconSpec] = field(default_factory=list)

    def add(
        self,
        name: str,
        source: str,
        severity: Severity,
        fn: Any,
        deps: tuple[str, ...] = (),
        description: str = "",
    ) -> None:
        holder: dict[str, ReconSpec] = {}
        spec = ReconSpec(
            name, source, severity, lambda conn, window: fn(holder["spec"], conn, window), deps, description
        )
        holder["spec"] = spec
        self.specs.append(spec)


def reconciliation_specs(sources: list[str]) -> list[ReconSpec]:
    """All reconciliation checks: the cross-source ones plus a totals check per raw source."""
    b = _Builder()
    b.add(
        "sz_pop_deal_vs_orders_gmv",
        "jd_sz_sku",
        "warn",
        sz_pop_deal_vs_orders_gmv,
        ("jd_pop_orders",),
        f"商智 POP 成交金额 vs POP orders gmv (dealt lines) per brand and day, within {POP_GMV_TOLERANCE:.0%}",
    )
    b.add(
        "ads_attributed_vs_sz_deal",
        "jd_ads",
        "warn",
        ads_attributed_vs_sz_deal,
        ("jd_sz_sku",),
        "京准通 attributed order amount must not exceed 商智 deal amount of the brand and day",
    )
    b.add(
        "inventory_national_equals_rdc_sum",
        "jd_vc_inventory",
        "error",
        inventory_national_equals_rdc_sum,
        (),
        "the 全国 row of each SKU equals the sum of its RDC rows",
    )
    b.add(
        "opex_closed_months_unchanged",
        "fin_opex_actuals",
        "error",
        opex_closed_months_unchanged,
        (),
        "a closed ledger month re-delivered must not change",
    )
    b.add(
        "plan_months_sum_to_year",
        "fin_sales_plan",
        "error",
        plan_months_sum_to_year,
        (),
        "every plan version/store/category has its months exactly once: the budget 12, a revision "
        "12 or the remaining months to December",
    )
    for source in sources:
        if source == "jd_sz_traffic":
            b.add(
                "traffic_subtotals_match",
                source,
                "error",
                traffic_subtotals_match,
                (),
                "一级来源 subtotals and the store total equal the sum of their detail rows (ops.file_totals)",
            )
        else:
            b.add(
                "total_rows_match_details",
                source,
                "error",
                total_rows_match_details,
                (),
                "dropped 合计/总计/汇总 rows equal the sum of their detail rows (ops.file_totals)",
            )
    return b.specs

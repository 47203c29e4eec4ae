"""The rule kinds of `rules.yaml`, each a SQL read of the marts plus per-brand thresholds.

Every evaluator returns the firing candidates, or None when it could not evaluate (a table it
reads does not exist yet): then the open alerts of that rule are left as they are, never resolved
by a missing input. Readings of each rule: docs/alerts.md.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from jd_pipeline.alerts.config import RulesConfig
from jd_pipeline.alerts.model import Candidate, severity_for
from jd_pipeline.periods import month_end
from jd_pipeline.warehouse import fetch_value, table_exists

Evaluator = Callable[[duckdb.DuckDBPyConnection, RulesConfig, date, datetime], "list[Candidate] | None"]
STORE_LABEL = {"pop": "POP店", "self": "自营", "all": "全部"}
OPEN_PO_EXCLUDED = ("已完成", "已取消")
OPEN_ACTION_CODES = ("not_started", "in_progress", "delayed")
# A daily business day ends at 24:00 Asia/Shanghai = 16:00 UTC; delivered_at is stored in UTC.
SHANGHAI_UTC_OFFSET = timedelta(hours=8)


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def load_ids(
    conn: duckdb.DuckDBPyConnection, source: str, brand: str | None, first: str, last: str
) -> tuple[str, ...]:
    """The loaded files of `source` (and brand) whose period label lies in [first, last] (ISO text order)."""
    if not table_exists(conn, "ops", "load_manifest"):
        return ()
    rows = conn.execute(
        "select load_id from ops.load_manifest where status = 'loaded' and source = ? "
        "and (? is null or brand = ?) and period between ? and ? order by period, load_id",
        [source, brand, brand, first, last],
    ).fetchall()
    return tuple(r[0] for r in rows)


def _money(value: Any) -> float:
    return round(float(value or 0), 2)


# ------------------------------------------------------------------------------------------ gmv
def gmv_pace(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> list[Candidate] | None:
    """Month-to-date gmv per brand × store vs the current plan prorated to the days elapsed."""
    if not (
        table_exists(conn, "marts", "fct_plan_vs_actual_monthly")
        and table_exists(conn, "marts", "fct_sales_daily")
    ):
        return None
    month_start = as_of.replace(day=1)
    days_in_month = month_end(as_of).day
    rows = _rows(
        conn,
        """
        with plan as (
            select brand, store_type, sum(plan_gmv) as plan_gmv
            from marts.fct_plan_vs_actual_monthly where month_start = ? group by brand, store_type),
        actual as (
            select brand, store_type, sum(gmv) as mtd_gmv
            from marts.fct_sales_daily where date_day between ? and ? group by brand, store_type)
        select p.brand, p.store_type, p.plan_gmv, coalesce(a.mtd_gmv, 0) as mtd_gmv
        from plan as p left join actual as a on a.brand = p.brand and a.store_type = p.store_type
        where p.plan_gmv > 0 order by 1, 2""",
        [month_start, month_start, as_of],
    )
    out = []
    for r in rows:
        rule = cfg.for_brand("gmv_pace", r["brand"])
        if not rule["enabled"] or as_of.day < int(rule["min_days_elapsed"]):
            continue
        pace = float(r["plan_gmv"]) * as_of.day / days_in_month
        ratio = float(r["mtd_gmv"]) / pace
        severity = severity_for(ratio, float(rule["warn_below"]), float(rule["critical_below"]), below=True)
        if severity is None:
            continue
        month = month_start.strftime("%Y-%m")
        source = "jd_pop_orders" if r["store_type"] == "pop" else "jd_vc_sales"
        out.append(
            Candidate(
                key=f"gmv_pace:{r['brand']}:{r['store_type']}:{month}",
                rule="gmv_pace",
                brand=r["brand"],
                store_type=r["store_type"],
                severity=severity,
                title=f"{r['brand']} {STORE_LABEL.get(r['store_type'], r['store_type'])} {month} GMV 进度 "
                f"{ratio:.0%} (MTD ¥{float(r['mtd_gmv']):,.0f} vs 计划进度 ¥{pace:,.0f})",
                figures={
                    "month": month,
                    "as_of": as_of.isoformat(),
                    "mtd_gmv": _money(r["mtd_gmv"]),
                    "plan_gmv_month": _money(r["plan_gmv"]),
                    "plan_pace_gmv": round(pace, 2),
                    "pace_ratio": round(ratio, 4),
                    "days_elapsed": as_of.day,
                    "days_in_month": days_in_month,
                    "warn_below": rule["warn_below"],
                    "critical_below": rule["critical_below"],
                },
                source_load_ids=load_ids(conn, source, r["brand"], month_start.isoformat(), as_of.isoformat())
                + load_ids(conn, "fin_sales_plan", r["brand"], str(as_of.year), str(as_of.year)),
            )
        )
    return out


# ------------------------------------------------------------------------------------------ ads
_ADS_SQL = """
    select brand, {dim} as dim, {label} as label,
           sum(cost) filter (where date_day = ?)                           as cost_day,
           sum(total_order_amount) filter (where date_day = ?)             as amount_day,
           sum(cost) filter (where date_day between ? and ?)               as cost_trailing,
           sum(total_order_amount) filter (where date_day between ? and ?) as amount_trailing
    from marts.fct_ads_daily
    where date_day between ? and ? {where}
    group by all order by 1, 2"""


def _ads_rows(conn: duckdb.DuckDBPyConnection, as_of: date, days: int, scope: str) -> list[dict[str, Any]]:
    first = as_of - timedelta(days=days)
    last = as_of - timedelta(days=1)
    if scope == "product_line":
        sql = _ADS_SQL.format(dim="product_line", label="product_line", where="")
    else:
        sql = _ADS_SQL.format(dim="campaign_id", label="max(campaign_name)", where="and is_haitou")
    return _rows(conn, sql, [as_of, as_of, first, last, first, last, first, as_of])


def ads_roi_drop(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> list[Candidate] | None:
    """ROI of the day per product line and per 海投 campaign vs the ROI of the trailing days."""
    if not table_exists(conn, "marts", "fct_ads_daily"):
        return None
    windows = sorted({int(cfg.for_brand("ads_roi_drop", b)["trailing_days"]) for b in [None, *cfg.brands]})
    out = []
    for days, scope in [(d, s) for d in windows for s in ("product_line", "haitou")]:
        for r in _ads_rows(conn, as_of, days, scope):
            rule = cfg.for_brand("ads_roi_drop", r["brand"])
            if int(rule["trailing_days"]) != days:  # read in the pass of the brand's own window
                continue
            if not rule["enabled"] or not r["cost_day"] or float(r["cost_day"]) < float(rule["min_cost"]):
                continue
            if not r["cost_trailing"] or not r["amount_trailing"]:
                continue
            roi_day = float(r["amount_day"] or 0) / float(r["cost_day"])
            roi_trailing = float(r["amount_trailing"]) / float(r["cost_trailing"])
            drop = 1 - roi_day / roi_trailing
            severity = severity_for(drop, float(rule["warn_drop"]), float(rule["critical_drop"]), below=False)
            if severity is None:
                continue
            what = (
                f"产品线 {r['label']}" if scope == "product_line" else f"海投计划 {r['label']} ({r['dim']})"
            )
            out.append(
                Candidate(
                    key=f"ads_roi_drop:{r['brand']}:{scope}:{r['dim']}",
                    rule="ads_roi_drop",
                    brand=r["brand"],
                    store_type=None,
                    severity=severity,
                    title=f"{r['brand']} {what} ROI {roi_day:.2f} vs 近{days}日 {roi_trailing:.2f} (−{drop:.0%})",
                    figures={
                        "scope": scope,
                        "id": r["dim"],
                        "label": r["label"],
                        "day": as_of.isoformat(),
                        "cost_day": _money(r["cost_day"]),
                        "amount_day": _money(r["amount_day"]),
                        "roi_day": round(roi_day, 4),
                        "trailing_days": days,
                        "cost_trailing": _money(r["cost_trailing"]),
                        "amount_trailing": _money(r["amount_trailing"]),
                        "roi_trailing": round(roi_trailing, 4),
                        "drop": round(drop, 4),
                    },
                    source_load_ids=load_ids(
                        conn,
                        "jd_ads",
                        r["brand"],
                        (as_of - timedelta(days=days)).isoformat(),
                        as_of.isoformat(),
                    ),
                )
            )
    return out


# ------------------------------------------------------------------------------------ inventory
def days_of_cover(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> list[Candidate] | None:
    """自营 top SKUs (by shipped units) whose available units cover fewer days than the threshold."""
    if not table_exists(conn, "marts", "fct_inventory_daily"):
        return None
    windows = sorted({int(cfg.for_brand("days_of_cover", b)["ranking_days"]) for b in [None, *cfg.brands]})
    out = []
    for ranking_days in windows:
        out += _cover_candidates(conn, cfg, as_of, ranking_days)
    return out


def _cover_candidates(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, ranking_days: int
) -> list[Candidate]:
    rows = _rows(
        conn,
        """
        with inv as (
            select brand, sku_id, date_day, sum(available) as available, sum(shipped_units) as shipped
            from marts.fct_inventory_daily where date_day between ? and ? group by all),
        ranked as (
            select brand, sku_id,
                   sum(shipped) as ranked_units,
                   row_number() over (partition by brand order by sum(shipped) desc, sku_id) as sku_rank
            from inv group by brand, sku_id)
        select r.brand, r.sku_id, r.sku_rank, r.ranked_units, t.available
        from ranked as r join inv as t on t.brand = r.brand and t.sku_id = r.sku_id and t.date_day = ?
        order by r.brand, r.sku_rank""",
        [as_of - timedelta(days=ranking_days - 1), as_of, as_of],
    )
    out = []
    for r in rows:
        rule = cfg.for_brand("days_of_cover", r["brand"])
        if int(rule["ranking_days"]) != ranking_days:
            continue
        if not rule["enabled"] or r["sku_rank"] > int(rule["top_skus"]):
            continue
        shipped_days = int(rule["shipped_days"])
        first = as_of - timedelta(days=shipped_days - 1)
        shipped = fetch_value(
            conn,
            "select coalesce(sum(shipped_units), 0) from marts.fct_inventory_daily "
            "where brand = ? and sku_id = ? and date_day between ? and ?",
            [r["brand"], r["sku_id"], first, as_of],
        )
        if not shipped:
            continue  # nothing ships: no sell-out risk to measure
        per_day = float(shipped) / shipped_days
        cover = float(r["available"] or 0) / per_day
        severity = severity_for(
            cover, float(rule["warn_below_days"]), float(rule["critical_below_days"]), below=True
        )
        if severity is None:
            continue
        out.append(
            Candidate(
                key=f"days_of_cover:{r['brand']}:{r['sku_id']}",
                rule="days_of_cover",
                brand=r["brand"],
                store_type="self",
                severity=severity,
                title=f"{r['brand']} 自营 SKU {r['sku_id']} 可售 {cover:.1f} 天 (可用 {int(r['available'] or 0)} 件, "
                f"日均出库 {per_day:.1f})",
                figures={
                    "sku_id": r["sku_id"],
                    "as_of": as_of.isoformat(),
                    "available": int(r["available"] or 0),
                    "shipped_units_recent": int(shipped),
                    "shipped_days": shipped_days,
                    "avg_daily_shipped": round(per_day, 4),
                    "days_of_cover": round(cover, 2),
                    "sku_rank": int(r["sku_rank"]),
                    "ranked_units": int(r["ranked_units"] or 0),
                },
                source_load_ids=load_ids(
                    conn, "jd_vc_inventory", r["brand"], first.isoformat(), as_of.isoformat()
                ),
            )
        )
    return out


# ------------------------------------------------------------------------------------------- PO
def po_past_eta(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> list[Candidate] | None:
    """自营 POs whose newest state is still open (not 已完成/已取消) after their 预约到货日期."""
    if not table_exists(conn, "intermediate", "int_vc_purchase_orders__latest"):
        return None
    rows = _rows(
        conn,
        f"""
        select brand, po_id, min(eta_date) as eta_date, count(*) as lines, sum(qty_ordered) as qty_ordered,
               sum(coalesce(qty_received, 0)) as qty_received, sum(po_amount) as po_amount,
               string_agg(distinct po_status, ',' order by po_status) as statuses,
               list(distinct load_id order by load_id) as load_ids
        from intermediate.int_vc_purchase_orders__latest
        where po_status not in {OPEN_PO_EXCLUDED} and eta_date < ? and export_date <= ?
        group by brand, po_id order by brand, po_id""",
        [as_of, as_of],
    )
    out = []
    for r in rows:
        rule = cfg.for_brand("po_past_eta", r["brand"])
        late = (as_of - r["eta_date"]).days
        severity = severity_for(
            late, float(rule["warn_days_late"]), float(rule["critical_days_late"]), below=False
        )
        if not rule["enabled"] or severity is None:
            continue
        out.append(
            Candidate(
                key=f"po_past_eta:{r['brand']}:{r['po_id']}",
                rule="po_past_eta",
                brand=r["brand"],
                store_type="self",
                severity=severity,
                title=f"{r['brand']} 采购单 {r['po_id']} 逾期 {late} 天未到货 (预约 {r['eta_date']}, {r['statuses']})",
                figures={
                    "po_id": r["po_id"],
                    "eta_date": r["eta_date"].isoformat(),
                    "days_late": late,
                    "lines": int(r["lines"]),
                    "qty_ordered": int(r["qty_ordered"] or 0),
                    "qty_received": int(r["qty_received"] or 0),
                    "po_amount": _money(r["po_amount"]),
                    "statuses": r["statuses"],
                },
                source_load_ids=tuple(r["load_ids"]),
            )
        )
    return out


# --------------------------------------------------------------------------------------- agency
def action_overdue(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> list[Candidate] | None:
    """Open action items of each brand's newest snapshot (on or before the day) past their due date."""
    if not table_exists(conn, "marts", "fct_action_plan_status"):
        return None
    rows = _rows(
        conn,
        f"""
        with snaps as (
            select * from marts.fct_action_plan_status where snapshot_date <= ?
            qualify snapshot_date = max(snapshot_date) over (partition by brand))
        select brand, action_id, horizon, owner_id, store_type, due_date, status, snapshot_date, metric,
               target, "current"
        from snaps where status_code in {OPEN_ACTION_CODES} and due_date < ? order by brand, action_id""",
        [as_of, as_of],
    )
    out = []
    for r in rows:
        rule = cfg.for_brand("action_overdue", r["brand"])
        overdue = (as_of - r["due_date"]).days
        severity = severity_for(
            overdue, float(rule["warn_days_overdue"]), float(rule["critical_days_overdue"]), below=False
        )
        if not rule["enabled"] or severity is None:
            continue
        snapshot = r["snapshot_date"].isoformat()
        out.append(
            Candidate(
                key=f"action_overdue:{r['brand']}:{r['action_id']}",
                rule="action_overdue",
                brand=r["brand"],
                store_type=r["store_type"],
                severity=severity,
                title=f"{r['brand']} 行动项 {r['action_id']} 逾期 {overdue} 天 (截止 {r['due_date']}, {r['status']}, "
                f"负责人 {r['owner_id']})",
                figures={
                    "action_id": r["action_id"],
                    "horizon": r["horizon"],
                    "owner_id": r["owner_id"],
                    "due_date": r["due_date"].isoformat(),
                    "status": r["status"],
                    "days_overdue": overdue,
                    "snapshot_date": snapshot,
                    "metric": r["metric"],
                    "target": None if r["target"] is None else float(r["target"]),
                    "current": None if r["current"] is None else float(r["current"]),
                },
                source_load_ids=load_ids(conn, "tp_action_plan", r["brand"], snapshot, snapshot),
            )
        )
    return out


# -------------------------------------------------------------------------------------- sources
def _day_end_utc(period: str) -> datetime:
    """End of the business day `period` (YYYY-MM-DD, Asia/Shanghai) as naive UTC."""
    return (
        datetime.combine(date.fromisoformat(period) + timedelta(days=1), datetime.min.time())
        - SHANGHAI_UTC_OFFSET
    )


def source_late(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> list[Candidate] | None:
    """A daily source whose next day has not arrived by its usual lag plus grace (`now` is UTC, naive)."""
    if not table_exists(conn, "ops", "load_manifest"):
        return None
    sources = sorted({s for b in [None, *cfg.brands] for s in cfg.for_brand("source_late", b)["sources"]})
    if not sources:
        return []
    rows = _rows(
        conn,
        """
        select source, brand, coalesce(store, '') as store, period, min(delivered_at) as arrived,
               list(load_id order by delivered_at) filter (where status = 'loaded') as load_ids
        from ops.load_manifest
        where status in ('loaded', 'replaced', 'duplicate') and delivered_at is not null
          and source in (select unnest(?)) and length(period) = 10
        group by all order by source, brand, store, period""",
        [sources],
    )
    # Judged at the wall clock, but never later than the end of the day after the evaluated day: a
    # run over past days (a backfill, the demo) sees arrivals as they stood then, not months later.
    now = min(now, _day_end_utc((as_of + timedelta(days=1)).isoformat()))
    series: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault((r["source"], r["brand"], r["store"]), []).append(r)
    out = []
    for (source, brand, store), periods in series.items():
        rule = cfg.for_brand("source_late", brand)
        if not rule["enabled"] or source not in rule["sources"]:
            continue
        recent = periods[-int(rule["history_files"]) :]
        lags = [(p["arrived"] - _day_end_utc(p["period"])).total_seconds() / 3600 for p in recent]
        usual = statistics.median(lags)
        if usual > float(rule["max_usual_lag_hours"]):
            continue  # the history was delivered in bulk: no usual arrival to be late against
        newest = periods[-1]["period"]
        expected_period = (date.fromisoformat(newest) + timedelta(days=1)).isoformat()
        due = _day_end_utc(expected_period) + timedelta(hours=max(usual, 0) + float(rule["grace_hours"]))
        hours_late = (now - due).total_seconds() / 3600
        if hours_late <= 0:
            continue
        severity = "critical" if hours_late >= float(rule["critical_hours_late"]) else "warning"
        where = f"/{store}" if store else ""
        out.append(
            Candidate(
                key=f"source_late:{brand}:{source}:{store or '-'}",
                rule="source_late",
                brand=brand,
                store_type=store or None,
                severity=severity,
                title=f"{brand} {source}{where} {expected_period} 未按时到达 (通常 T+{usual:.1f}h, 已晚 {hours_late:.1f}h)",
                figures={
                    "source": source,
                    "store": store or None,
                    "expected_period": expected_period,
                    "newest_period": newest,
                    "usual_lag_hours": round(usual, 2),
                    "due_at_utc": due.isoformat(timespec="minutes"),
                    "hours_late": round(hours_late, 2),
                    "history_files": len(recent),
                },
                source_load_ids=tuple(periods[-1]["load_ids"] or ()),
            )
        )
    return out


# --------------------------------------------------------------------------------------- checks
def check_failed(
    conn: duckdb.DuckDBPyConnection, cfg: RulesConfig, as_of: date, now: datetime
) -> list[Candidate] | None:
    """A blocking check (severity error) whose latest result for some day of the lookback failed."""
    from jd_pipeline.quality.gate import failed_blocking_checks
    from jd_pipeline.quality.windows import Window

    if not table_exists(conn, "ops", "dq_results"):
        return None
    rule = cfg.for_brand("check_failed", None)
    if not rule["enabled"]:
        return []
    window = Window(as_of - timedelta(days=int(rule["lookback_days"]) - 1), as_of + timedelta(days=1))
    out = []
    for f in failed_blocking_checks(conn, window):
        out.append(
            Candidate(
                key=f"check_failed:{f.check_name}:{f.asset}",
                rule="check_failed",
                brand=None,
                store_type=None,
                severity=str(rule["severity"]),
                title=f"阻断检查失败 {f.check_name} ({f.asset}) {f.first_day}..{f.last_day}: {f.observed_value}",
                figures={
                    "check_name": f.check_name,
                    "asset": f.asset,
                    "partition": f.partition,
                    "observed_value": f.observed_value,
                    "first_day": f.first_day.isoformat(),
                    "last_day": f.last_day.isoformat(),
                    "days": f.days,
                    "run_id": f.run_id,
                },
            )
        )
    return out


EVALUATORS: dict[str, Evaluator] = {
    "gmv_pace": gmv_pace,
    "ads_roi_drop": ads_roi_drop,
    "days_of_cover": days_of_cover,
    "po_past_eta": po_past_eta,
    "action_overdue": action_overdue,
    "source_late": source_late,
    "check_failed": check_failed,
}

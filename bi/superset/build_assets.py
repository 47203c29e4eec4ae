"""Write the Superset export bundle in `bi/superset/assets/` (databases, datasets, charts, dashboards).

    .venv/bin/python bi/superset/build_assets.py

The YAML files it writes are Superset's own export format (version 1.0.0), kept in git and
imported by `make bi` (jd_pipeline/bi/superset.py). Re-run this after a published mart changes:
the datasets take their columns, types and Chinese labels (`config: meta: label_zh`, else the
description) from the dbt manifest, so every published mart gets a dataset. Ids (uuids) are
derived from names, so a re-run changes only what changed.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from jd_pipeline.runtime.dbt_docs import MANIFEST_PATH

ASSETS = Path(__file__).resolve().parent / "assets"
NAMESPACE = uuid.UUID("5b0c7d1e-3f6a-4e7b-9a51-0d2f6c1b8e17")
DATABASE_NAME = "jd_serving (PostgreSQL)"
DATABASE_FILE = "databases/jd_serving_PostgreSQL.yaml"
# Masked like every Superset export; the real password is given at import (JD_PG_BI_PASSWORD).
DATABASE_URI = "postgresql+psycopg2://jd_bi_reader:XXXXXXXXXX@127.0.0.1:5432/jd_serving"
MONEY = ",.2f"

STORE_NAME = "CASE store_type WHEN 'pop' THEN 'POP' WHEN 'self' THEN '自营' ELSE store_type END"


def uid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


# --------------------------------------------------------------------------------------------
# datasets: one per published mart, from the dbt manifest


def superset_type(data_type: str) -> str:
    t = (data_type or "").lower()
    if t.startswith(("decimal", "numeric")):
        return t.upper().replace("DECIMAL", "NUMERIC")
    return {
        "varchar": "TEXT", "text": "TEXT", "date": "DATE", "bigint": "BIGINT", "integer": "INTEGER",
        "double": "DOUBLE PRECISION", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP WITHOUT TIME ZONE",
        "timestamptz": "TIMESTAMP WITH TIME ZONE", "json": "JSONB",
    }.get(t, t.upper() or "TEXT")


# Until a column has `label_zh` in its dbt yml, the charts' common dimensions still read in Chinese.
FALLBACK_LABELS = {"month": "月份", "month_start": "月份", "category": "品类", "brand": "品牌", "date_day": "日期",
                   "store_type": "店铺类型", "product_line": "产品线", "cost_type": "费用类型", "cost_center": "成本中心"}


def label_of(name: str, column: dict) -> str | None:
    meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
    return meta.get("label_zh") or FALLBACK_LABELS.get(name)


# Calculated columns that give the codes their Chinese names on the charts.
CALCULATED: dict[str, list[tuple[str, str, str]]] = {
    "fct_sales_daily": [("store_name_cn", STORE_NAME, "店铺")],
    "fct_plan_vs_actual_monthly": [("store_name_cn", STORE_NAME, "店铺")],
    "fct_ads_daily": [
        ("haitou_cn", "CASE WHEN is_haitou THEN '海投' ELSE '非海投' END", "是否海投"),
        ("product_line_cn", ("CASE product_line WHEN 'kuaiche' THEN '京东快车' WHEN 'recommendation' THEN '推荐广告' "
         "WHEN 'smart' THEN '智能投放' WHEN 'display' THEN '京东展位' WHEN 'brand_juxiao' THEN '品牌聚效' "
         "WHEN 'offsite' THEN '站外广告' ELSE product_line END"), "产品线"),
    ],
    "fct_traffic_daily": [("paid_cn", "CASE WHEN is_paid THEN '付费流量' ELSE '免费流量' END", "流量类型")],
    "fct_opex_monthly": [
        ("cost_type_cn", ("CASE cost_type WHEN 'ads' THEN '广告费' WHEN 'agency_fee' THEN '代运营服务费' "
         "WHEN 'platform_fee' THEN '平台使用费' WHEN 'commission' THEN '佣金扣点' WHEN 'logistics' THEN '物流仓储' "
         "WHEN 'campaign' THEN '营销活动' WHEN 'samples' THEN '样品赠品' WHEN 'staff' THEN '人员' "
         "WHEN 'other' THEN '其他' ELSE cost_type END"), "费用类型"),
        ("cost_center_cn", ("CASE cost_center WHEN 'pop' THEN 'POP' WHEN 'self' THEN '自营' "
         "WHEN 'shared' THEN '共享' ELSE cost_center END"), "成本中心"),
    ],
    "fct_ecom_pnl_monthly": [
        ("store_name_cn", STORE_NAME, "店铺"),
        ("estimate_cn", "CASE WHEN is_estimate THEN '预估' ELSE '实际' END", "数据状态"),
    ],
}


def dataset_yaml(node: dict) -> dict[str, Any]:
    name = node["name"]
    columns = []
    for col_name, col in node.get("columns", {}).items():
        data_type = col.get("data_type") or ""
        columns.append(column_entry(col_name, superset_type(data_type), label_of(col_name, col),
                                    (col.get("description") or "").strip() or None,
                                    is_dttm=data_type.lower() == "date"))
    for col_name, expression, label in CALCULATED.get(name, []):
        columns.append(column_entry(col_name, "TEXT", label, None, expression=expression))
    dates = [c["column_name"] for c in columns if c["is_dttm"]]
    return {
        "table_name": name, "main_dttm_col": dates[0] if dates else None,
        "description": " ".join((node.get("description") or "").split()) or None,
        "default_endpoint": None, "offset": 0, "cache_timeout": None, "catalog": None, "schema": "marts",
        "sql": None, "params": None, "template_params": None, "filter_select_enabled": True,
        "fetch_values_predicate": None, "extra": None, "normalize_columns": False, "always_filter_main_dttm": False,
        "folders": None, "uuid": uid("dataset", name),
        "metrics": [{"metric_name": "count", "verbose_name": "行数", "metric_type": "count", "expression": "COUNT(*)",
                     "description": None, "d3format": None, "currency": None, "extra": None, "warning_text": None}],
        "columns": columns, "version": "1.0.0", "database_uuid": uid("database", "jd_serving"),
    }


def column_entry(name: str, type_: str, label: str | None, description: str | None, *, is_dttm: bool = False,
                 expression: str | None = None) -> dict[str, Any]:
    return {
        "column_name": name, "verbose_name": label, "is_dttm": is_dttm, "is_active": True, "type": type_,
        "advanced_data_type": None, "groupby": True, "filterable": True, "expression": expression,
        "description": description, "python_date_format": None, "extra": None,
    }


# --------------------------------------------------------------------------------------------
# charts


def metric(sql: str, label: str) -> dict[str, Any]:
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label, "hasCustomLabel": True,
            "optionName": "metric_" + uid("metric", sql, label)[:8]}


def big_number(dataset: str, title: str, sql: str, fmt: str = MONEY) -> dict[str, Any]:
    return chart(dataset, title, "big_number_total", {
        "metric": metric(sql, title), "adhoc_filters": [], "header_font_size": 0.4, "subheader_font_size": 0.15,
        "y_axis_format": fmt, "time_format": "smart_date", "subheader": "",
    })


def bars(dataset: str, title: str, x_axis: str, metrics: list[dict], *, groupby: list[str] | None = None,
         time_grain: str | None = None, line: bool = False, stack: bool = False) -> dict[str, Any]:
    params: dict[str, Any] = {
        "x_axis": x_axis, "metrics": metrics, "groupby": groupby or [], "adhoc_filters": [],
        "row_limit": 10000, "order_desc": True, "show_legend": True, "legendOrientation": "top",
        "legendType": "scroll", "rich_tooltip": True, "y_axis_format": MONEY, "x_axis_sort_asc": True,
        "truncate_metric": True, "show_empty_columns": True, "comparison_type": "values", "only_total": True,
        "color_scheme": "supersetColors", "orientation": "vertical", "x_axis_time_format": "%Y-%m",
        "tooltipTimeFormat": "%Y-%m-%d", "stack": "Stack" if stack else None,
    }
    if time_grain:
        params["time_grain_sqla"] = time_grain
    return chart(dataset, title, "echarts_timeseries_line" if line else "echarts_timeseries_bar", params)


def pie(dataset: str, title: str, groupby: str, sql: str, label: str) -> dict[str, Any]:
    return chart(dataset, title, "pie", {
        "groupby": [groupby], "metric": metric(sql, label), "adhoc_filters": [], "row_limit": 100,
        "show_labels": True, "show_legend": True, "label_type": "key_percent", "labels_outside": True,
        "number_format": MONEY, "innerRadius": 30, "outerRadius": 70, "donut": True,
        "color_scheme": "supersetColors", "legendOrientation": "top", "sort_by_metric": True,
    })


def table(dataset: str, title: str, groupby: list[str], metrics: list[dict], *,
          order_by: dict | None = None) -> dict[str, Any]:
    return chart(dataset, title, "table", {
        "query_mode": "aggregate", "groupby": groupby, "metrics": metrics, "adhoc_filters": [],
        "all_columns": [], "percent_metrics": [], "order_by_cols": [], "row_limit": 1000,
        "server_page_length": 20, "order_desc": True, "table_timestamp_format": "%Y-%m",
        "show_cell_bars": True, "color_pn": True, "timeseries_limit_metric": order_by or metrics[0],
        "column_config": {m["label"]: {"d3NumberFormat": ".1%" if m["label"].endswith("率") else MONEY}
                          for m in metrics},
    })


def chart(dataset: str, title: str, viz_type: str, params: dict[str, Any]) -> dict[str, Any]:
    params = {**params, "viz_type": viz_type, "datasource": f"__{dataset}__", "extra_form_data": {},
              "annotation_layers": []}
    return {
        "slice_name": title, "description": None, "certified_by": None, "certification_details": None,
        "viz_type": viz_type, "params": params, "query_context": None, "cache_timeout": None,
        "uuid": uid("chart", title), "version": "1.0.0", "dataset_uuid": uid("dataset", dataset),
    }


GMV = metric("SUM(actual_gmv)", "实际GMV")
PLAN = metric("SUM(plan_gmv)", "计划GMV")
BUDGET = metric("SUM(budget_gmv)", "预算GMV")
ACHIEVE = metric("SUM(actual_gmv) / NULLIF(SUM(plan_gmv), 0)", "计划达成率")
COST = metric("SUM(cost)", "广告花费")
ADS_GMV = metric("SUM(total_order_amount)", "广告成交金额")
ROI = metric("SUM(total_order_amount) / NULLIF(SUM(cost), 0)", "ROI")
OPEX_ACTUAL = metric("SUM(actual)", "实际费用")
OPEX_BUDGET = metric("SUM(budget)", "预算费用")
CONTRIBUTION = metric("SUM(contribution)", "贡献利润")

# Headline numbers: the browser test (tests/bi) checks each against SQL on the marts.
DASHBOARDS: list[tuple[str, str, list[list[dict[str, Any]]]]] = [
    ("jd-overview", "经营概览", [
        [big_number("fct_plan_vs_actual_monthly", "实际GMV", "SUM(actual_gmv)"),
         big_number("fct_plan_vs_actual_monthly", "计划GMV", "SUM(plan_gmv)"),
         big_number("fct_plan_vs_actual_monthly", "预算GMV", "SUM(budget_gmv)")],
        [bars("fct_plan_vs_actual_monthly", "GMV 实际 vs 计划 vs 预算（按店铺）", "store_name_cn", [GMV, PLAN, BUDGET]),
         pie("fct_sales_daily", "POP vs 自营 GMV", "store_name_cn", "SUM(gmv)", "GMV")],
        [bars("fct_plan_vs_actual_monthly", "月度GMV趋势：实际 vs 计划 vs 预算", "month_start", [GMV, PLAN, BUDGET],
              time_grain="P1M", line=True)],
        [table("fct_plan_vs_actual_monthly", "GMV 达成（按店铺与品类）", ["store_name_cn", "category"],
               [GMV, PLAN, BUDGET, ACHIEVE])],
    ]),
    ("jd-ads", "广告", [
        [big_number("fct_ads_daily", "广告花费", "SUM(cost)"),
         big_number("fct_ads_daily", "广告成交金额", "SUM(total_order_amount)"),
         big_number("fct_ads_daily", "整体ROI", "SUM(total_order_amount) / NULLIF(SUM(cost), 0)", ",.2f")],
        [table("fct_ads_daily", "产品线花费与ROI", ["product_line_cn"], [COST, ADS_GMV, ROI]),
         pie("fct_ads_daily", "海投 vs 非海投 花费", "haitou_cn", "SUM(cost)", "广告花费")],
        [bars("fct_ads_daily", "每日广告花费（按产品线）", "date_day", [COST], groupby=["product_line_cn"],
              time_grain="P1D", stack=True),
         bars("fct_traffic_daily", "免费 vs 付费流量：访客数", "date_day",
              [metric("SUM(visitors)", "访客数")], groupby=["paid_cn"], time_grain="P1D", stack=True)],
        [pie("fct_traffic_daily", "免费 vs 付费流量：成交金额", "paid_cn", "SUM(deal_amount)", "成交金额")],
    ]),
    ("jd-opex-pnl", "OPEX 与 P&L", [
        [big_number("fct_opex_monthly", "OPEX 实际", "SUM(actual)"),
         big_number("fct_opex_monthly", "OPEX 预算", "SUM(budget)"),
         big_number("fct_ecom_pnl_monthly", "贡献利润", "SUM(contribution)")],
        [bars("fct_opex_monthly", "OPEX 实际 vs 预算（按费用类型）", "cost_type_cn", [OPEX_ACTUAL, OPEX_BUDGET]),
         bars("fct_ecom_pnl_monthly", "贡献利润（按店铺与月份）", "month_start", [CONTRIBUTION],
              groupby=["store_name_cn"], time_grain="P1M")],
        [table("fct_ecom_pnl_monthly", "月度P&L（预估月份标注）", ["month", "store_name_cn", "estimate_cn"],
               [metric("SUM(revenue)", "收入"), metric("SUM(gross_margin)", "毛利"), CONTRIBUTION,
                metric("SUM(contribution) / NULLIF(SUM(revenue), 0)", "贡献利润率")],
               order_by=metric("MAX(month)", "月份"))],
    ]),
]


def dashboard_yaml(slug: str, title: str, rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": title}},
    }
    for r, row in enumerate(rows):
        row_id = f"ROW-{slug}-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for c, item in enumerate(row):
            chart_id = f"CHART-{slug}-{r}-{c}"
            position[row_id]["children"].append(chart_id)
            big = item["viz_type"] == "big_number_total"
            position[chart_id] = {
                "type": "CHART", "id": chart_id, "children": [], "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"width": 12 // len(row), "height": 30 if big else 60, "chartId": 0,
                         "sliceName": item["slice_name"], "uuid": item["uuid"]},
            }
    return {
        "dashboard_title": title, "description": None, "css": "", "slug": slug, "certified_by": "",
        "certification_details": "", "published": True, "uuid": uid("dashboard", slug), "position": position,
        "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0, "expanded_slices": {},
                     "label_colors": {}, "timed_refresh_immune_slices": [], "cross_filters_enabled": False,
                     "default_filters": "{}", "native_filter_configuration": [], "shared_label_colors": [],
                     "color_scheme_domain": []},
        "version": "1.0.0",
    }


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")


def write_bundle(target: Path) -> int:
    """The export bundle in `target` (replaced whole) from the dbt manifest; the files written."""
    import json

    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    marts = {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n.get("resource_type") == "model" and n.get("schema") == "marts"
    }
    shutil.rmtree(target, ignore_errors=True)
    write(target / "metadata.yaml", {"version": "1.0.0", "type": "Dashboard", "timestamp": "2026-12-02T00:00:00+00:00"})
    write(
        target / DATABASE_FILE,
        {
            "database_name": DATABASE_NAME,
            "sqlalchemy_uri": DATABASE_URI,
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_file_upload": False,
            "extra": {"allows_virtual_table_explore": True},
            "uuid": uid("database", "jd_serving"),
            "version": "1.0.0",
        },
    )
    for name in sorted(marts):
        write(target / "datasets" / "jd_serving_PostgreSQL" / f"{name}.yaml", dataset_yaml(marts[name]))
    for slug, title, rows in DASHBOARDS:
        for row in rows:
            for item in row:
                dataset = item["params"]["datasource"].strip("_")
                if dataset not in marts:
                    raise SystemExit(f"chart {item['slice_name']!r} reads {dataset}, which is not a published mart")
                exported = {**item, "params": {**item["params"], "datasource": f"{dataset}__table"}}
                write(target / "charts" / f"{slug}_{uid('file', item['slice_name'])[:8]}.yaml", exported)
        write(target / "dashboards" / f"{slug}.yaml", dashboard_yaml(slug, title, rows))
    return sum(1 for _ in target.rglob("*.yaml"))


def main() -> None:
    print(f"wrote {write_bundle(ASSETS)} files to {ASSETS}")


if __name__ == "__main__":
    main()

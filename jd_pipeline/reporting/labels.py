"""Chinese column labels and units: one dictionary, shared by the reports and BI.

The dictionary lives in the dbt model yml of every published mart, as column config meta
(dbt ≥ 1.10 syntax)::

    columns:
      - name: actual_gmv
        config:
          meta:
            label_zh: 实际 GMV
            unit: 元        # 元 = money, % = a ratio shown as percent, 件/单/人/次/天/个/行 = counts

and is read here from dbt's manifest (`target/manifest.json`, refreshed by `prepare_dbt_manifest`),
so the reports and Superset (issue #17) label a column the same way. A few columns exist only in a
report's own aggregation (e.g. `pop_gmv`, `paid_share`); they are labelled in `REPORT_ONLY` below,
which may not repeat a mart column name (tests/reporting/test_labels.py).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

COUNT_UNITS = frozenset({"件", "单", "人", "次", "天", "个", "行"})


@dataclass(frozen=True)
class ColumnLabel:
    label_zh: str
    unit: str | None = None

    @property
    def fmt(self) -> str | None:
        """The report format a unit implies (None: decide from the data)."""
        if self.unit == "元":
            return "money"
        if self.unit == "%":
            return "pct"
        if self.unit in COUNT_UNITS:
            return "int"
        return None


# Columns computed by a report itself (not a mart column): label and unit.
REPORT_ONLY: dict[str, ColumnLabel] = {
    "pop_gmv": ColumnLabel("POP店 GMV", "元"),
    "self_gmv": ColumnLabel("自营 GMV", "元"),
    "ly_pop_gmv": ColumnLabel("去年同月 POP店 GMV", "元"),
    "ly_self_gmv": ColumnLabel("去年同月 自营 GMV", "元"),
    "total_gmv": ColumnLabel("GMV 合计", "元"),
    "paid_visitors": ColumnLabel("付费访客数", "人"),
    "free_visitors": ColumnLabel("免费访客数", "人"),
    "paid_share": ColumnLabel("付费流量占比", "%"),
    "conversion": ColumnLabel("成交转化率", "%"),
    "prev_gmv": ColumnLabel("上月 GMV", "元"),
    "mom": ColumnLabel("环比", "%"),
    "yoy": ColumnLabel("同比", "%"),
    "cost_type_name": ColumnLabel("费用类型", None),
    "budget_full": ColumnLabel("全期预算", "元"),
    "plan_full": ColumnLabel("全期计划", "元"),
    "budget_used": ColumnLabel("预算使用率", "%"),
    "kpis": ColumnLabel("KPI 数", "个"),
    "self_reported_kpis": ColumnLabel("自报 KPI 数", "个"),
    "actions": ColumnLabel("到期行动项", "个"),
    "done": ColumnLabel("已完成", "个"),
    "on_time_count": ColumnLabel("按时完成", "个"),
    "late_or_overdue": ColumnLabel("延迟或逾期", "个"),
    "cancelled": ColumnLabel("已取消", "个"),
    "max_overdue_days": ColumnLabel("最长逾期天数", "天"),
    "resource_slot": ColumnLabel("资源位", None),
    "resource_terms": ColumnLabel("资源条件", None),
    "ledger": ColumnLabel("总账", None),
    "item": ColumnLabel("项目", None),
    "count": ColumnLabel("数量", "个"),
    # customers section (reporting/customers_regions.py)
    "new_buyers": ColumnLabel("新客数", "人"),
    "returning_buyers": ColumnLabel("老客数", "人"),
    "new_gmv": ColumnLabel("新客 GMV", "元"),
    "returning_gmv": ColumnLabel("老客 GMV", "元"),
    "returning_share": ColumnLabel("老客占比", "%"),
    "gmv_per_buyer": ColumnLabel("客单价", "元"),
    # forecast sections (reporting/forecast.py)
    "forecast_error": ColumnLabel("预测误差", "%"),
    "within_interval": ColumnLabel("实际落在 80% 区间", None),
    "history_class": ColumnLabel("历史长度", None),
    "model": ColumnLabel("模型", None),
    "series": ColumnLabel("序列数", "个"),
    "windows": ColumnLabel("回测起点数", "个"),
    "backtest_wape": ColumnLabel("回测 WAPE", "%"),
    "baseline_wape": ColumnLabel("基准 WAPE", "%"),
    "baseline": ColumnLabel("基准模型", None),
    "coverage_80": ColumnLabel("80% 区间覆盖率", "%"),
    "forecast_units_3m": ColumnLabel("未来3个月预测销量", "件"),
    # daily flash (reporting/flash.py)
    "gmv_day": ColumnLabel("当日 GMV", "元"),
    "gmv_week_ago": ColumnLabel("上周同日 GMV", "元"),
    "gmv_mtd": ColumnLabel("本月累计 GMV", "元"),
    "plan_month": ColumnLabel("本月计划", "元"),
    "plan_pace": ColumnLabel("计划进度 (按天折算)", "元"),
    "pace_ratio": ColumnLabel("计划进度达成", "%"),
    "direction": ColumnLabel("方向", None),
    "change": ColumnLabel("变化", "元"),
    "cost_day": ColumnLabel("当日花费", "元"),
    "amount_day": ColumnLabel("当日订单金额", "元"),
    "roi_day": ColumnLabel("当日 ROI", None),
    "roi_trailing_7d": ColumnLabel("近7日 ROI", None),
    "severity": ColumnLabel("严重程度", None),
    "rule": ColumnLabel("规则", None),
    "title": ColumnLabel("标题", None),
    "first_seen": ColumnLabel("首次发现", None),
    "reason": ColumnLabel("原因", None),
    "rows": ColumnLabel("行数", "行"),
}


def _manifest_path() -> Path:
    """The manifest of the repo's dbt project, parsed first when missing or stale."""
    from jd_pipeline.config import DBT_PROJECT_DIR as project_dir

    manifest = project_dir / "target" / "manifest.json"
    models = project_dir / "models"
    newest_yml = max((p.stat().st_mtime for p in models.rglob("*.yml")), default=0.0)
    if manifest.exists() and manifest.stat().st_mtime >= newest_yml:
        return manifest  # fresh for the labels (they live in the yml): no need to load dbt
    from jd_pipeline.defs.project import prepare_dbt_manifest

    return prepare_dbt_manifest()


def labels_from_manifest(manifest: dict) -> dict[str, dict[str, ColumnLabel]]:
    """model name → column name → label, for every model column with `meta.label_zh`."""
    out: dict[str, dict[str, ColumnLabel]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        for name, column in (node.get("columns") or {}).items():
            # dbt 1.10+ keeps column meta in config.meta and mirrors it to meta
            meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
            if meta.get("label_zh"):
                out.setdefault(node["name"], {})[name] = ColumnLabel(str(meta["label_zh"]), meta.get("unit"))
    return out


@functools.cache
def mart_labels() -> dict[str, dict[str, ColumnLabel]]:
    return labels_from_manifest(json.loads(_manifest_path().read_text("utf-8")))


@functools.cache
def _by_name() -> dict[str, ColumnLabel]:
    """A column name's label across marts (the first model alphabetically wins: the names mean the same)."""
    out: dict[str, ColumnLabel] = {}
    for model in sorted(mart_labels()):
        for name, label in mart_labels()[model].items():
            out.setdefault(name, label)
    return out


def column_label(column: str, model: str | None = None) -> ColumnLabel | None:
    """The label of `column`: the model's own first, then any mart's, then the report-only list."""
    if model and column in mart_labels().get(model, {}):
        return mart_labels()[model][column]
    return _by_name().get(column) or REPORT_ONLY.get(column)

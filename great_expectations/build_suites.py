"""Build the versioned GX 1.x suite files `suites/<source>.json` from the raw contracts.

The JSON files are the suites (reviewed and versioned in git; the runner reads only them).
This script writes their mechanical part from `jd_pipeline/contracts/*.yaml` (columns, types,
not-null keys, unique grain, non-negative amounts, date within the file's period, volume) and
the business rules below (value sets, ranges) from `/work/shared/sources.md`; value sets that
are reference data (产品线, 费用类型, 科目编码, 成本中心) are read from the dbt seeds.
Change a rule here, run `python great_expectations/build_suites.py`, review the JSON diff.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from jd_pipeline.contracts import Contract, load_contracts

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
SUITE_VERSION = 1

META_COLUMNS = [
    ("_load_id", "VARCHAR"),
    ("_brand", "VARCHAR"),
    ("_store", "VARCHAR"),
    ("_period", "VARCHAR"),
    ("_row_number", "INTEGER"),
]
DERIVED_COLUMNS = ["_period_start", "_period_end", "_period_first_month", "_period_last_month"]
# pandas dtype names GX reports for DuckDB types fetched with `.df()`.
PANDAS_TYPES = {
    "VARCHAR": "str",
    "BIGINT": "int64",
    "INTEGER": "int32",
    "DOUBLE": "float64",
    "DECIMAL(18,2)": "float64",
    "DECIMAL(18,4)": "float64",
    "DATE": "datetime64",
    "TIMESTAMP": "datetime64",
}


def seed_column(seed: str, column: str) -> list[str]:
    """One column of a dbt seed (`dbt_project/seeds/<seed>.csv`), in the seed's row order."""
    with (SEEDS_DIR / f"{seed}.csv").open(encoding="utf-8", newline="") as fh:
        return [row[column] for row in csv.DictReader(fh)]


PERIOD_REGEX = {
    "daily": r"^\d{4}-\d{2}-\d{2}$",
    "monthly": r"^\d{4}-\d{2}$",
    "quarterly": r"^\d{4}Q[1-4]$",
    "yearly": r"^\d{4}$",
}
# Sanity ceilings (warning): a value above them is almost surely a unit or parsing error.
MONEY_CEILING = 1_000_000_000
COUNT_CEILING = 1_000_000_000

ORDER_STATUSES = [
    "等待付款",
    "等待付款确认",
    "等待出库",
    "(锁定)等待出库",
    "等待确认收货",
    "完成",
    "锁定",
    "暂停",
    "已取消",
]
# Value sets that are reference data come from the dbt seeds (the marts map them with the same
# rows): a new 产品线 name or 科目编码 is added to the seed, and the suites regenerated.
PRODUCT_LINES = seed_column("product_line_map", "product_line_raw")  # raw names incl. old names
COST_TYPES = seed_column("cost_types", "cost_type_name_cn") + seed_column("cost_types", "cost_type")
ACCOUNTS = seed_column("account_cost_type", "account_code")
COST_CENTERS = seed_column("cost_center_map", "cost_center_raw")
TP_STORES = ["POP", "自营", "全部"]


def _regex_escape_status(statuses: list[str]) -> str:
    escaped = "|".join(s.replace("(", r"\(").replace(")", r"\)") for s in statuses)
    return rf"^(?:\(删除\))?(?:{escaped})$"


# source -> list of (expectation type, kwargs, severity, notes)
RULES: dict[str, list[tuple[str, dict[str, Any], str, str]]] = {
    "jd_pop_orders": [
        (
            "expect_column_values_to_match_regex",
            {"column": "order_status", "regex": _regex_escape_status(ORDER_STATUSES)},
            "critical",
            "订单状态 of sources.md, optional (删除) prefix",
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "payment_method", "value_set": ["在线支付", "货到付款"]},
            "warning",
            "支付方式",
        ),
        ("expect_column_values_to_not_be_null", {"column": "order_status"}, "critical", ""),
        ("expect_column_values_to_not_be_null", {"column": "unit_price"}, "critical", "gmv needs 京东价"),
        ("expect_column_values_to_not_be_null", {"column": "qty"}, "critical", ""),
        (
            "expect_column_values_to_be_between",
            {"column": "qty", "min_value": 1, "max_value": 10_000},
            "warning",
            "a line of more than 10k units is implausible",
        ),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "payable_amount",
                "column_B": "freight",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "warning",
            "应付金额 includes 运费",
        ),
    ],
    "jd_vc_sales": [
        (
            "expect_column_values_to_not_be_null",
            {"column": "revenue"},
            "critical",
            "收入 = gmv of self-operated",
        ),
        ("expect_column_values_to_not_be_null", {"column": "units"}, "critical", ""),
    ],
    "jd_vc_inventory": [
        (
            "expect_column_values_to_not_be_in_set",
            {"column": "dc", "value_set": ["全国", "合计", "总计", "汇总"]},
            "critical",
            "the 全国 national total must be dropped by the loader, never summed with RDCs",
        ),
        ("expect_column_values_to_not_be_null", {"column": "dc"}, "critical", ""),
    ],
    "jd_vc_purchase_orders": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "po_status", "value_set": ["待回告", "已回告", "部分收货", "已完成", "已取消"]},
            "critical",
            "",
        ),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "qty_ordered",
                "column_B": "qty_received",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "warning",
            "received more than ordered",
        ),
    ],
    "jd_sz_sku": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "_store", "value_set": ["pop", "self"]},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_not_be_null",
            {"column": "_store"},
            "critical",
            "store comes from the path",
        ),
        (
            "expect_column_values_to_be_between",
            {"column": "deal_conversion", "min_value": 0, "max_value": 1},
            "warning",
            "a ratio",
        ),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "visitors",
                "column_B": "deal_buyers",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "warning",
            "buyers are visitors",
        ),
    ],
    "jd_sz_traffic": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "_store", "value_set": ["pop", "self"]},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_not_be_null",
            {"column": "_store"},
            "critical",
            "store comes from the path",
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "source_l1", "value_set": ["免费流量", "付费流量", "自主访问", "站外流量", "其他"]},
            "critical",
            "paid traffic = 付费流量; an unknown 一级来源 would mis-classify traffic",
        ),
        (
            "expect_column_values_to_not_be_in_set",
            {"column": "source_l2", "value_set": ["合计", "总计", "汇总"]},
            "critical",
            "subtotal rows must be dropped by the loader",
        ),
        (
            "expect_column_values_to_be_between",
            {"column": "deal_conversion", "min_value": 0, "max_value": 1},
            "warning",
            "a ratio",
        ),
    ],
    "jd_sz_industry": [
        (
            "expect_column_values_to_be_between",
            {"column": "rank", "min_value": 1, "max_value": 1000},
            "critical",
            "",
        ),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "deal_amount_high",
                "column_B": "deal_amount_low",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "critical",
            "range bounds in order",
        ),
        (
            "expect_column_values_to_match_regex",
            {"column": "deal_amount_range", "regex": r"^[0-9.]+(?:万|亿)?(?:~[0-9.]+(?:万|亿)?|以上|以下)$"},
            "warning",
            "成交金额区间 like 100万~250万, 1000万以上",
        ),
    ],
    "jd_ads": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "product_line", "value_set": PRODUCT_LINES},
            "critical",
            "产品线 raw names incl. old names; an unknown 产品线 is a data-quality failure",
        ),
        ("expect_column_values_to_not_be_null", {"column": "product_line"}, "critical", ""),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "impressions",
                "column_B": "clicks",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "warning",
            "clicks need impressions",
        ),
        (
            "expect_column_values_to_match_regex",
            {"column": "attribution_days", "regex": r"^\d+天$"},
            "warning",
            "转化周期 like 15天",
        ),
    ],
    "tp_action_plan": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "horizon", "value_set": ["30天", "60天", "90天"]},
            "critical",
            "",
        ),
        ("expect_column_values_to_be_in_set", {"column": "store", "value_set": TP_STORES}, "critical", ""),
        (
            "expect_column_values_to_be_in_set",
            {"column": "status", "value_set": ["未开始", "进行中", "已完成", "已延期", "已取消"]},
            "critical",
            "",
        ),
        ("expect_column_values_to_not_be_null", {"column": "due_date"}, "critical", ""),
    ],
    "tp_team_kpi": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "role", "value_set": ["店长", "运营", "推广", "客服", "设计", "数据"]},
            "critical",
            "",
        ),
        ("expect_column_values_to_be_in_set", {"column": "store", "value_set": TP_STORES}, "critical", ""),
        (
            "expect_column_values_to_be_in_set",
            {
                "column": "kpi",
                "value_set": [
                    "GMV达成率",
                    "广告ROI",
                    "成交转化率",
                    "付费流量占比",
                    "行动项按时完成率",
                    "客服响应时长",
                ],
            },
            "critical",
            "KPIs the scorecard can measure",
        ),
        (
            "expect_column_values_to_be_between",
            {"column": "weight", "min_value": 0, "max_value": 1},
            "critical",
            "权重 is a ratio",
        ),
    ],
    "tp_campaign_plan": [
        (
            "expect_column_values_to_be_in_set",
            {
                "column": "campaign_type",
                "value_set": ["618", "双11", "年货节", "超级品牌日", "品类日", "其他"],
            },
            "critical",
            "",
        ),
        ("expect_column_values_to_be_in_set", {"column": "store", "value_set": TP_STORES}, "critical", ""),
        (
            "expect_column_values_to_be_in_set",
            {"column": "resource_terms", "value_set": ["付费", "置换", "免费"]},
            "warning",
            "",
        ),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "end_date",
                "column_B": "start_date",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "critical",
            "a campaign ends after it starts",
        ),
        (
            "expect_column_pair_values_a_to_be_greater_than_b",
            {
                "column_A": "start_date",
                "column_B": "warmup_start",
                "or_equal": True,
                "ignore_row_if": "either_value_is_missing",
            },
            "warning",
            "warm-up precedes the start",
        ),
    ],
    "fin_sales_plan": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "store", "value_set": ["POP", "自营"]},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_not_be_null",
            {"column": "published_on"},
            "critical",
            "budget = first version",
        ),
    ],
    "fin_opex_budget": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "cost_center", "value_set": COST_CENTERS},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "cost_type", "value_set": COST_TYPES},
            "critical",
            "费用类型 names or codes",
        ),
        ("expect_column_values_to_not_be_null", {"column": "published_on"}, "critical", ""),
    ],
    "fin_opex_actuals": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "currency", "value_set": ["CNY"]},
            "critical",
            "币种: anything else is a data-quality failure",
        ),
        ("expect_column_values_to_not_be_null", {"column": "currency"}, "critical", ""),
        (
            "expect_column_values_to_be_in_set",
            {"column": "cost_center", "value_set": COST_CENTERS},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "account_code", "value_set": ACCOUNTS},
            "critical",
            "an account outside the chart of accounts is a data-quality failure",
        ),
    ],
    "fin_region_budget": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "store", "value_set": ["POP", "自营"]},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_not_be_null",
            {"column": "published_on"},
            "critical",
            "budget = first version",
        ),
        ("expect_column_values_to_not_be_null", {"column": "region"}, "critical", "大区 is the grain"),
        (
            "expect_column_values_to_not_be_in_set",
            {"column": "region", "value_set": ["未分配"]},
            "warning",
            "未分配 is the warehouse's bucket for unmapped sales, not a region to budget",
        ),
    ],
    "ref_regions": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "kind", "value_set": ["省份", "配送中心"]},
            "critical",
            "类型: 省份 maps POP orders, 配送中心 maps self-operated shipments",
        ),
        (
            "expect_column_values_to_not_be_null",
            {"column": "region"},
            "critical",
            "a mapped name needs its 大区",
        ),
    ],
    "ref_products": [
        (
            "expect_column_values_to_be_in_set",
            {"column": "store", "value_set": ["POP", "自营"]},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_be_in_set",
            {"column": "status", "value_set": ["在售", "停售"]},
            "critical",
            "",
        ),
        (
            "expect_column_values_to_match_regex",
            {"column": "gtm_season", "regex": r"^\d{4}(?:SS|AW)$"},
            "warning",
            "",
        ),
        ("expect_column_values_to_not_be_null", {"column": "unit_cogs"}, "warning", "cogs of the P&L"),
    ],
}


def _exp(kind: str, kwargs: dict[str, Any], severity: str = "critical", notes: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "kwargs": kwargs, "severity": severity}
    if notes:
        out["meta"] = {"notes": notes}
    return out


def _schema_expectations(c: Contract) -> list[dict[str, Any]]:
    columns = META_COLUMNS + c.output_columns()
    exps = [
        _exp(
            "expect_table_columns_to_match_ordered_list",
            {"column_list": [n for n, _ in columns] + DERIVED_COLUMNS},
            notes="raw table convention + the runner's derived _period columns",
        )
    ]
    return exps


def column_types(c: Contract) -> dict[str, str]:
    """The pandas dtype of every stored column, checked by the runner from the batch's dtypes (one look
    per column) rather than by one `expect_column_values_to_be_of_type` per column: GX's cost is per
    expectation, and the loader's typed table already fixes the types, so what is left to catch is a
    table whose DDL drifted from its contract."""
    return {n: PANDAS_TYPES[t] for n, t in META_COLUMNS + c.output_columns()}


def _key_expectations(c: Contract) -> list[dict[str, Any]]:
    keys = ["_load_id", "_brand", "_period", "_row_number", *c.grain]
    keys += [col.name for col in c.stored_columns if col.id and col.name not in keys and col.required]
    exps = [_exp("expect_column_values_to_not_be_null", {"column": k}) for k in dict.fromkeys(keys)]
    exps.append(
        _exp("expect_column_values_to_match_regex", {"column": "_brand", "regex": r"^[a-z0-9_]{2,32}$"})
    )
    exps.append(
        _exp(
            "expect_column_values_to_match_regex", {"column": "_period", "regex": PERIOD_REGEX[c.period_kind]}
        )
    )
    if c.fixed_store():
        exps.append(
            _exp("expect_column_values_to_be_in_set", {"column": "_store", "value_set": [c.fixed_store()]})
        )
    grain = ["_brand", "_period", *c.grain] + (["_store"] if c.has_store_dir else [])
    exps.append(
        _exp(
            "expect_compound_columns_to_be_unique", {"column_list": grain}, notes="unique grain per delivery"
        )
    )
    exps.append(_exp("expect_compound_columns_to_be_unique", {"column_list": ["_load_id", "_row_number"]}))
    return exps


def _range_expectations(c: Contract) -> list[dict[str, Any]]:
    """One range per amount/count: [0, ceiling] (critical) unless negatives are allowed, then
    [-ceiling, ceiling] as a warning. One expectation per column keeps GX's per-batch cost down."""
    exps = []
    for col in c.stored_columns:
        if col.type not in ("int", "money", "decimal"):
            continue
        ceiling = MONEY_CEILING if col.type == "money" else COUNT_CEILING
        if col.name in c.allow_negative:
            exps.append(
                _exp(
                    "expect_column_values_to_be_between",
                    {"column": col.name, "min_value": -ceiling, "max_value": ceiling},
                    "warning",
                    "may be negative (returns, credits); sanity ceiling",
                )
            )
        else:
            exps.append(
                _exp(
                    "expect_column_values_to_be_between",
                    {"column": col.name, "min_value": 0, "max_value": ceiling},
                    notes="never negative here; sanity ceiling",
                )
            )
    return exps


def _period_expectations(c: Contract) -> list[dict[str, Any]]:
    col = c.period_column
    if not col:
        return []
    kind = c.column(col).type
    if kind in ("date", "timestamp"):
        return [
            _exp(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {
                    "column_A": col,
                    "column_B": "_period_start",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                notes="date within the file's period",
            ),
            _exp(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {"column_A": "_period_end", "column_B": col, "ignore_row_if": "either_value_is_missing"},
                notes="date within the file's period",
            ),
            _exp("expect_column_values_to_not_be_null", {"column": col}),
        ]
    if kind == "month":
        return [
            _exp(
                "expect_column_values_to_match_regex", {"column": col, "regex": r"^\d{4}-(?:0[1-9]|1[0-2])$"}
            ),
            _exp(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {"column_A": col, "column_B": "_period_first_month", "or_equal": True},
                notes="month within the file's period",
            ),
            _exp(
                "expect_column_pair_values_a_to_be_greater_than_b",
                {"column_A": "_period_last_month", "column_B": col, "or_equal": True},
                notes="month within the file's period",
            ),
        ]
    if kind == "quarter":
        return [
            _exp(
                "expect_column_pair_values_to_be_equal",
                {"column_A": col, "column_B": "_period"},
                notes="the quarter of the file's folder",
            )
        ]
    return []


def _row_count_expectations(c: Contract) -> list[dict[str, Any]]:
    """Volume. The minimum guards against a lost or near-empty day: blocking for the `every_day`
    sources (their daily marts are what BI reads), a warning for the others, whose volume varies
    by nature (changed PO lines only, snapshots, plan versions, a month in progress). The
    maximum is a warning everywhere: promotion days legitimately run high."""
    return [
        _exp(
            "expect_table_row_count_to_be_between",
            {"min_value": {"$PARAMETER": "min_rows"}, "max_value": None},
            "critical" if c.every_day else "warning",
            "volume: at least JD_HOLD_LOW_DAY (default 0.1) x the median rows of the last deliveries of each "
            "file's brand and store; files accepted after a hold excepted (runner parameters)",
        ),
        _exp(
            "expect_table_row_count_to_be_between",
            {"min_value": None, "max_value": {"$PARAMETER": "max_rows"}},
            "warning",
            "volume: at most 5x the median rows of the last deliveries (runner parameters)",
        ),
    ]


def build_suite(c: Contract) -> dict[str, Any]:
    expectations = (
        _schema_expectations(c)
        + _key_expectations(c)
        + _range_expectations(c)
        + _period_expectations(c)
        + [_exp(*rule) for rule in RULES.get(c.source, [])]
        + _row_count_expectations(c)
    )
    ratio_columns = [col.name for col in c.stored_columns if col.type == "percent"]
    return {
        "name": f"raw.{c.source}",
        "meta": {
            "source": c.source,
            "asset": f"raw/{c.source}",
            "period_kind": c.period_kind,
            "blocking": True,
            "suite_version": SUITE_VERSION,
            "grain": list(c.grain),
            "column_types": column_types(c),
            "ratio_columns": ratio_columns,
            # columns a total/subtotal row sums (checked against ops.file_totals); ratios and
            # decimals such as 预计可售天数 or targets are not additive.
            "additive_columns": [col.name for col in c.stored_columns if col.type in ("int", "money")],
            "generated_by": "great_expectations/build_suites.py from jd_pipeline/contracts",
        },
        "expectations": expectations,
    }


def main() -> None:
    SUITES_DIR.mkdir(parents=True, exist_ok=True)
    for source, contract in load_contracts().items():
        path = SUITES_DIR / f"{source}.json"
        path.write_text(
            json.dumps(build_suite(contract), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"{path.name}: {len(build_suite(contract)['expectations'])} expectations")


if __name__ == "__main__":
    main()

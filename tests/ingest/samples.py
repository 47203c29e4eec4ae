"""Hand-made fixtures, one per source, in the real format of sources.md, with exact expectations.

Each `sample_<source>(landing)` writes its files and returns an `Expected`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from tests.extract_files import contract_headers, write_extract
from tests.ingest.helpers import SALT

BRAND = "acme"


@dataclass
class Expected:
    start: str
    end: str
    rows: int
    sums: dict[str, Any] = field(default_factory=dict)
    # (SQL over raw.<source> returning one value, expected value)
    checks: list[tuple[str, Any]] = field(default_factory=list)
    totals: int = 0  # rows dropped as totals
    file_totals: int = 0  # ops.file_totals rows (all must match their detail sums)


POP_HEADERS = contract_headers("jd_pop_orders")


def pop_line(
    order: str,
    sku: str,
    name: str,
    qty: Any,
    ts: str,
    price: str,
    amounts: tuple[str, str, str, str, str],
    status: str,
    account: str,
    person: str,
    address: str,
    phone: str,
    paid: str,
    article: str,
    source: str = "移动端",
    note: str = "",
    merchant_note: str = "",
    order_type: str = "普通订单",
    pay: str = "在线支付",
    completed: str = "",
) -> list[Any]:
    order_amount, settlement, payable, balance, freight = amounts
    return [
        order,
        sku,
        name,
        qty,
        pay,
        ts,
        price,
        order_amount,
        settlement,
        payable,
        balance,
        freight,
        status,
        order_type,
        account,
        person,
        address,
        phone,
        note,
        merchant_note,
        paid,
        article,
        completed,
        source,
    ]


POP_ROWS = [
    pop_line(
        "300001",
        "100012345678.0",
        "T恤 &amp; 短裤",
        "2",
        "2026-03-01 10:00:00",
        "¥1,234.50",
        ("2,568.00", "2,500.00", "2,500.00", "0", "10.00"),
        "完成",
        "alice_jd",
        "张三",
        "广东省深圳市南山区科技园1号",
        "13800000001",
        "2026-03-01 10:01:00",
        "A1001",
        note="请放门口",
        merchant_note="老客户",
        completed="2026-03-03 12:00:00",
    ),
    pop_line(
        "300001",
        "100012345679",
        "袜子",
        "1",
        "2026-03-01 10:00:00",
        "99.00",
        ("2,568.00", "2,500.00", "2,500.00", "0", "10.00"),
        "完成",
        "alice_jd",
        "张三",
        "广东省深圳市南山区科技园1号",
        "13800000001",
        "2026-03-01 10:01:00",
        "A1002",
        completed="2026-03-03 12:00:00",
    ),
    pop_line(
        "300002",
        "100012345678",
        "T恤 &amp; 短裤",
        "1",
        "2026-03-01 21:30:00",
        "￥1,234.50",
        ("1234.50", "1234.50", "1234.50", "-", "0"),
        "等待付款",
        "bob_jd",
        "李四",
        "北京市朝阳区建国路",
        "13900000002",
        "0001-01-01 00:00:00",
        "A1001",
        source="PC",
        order_type="预售订单",
        pay="货到付款",
    ),
    pop_line(
        "300003",
        "100012345679",
        "袜子",
        "3",
        "2026-03-01 23:59:59",
        "99",
        ("297", "297", "297", "", "--"),
        "(删除)已取消",
        "alice_jd",
        "张三",
        "内蒙古自治区呼和浩特市",
        "13800000001",
        "2026-03-02 00:10:00",
        "A1002",
        source="微信",
    ),
]


def sample_jd_pop_orders(landing: Path) -> Expected:
    write_extract(landing, f"jd_pop_orders/{BRAND}/2026-03-01/orders.csv", POP_ROWS)
    alice = hashlib.sha256((SALT + "alice_jd").encode()).hexdigest()
    return Expected(
        "2026-03-01",
        "2026-03-01",
        4,
        sums={"qty": 7, "unit_price": D("2667.00"), "freight": D("20.00"), "payable_amount": D("6531.50")},
        checks=[
            ("SELECT sku_id FROM t WHERE _row_number = 1", "100012345678"),
            ("SELECT sku_name FROM t WHERE _row_number = 1", "T恤 & 短裤"),
            ("SELECT count(*) FROM t WHERE paid_ts IS NULL", 1),
            ("SELECT count(*) FROM t WHERE balance_paid IS NULL", 2),
            ("SELECT count(DISTINCT buyer_key) FROM t", 2),
            ("SELECT buyer_key FROM t WHERE _row_number = 1", alice),
            ("SELECT string_agg(province, ',' ORDER BY _row_number) FROM t", "广东,广东,北京,内蒙古"),
            ("SELECT order_status FROM t WHERE _row_number = 4", "(删除)已取消"),
            ("SELECT CAST(order_ts AS VARCHAR) FROM t WHERE _row_number = 4", "2026-03-01 23:59:59"),
            ("SELECT count(*) FROM t WHERE _store = 'pop' AND _period = '2026-03-01'", 4),
        ],
    )


def excel_serial(d: date) -> int:
    return (d - date(1899, 12, 30)).days


def sample_jd_vc_sales(landing: Path) -> Expected:
    rows = [
        [
            date(2026, 3, 1),
            200000000001,
            "羽绒服",
            "ACME",
            "服饰",
            "外套",
            "羽绒服",
            5,
            2995.00,
            1800,
            1195,
            50,
            0,
        ],
        [
            "20260301",
            "200000000002",
            "围巾",
            "ACME",
            "服饰",
            "配饰",
            "围巾",
            -1,
            "-199.00",
            "-120.00",
            "-79.00",
            0,
            "-",
        ],
        ["2026/3/1", 200000000003, "手套", "ACME", "服饰", "配饰", "手套", 2, "¥158.00", 100, 58, "—", 10],
        [
            excel_serial(date(2026, 3, 1)),
            200000000004,
            "帽子",
            "ACME",
            "服饰",
            "配饰",
            "帽子",
            1,
            100,
            60,
            40,
            0,
            0,
        ],
        ["合计", None, None, None, None, None, None, 7, 3054, 1840, 1214, 50, 10],
    ]
    write_extract(landing, f"jd_vc_sales/{BRAND}/2026-03-01/vc_sales.xlsx", rows)
    return Expected(
        "2026-03-01",
        "2026-03-01",
        4,
        totals=1,
        file_totals=6,
        sums={"units": 7, "revenue": D("3054.00"), "jd_cost": D("1840.00"), "coupon_deduction": D("50.00")},
        checks=[
            ("SELECT count(*) FROM t WHERE date_day = DATE '2026-03-01'", 4),
            ("SELECT sku_id FROM t WHERE _row_number = 1", "200000000001"),
            ("SELECT count(*) FROM t WHERE promo_deduction IS NULL", 1),
            ("SELECT _store FROM t LIMIT 1", "self"),
        ],
    )


def sample_jd_vc_inventory(landing: Path) -> Expected:
    d = "2026-03-01"
    rows = [
        [d, "300000000001", "羽绒服", "北京", 100, 90, 20, 2, 10, "10.5"],
        [d, "300000000001", "羽绒服", "上海", 50, 45, 0, 1, 5, 10],
        [d, "300000000001.0", "羽绒服", "全国", 150, 135, 20, 3, 15, "10.3"],  # ID read as a number
        [d, "300000000002", "围巾", "北京", 0, 0, 30, 0, 0, "-"],
        [d, "300000000002", "围巾", "全国", 0, 0, 30, 0, 0, "-"],
    ]
    write_extract(landing, f"jd_vc_inventory/{BRAND}/{d}/inventory.xlsx", rows)
    return Expected(
        d,
        d,
        3,
        totals=2,
        file_totals=10,
        sums={"on_hand": 150, "inbound_open": 50, "days_of_cover": D("20.5000")},
        checks=[
            ("SELECT count(*) FROM t WHERE dc = '全国'", 0),
            ("SELECT count(*) FROM t WHERE days_of_cover IS NULL", 1),
            ("SELECT min(total_label) FROM ops.file_totals", "配送中心=全国 (SKU=300000000001)"),
        ],
    )


def sample_jd_vc_purchase_orders(landing: Path) -> Expected:
    rows = [
        [
            "PO1001",
            "2026-03-01 09:00:00",
            "300000000001",
            "羽绒服",
            "北京",
            100,
            100,
            98,
            "360.00",
            "36,000.00",
            "已完成",
            "2026-03-05",
            "2026-03-05 16:00:00",
        ],
        [
            "PO1001",
            "2026-03-01 09:00:00",
            "300000000002",
            "围巾",
            "北京",
            50,
            40,
            "",
            "60.00",
            "3000.00",
            "部分收货",
            "20260306",
            "",
        ],
        [
            "PO1002",
            "2026/3/1 10:00:00",
            "300000000001",
            "羽绒服",
            "上海",
            20,
            "",
            "",
            "360",
            "7200",
            "待回告",
            "2026/3/8",
            "0001-01-01 00:00:00",
        ],
    ]
    write_extract(landing, f"jd_vc_purchase_orders/{BRAND}/2026-03-01/po.csv", rows, bom=True)
    return Expected(
        "2026-03-01",
        "2026-03-01",
        3,
        sums={"qty_ordered": 170, "qty_received": 98, "po_amount": D("46200.00")},
        checks=[
            (
                "SELECT string_agg(CAST(eta_date AS VARCHAR), ',' ORDER BY _row_number) FROM t",
                "2026-03-05,2026-03-06,2026-03-08",
            ),
            ("SELECT CAST(created_ts AS VARCHAR) FROM t WHERE _row_number = 3", "2026-03-01 10:00:00"),
            ("SELECT count(*) FROM t WHERE completed_ts IS NULL", 2),
        ],
    )


SZ_SKU_HEADERS = contract_headers("jd_sz_sku")


def sample_jd_sz_sku(landing: Path) -> Expected:
    d = "2026-03-01"
    pop = [
        [
            d,
            "100012345678",
            "T恤",
            "服饰",
            "上衣",
            "T恤",
            1000,
            2500,
            80,
            40,
            42,
            "5,000.00",
            32,
            33,
            35,
            "4,200.00",
            "3.20%",
            "100.00",
        ],
        [
            d,
            "100012345679",
            "袜子",
            "服饰",
            "配饰",
            "袜子",
            500,
            800,
            20,
            10,
            10,
            "990",
            8,
            8,
            9,
            "891.00",
            "1.6%",
            "0",
        ],
        [
            "合计",
            "",
            "",
            "",
            "",
            "",
            1500,
            3300,
            100,
            50,
            52,
            "5990.00",
            40,
            41,
            44,
            "5091.00",
            "2.67%",
            "100",
        ],
    ]
    write_extract(landing, f"jd_sz_sku/{BRAND}/pop/{d}/sku.xlsx", pop)
    self_headers = [*SZ_SKU_HEADERS[:15], " 成交金额 ", "成交转化率（%）", "取消及售后退款金额"]
    write_extract(
        landing,
        f"jd_sz_sku/{BRAND}/self/{d}/sku.xlsx",
        [
            [
                d,
                "200000000001",
                "羽绒服",
                "服饰",
                "外套",
                "羽绒服",
                300,
                600,
                10,
                5,
                5,
                "2995",
                5,
                5,
                5,
                "2995.00",
                1.67,
                0,
            ]
        ],
        self_headers,
    )
    return Expected(
        d,
        d,
        3,
        totals=1,
        file_totals=11,
        sums={"visitors": 1800, "deal_amount": D("8086.00"), "refund_amount": D("100.00")},
        checks=[
            ("SELECT deal_conversion FROM t WHERE sku_id = '100012345678'", 0.032),
            ("SELECT round(deal_conversion, 6) FROM t WHERE _store = 'self'", 0.0167),
            ("SELECT count(*) FROM t WHERE _store = 'pop'", 2),
        ],
    )


def sample_jd_sz_traffic(landing: Path) -> Expected:
    d = "2026-03-01"
    rows = [
        [d, "免费流量", "搜索", "关键词搜索", 600, 1500, 20, "2000.00", "3.33%"],
        [d, "免费流量", "推荐", "首页推荐", 300, 500, 5, "500.00", "1.67%"],
        [d, "免费流量", "合计", "", 900, 2000, 25, "2500.00", ""],
        [d, "付费流量", "京东快车", "搜索快车", 400, 700, 12, "1800.00", "3%"],
        [d, "付费流量", "合计", "", 400, 700, 12, "1800.00", ""],
        [d, "合计", "", "", 1300, 2700, 37, "4300.00", ""],
    ]
    write_extract(landing, f"jd_sz_traffic/{BRAND}/pop/{d}/traffic.xlsx", rows)
    return Expected(
        d,
        d,
        3,
        totals=3,
        file_totals=12,
        sums={"visitors": 1300, "page_views": 2700, "deal_amount": D("4300.00")},
        checks=[
            (
                "SELECT count(*) FROM ops.file_totals WHERE total_label = '二级来源=合计 (一级来源=免费流量)'",
                4,
            ),
            ("SELECT count(*) FROM ops.file_totals WHERE total_label = '一级来源=合计'", 4),
            ("SELECT deal_conversion FROM t WHERE source_l2 = '京东快车'", 0.03),
        ],
    )


def sample_jd_sz_industry(landing: Path) -> Expected:
    rows = [
        ["2026-03", "羽绒服", 1, "BrandX", 98000, 120000, 50000, "1000万以上"],
        ["2026-03", "羽绒服", 2, "ACME", 65000, 80000, 30000, "250万~500万"],
        ["2026-03", "羽绒服", 3, "Brand&amp;Y", 40000, 60000, 20000, "100万~250万"],
        ["202603", "围巾", 1, "ACME", 5000, 6000, 3000, "10万以下"],
    ]
    write_extract(landing, f"jd_sz_industry/{BRAND}/2026-03/industry.xlsx", rows)
    return Expected(
        "2026-03",
        "2026-03",
        4,
        sums={"deal_index": 208000, "deal_amount_low": D("13500000.00"), "deal_amount_high": D("7600000.00")},
        checks=[
            ("SELECT count(*) FROM t WHERE month = '2026-03'", 4),
            ("SELECT brand_name FROM t WHERE rank = 3", "Brand&Y"),
            ("SELECT count(*) FROM t WHERE deal_amount_high IS NULL", 1),
        ],
    )


ADS_HEADERS = [
    "日期",
    "账户名称",
    "产品线",
    "计划ID",
    "推广计划",
    "单元ID",
    "推广单元",
    "跟单SKU ID",
    "展现数",
    "点击数",
    "花费",
    "直接订单行",
    "直接订单金额",
    "间接订单行",
    "间接订单金额",
    "总订单行",
    "总订单金额",
    "总购物车数",
    "点击率(%)",
    "平均点击成本",
    "ROI",
    "转化周期",
]


def ads_rows(day: str = "2026-03-01", cost1: str = "¥500.00") -> list[list[Any]]:
    return [
        [
            day,
            "acme_jd",
            "京东快车",
            "5001",
            "海投-春季",
            "7001",
            "单元A",
            "100012345678",
            "10,000",
            "250",
            cost1,
            "5",
            "1,500.00",
            "2",
            "600.00",
            "7",
            "2,100.00",
            "30",
            "2.5",
            "2.00",
            "4.2",
            "15天",
        ],
        [
            day,
            "acme_jd",
            "推荐广告（原购物触点）",
            "5002",
            "春季推荐",
            "7002",
            "单元B",
            "100012345679.0",
            "8000",
            "100",
            "300",
            "1",
            "99",
            "0",
            "0",
            "1",
            "99",
            "5",
            "1.25",
            "3",
            "0.33",
            "15天",
        ],
    ]


def sample_jd_ads(landing: Path) -> Expected:
    write_extract(
        landing, f"jd_ads/{BRAND}/2026-03-01/ads_report_pulled20260302.csv", ads_rows(), ADS_HEADERS, bom=True
    )
    return Expected(
        "2026-03-01",
        "2026-03-01",
        2,
        sums={"impressions": 18000, "clicks": 350, "cost": D("800.00"), "total_order_amount": D("2199.00")},
        checks=[
            ("SELECT sku_id FROM t WHERE campaign_id = '5002'", "100012345679"),
            ("SELECT product_line FROM t WHERE campaign_id = '5002'", "推荐广告（原购物触点）"),
            ("SELECT attribution_days FROM t WHERE campaign_id = '5001'", "15天"),
            ("SELECT _store IS NULL FROM t LIMIT 1", True),
        ],
    )


def sample_tp_action_plan(landing: Path) -> Expected:
    rows = [
        [
            "AP-001",
            "30天",
            date(2026, 3, 1),
            "优化主图",
            "TP007",
            "POP",
            datetime(2026, 3, 31),
            "进行中",
            "点击率",
            0.05,
            0.032,
        ],
        [
            "AP-002",
            "60天",
            "2026-03-01",
            "上新春季款",
            "TP008",
            "全部",
            "2026-04-30",
            "未开始",
            "上新SKU数",
            20,
            "",
        ],
    ]
    write_extract(landing, f"tp_action_plan/{BRAND}/2026-03-02/plan.xlsx", rows)
    return Expected(
        "2026-03-02",
        "2026-03-02",
        2,
        sums={"target": D("20.0500"), "current": D("0.0320")},
        checks=[
            ("SELECT CAST(due_date AS VARCHAR) FROM t WHERE action_id = 'AP-001'", "2026-03-31"),
            ("SELECT store FROM t WHERE action_id = 'AP-002'", "全部"),
        ],
    )


def sample_tp_team_kpi(landing: Path) -> Expected:
    headers = ["季度", "工号", "姓名", "岗位", "店铺", "KPI指标", "权重", "目标值", "实际值（自报）"]
    rows = [
        ["2026Q1", "TP007", "王五", "运营", "POP", "GMV达成率", "60%", 1.0, ""],
        ["2026q1", "TP007", "王五", "运营", "POP", "客服响应时长", "40%", 30, 25],
    ]
    write_extract(landing, f"tp_team_kpi/{BRAND}/2026Q1/kpi.xlsx", rows, headers)
    return Expected(
        "2026Q1",
        "2026Q1",
        2,
        sums={"weight": 1.0, "target": D("31.0000"), "self_reported": D("25.0000")},
        checks=[("SELECT count(*) FROM t WHERE quarter = '2026Q1' AND _period = '2026Q1'", 2)],
    )


def sample_tp_campaign_plan(landing: Path) -> Expected:
    base = [
        "C618",
        "2026京东618",
        "618",
        "POP",
        "2026-05-25",
        "2026-05-31",
        "2026-06-18",
        "1,000,000.00",
        "80000",
    ]
    write_extract(
        landing,
        f"tp_campaign_plan/{BRAND}/2026/campaigns.xlsx",
        [[*base, "首页焦点图", "付费", "20000"], [*base, "秒杀", "免费", "0"]],
    )
    return Expected(
        "2026",
        "2026",
        2,
        sums={"target_gmv": D("2000000.00"), "resource_cost": D("20000.00")},
        checks=[("SELECT CAST(min(start_date) AS VARCHAR) FROM t", "2026-05-31")],
    )


def sample_fin_sales_plan(landing: Path) -> Expected:
    write_extract(
        landing,
        f"fin_sales_plan/{BRAND}/2026/sales_plan_2026_budget.xlsx",
        [
            ["2026-预算", "2025-12-15", "2026-01", "POP", "服饰", 100000, 500, 8000],
            ["2026-预算", "2025-12-15", "2026-01", "自营", "服饰", 80000, 400, 5000],
        ],
    )
    write_extract(
        landing,
        f"fin_sales_plan/{BRAND}/2026/sales_plan_2026_q2.xlsx",
        [
            ["2026-Q2滚动", "2026-04-10", "2026-01", "POP", "服饰", 110000, 550, 9000],
        ],
    )
    return Expected(
        "2026",
        "2026",
        3,
        sums={"target_gmv": D("290000.00"), "target_units": 1450},
        checks=[("SELECT count(DISTINCT plan_version) FROM t", 2)],
    )


def sample_fin_opex_budget(landing: Path) -> Expected:
    write_extract(
        landing,
        f"fin_opex_budget/{BRAND}/2026/opex_budget.xlsx",
        [
            ["2026-预算", "2025-12-20", "2026-01", "JD-POP", "广告费", "50,000.00"],
            ["2026-预算", "2025-12-20", "2026-01", "JD-共享", "人员", "30000"],
        ],
    )
    return Expected(
        "2026",
        "2026",
        2,
        sums={"budget_amount": D("80000.00")},
        checks=[("SELECT CAST(min(published_on) AS VARCHAR) FROM t", "2025-12-20")],
    )


GL_HEADERS = contract_headers("fin_opex_actuals")


def gl_rows() -> list[list[Any]]:
    return [
        [
            "V2026030001",
            "1",
            "2026-03-05",
            "2026-03",
            "JD-POP",
            "6601.01",
            "销售费用-广告费",
            "京东",
            "3月快车充值",
            "12,000.00",
            "0",
            "CNY",
        ],
        [
            "V2026030001",
            "2",
            "2026-03-05",
            "2026-03",
            "JD-POP",
            "6601.01",
            "销售费用-广告费",
            "京东",
            "红冲",
            "0",
            "1,000.00",
            "CNY",
        ],
        [
            "V2026030002",
            "1",
            "20260331",
            "2026/03",
            "JD-共享",
            "6601.08",
            "销售费用-人员费用",
            "",
            "工资分摊",
            "8000",
            "-",
            "CNY",
        ],
    ]


def sample_fin_opex_actuals(landing: Path) -> Expected:
    write_extract(landing, f"fin_opex_actuals/{BRAND}/2026-03/gl_202603.csv", gl_rows())
    return Expected(
        "2026-03",
        "2026-03",
        3,
        sums={"debit": D("20000.00"), "credit": D("1000.00"), "line_no": 4},
        checks=[
            ("SELECT count(*) FROM t WHERE period = '2026-03'", 3),
            ("SELECT account_code FROM t WHERE voucher_id = 'V2026030002'", "6601.08"),
        ],
    )


def sample_ref_products(landing: Path) -> Expected:
    rows = [
        [
            100012345678,
            "POP",
            "A1001",
            "T恤",
            "服饰",
            "上衣",
            "2026SS",
            date(2026, 2, 1),
            None,
            1299,
            400,
            "在售",
        ],
        [
            "200000000001",
            "自营",
            "A1001",
            "T恤",
            "服饰",
            "上衣",
            "2026SS",
            "2026-02-01",
            None,
            1299,
            400,
            "在售",
        ],
        [
            100012345679,
            "POP",
            "A1002",
            "袜子",
            "服饰",
            "配饰",
            "2026SS",
            "2026-02-01",
            "-",
            99,
            "20.50",
            "在售",
        ],
    ]
    write_extract(landing, f"ref_products/{BRAND}/2026-03-01/products.xlsx", rows)
    return Expected(
        "2026-03-01",
        "2026-03-01",
        3,
        sums={"list_price": D("2697.00"), "unit_cogs": D("820.50")},
        checks=[
            ("SELECT sku_id FROM t WHERE _row_number = 1", "100012345678"),
            ("SELECT count(*) FROM t WHERE delist_date IS NULL", 3),
        ],
    )


def sample_fin_region_budget(landing: Path) -> Expected:
    headers = ["版本", "发布日期", "年月", " 大区 ", "店铺", "目标GMV"]
    write_extract(
        landing,
        f"fin_region_budget/{BRAND}/2026/region_budget_2026.xlsx",
        [
            ["2026-区域预算", "2025-12-15", "2026-01", "华东", "POP", "¥60,000.00"],
            ["2026-区域预算", "2025-12-15", "2026-01", "华南", "POP", 40000],
            ["2026-区域预算", "2025-12-15", "2026/1", "华东", "自营", "80000"],
            ["合计", None, None, None, None, "180,000.00"],
        ],
        headers,
    )
    write_extract(
        landing,
        f"fin_region_budget/{BRAND}/2026/region_budget_2026_q3.xlsx",
        [
            ["2026-Q3区域调整", "2026-06-25", "2026-07", "华东", "POP", "70000.50"],
        ],
        headers,
    )
    return Expected(
        "2026",
        "2026",
        4,
        sums={"target_gmv": D("250000.50")},
        totals=1,
        file_totals=1,
        checks=[
            ("SELECT count(DISTINCT plan_version) FROM t", 2),
            ("SELECT count(*) FROM t WHERE month = '2026-01' AND store = '自营'", 1),
        ],
    )


def sample_ref_regions(landing: Path) -> Expected:
    write_extract(
        landing,
        f"ref_regions/{BRAND}/2026-01-01/regions.xlsx",
        [
            ["省份", "广东省", "华南"],
            ["省份", "北京市", "华北"],
            ["省份", " 内蒙古自治区 ", "华北"],
            ["配送中心", "广州", "华南"],
            ["配送中心", "北京", "华北"],
        ],
    )
    return Expected(
        "2026-01-01",
        "2026-01-01",
        5,
        checks=[
            ("SELECT count(*) FROM t WHERE kind = '配送中心'", 2),
            ("SELECT region FROM t WHERE name = '内蒙古自治区'", "华北"),
        ],
    )


SAMPLES: dict[str, Callable[[Path], Expected]] = {
    name.removeprefix("sample_"): fn for name, fn in globals().items() if name.startswith("sample_")
}

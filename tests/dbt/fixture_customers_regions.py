"""Hand-made raw rows for the customer and region marts (issue 20), worked by hand in
test_customers_regions.py. Brand `acme`: POP orders 2025-12-10 .. 2026-02-03 across the Dec/Jan and
Jan/Feb boundaries, a region master replaced by a newer delivery that drops 西藏, self-operated
shipments from three 配送中心 (成都 unmapped), a regional budget and its revision. Brand `beta`:
13 months apart, so its 2026-02 is the first month with a full year of history; no region master."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as Dm

from jd_pipeline.brands import Brand, write_config_tables
from tests.dbt.raw_fixture import insert

A = "acme"
B = "beta"
# The brand configuration (brands.yaml) dim_brand reads.
BRANDS = {A: Brand(A, ("ACME",), ("pop", "self"), {}), B: Brand(B, ("BETA",), ("pop",), {})}


def pop(order_id, sku_id, qty, price, payable, freight, status, paid, buyer, province, day):
    return {
        "order_id": order_id,
        "sku_id": sku_id,
        "sku_name": f"name {sku_id}",
        "qty": qty,
        "payment_method": "在线支付",
        "order_ts": datetime.fromisoformat(f"{day} 10:00:00"),
        "unit_price": Dm(price),
        "order_amount": Dm(payable),
        "settlement_amount": Dm(payable),
        "payable_amount": Dm(payable),
        "balance_paid": Dm(0),
        "freight": Dm(freight),
        "order_status": status,
        "order_type": "普通订单",
        "buyer_key": buyer,
        "province": province,
        "paid_ts": datetime.fromisoformat(f"{day} 10:05:00") if paid else None,
        "article_code": None,
        "completed_ts": None,
        "order_source": "移动端",
    }


# POP order days of acme: {day: lines}. O8 has two lines (allocation 186.67 + 93.33 = 280.00).
POP_DAYS = {
    "2025-12-10": [
        pop("O1", "S1", 1, "100.00", "100.00", "0.00", "完成", True, "B1", "广东省", "2025-12-10")
    ],
    "2025-12-31": [pop("O2", "S2", 2, "50.00", "95.00", "5.00", "完成", True, "B2", "北京", "2025-12-31")],
    "2026-01-01": [
        pop("O3", "S3", 1, "80.00", "80.00", "0.00", "完成", True, "B2", "北京市", "2026-01-01"),
        pop(
            "O4", "S4", 1, "200.00", "190.00", "10.00", "等待确认收货", True, "B3", "西藏自治区", "2026-01-01"
        ),
    ],
    "2026-01-15": [pop("O5", "S5", 1, "60.00", "60.00", "0.00", "完成", True, "B3", "西藏", "2026-01-15")],
    "2026-01-20": [
        pop("O6", "S1", 1, "500.00", "500.00", "0.00", "等待付款", False, "B4", "广东省", "2026-01-20"),
        pop("O7", "S2", 1, "70.00", "70.00", "0.00", "(删除)已取消", True, "B1", "广东省", "2026-01-20"),
    ],
    "2026-02-03": [
        pop("O8", "S1", 2, "100.00", "280.00", "0.00", "完成", True, "B1", "广东", "2026-02-03"),
        pop("O8", "S2", 1, "100.00", "280.00", "0.00", "完成", True, "B1", "广东", "2026-02-03"),
        pop("O9", "S3", 1, "40.00", "46.00", "6.00", "完成", True, "B4", None, "2026-02-03"),
    ],
}
BETA_DAYS = {
    "2025-01-05": [pop("X1", "T1", 1, "10.00", "10.00", "0.00", "完成", True, "B9", "上海市", "2025-01-05")],
    "2026-02-10": [pop("X2", "T1", 1, "10.00", "10.00", "0.00", "完成", True, "B9", "上海市", "2026-02-10")],
}
# A later order of B3 (returning in February), delivered after the first build.
LATE_DAY = (
    "2026-02-20",
    [pop("O10", "S5", 1, "60.00", "60.00", "0.00", "完成", True, "B3", "广东省", "2026-02-20")],
)


def region(kind, name, reg):
    return {"kind": kind, "name": name, "region": reg}


OLD_MASTER = (
    "2025-12-01",
    [
        region("省份", "广东省", "华南"),
        region("省份", "北京市", "华北"),
        region("省份", "西藏自治区", "西南"),
        region("配送中心", "北京", "华北"),
        region("配送中心", "广州", "华南"),
    ],
)
# The newest master: 广东 by its short name, 西藏 no longer mapped (→ 未分配), 成都 never mapped.
NEW_MASTER = (
    "2026-01-10",
    [
        region("省份", "广东", "华南"),
        region("省份", "北京市", "华北"),
        region("配送中心", "北京", "华北"),
        region("配送中心", "广州", "华南"),
    ],
)


def vc(day, sku, units, revenue):
    return {
        "date_day": date.fromisoformat(day),
        "sku_id": sku,
        "sku_name": f"name {sku}",
        "brand_name": "ACME",
        "cat_l1": "服饰内衣",
        "cat_l2": "x",
        "cat_l3": "T恤",
        "units": units,
        "revenue": Dm(revenue),
        "jd_cost": Dm(0),
        "jd_gross_profit": Dm(0),
        "coupon_deduction": Dm(0),
        "promo_deduction": Dm(0),
    }


def inv(day, sku, dc, shipped):
    return {
        "date_day": date.fromisoformat(day),
        "sku_id": sku,
        "sku_name": f"name {sku}",
        "dc": dc,
        "on_hand": 100,
        "available": 90,
        "inbound_open": 0,
        "unsellable": 0,
        "shipped_units": shipped,
        "days_of_cover": Dm("9.5"),
    }


def national(day, sku, rdcs: list[tuple[str, int]]):
    """RDC rows plus the 全国 row holding their sum (as JD delivers it)."""
    rows = [inv(day, sku, dc, n) for dc, n in rdcs]
    total = inv(day, sku, "全国", sum(n for _, n in rdcs))
    total.update(on_hand=100 * len(rdcs), available=90 * len(rdcs))
    return rows + [total]


def budget(version, published, month, reg, store, gmv):
    return {
        "plan_version": version,
        "published_on": date.fromisoformat(published),
        "month": month,
        "region": reg,
        "store": store,
        "target_gmv": Dm(gmv),
    }


BUDGET = [
    budget("2026-区域预算", "2025-12-15", "2026-01", "华北", "POP", "1000.00"),
    budget("2026-区域预算", "2025-12-15", "2026-01", "华南", "POP", "500.00"),
    budget("2026-区域预算", "2025-12-15", "2026-01", "华北", "自营", "1500.00"),
    budget("2026-区域预算", "2025-12-15", "2026-02", "华南", "POP", "400.00"),
]
# The revision covers February only: January stays on the budget version.
REVISION = [
    budget("2026-Q1区域调整", "2026-01-25", "2026-02", "华南", "POP", "350.00"),
    budget("2026-Q1区域调整", "2026-01-25", "2026-02", "华北", "POP", "100.00"),
]


def plan(month, store, gmv):
    return {
        "plan_version": "2026-预算",
        "published_on": date(2025, 12, 15),
        "month": month,
        "store": store,
        "category": "服饰",
        "target_gmv": Dm(gmv),
        "target_units": 1,
        "ads_budget": Dm(0),
    }


# Published with the regional budget: January agrees (1000 + 500, 1500); February POP does not (450 ≠ 400).
SALES_PLAN = [
    plan("2026-01", "POP", "1500.00"),
    plan("2026-01", "自营", "1500.00"),
    plan("2026-02", "POP", "450.00"),
]


def load_base(
    conn, *, skip_pop_days: tuple[str, ...] = (), new_master: bool = True, revision: bool = True
) -> None:
    """Everything except what a test delivers later (a skipped POP day, the newest master, the revision)."""
    write_config_tables(conn, BRANDS)
    for day, lines in POP_DAYS.items():
        if day not in skip_pop_days:
            insert(conn, "jd_pop_orders", A, "pop", day, lines)
    for day, lines in BETA_DAYS.items():
        insert(conn, "jd_pop_orders", B, "pop", day, lines)
    insert(conn, "ref_regions", A, None, OLD_MASTER[0], OLD_MASTER[1])
    if new_master:
        deliver_new_master(conn)
    insert(conn, "jd_vc_sales", A, "self", "2026-01-05", [vc("2026-01-05", "V1", 12, "1200.00")])
    insert(conn, "jd_vc_sales", A, "self", "2026-01-20", [vc("2026-01-20", "V1", 3, "331.00")])
    insert(
        conn,
        "jd_vc_inventory",
        A,
        "self",
        "2026-01-05",
        national("2026-01-05", "V1", [("北京", 10), ("广州", 4), ("成都", 6)])
        + national("2026-01-05", "V2", [("北京", 2)]),
    )
    insert(conn, "jd_vc_inventory", A, "self", "2026-01-20", national("2026-01-20", "V1", [("北京", 5)]))
    insert(conn, "fin_region_budget", A, None, "2026", BUDGET)
    if revision:
        deliver_revision(conn)
    insert(conn, "fin_sales_plan", A, None, "2026", SALES_PLAN)


def deliver_new_master(conn) -> None:
    insert(conn, "ref_regions", A, None, NEW_MASTER[0], NEW_MASTER[1])


def deliver_revision(conn) -> None:
    # a second file of the same year: its own load id (raw_fixture names load ids by period)
    insert(conn, "fin_region_budget", A, None, "2026", REVISION)
    conn.execute(
        "update raw.fin_region_budget set _load_id = _load_id || '-q1' where plan_version = '2026-Q1区域调整'"
    )


def deliver_pop_day(conn, day: str, lines: list[dict]) -> None:
    insert(conn, "jd_pop_orders", A, "pop", day, lines)

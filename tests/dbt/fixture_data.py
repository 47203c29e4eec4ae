"""The hand-made fixture: brand `acme` (both stores, March 2026 with a ledger, April 2026 without) and a
second brand `beta` with one VC row (checks brands never mix). Expected values are worked out by hand in
the test modules from these rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as Dm

from jd_pipeline.brands import Brand
from tests.dbt.raw_fixture import insert

A = "acme"

# The brand configuration (brands.yaml) of the fixture: acme's JD name ACME, the P&L estimate rate card.
BRANDS = {
    "acme": Brand("acme", ("ACME",), ("pop", "self"), {"服装": Dm("0.08"), "*": Dm("0.06")}),
    "beta": Brand("beta", ("BETA",), ("self",), {}),
}


def pop_line(order_id, sku_id, qty, price, payable, freight, status, paid, buyer, province, day):
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


def product(sku, store, article, category, season, launch, cogs):
    return {
        "sku_id": sku,
        "store": store,
        "article_code": article,
        "sku_name": f"name {sku}",
        "category": category,
        "subcategory": None,
        "gtm_season": season,
        "launch_date": date.fromisoformat(launch),
        "delist_date": None,
        "list_price": Dm("199.00"),
        "unit_cogs": Dm(cogs),
        "status": "在售",
    }


def po(po_id, sku, status, qty, received, price, completed):
    return {
        "po_id": po_id,
        "created_ts": datetime(2026, 2, 25, 9),
        "sku_id": sku,
        "sku_name": f"name {sku}",
        "dc": "北京",
        "qty_ordered": qty,
        "qty_confirmed": qty,
        "qty_received": received,
        "unit_cost_to_jd": Dm(price),
        "po_amount": Dm(price) * qty,
        "po_status": status,
        "eta_date": date(2026, 3, 2),
        "completed_ts": datetime.fromisoformat(completed) if completed else None,
    }


def ad(
    day,
    campaign_id,
    campaign_name,
    product_line,
    adgroup,
    sku,
    cost,
    total_amount,
    impressions=1000,
    clicks=50,
):
    return {
        "date_day": date.fromisoformat(day),
        "account_name": "acme-jzt",
        "product_line": product_line,
        "campaign_id": campaign_id,
        "campaign_name": campaign_name,
        "adgroup_id": adgroup,
        "adgroup_name": f"g {adgroup}",
        "sku_id": sku,
        "impressions": impressions,
        "clicks": clicks,
        "cost": Dm(cost),
        "direct_orders": 1,
        "direct_order_amount": Dm(total_amount),
        "indirect_orders": 0,
        "indirect_order_amount": Dm(0),
        "total_orders": 1,
        "total_order_amount": Dm(total_amount),
        "carts": 3,
        "attribution_days": "15天",
    }


def gl(voucher, line, cost_center, account, debit, credit="0", period="2026-03"):
    return {
        "voucher_id": voucher,
        "line_no": line,
        "voucher_date": date(2026, 3, 31),
        "period": period,
        "cost_center": cost_center,
        "account_code": account,
        "account_name": None,
        "vendor": "v",
        "memo": "m",
        "debit": Dm(debit),
        "credit": Dm(credit),
        "currency": "CNY",
    }


def load(conn) -> None:
    # --- product master: an older delivery (ignored) and the newest one
    insert(
        conn,
        "ref_products",
        A,
        None,
        "2026-03-01",
        [
            product("P1", "POP", "A1", "服装", "2026SS", "2026-02-20", "35.00"),
            product("P9", "POP", "A9", "服装", "2026SS", "2026-02-20", "10.00"),
        ],
    )
    insert(
        conn,
        "ref_products",
        A,
        None,
        "2026-03-15",
        [
            product("P1", "POP", "A1", "服装", "2026SS", "2026-02-20", "40.00"),
            product("P2", "POP", "A2", "鞋靴", "2026SS", "2026-03-01", "100.00"),
            product("P3", "POP", "A3", "Z杂项", "2026SS", "2026-03-01", "5.00"),
            product("S1", "自营", "A1", "服装", "2026SS", "2026-02-20", "40.00"),
            product("S2", "自营", "A2", "鞋靴", "2025AW", "2025-09-01", "100.00"),
        ],
    )
    # --- POP orders
    d1 = "2026-03-01"
    insert(
        conn,
        "jd_pop_orders",
        A,
        "pop",
        d1,
        [
            pop_line("O1", "P1", 2, "99.00", "450.00", "10.00", "完成", True, "b1", "广东省", d1),
            pop_line("O1", "P2", 1, "299.00", "450.00", "10.00", "完成", True, "b1", "广东省", d1),
            pop_line("O2", "P1", 1, "10.00", "20.00", "0.00", "(删除)完成", True, "b1", "广东", d1),
            pop_line("O2", "P2", 1, "10.00", "20.00", "0.00", "(删除)完成", True, "b1", "广东", d1),
            pop_line("O2", "P3", 1, "10.00", "20.00", "0.00", "(删除)完成", True, "b1", "广东", d1),
            pop_line("O3", "P1", 1, "99.00", "99.00", "0.00", "等待付款", False, "b4", "北京", d1),
            pop_line("O4", "P2", 1, "299.00", "299.00", "0.00", "已取消", True, "b5", "北京", d1),
            pop_line("O5", "P1", 3, "99.00", "287.00", "0.00", "完成", True, "b2", "浙江", d1),
        ],
    )
    insert(
        conn,
        "jd_pop_orders",
        A,
        "pop",
        "2026-03-02",
        [
            pop_line("O6", "P1", 1, "99.00", "109.00", "10.00", "等待出库", True, "b3", "上海", "2026-03-02"),
        ],
    )
    insert(
        conn,
        "jd_pop_orders",
        A,
        "pop",
        "2026-04-01",
        [
            pop_line("O7", "P1", 2, "99.00", "180.00", "0.00", "完成", True, "b1", "广东省", "2026-04-01"),
        ],
    )

    # --- VC sales (self-operated)
    def vc(day, sku, units, revenue, brand_name="ACME"):
        return {
            "date_day": date.fromisoformat(day),
            "sku_id": sku,
            "sku_name": f"name {sku}",
            "brand_name": brand_name,
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

    insert(
        conn,
        "jd_vc_sales",
        A,
        "self",
        "2026-03-01",
        [vc("2026-03-01", "S1", 10, "1000.00"), vc("2026-03-01", "S2", 5, "900.00")],
    )
    insert(conn, "jd_vc_sales", A, "self", "2026-03-02", [vc("2026-03-02", "S1", -1, "-100.00")])
    insert(conn, "jd_vc_sales", A, "self", "2026-04-01", [vc("2026-04-01", "S1", 4, "400.00")])
    insert(conn, "jd_vc_sales", "beta", "self", "2026-03-01", [vc("2026-03-01", "S9", 1, "50.00", "BETA")])

    # --- 商智 SKU
    def sz(day, sku, visitors, deal_buyers, deal_orders, deal_amount):
        return {
            "date_day": date.fromisoformat(day),
            "sku_id": sku,
            "sku_name": f"name {sku}",
            "cat_l1": "服饰内衣",
            "cat_l2": "x",
            "cat_l3": "T恤",
            "visitors": visitors,
            "page_views": visitors * 2,
            "cart_buyers": 5,
            "order_buyers": deal_buyers + 1,
            "order_count": deal_orders + 1,
            "order_amount": Dm(deal_amount),
            "deal_buyers": deal_buyers,
            "deal_orders": deal_orders,
            "deal_units": deal_orders,
            "deal_amount": Dm(deal_amount),
            "deal_conversion": 0.99,
            "refund_amount": Dm(0),
        }

    insert(
        conn,
        "jd_sz_sku",
        A,
        "self",
        "2026-03-01",
        [sz("2026-03-01", "S1", 200, 7, 8, "1000.00"), sz("2026-03-01", "S2", 100, 5, 5, "900.00")],
    )
    insert(conn, "jd_sz_sku", A, "pop", "2026-03-01", [sz("2026-03-01", "P1", 100, 2, 3, "505.00")])

    # --- 商智 traffic
    def tr(l1, l2, l3, visitors, buyers, amount):
        return {
            "date_day": date(2026, 3, 1),
            "source_l1": l1,
            "source_l2": l2,
            "source_l3": l3,
            "visitors": visitors,
            "page_views": visitors * 3,
            "deal_buyers": buyers,
            "deal_amount": Dm(amount),
            "deal_conversion": None,
        }

    insert(
        conn,
        "jd_sz_traffic",
        A,
        "pop",
        "2026-03-01",
        [
            tr("免费流量", "搜索", "关键词", 300, 3, "300.00"),
            tr("免费流量", "推荐", None, 200, 1, "100.00"),
            tr("付费流量", "京东快车", None, 100, 2, "200.00"),
        ],
    )

    # --- inventory: RDC rows + 全国
    def inv(sku, dc, on_hand):
        return {
            "date_day": date(2026, 3, 1),
            "sku_id": sku,
            "sku_name": f"name {sku}",
            "dc": dc,
            "on_hand": on_hand,
            "available": on_hand - 1,
            "inbound_open": 0,
            "unsellable": 1,
            "shipped_units": 2,
            "days_of_cover": Dm("10.5"),
        }

    insert(
        conn,
        "jd_vc_inventory",
        A,
        "self",
        "2026-03-01",
        [inv("S1", "北京", 50), inv("S1", "上海", 30), inv("S2", "广州", 20)],
    )
    # The loader drops the 全国 rows like total rows and records them in ops.file_totals (one row per
    # numeric column, with the detail sum it computed); the reconciliation test reads them there.
    # ops.file_totals exists: create_raw_tables ran the loader's DDL before load().
    national = {
        "S1": {"on_hand": 80, "available": 78, "inbound_open": 0, "unsellable": 2, "shipped_units": 4},
        "S2": {"on_hand": 20, "available": 19, "inbound_open": 0, "unsellable": 1, "shipped_units": 2},
    }
    for sku, values in national.items():
        for col, value in values.items():
            conn.execute(
                "insert into ops.file_totals values (?, 'jd_vc_inventory', ?, 'self', '2026-03-01', ?, ?, ?, ?, 0)",
                [f"jd_vc_inventory-{A}-self-2026-03-01", A, f"配送中心=全国 (SKU={sku})", col, value, value],
            )

    # --- purchase orders: states across export days, newest wins
    insert(
        conn,
        "jd_vc_purchase_orders",
        A,
        "self",
        "2026-03-01",
        [po("PO1", "S1", "已回告", 100, None, "60.00", None)],
    )
    insert(
        conn,
        "jd_vc_purchase_orders",
        A,
        "self",
        "2026-03-02",
        [
            po("PO1", "S1", "已完成", 100, 90, "60.00", "2026-03-02 10:00:00"),
            po("PO2", "S2", "已完成", 20, 20, "150.00", "2026-03-02 11:00:00"),
            po("PO3", "S1", "已取消", 10, 0, "60.00", "2026-03-02 12:00:00"),
        ],
    )
    insert(
        conn,
        "jd_vc_purchase_orders",
        A,
        "self",
        "2026-03-03",
        [po("PO2", "S2", "已完成", 20, 18, "150.00", "2026-03-02 11:00:00")],
    )
    insert(
        conn,
        "jd_vc_purchase_orders",
        A,
        "self",
        "2026-04-01",
        [po("PO4", "S1", "已完成", 10, 10, "60.00", "2026-04-01 09:00:00")],
    )

    # --- ads
    insert(
        conn,
        "jd_ads",
        A,
        None,
        "2026-03-01",
        [
            ad("2026-03-01", "C1", "日常快车", "快车", "G1", "P1", "100.00", "500.00"),
            ad("2026-03-01", "C2", "海投计划A", "推荐广告（原购物触点）", "G2", "S1", "200.00", "800.00"),
        ],
    )
    insert(
        conn,
        "jd_ads",
        A,
        None,
        "2026-04-01",
        [
            ad("2026-04-01", "C1", "日常快车", "京东快车", "G1", "P1", "50.00", "100.00"),
            ad("2026-04-01", "C2", "海投计划A", "推荐广告", "G2", "S1", "70.00", "140.00"),
        ],
    )

    # --- ledger March 2026
    insert(
        conn,
        "fin_opex_actuals",
        A,
        None,
        "2026-03",
        [
            gl("V1", 1, "JD-POP", "6601.01", "120.00"),
            gl("V1", 2, "JD-POP", "6601.04", "60.00"),
            gl("V1", 3, "JD-POP", "6601.02", "100.00"),
            gl("V2", 1, "JD-自营", "6601.05", "300.00"),
            gl("V2", 2, "JD-自营", "6601.01", "250.00"),
            gl("V2", 3, "JD-自营", "6601.01", "0", "50.00"),
            gl("V3", 1, "JD-共享", "6601.08", "1000.00"),
            gl("V3", 2, "JD-共享", "6601.99", "1.00"),
        ],
    )

    # --- OPEX budget 2026: B1 (first) and B2 (current)
    def ob(version, published, month, cc, ct, amount):
        return {
            "plan_version": version,
            "published_on": date.fromisoformat(published),
            "month": month,
            "cost_center": cc,
            "cost_type": ct,
            "budget_amount": Dm(amount),
        }

    insert(
        conn,
        "fin_opex_budget",
        A,
        None,
        "2026",
        [
            ob("B2", "2026-03-05", "2026-03", "JD-POP", "ads", "130.00"),
            ob("B1", "2025-12-10", "2026-01", "JD-POP", "ads", "100.00"),
            ob("B1", "2025-12-10", "2026-03", "JD-POP", "ads", "150.00"),
            ob("B1", "2025-12-10", "2026-03", "JD-共享", "人员", "900.00"),
        ],
    )

    # --- sales plan 2026: budget, a middle revision, the current revision
    def sp(version, published, month, store, category, gmv, units=10, ads="100.00"):
        return {
            "plan_version": version,
            "published_on": date.fromisoformat(published),
            "month": month,
            "store": store,
            "category": category,
            "target_gmv": Dm(gmv),
            "target_units": units,
            "ads_budget": Dm(ads),
        }

    insert(
        conn,
        "fin_sales_plan",
        A,
        None,
        "2026",
        [
            sp("2026-Q1滚动", "2026-02-15", "2026-03", "POP", "服装", "5000.00"),
            sp("2026-Q1滚动", "2026-02-15", "2026-04", "POP", "服装", "5000.00"),
            sp("2026-预算", "2025-12-01", "2026-03", "POP", "服装", "1000.00"),
            sp("2026-预算", "2025-12-01", "2026-04", "POP", "服装", "1000.00"),
            sp("2026-预算", "2025-12-01", "2026-03", "自营", "服装", "2000.00"),
            sp("2026-预算", "2025-12-01", "2026-04", "自营", "服装", "2000.00"),
            sp("2026-Q2滚动", "2026-03-20", "2026-03", "POP", "服装", "1100.00"),
            sp("2026-Q2滚动", "2026-03-20", "2026-04", "POP", "服装", "900.00"),
            sp("2026-Q2滚动", "2026-03-20", "2026-03", "自营", "服装", "2100.00"),
            sp("2026-Q2滚动", "2026-03-20", "2026-04", "自营", "服装", "1900.00"),
        ],
    )

    # --- industry ranking
    def ind(rank, brand_name, index, low, high):
        return {
            "month": "2026-03",
            "cat_l3": "T恤",
            "rank": rank,
            "brand_name": brand_name,
            "deal_index": index,
            "visitor_index": index,
            "search_index": index,
            "deal_amount_range": "x",
            "deal_amount_low": Dm(low),
            "deal_amount_high": Dm(high) if high else None,
        }

    insert(
        conn,
        "jd_sz_industry",
        A,
        None,
        "2026-03",
        [
            ind(1, "BrandX", 5000, "10000000", None),
            ind(2, "BrandY", 3000, "2500000", "5000000"),
            ind(3, "ACME", 2000, "1000000", "2500000"),
        ],
    )

    # --- campaign plan: a POP 超级品牌日 in March with two resource rows, a 全部 618
    def cp(code, title, ctype, store, warm, start, end, target, budget, slot, cost):
        return {
            "campaign_code": code,
            "campaign_title": title,
            "campaign_type": ctype,
            "store": store,
            "warmup_start": date.fromisoformat(warm),
            "start_date": date.fromisoformat(start),
            "end_date": date.fromisoformat(end),
            "target_gmv": Dm(target),
            "ads_budget": Dm(budget),
            "resource_slot": slot,
            "resource_terms": "付费",
            "resource_cost": Dm(cost),
        }

    insert(
        conn,
        "tp_campaign_plan",
        A,
        None,
        "2026",
        [
            cp(
                "CSBD",
                "2026超级品牌日",
                "超级品牌日",
                "POP",
                "2026-02-28",
                "2026-03-01",
                "2026-03-02",
                "1000.00",
                "300.00",
                "首页焦点图",
                "0",
            ),
            cp(
                "CSBD",
                "2026超级品牌日",
                "超级品牌日",
                "POP",
                "2026-02-28",
                "2026-03-01",
                "2026-03-02",
                "1000.00",
                "300.00",
                "秒杀",
                "500.00",
            ),
            cp(
                "C618",
                "2026京东618",
                "618",
                "全部",
                "2026-05-13",
                "2026-05-30",
                "2026-06-18",
                "9000.00",
                "900.00",
                "频道页",
                "100.00",
            ),
        ],
    )

    # --- agency sources (staged only)
    insert(
        conn,
        "tp_action_plan",
        A,
        None,
        "2026-03-02",
        [
            {
                "action_id": "AP1",
                "horizon": "30天",
                "plan_start": date(2026, 3, 1),
                "action": "优化主图",
                "owner_id": "T01",
                "store": "POP",
                "due_date": date(2026, 3, 31),
                "status": "进行中",
                "metric": "点击率",
                "target": Dm("0.05"),
                "current": Dm("0.03"),
            }
        ],
    )
    insert(
        conn,
        "tp_team_kpi",
        A,
        None,
        "2026Q1",
        [
            {
                "quarter": "2026Q1",
                "staff_id": "T01",
                "staff_name": "张三",
                "role": "运营",
                "store": "全部",
                "kpi": "GMV达成率",
                "weight": 1.0,
                "target": Dm("1.0"),
                "self_reported": None,
            }
        ],
    )

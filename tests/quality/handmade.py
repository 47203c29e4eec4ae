"""Small hand-built warehouses for the quality tests: raw/ops/marts tables shaped per
docs/ARCHITECTURE.md, one good day (2026-03-01, brand `acme`) and helpers to break it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from jd_pipeline.contracts import get_contract
from jd_pipeline.ingest.manifest import ensure_ops_tables, ensure_raw_table

DAY = "2026-03-01"
BRAND = "acme"

MARTS_DDL = """
CREATE SCHEMA IF NOT EXISTS marts;
CREATE TABLE marts.fct_sales_daily (date_day DATE, brand VARCHAR, store_type VARCHAR, sku_id VARCHAR,
    units BIGINT, gmv DECIMAL(18,2), net_sales DECIMAL(18,2), orders BIGINT, buyers BIGINT);
"""


class Warehouse:
    """A test warehouse file with row builders that fill defaults."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = duckdb.connect(str(path))
        self.redeliveries = 0
        ensure_ops_tables(self.conn)  # the loader's own DDL: fixtures never drift from production
        self.conn.execute(MARTS_DDL)

    def close(self) -> None:
        self.conn.close()

    def ensure_raw(self, source: str) -> list[str]:
        """raw.<source> by the loader's own DDL; its column names in table order."""
        ensure_raw_table(self.conn, get_contract(source))
        return [r[0] for r in self.conn.execute(f"DESCRIBE raw.{source}").fetchall()]

    def load(
        self,
        source: str,
        rows: list[dict[str, Any]],
        *,
        period: str = DAY,
        brand: str = BRAND,
        store: str | None = None,
        load_id: str | None = None,
        status: str = "loaded",
    ) -> str:
        """Insert a delivery (one file) into raw.<source> and its ops.load_manifest row."""
        names = self.ensure_raw(source)
        load_id = load_id or f"{source}-{brand}-{store or 'x'}-{period}"
        values = []
        for i, row in enumerate(rows, 1):
            full = {
                "_load_id": load_id,
                "_brand": brand,
                "_store": store,
                "_period": period,
                "_row_number": i,
                **row,
            }
            values.append([full.get(n) for n in names])
        if values:
            self.conn.executemany(f"INSERT INTO raw.{source} VALUES ({', '.join('?' * len(names))})", values)
        path = f"landing/{source}/{brand}/{store + '/' if store else ''}{period}/{source}_{period}.xlsx"
        self.conn.execute(
            "INSERT INTO ops.load_manifest (load_id, path, sha256, size, source, brand, store, period, delivered_at, "
            "status, rows_read, rows_loaded, rows_quarantined, rows_total, reason, loaded_at) "
            "VALUES (?, ?, 'sha', 1, ?, ?, ?, ?, now(), ?, ?, ?, 0, 0, NULL, now())",
            [load_id, path, source, brand, store, period, status, len(rows), len(rows)],
        )
        return load_id

    def replace(self, source: str, rows: list[dict[str, Any]], **kw: Any) -> str:
        """A re-delivery: the earlier load of the same period leaves raw, the manifest keeps it as replaced."""
        period = kw.get("period", DAY)
        old = [
            r[0]
            for r in self.conn.execute(
                f"SELECT DISTINCT _load_id FROM raw.{source} WHERE _period = ? AND _brand = ?",
                [period, kw.get("brand", BRAND)],
            ).fetchall()
        ]
        self.conn.execute(f"DELETE FROM raw.{source} WHERE _load_id IN (SELECT unnest(?))", [old])
        self.conn.execute(
            "UPDATE ops.load_manifest SET status = 'replaced' WHERE load_id IN (SELECT unnest(?))", [old]
        )
        # other bytes, another load id (the loader's ids hash the file's bytes)
        self.redeliveries += 1
        kw.setdefault(
            "load_id",
            f"{source}-{kw.get('brand', BRAND)}-{kw.get('store') or 'x'}-{period}-r{self.redeliveries}",
        )
        return self.load(source, rows, **kw)

    def total(
        self,
        load_id: str,
        source: str,
        label: str,
        column: str,
        total: float,
        detail: float,
        period: str = DAY,
        store: str | None = None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO ops.file_totals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 99)",
            [load_id, source, BRAND, store, period, label, column, total, detail],
        )

    def quarantine(self, load_id: str, source: str, reason: str, n: int = 1) -> None:
        for i in range(n):
            self.conn.execute(
                "INSERT INTO ops.quarantine_rows VALUES (?, ?, 'f', ?, ?, '{}', now())",
                [load_id, source, i + 1, reason],
            )


def ts(day: str = DAY, hm: str = "10:00:00") -> datetime:
    return datetime.fromisoformat(f"{day} {hm}")


def d(day: str = DAY) -> date:
    return date.fromisoformat(day)


def pop_order_lines(day: str = DAY) -> list[dict[str, Any]]:
    base = {
        "sku_name": "T恤",
        "payment_method": "在线支付",
        "order_ts": ts(day),
        "order_type": "普通订单",
        "buyer_key": "hash-abc",
        "province": "广东",
        "paid_ts": ts(day, "10:05:00"),
        "order_source": "移动端",
        "settlement_amount": 0,
        "balance_paid": 0,
        "completed_ts": None,
        "article_code": "A1",
    }
    return [
        {
            **base,
            "order_id": "O1",
            "sku_id": "S1",
            "qty": 2,
            "unit_price": 100,
            "order_amount": 300,
            "payable_amount": 290,
            "freight": 10,
            "order_status": "完成",
        },
        {
            **base,
            "order_id": "O1",
            "sku_id": "S2",
            "qty": 1,
            "unit_price": 100,
            "order_amount": 300,
            "payable_amount": 290,
            "freight": 10,
            "order_status": "完成",
        },
        {
            **base,
            "order_id": "O2",
            "sku_id": "S1",
            "qty": 1,
            "unit_price": 100,
            "order_amount": 100,
            "payable_amount": 100,
            "freight": 0,
            "order_status": "(删除)已取消",
        },
    ]


def sz_sku_rows(amount: float, day: str = DAY) -> list[dict[str, Any]]:
    return [
        {
            "date_day": d(day),
            "sku_id": "S1",
            "sku_name": "T恤",
            "cat_l1": "服饰",
            "cat_l2": "上装",
            "cat_l3": "T恤",
            "visitors": 100,
            "page_views": 300,
            "cart_buyers": 10,
            "order_buyers": 5,
            "order_count": 5,
            "order_amount": amount,
            "deal_buyers": 3,
            "deal_orders": 3,
            "deal_units": 3,
            "deal_amount": amount,
            "deal_conversion": 0.03,
            "refund_amount": 0,
        }
    ]


def ads_rows(product_line: str = "京东快车", amount: float = 100, day: str = DAY) -> list[dict[str, Any]]:
    return [
        {
            "date_day": d(day),
            "account_name": "acme旗舰店",
            "product_line": product_line,
            "campaign_id": "C1",
            "campaign_name": "海投计划",
            "adgroup_id": "G1",
            "adgroup_name": "单元",
            "sku_id": "S1",
            "impressions": 1000,
            "clicks": 50,
            "cost": 20,
            "direct_orders": 1,
            "direct_order_amount": amount,
            "indirect_orders": 0,
            "indirect_order_amount": 0,
            "total_orders": 1,
            "total_order_amount": amount,
            "carts": 2,
            "attribution_days": "15天",
        }
    ]


def inventory_rows(day: str = DAY) -> list[dict[str, Any]]:
    base = {
        "date_day": d(day),
        "sku_id": "S9",
        "sku_name": "卫衣",
        "available": 5,
        "inbound_open": 0,
        "unsellable": 0,
        "shipped_units": 1,
        "days_of_cover": 5,
    }
    return [{**base, "dc": "北京", "on_hand": 6}, {**base, "dc": "上海", "on_hand": 4}]


def traffic_rows(day: str = DAY) -> list[dict[str, Any]]:
    base = {"date_day": d(day), "page_views": 30, "deal_buyers": 1, "deal_amount": 50, "deal_conversion": 0.1}
    return [
        {**base, "source_l1": "免费流量", "source_l2": "搜索", "source_l3": "关键词", "visitors": 10},
        {**base, "source_l1": "付费流量", "source_l2": "京东快车", "source_l3": "关键词", "visitors": 20},
    ]


def vc_sales_rows(day: str = DAY) -> list[dict[str, Any]]:
    return [
        {
            "date_day": d(day),
            "sku_id": "S9",
            "sku_name": "卫衣",
            "brand_name": "ACME",
            "cat_l1": "服饰",
            "cat_l2": "上装",
            "cat_l3": "卫衣",
            "units": 3,
            "revenue": 300,
            "jd_cost": 200,
            "jd_gross_profit": 100,
            "coupon_deduction": 0,
            "promo_deduction": 0,
        }
    ]


def opex_rows(period: str, debit: float = 1000, currency: str = "CNY") -> list[dict[str, Any]]:
    return [
        {
            "voucher_id": f"V{period}",
            "line_no": 1,
            "voucher_date": d(period + "-15"),
            "period": period,
            "cost_center": "JD-POP",
            "account_code": "6601.01",
            "account_name": "销售费用-广告费",
            "vendor": "京东",
            "memo": "京准通充值",
            "debit": debit,
            "credit": 0,
            "currency": currency,
        }
    ]


def plan_rows(year: str = "2026", months: int = 12) -> list[dict[str, Any]]:
    return [
        {
            "plan_version": f"{year}-预算",
            "published_on": d(f"{year}-01-05"),
            "month": f"{year}-{m:02d}",
            "store": "POP",
            "category": "服饰",
            "target_gmv": 10000,
            "target_units": 100,
            "ads_budget": 1000,
        }
        for m in range(1, months + 1)
    ]


def load_good_day(wh: Warehouse, day: str = DAY) -> None:
    """A consistent day: POP orders gmv 300 = 商智 POP 300; ads 100 of 商智 600; totals agree."""
    wh.load("jd_pop_orders", pop_order_lines(day), period=day, store="pop")
    wh.load("jd_sz_sku", sz_sku_rows(300, day), period=day, store="pop")
    wh.load("jd_sz_sku", sz_sku_rows(300, day), period=day, store="self")
    wh.load("jd_ads", ads_rows(day=day), period=day)
    inv = wh.load("jd_vc_inventory", inventory_rows(day), period=day, store="self")
    wh.total(inv, "jd_vc_inventory", "配送中心=全国 (SKU=S9)", "on_hand", 10, 10, period=day)
    traffic = wh.load("jd_sz_traffic", traffic_rows(day), period=day, store="pop")
    wh.total(traffic, "jd_sz_traffic", "一级来源=合计", "visitors", 30, 30, period=day, store="pop")
    sales = wh.load("jd_vc_sales", vc_sales_rows(day), period=day, store="self")
    wh.total(sales, "jd_vc_sales", "时间=合计", "revenue", 300, 300, period=day)

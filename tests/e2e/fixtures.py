"""Hand-made extracts with totals worked out by hand (not produced by the generator).

Business day 2025-03-10, brand `acme`, three POP SKUs.

| order | lines (sku qty x price)      | 应付 | 运费 | net to allocate | status         | paid | counted |
|-------|------------------------------|------|------|-----------------|----------------|------|---------|
| O1    | P1 2x100, P2 1x50            | 230  | 10   | 220.00          | 完成           | yes  | yes     |
| O2    | P1 1x100, P2 1x50, P3 1x50   | 109.99 | 10 | 99.99           | 等待出库       | yes  | yes     |
| O3    | P1 1x100                     | 100  | 0    | -               | 已取消         | yes  | no      |
| O4    | P2 1x50                      | 50   | 0    | -               | 等待付款       | no   | no      |
| O5    | P3 3x50                      | 140  | 0    | 140.00          | (删除)完成     | yes  | yes     |

Allocation, to the cent, remainder on the largest line:
O1: P1 220*200/250 = 176.00, P2 44.00.
O2: P2 round(99.99*50/200) = 25.00, P3 25.00, P1 (largest) = 99.99 - 50.00 = 49.99.
"""

from __future__ import annotations

from pathlib import Path

from tests.extract_files import contract_headers, write_extract

DAY = "2025-03-10"
BRAND = "acme"

POP_HEADERS = contract_headers("jd_pop_orders")
PLANTED_PII = ["测试姓名甲", "13800000001", "备注秘密XYZ", "商家秘密ABC"]


def _order_line(
    order, sku, name, qty, price, amount, payable, freight, status, buyer, address, paid_ts, article
):
    return [
        order,
        sku,
        name,
        str(qty),
        "在线支付",
        f"{DAY} 10:00:00",
        f"{price:.2f}",
        f"{amount:.2f}",
        f"{payable:.2f}",
        f"{payable:.2f}",
        "0.00",
        f"{freight:.2f}",
        status,
        "普通订单",
        buyer,
        PLANTED_PII[0],
        address,
        PLANTED_PII[1],
        PLANTED_PII[2],
        PLANTED_PII[3],
        paid_ts,
        article,
        "",
        "移动端",
    ]


PAID = f"{DAY} 10:05:00"
POP_ROWS = [
    _order_line(
        "O1",
        "100000000001",
        "男士T恤",
        2,
        100,
        250,
        230,
        10,
        "完成",
        "buyer_u1",
        "北京市朝阳区建国路1号",
        PAID,
        "A1",
    ),
    _order_line(
        "O1",
        "100000000002",
        "运动短裤",
        1,
        50,
        250,
        230,
        10,
        "完成",
        "buyer_u1",
        "北京市朝阳区建国路1号",
        PAID,
        "A2",
    ),
    _order_line(
        "O2",
        "100000000001",
        "男士T恤",
        1,
        100,
        200,
        109.99,
        10,
        "等待出库",
        "buyer_u2",
        "上海市浦东新区世纪大道2号",
        PAID,
        "A1",
    ),
    _order_line(
        "O2",
        "100000000002",
        "运动短裤",
        1,
        50,
        200,
        109.99,
        10,
        "等待出库",
        "buyer_u2",
        "上海市浦东新区世纪大道2号",
        PAID,
        "A2",
    ),
    _order_line(
        "O2",
        "100000000003",
        "速干袜",
        1,
        50,
        200,
        109.99,
        10,
        "等待出库",
        "buyer_u2",
        "上海市浦东新区世纪大道2号",
        PAID,
        "A3",
    ),
    _order_line(
        "O3",
        "100000000001",
        "男士T恤",
        1,
        100,
        100,
        100,
        0,
        "已取消",
        "buyer_u3",
        "江苏省南京市玄武区3号",
        PAID,
        "A1",
    ),
    _order_line(
        "O4",
        "100000000002",
        "运动短裤",
        1,
        50,
        50,
        50,
        0,
        "等待付款",
        "buyer_u1",
        "北京市朝阳区建国路1号",
        "0001-01-01 00:00:00",
        "A2",
    ),
    _order_line(
        "O5",
        "100000000003",
        "速干袜",
        3,
        50,
        150,
        140,
        0,
        "(删除)完成",
        "buyer_u1",
        "广东省广州市天河区4号",
        PAID,
        "A3",
    ),
]

# Expected fct_sales_daily rows for the day: sku -> (units, gmv, net_sales, orders, buyers)
EXPECTED_POP_SALES = {
    "100000000001": (3, "300.00", "225.99", 2, 2),
    "100000000002": (2, "100.00", "69.00", 2, 2),
    "100000000003": (4, "200.00", "165.00", 2, 2),
}
EXPECTED_TOTAL_GMV = "600.00"
EXPECTED_TOTAL_NET = "459.99"

PRODUCT_ROWS = [
    [
        "100000000001",
        "POP",
        "A1",
        "男士T恤",
        "服装",
        "T恤",
        "2025SS",
        "2025-02-01",
        "",
        "129.00",
        "40.00",
        "在售",
    ],
    [
        "100000000002",
        "POP",
        "A2",
        "运动短裤",
        "服装",
        "短裤",
        "2025SS",
        "2025-02-01",
        "",
        "69.00",
        "20.00",
        "在售",
    ],
    [
        "100000000003",
        "POP",
        "A3",
        "速干袜",
        "配件",
        "袜子",
        "2025SS",
        "2025-02-01",
        "",
        "59.00",
        "12.00",
        "在售",
    ],
    [
        "200000000001",
        "自营",
        "A1",
        "男士T恤",
        "服装",
        "T恤",
        "2025SS",
        "2025-02-01",
        "",
        "129.00",
        "40.00",
        "在售",
    ],
]


def write_pop_orders(
    landing: Path, rows: list[list[str]] = POP_ROWS, day: str = DAY, name: str = "orders.csv"
) -> Path:
    return write_extract(landing, f"jd_pop_orders/{BRAND}/{day}/{name}", rows)


def write_products(landing: Path, day: str = "2025-03-01") -> Path:
    return write_extract(landing, f"ref_products/{BRAND}/{day}/products.xlsx", PRODUCT_ROWS)


def write_brands(data_dir: Path) -> Path:
    """The brand configuration of the fixture (brands.yaml beside the landing zone)."""
    path = data_dir / "brands.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"brands:\n  - code: {BRAND}\n    jd_brand_names: [ACME]\n    stores: [pop, self]\n"
        "    pop_commission_rates: {'服装': 0.08, '*': 0.06}\n",
        encoding="utf-8",
    )
    return path

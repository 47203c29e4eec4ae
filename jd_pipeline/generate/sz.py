"""京东商智: SKU funnel (jd_sz_sku) and traffic sources (jd_sz_traffic), both stores, daily.

Numbers are close to, not equal to, the orders' (POP) and 商品业绩's (self): deals ±3%, then
visitors from a per-SKU conversion rate; paid traffic comes from the 京准通 clicks of the day.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from jd_pipeline.generate import frames as F
from jd_pipeline.generate import reference as ref
from jd_pipeline.generate.ads import LINES, AdsAgg
from jd_pipeline.generate.faults import Roles
from jd_pipeline.generate.frames import Col, Sheet
from jd_pipeline.generate.model import POP, SELF, SOURCE_CODES, STORE_CODES, Brand, Config, Products
from jd_pipeline.generate.pop import PopAgg
from jd_pipeline.generate.sink import Sink
from jd_pipeline.generate.vc import SelfAgg

SKU_ROLES = Roles(
    ids=("SKU",),
    required="SKU",
    date="时间",
    money=("成交金额", "下单金额"),
    numeric=("商品访客数", "加购客户数"),
    name="SKU名称",
    sku="SKU",
    header_variants={"成交金额": " 成交金额 ", "成交转化率": "成交转化率(%)"},
)
TRAFFIC_ROLES = Roles(
    required="一级来源",
    date="时间",
    money=("成交金额",),
    numeric=("访客数", "浏览量"),
    header_variants={"访客数": "访客数 ", "成交转化率": "成交转化率（%）"},
)
SKU_NUMERIC = [
    "商品访客数",
    "商品浏览量",
    "加购客户数",
    "下单客户数",
    "下单单量",
    "下单金额",
    "成交客户数",
    "成交单量",
    "成交商品件数",
    "成交金额",
    "取消及售后退款金额",
]


def _noise(rng: np.random.Generator, x: np.ndarray, lo: float = 0.97, hi: float = 1.03) -> np.ndarray:
    return np.round(x * rng.uniform(lo, hi, x.shape)).astype(np.int64)


def _store_inputs(store: int, pop: PopAgg, vc: SelfAgg, products: Products, t: int) -> dict[str, np.ndarray]:
    if store == POP:
        return {
            "units": pop.deal_units[t],
            "amount": pop.deal_gmv[t],
            "orders": pop.deal_orders[t],
            "o_units": pop.order_units[t],
            "o_orders": pop.order_orders[t],
            "o_amount": pop.order_amount[t],
            "refund": pop.refund[t],
        }
    six = products.idx(SELF)
    units = vc.shipped[t]
    amount = units * products.price_cents[six]
    orders = np.ceil(units / 1.15).astype(np.int64)
    return {
        "units": units,
        "amount": amount,
        "orders": orders,
        "o_units": np.ceil(units * 1.05),
        "o_orders": np.ceil(orders * 1.05),
        "o_amount": np.round(amount * 1.05),
        "refund": np.round(amount * 0.02),
    }


def generate_sz(
    cfg: Config, brand: Brand, products: Products, pop: PopAgg, vc: SelfAgg, ads: AdsAgg, sink: Sink
) -> dict[str, np.ndarray]:
    """Writes both sources; returns daily store visitors and paid visitors (days × store)."""
    days = cfg.days
    out = {"visitors": np.zeros((len(days), 2), np.int64), "paid": np.zeros((len(days), 2), np.int64)}
    for store in (POP, SELF):
        ix = products.idx(store)
        base_rng = cfg.rng(SOURCE_CODES["jd_sz"], brand.index, store)
        cvr = np.clip(base_rng.lognormal(np.log(0.03), 0.35, len(ix)), 0.005, 0.2)
        active = products.active(days)[:, ix]
        for t, d64 in enumerate(days):
            d = date.fromisoformat(str(d64))
            rng = cfg.rng(SOURCE_CODES["jd_sz"], brand.index, store, t)
            v = _store_inputs(store, pop, vc, products, t)
            sheet, visitors, buyers, amount = _sku_sheet(rng, d, brand, products, ix, active[t], cvr, v)
            if sheet is not None:
                sink.emit(
                    "jd_sz_sku",
                    sheet,
                    store=STORE_CODES[store],
                    period=d.isoformat(),
                    filename=f"商品明细_{STORE_CODES[store]}_{d:%Y%m%d}.xlsx",
                    delivered=d + timedelta(days=1),
                    roles=SKU_ROLES,
                )
            tsheet, tot, paid = _traffic_sheet(rng, d, visitors, buyers, amount, ads.clicks[t, store])
            sink.emit(
                "jd_sz_traffic",
                tsheet,
                store=STORE_CODES[store],
                period=d.isoformat(),
                filename=f"流量来源_{STORE_CODES[store]}_{d:%Y%m%d}.xlsx",
                delivered=d + timedelta(days=1),
                roles=TRAFFIC_ROLES,
            )
            out["visitors"][t, store], out["paid"][t, store] = tot, paid
    return out


def _sku_sheet(rng, d: date, brand: Brand, products: Products, ix, active, cvr, v):
    rows = np.flatnonzero(active | (v["units"] > 0))
    n = len(rows)
    if n == 0:
        return None, 0, 0, 0
    units = _noise(rng, v["units"][rows].astype(float))
    amount = _noise(rng, v["amount"][rows].astype(float))
    orders = np.minimum(_noise(rng, v["orders"][rows].astype(float)), np.maximum(units, 0))
    buyers = np.floor(orders * rng.uniform(0.95, 1.0, n)).astype(np.int64)
    o_orders = np.maximum(_noise(rng, v["o_orders"][rows].astype(float)), orders)
    o_buyers = np.maximum(np.floor(o_orders * 0.97).astype(np.int64), buyers)
    o_amount = np.maximum(_noise(rng, v["o_amount"][rows].astype(float)), amount)
    visitors = np.maximum(
        np.round(buyers / cvr[rows] * rng.uniform(0.85, 1.15, n)).astype(np.int64), rng.poisson(8, n) + buyers
    )
    pv = np.round(visitors * rng.uniform(1.4, 2.6, n)).astype(np.int64)
    carts = np.maximum(np.round(visitors * rng.uniform(0.05, 0.12, n)).astype(np.int64), o_buyers)
    refund = _noise(rng, v["refund"][rows].astype(float))
    sku = ix[rows]
    cats = products.cat[sku]
    vals = [visitors, pv, carts, o_buyers, o_orders, o_amount, buyers, orders, units, amount, refund]
    money_cols = {"下单金额", "成交金额", "取消及售后退款金额"}
    cols = [
        Col("时间", F.dates(d, n)),
        Col("SKU", F.text(products.sku_id[sku])),
        Col("SKU名称", F.text(products.name[sku])),
        Col("一级类目", F.pick([c.l1 for c in brand.cats], cats)),
        Col("二级类目", F.pick([c.l2 for c in brand.cats], cats)),
        Col("三级类目", F.pick([c.l3 for c in brand.cats], cats)),
    ] + [Col(h, F.money(x) if h in money_cols else F.ints(x), True) for h, x in zip(SKU_NUMERIC, vals)]
    cols.insert(16, Col("成交转化率", F.pct(buyers, visitors)))
    sheet = Sheet(cols)
    total = {
        "时间": "合计",
        "成交转化率": F.pct(np.array([buyers.sum()]), np.array([visitors.sum()]))[0].as_py(),
    }
    for h, x in zip(SKU_NUMERIC, vals):
        total[h] = F.money(np.array([x.sum()]))[0].as_py() if h in money_cols else str(int(x.sum()))
    sheet.append_rows([total])
    return sheet, int(visitors.sum()), int(buyers.sum()), int(amount.sum())


def _traffic_sheet(rng, d: date, sku_visitors: int, buyers: int, amount: int, clicks: np.ndarray):
    paid_l2 = [ref.PAID_SOURCE_OF_LINE[k] for k in LINES]
    paid_vis = np.round(clicks * rng.uniform(0.85, 0.95, len(clicks))).astype(np.int64)
    store_total = max(int(sku_visitors * 0.8), int(paid_vis.sum() / 0.45) if paid_vis.sum() else 0, 1)
    free_total = max(store_total - int(paid_vis.sum()), 1)
    shares = np.array([s for *_, s in ref.FREE_TRAFFIC]) * rng.lognormal(0, 0.1, len(ref.FREE_TRAFFIC))
    free_vis = np.round(free_total * shares / shares.sum()).astype(np.int64)
    rows: list[tuple[str, str, str]] = []
    vis: list[int] = []
    conv: list[float] = []
    for (l1, l2, l3, _), x in zip(ref.FREE_TRAFFIC, free_vis):
        rows.append((l1, l2, l3))
        vis.append(int(x))
        conv.append({"搜索": 1.3, "购物车": 2.5, "我的京东": 1.5}.get(l2, 0.8))
    for l2, x in zip(paid_l2, paid_vis):
        l3s = ref.PAID_L3[l2]
        split = np.round(x * np.array([0.7, 0.3] if len(l3s) == 2 else [1.0])).astype(np.int64)
        split[-1] = x - split[:-1].sum()
        for l3, y in zip(l3s, split):
            rows.append(("付费流量", l2, l3))
            vis.append(int(y))
            conv.append(1.0)
    vis_a = np.array(vis, np.int64)
    w = vis_a * np.array(conv)
    deal_b = np.floor(buyers * 1.0 * w / max(w.sum(), 1)).astype(np.int64)
    deal_b[np.argmax(w)] += buyers - deal_b.sum() if buyers > deal_b.sum() else 0
    deal_b = np.minimum(deal_b, vis_a)
    amt = np.floor(amount * deal_b / max(deal_b.sum(), 1)).astype(np.int64)
    pv = np.round(vis_a * rng.uniform(1.5, 2.5, len(vis_a))).astype(np.int64)
    order = sorted(range(len(rows)), key=lambda i: (ref.TRAFFIC_L1_ORDER.index(rows[i][0]), i))
    out_rows: list[dict[str, str | None]] = []
    total_ix: list[int] = []

    def fmt(label1, label2, label3, vv, pp, bb, aa) -> dict[str, str | None]:
        return {
            "时间": d.isoformat(),
            "一级来源": label1,
            "二级来源": label2,
            "三级来源": label3,
            "访客数": str(vv),
            "浏览量": str(pp),
            "成交客户数": str(bb),
            "成交金额": f"{aa // 100}.{aa % 100:02d}",
            "成交转化率": f"{(bb / vv * 100 if vv else 0):.2f}%",
        }

    for l1 in ref.TRAFFIC_L1_ORDER:
        members = [i for i in order if rows[i][0] == l1]
        if not members:
            continue
        for i in members:
            out_rows.append(fmt(*rows[i], int(vis_a[i]), int(pv[i]), int(deal_b[i]), int(amt[i])))
        m = np.array(members)
        total_ix.append(len(out_rows))
        out_rows.append(
            fmt(
                l1,
                "合计",
                None,
                int(vis_a[m].sum()),
                int(pv[m].sum()),
                int(deal_b[m].sum()),
                int(amt[m].sum()),
            )
        )
    total_ix.append(len(out_rows))
    out_rows.append(
        fmt("合计", None, None, int(vis_a.sum()), int(pv.sum()), int(deal_b.sum()), int(amt.sum()))
    )
    out_rows[-1]["时间"] = d.isoformat()
    headers = [
        "时间",
        "一级来源",
        "二级来源",
        "三级来源",
        "访客数",
        "浏览量",
        "成交客户数",
        "成交金额",
        "成交转化率",
    ]
    numeric = {"访客数", "浏览量", "成交客户数", "成交金额"}
    sheet = Sheet(
        [Col(h, F.text([r[h] for r in out_rows]), h in numeric) for h in headers], total_rows=total_ix
    )
    return sheet, int(vis_a.sum()), int(paid_vis.sum())

"""京东自营: purchase orders -> receipts -> inventory by RDC -> sell-through (商品业绩).

One day-by-day simulation per brand, vectorized over SKU × RDC. JD replenishes weekly
(Mondays) to a days-of-cover target from its forecast; stock ships only when available, so
inventory never goes negative and sales dip when a SKU is out of stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from jd_pipeline.generate import frames as F
from jd_pipeline.generate import reference as ref
from jd_pipeline.generate.faults import Roles
from jd_pipeline.generate.frames import Col, Sheet
from jd_pipeline.generate.model import (
    SELF,
    SOURCE_CODES,
    Brand,
    Config,
    Products,
    campaigns_between,
    day_factor,
    demand_shares,
)
from jd_pipeline.generate.sink import Sink

UNITS_PER_DAY = 9_000
DC_NAMES = [d for d, _ in ref.DCS]
DC_W = np.array([w for _, w in ref.DCS]) / sum(w for _, w in ref.DCS)
LEAD_PAD = 20

SALES_ROLES = Roles(
    ids=("SKU",),
    required="SKU",
    date="时间",
    money=("收入", "成本", "毛利"),
    numeric=("优惠券抵减数",),
    name="商品名称",
    sku="SKU",
    header_variants={"收入": " 收入 ", "满返满减额": "满返满减额 "},
)
INV_ROLES = Roles(
    ids=("SKU",),
    required="配送中心",
    date="时间",
    qty="库存件数",
    numeric=("采购未到货", "不可售"),
    sku="SKU",
)
PO_ROLES = Roles(
    ids=("采购单号", "SKU"),
    required="采购单号",
    qty="采购数量",
    money=("采购价", "采购金额"),
    sku="SKU",
    header_variants={"采购金额": " 采购金额 "},
)


@dataclass
class SelfAgg:
    units: np.ndarray  # days × self SKUs: financial units (net of returns)
    revenue: np.ndarray  # cents
    shipped: np.ndarray
    sell_in_units: np.ndarray  # days × self SKUs: units received on POs completed that day
    sell_in_amount: np.ndarray  # cents


@dataclass
class PoLines:
    """Every PO line of the simulation (arrays, one entry per line)."""

    po: list[np.ndarray]
    created: list[np.ndarray]
    sku: list[np.ndarray]
    dc: list[np.ndarray]
    qty: list[np.ndarray]
    conf: list[np.ndarray]
    conf_day: list[np.ndarray]
    eta: list[np.ndarray]
    r1_day: list[np.ndarray]
    r1_qty: list[np.ndarray]
    r2_day: list[np.ndarray]

    def cat(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in self.__dict__.items()}


def generate_vc(cfg: Config, brand: Brand, products: Products, sink: Sink) -> SelfAgg:
    days = cfg.days
    nd = len(days)
    six = products.idx(SELF)
    ns, nr = len(six), len(DC_NAMES)
    rng = cfg.rng(SOURCE_CODES["jd_vc"], brand.index)
    fac = day_factor(days, brand, cfg.start)
    # expected units per day × SKU; extend 40 days past the end for JD's forward-looking forecast
    ext = np.arange(days[0], days[-1] + 41, dtype="datetime64[D]")
    fac_ext = day_factor(ext, brand, cfg.start)
    lam = UNITS_PER_DAY * cfg.scale / fac.mean() * fac_ext[:, None] * demand_shares(products, ext, SELF)
    dcw = rng.dirichlet(DC_W * 40, ns)  # each SKU's split over RDCs
    lam_r = lam[:, :, None] * dcw[None, :, :]
    fcst = np.stack([lam_r[t : t + 28].mean(axis=0) for t in range(nd)])  # JD's 4-week forecast
    on_hand = np.floor(fcst[0] * 30).astype(np.int64)
    unsell = np.zeros((ns, nr), np.int64)
    receipts = np.zeros((nd + LEAD_PAD, ns, nr), np.int64)
    inbound = np.zeros((ns, nr), np.int64)
    inbound_evt = np.zeros((nd + LEAD_PAD, ns, nr), np.int64)  # confirmed qty leaving inbound that day
    pending_returns = np.zeros((nd + 8, ns), np.int64)
    shipped_hist = np.zeros((nd, ns, nr), np.int64)
    agg = SelfAgg(*(np.zeros((nd, ns), np.int64) for _ in range(5)))
    pol = PoLines(*([] for _ in range(11)))
    po_seq = 0
    camps = campaigns_between(cfg.start, cfg.end, brand)
    retail = products.price_cents[six]
    sell_in = products.sell_in_cents[six]
    for t in range(nd):
        d = date.fromisoformat(str(days[t]))
        rng_t = cfg.rng(SOURCE_CODES["jd_vc"], brand.index, 1, t)
        on_hand += receipts[t]
        inbound -= inbound_evt[t]
        avail = on_hand - unsell
        demand = rng_t.poisson(lam_r[t])
        ship = np.minimum(demand, np.maximum(avail, 0))
        on_hand -= ship
        shipped_hist[t] = ship
        ret = rng_t.binomial(ship.sum(axis=1), 0.02)
        pending_returns[t + int(rng_t.integers(2, 7))] += ret
        back = pending_returns[t]
        back_r = np.zeros((ns, nr), np.int64)
        if back.any():
            back_r[np.arange(ns), np.argmax(dcw, axis=1)] = back
        on_hand += back_r
        unsell += back_r
        clear = rng_t.binomial(unsell, 0.05)
        unsell -= clear
        on_hand -= clear
        units = ship.sum(axis=1) - back
        camp = any(c.contains(d) for c in camps)
        coupon = np.round(ship.sum(axis=1) * retail * (0.04 if camp else 0.01)).astype(np.int64)
        promo = np.round(ship.sum(axis=1) * retail * (0.06 if camp else 0.0)).astype(np.int64)
        revenue = units * retail - coupon - promo
        agg.units[t], agg.revenue[t], agg.shipped[t] = units, revenue, ship.sum(axis=1)
        if d.weekday() == 0 or t == 0:
            po_seq = _replenish(
                cfg,
                brand,
                pol,
                t,
                fcst[t],
                avail - ship,
                inbound,
                receipts,
                inbound_evt,
                rng_t,
                po_seq,
                products,
                six,
            )
        _write_sales(sink, brand, products, six, d, units, revenue, coupon, promo, sell_in)
        _write_inventory(
            sink,
            products,
            six,
            d,
            on_hand,
            unsell,
            inbound,
            ship,
            shipped_hist,
            t,
            products.launch[six],
            days[t],
        )
    lines = pol.cat()
    _write_pos(cfg, sink, products, six, lines, days, agg, sell_in)
    return agg


def _replenish(cfg, brand, pol, t, fc, position, inbound, receipts, inbound_evt, rng, po_seq, products, six):
    nd = len(cfg.days)
    pos = position + inbound
    need = (pos < fc * 21) & (fc > 0.05)
    qty = np.where(need, np.ceil(np.maximum(fc * 35 - pos, 0) / 6) * 6, 0).astype(np.int64)
    si, ri = np.nonzero(qty)
    if len(si) == 0:
        return po_seq
    q = qty[si, ri]
    n = len(q)
    po_of_dc = {r: po_seq + k for k, r in enumerate(np.unique(ri))}
    po = np.array([po_of_dc[r] for r in ri]) + 4_000_000_000 + brand.index * 100_000_000
    po_seq += len(po_of_dc)
    cancel = rng.random(n) < 0.03
    conf = np.where(cancel, 0, np.floor(q * rng.uniform(0.8, 1.0, n))).astype(np.int64)
    conf_day = t + rng.integers(1, 3, n)
    eta = t + rng.integers(4, 9, n)
    partial = (rng.random(n) < 0.1) & (conf > 1)
    r1_qty = np.where(partial, np.floor(conf * rng.uniform(0.5, 0.9, n)), conf).astype(np.int64)
    r2_day = np.where(partial, eta + rng.integers(2, 4, n), -1)
    r1_day = np.where(cancel, -1, eta)
    for day_arr, qarr in ((r1_day, r1_qty), (r2_day, conf - r1_qty)):
        ok = (day_arr >= 0) & (day_arr < nd + LEAD_PAD)
        np.add.at(receipts, (day_arr[ok], si[ok], ri[ok]), qarr[ok])
        np.add.at(inbound_evt, (day_arr[ok], si[ok], ri[ok]), qarr[ok])
    inbound[si, ri] += conf  # counted inbound from creation (confirmed quantity)
    for name, arr in (
        ("po", po),
        ("created", np.full(n, t)),
        ("sku", si),
        ("dc", ri),
        ("qty", q),
        ("conf", conf),
        ("conf_day", conf_day),
        ("eta", eta),
        ("r1_day", r1_day),
        ("r1_qty", r1_qty),
        ("r2_day", r2_day),
    ):
        getattr(pol, name).append(arr)
    return po_seq


def _cats(products: Products, six: np.ndarray, brand: Brand) -> tuple[list[str], list[str], list[str]]:
    c = products.cat[six]
    return ([brand.cats[k].l1 for k in c], [brand.cats[k].l2 for k in c], [brand.cats[k].l3 for k in c])


def _write_sales(sink, brand, products, six, d, units, revenue, coupon, promo, sell_in) -> None:
    rows = np.flatnonzero((units != 0) | (revenue != 0))
    if len(rows) == 0:
        return
    l1, l2, l3 = (np.array(x, dtype=object)[rows] for x in _cats(products, six, brand))
    cost = units[rows] * sell_in[rows]
    n = len(rows)
    sheet = Sheet(
        [
            Col("时间", F.dates(d, n)),
            Col("SKU", F.text(products.sku_id[six][rows])),
            Col("商品名称", F.text(products.name[six][rows])),
            Col("品牌", F.const(brand.jd_name, n)),
            Col("一级类目", F.text(l1)),
            Col("二级类目", F.text(l2)),
            Col("三级类目", F.text(l3)),
            Col("财务销量", F.ints(units[rows]), True),
            Col("收入", F.money(revenue[rows]), True),
            Col("成本", F.money(cost), True),
            Col("毛利", F.money(revenue[rows] - cost), True),
            Col("优惠券抵减数", F.money(coupon[rows]), True),
            Col("满返满减额", F.money(promo[rows]), True),
        ]
    )
    sheet.append_rows(
        [
            {
                "时间": "合计",
                "财务销量": str(units[rows].sum()),
                "收入": _m(revenue[rows].sum()),
                "成本": _m(cost.sum()),
                "毛利": _m((revenue[rows] - cost).sum()),
                "优惠券抵减数": _m(coupon[rows].sum()),
                "满返满减额": _m(promo[rows].sum()),
            }
        ]
    )
    sink.emit(
        "jd_vc_sales",
        sheet,
        period=d.isoformat(),
        filename=f"商品业绩_{d:%Y%m%d}.xlsx",
        delivered=d + timedelta(days=1),
        roles=SALES_ROLES,
    )


def _m(cents: int) -> str:
    return F.money(np.array([cents]))[0].as_py()


def _write_inventory(sink, products, six, d, on_hand, unsell, inbound, ship, hist, t, launch, d64) -> None:
    listed = (launch <= d64 + 14) | (on_hand.sum(axis=1) > 0) | (inbound.sum(axis=1) > 0)
    rows = np.flatnonzero(listed)
    if len(rows) == 0:
        return
    nr = len(DC_NAMES)
    avg7 = hist[max(0, t - 6) : t + 1].mean(axis=0)
    blocks = []
    for arr in (on_hand, on_hand - unsell, inbound, unsell, ship, avg7):
        sub = arr[rows]
        blocks.append(np.concatenate([sub, sub.sum(axis=1, keepdims=True)], axis=1).reshape(-1))
    oh, av, ib, us, sh, a7 = blocks
    n = len(oh)
    sku_ix = np.repeat(six[rows], nr + 1)
    sheet = Sheet(
        [
            Col("时间", F.dates(d, n)),
            Col("SKU", F.text(products.sku_id[sku_ix])),
            Col("商品名称", F.text(products.name[sku_ix])),
            Col("配送中心", F.pick(DC_NAMES + [ref.NATIONAL_DC], np.tile(np.arange(nr + 1), len(rows)))),
            Col("库存件数", F.ints(oh), True),
            Col("可用库存", F.ints(av), True),
            Col("采购未到货", F.ints(ib), True),
            Col("不可售", F.ints(us), True),
            Col("昨日出库商品件数", F.ints(sh), True),
            Col("预计可售天数", F.ratio(av, a7, 1, empty="-"), True),
        ],
        total_rows=list(np.arange(len(rows)) * (nr + 1) + nr),
    )  # the 全国 rows are totals of the RDC rows
    sink.emit(
        "jd_vc_inventory",
        sheet,
        period=d.isoformat(),
        filename=f"商品库存表_{d:%Y%m%d}.xlsx",
        delivered=d + timedelta(days=1),
        roles=INV_ROLES,
    )


PO_STATUS = ["待回告", "已回告", "部分收货", "已完成", "已取消"]


def _write_pos(cfg, sink, products, six, L, days, agg: SelfAgg, sell_in) -> None:
    nd = len(days)
    if len(L["po"]) == 0:
        return
    n = len(L["po"])
    cancel = L["conf"] == 0
    # events: (day, line, state)
    ev_day = np.concatenate([L["created"], L["conf_day"], L["r1_day"], L["r2_day"]])
    ev_line = np.tile(np.arange(n), 4)
    ev_kind = np.repeat(np.arange(4), n)
    ok = (ev_day >= 0) & (ev_day < nd)
    ev_day, ev_line, ev_kind = ev_day[ok], ev_line[ok], ev_kind[ok]
    partial = L["r2_day"] >= 0
    final_day = np.where(partial, L["r2_day"], L["r1_day"])
    rng = cfg.rng(SOURCE_CODES["jd_vc"], 99)
    created_s = 8 * 3600 + (L["po"] * 7919) % 36_000  # one creation time per PO
    done_s = rng.integers(9 * 3600, 20 * 3600, n)
    # sell-in: completed lines, on the completion day
    fin_ok = (final_day >= 0) & (final_day < nd) & ~cancel
    np.add.at(agg.sell_in_units, (final_day[fin_ok], L["sku"][fin_ok]), L["conf"][fin_ok])
    np.add.at(
        agg.sell_in_amount, (final_day[fin_ok], L["sku"][fin_ok]), (L["conf"] * sell_in[L["sku"]])[fin_ok]
    )
    order = np.lexsort((ev_line, ev_day))
    ev_day, ev_line, ev_kind = ev_day[order], ev_line[order], ev_kind[order]
    bounds = np.searchsorted(ev_day, np.arange(nd + 1))
    price = sell_in[L["sku"]]
    for t in range(nd):
        a, b = bounds[t], bounds[t + 1]
        if a == b:
            continue
        li, k = ev_line[a:b], ev_kind[a:b]
        status = np.select(
            [k == 0, (k == 1) & cancel[li], k == 1, (k == 2) & partial[li]],
            [0, 4, 1, 2],
            default=3,
        )
        received = np.where(k == 2, L["r1_qty"][li], np.where(k == 3, L["conf"][li], 0))
        done = status == 3
        d = date.fromisoformat(str(days[t]))
        base = days[L["created"][li]].astype("datetime64[s]")
        sku = six[L["sku"][li]]
        sheet = Sheet(
            [
                Col("采购单号", F.ints(L["po"][li])),
                Col("创建时间", F.timestamps(base + created_s[li])),
                Col("SKU", F.text(products.sku_id[sku])),
                Col("商品名称", F.text(products.name[sku])),
                Col("配送中心", F.pick(DC_NAMES, L["dc"][li])),
                Col("采购数量", F.ints(L["qty"][li]), True),
                Col("回告数量", F.ints(np.where(status == 0, 0, L["conf"][li])), True),
                Col("实收数量", F.ints(received), True),
                Col("采购价", F.money(price[li]), True),
                Col("采购金额", F.money(price[li] * L["qty"][li]), True),
                Col("状态", F.pick(PO_STATUS, status)),
                Col(
                    "预约到货日期",
                    F.dates(days[np.minimum(L["eta"][li], nd - 1)] + np.maximum(L["eta"][li] - nd + 1, 0)),
                ),
                Col(
                    "完成时间",
                    F.where(done, F.timestamps(np.datetime64(d).astype("datetime64[s]") + done_s[li]), None),
                ),
            ]
        )
        sink.emit(
            "jd_vc_purchase_orders",
            sheet,
            period=d.isoformat(),
            filename=f"采购单_{d:%Y%m%d}.csv",
            delivered=d + timedelta(days=1),
            roles=PO_ROLES,
        )

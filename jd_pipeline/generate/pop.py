"""jd_pop_orders: 京麦 order export, one file per order day, from the POP demand model.

Each day is exported once, 10 days after the order date (statuses settled) or on the as-of
date for the most recent days; with faults, some days also have an earlier export (the day
after) that the later one replaces (`corrected_redelivery`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from jd_pipeline.generate import frames as F
from jd_pipeline.generate import reference as ref
from jd_pipeline.generate.faults import Roles
from jd_pipeline.generate.frames import Col, Sheet
from jd_pipeline.generate.model import (
    POP,
    SOURCE_CODES,
    Brand,
    Config,
    Products,
    campaigns_between,
    day_factor,
    demand_shares,
)
from jd_pipeline.generate.sink import Sink

SOURCE = "jd_pop_orders"
LINES_PER_DAY = 20_000
EXPORT_LAG_DAYS = 10
ROLES = Roles(
    ids=("订单号", "商品ID"),
    required="订单号",
    date="下单时间",
    date_kind="ts",
    qty="订购数量",
    money=("京东价", "订单金额", "应付金额"),
    numeric=("余额支付",),
    name="商品名称",
    header_variants={"订单金额": " 订单金额 ", "运费金额": "运费金额 "},
)
PROV_NAMES = [p for p, _ in ref.PROVINCES]
PROV_CUM = np.cumsum([w for _, w in ref.PROVINCES]) / sum(w for _, w in ref.PROVINCES)
HOUR_P = np.array(ref.HOURLY_ORDER_SHAPE) / sum(ref.HOURLY_ORDER_SHAPE)
PEAK_HOUR_P = HOUR_P.copy()
PEAK_HOUR_P[[0, 20, 21]] *= [6, 2, 2]
PEAK_HOUR_P /= PEAK_HOUR_P.sum()
ZERO_TS = "0001-01-01 00:00:00"


@dataclass
class PopAgg:
    """Per day × POP SKU outcomes (as exported), used by 商智, plans and the ledger."""

    deal_units: np.ndarray
    deal_gmv: np.ndarray  # cents
    deal_net: np.ndarray  # cents, allocated (应付 − 运费)
    deal_orders: np.ndarray
    order_units: np.ndarray
    order_orders: np.ndarray
    order_amount: np.ndarray  # cents (line gmv of all placed lines)
    refund: np.ndarray  # cents
    day_orders: np.ndarray  # dealt orders per day


def _buyer_pool(cfg: Config) -> int:
    return max(300, int(LINES_PER_DAY * cfg.scale * 365 / 1.35 / 2.2))


def _sample_hours(rng: np.random.Generator, n: int, peak: bool) -> np.ndarray:
    hours = rng.choice(24, n, p=PEAK_HOUR_P if peak else HOUR_P)
    return hours * 3600 + rng.integers(0, 3600, n)


def _alloc_net(order_of_line: np.ndarray, gmv: np.ndarray, net_order: np.ndarray) -> np.ndarray:
    """(应付 − 运费) allocated to lines by gmv, to the cent, remainder on the largest line."""
    tot = np.bincount(order_of_line, weights=gmv, minlength=len(net_order))
    share = np.divide(gmv, tot[order_of_line], out=np.zeros(len(gmv)), where=tot[order_of_line] > 0)
    alloc = np.floor(net_order[order_of_line] * share).astype(np.int64)
    rem = net_order.astype(np.int64) - np.bincount(
        order_of_line, weights=alloc, minlength=len(net_order)
    ).astype(np.int64)
    order = np.lexsort((-gmv, order_of_line))
    first = order[np.r_[True, order_of_line[order][1:] != order_of_line[order][:-1]]]
    alloc[first] += rem[order_of_line[first]]
    return alloc


def generate_pop(
    cfg: Config, brand: Brand, products: Products, sink: Sink, days_slice: slice = slice(None)
) -> PopAgg:
    """`days_slice`: generate only these days of the range (aggregates stay full-size, zero elsewhere)."""
    days = cfg.days
    fac = day_factor(days, brand, cfg.start)
    shares = demand_shares(products, days, POP)
    pix = products.idx(POP)
    n_sku = len(pix)

    def per_sku() -> np.ndarray:
        return np.zeros((len(days), n_sku), np.int64)

    agg = PopAgg(
        deal_units=per_sku(),
        deal_gmv=per_sku(),
        deal_net=per_sku(),
        deal_orders=per_sku(),
        order_units=per_sku(),
        order_orders=per_sku(),
        order_amount=per_sku(),
        refund=per_sku(),
        day_orders=np.zeros(len(days), np.int64),
    )
    camps = campaigns_between(cfg.start, cfg.end, brand)
    mean_lines = LINES_PER_DAY * cfg.scale / fac.mean()
    pool = _buyer_pool(cfg)
    for t in range(len(days))[days_slice]:
        d64 = days[t]
        d = date.fromisoformat(str(d64))
        rng = cfg.rng(SOURCE_CODES[SOURCE], brand.index, t)
        in_camp = [c for c in camps if c.contains(d)]
        export = min(d + timedelta(days=EXPORT_LAG_DAYS), cfg.asof)
        lines = _day_lines(rng, cfg, brand, products, pix, shares[t], d, mean_lines * fac[t], in_camp, pool)
        sheet, out = _sheet(lines, products, pix, export)
        _accumulate(agg, t, out, n_sku)
        stamp = d.strftime("%Y%m%d")
        if sink.log.rate > 0 and export > d + timedelta(days=1) and sink.log.hit("corrected_redelivery"):
            early = d + timedelta(days=1)
            early_sheet, _ = _sheet(lines, products, pix, early)
            name = f"京麦订单导出_{stamp}_{early:%Y%m%d}.csv"
            p = sink.emit(
                SOURCE,
                early_sheet,
                period=d.isoformat(),
                filename=name,
                delivered=early,
                roles=ROLES,
                plant=False,
            )
            sink.log.add(
                p.relative_to(sink.out).as_posix(),
                "corrected_redelivery",
                SOURCE,
                None,
                f"replaced by the export of {export:%Y%m%d}",
            )
        sink.emit(
            SOURCE,
            sheet,
            period=d.isoformat(),
            filename=f"京麦订单导出_{stamp}_{export:%Y%m%d}.csv",
            delivered=export,
            roles=ROLES,
        )
    return agg


def _day_lines(rng, cfg, brand, products, pix, share, d, exp_lines, in_camp, pool) -> dict[str, np.ndarray]:
    n_orders = int(rng.poisson(max(exp_lines, 1) / 1.35))
    n_lines_o = np.minimum(rng.geometric(0.74, n_orders), 6)
    order_of_line = np.repeat(np.arange(n_orders), n_lines_o)
    cum = np.cumsum(share)
    cum /= cum[-1] if cum[-1] > 0 else 1
    sku = np.minimum(np.searchsorted(cum, rng.random(len(order_of_line))), len(pix) - 1)
    key = order_of_line.astype(np.int64) * len(pix) + sku
    _, keep = np.unique(key, return_index=True)
    keep.sort()
    order_of_line, sku = order_of_line[keep], sku[keep]
    n = len(sku)
    qty = 1 + (rng.random(n) < 0.14) + (rng.random(n) < 0.04) + (rng.random(n) < 0.01) * 3
    price = products.price_cents[pix][sku]
    gmv = price * qty
    order_amt = np.bincount(order_of_line, weights=gmv, minlength=n_orders).astype(np.int64)
    camp = bool(in_camp)
    disc_rate = rng.choice(
        [0, 0.05, 0.1, 0.15], n_orders, p=[0.1, 0.4, 0.3, 0.2] if camp else [0.6, 0.25, 0.12, 0.03]
    )
    disc = np.round(order_amt * disc_rate / 100).astype(np.int64) * 100
    # 6 CNY under 99 CNY; 10 CNY for express/remote delivery on a few orders
    freight = np.where(order_amt - disc >= 9900, 0, 600) + np.where(rng.random(n_orders) < 0.04, 1000, 0)
    payable = order_amt - disc + freight
    balance = np.where(rng.random(n_orders) < 0.05, np.minimum(payable, rng.integers(100, 5000, n_orders)), 0)
    peak = any(c.end == d for c in in_camp)
    ts = np.datetime64(d).astype("datetime64[s]") + np.sort(_sample_hours(rng, n_orders, peak))
    presale = any(c.warmup_start <= d < c.start for c in in_camp)
    buyer = (pool * rng.random(n_orders) ** 1.8).astype(np.int64) + 1
    return {
        "order_of_line": order_of_line,
        "sku": sku,
        "qty": qty,
        "price": price,
        "gmv": gmv,
        "order_amt": order_amt,
        "disc": disc,
        "freight": freight,
        "payable": payable,
        "balance": balance,
        "ts": ts,
        "buyer": buyer,
        "u": rng.random((n_orders, 8)),
        "order_id": 300_000_000_000
        + brand.index * 20_000_000_000
        + (np.datetime64(d).astype(np.int64) % 10_000) * 1_000_000
        + np.arange(n_orders),
        "order_type": np.where(
            rng.random(n_orders) < (0.25 if presale else 0.0), 1, np.where(rng.random(n_orders) < 0.03, 2, 0)
        ),
        "source": np.searchsorted(
            np.cumsum([w for _, w in ref.ORDER_SOURCES]), rng.random(n_orders) * 0.9999
        ),
        "remark": np.where(
            rng.random(n_orders) < 0.05, rng.integers(0, len(ref.ORDER_REMARKS), n_orders), -1
        ),
        "mremark": np.where(
            rng.random(n_orders) < 0.02, rng.integers(0, len(ref.MERCHANT_REMARKS), n_orders), -1
        ),
    }


def _statuses(o: dict[str, np.ndarray], export: date) -> dict[str, np.ndarray]:
    """Order state as of the export (06:00 on `export`)."""
    u = o["u"]
    n = len(u)
    asof = np.datetime64(export).astype("datetime64[s]") + 6 * 3600
    ts = o["ts"]
    cod = u[:, 0] < 0.03
    cancel_unpaid = u[:, 1] < 0.04
    refund = (u[:, 1] >= 0.04) & (u[:, 1] < 0.07)
    lock = (u[:, 1] >= 0.07) & (u[:, 1] < 0.075)
    pause = (u[:, 1] >= 0.075) & (u[:, 1] < 0.078)
    pay_delay = (10 + u[:, 2] * 1800).astype(np.int64)
    ship = ts + (12 * 3600 + u[:, 3] * 30 * 3600).astype(np.int64)
    recv = ship + (24 * 3600 + u[:, 4] * 72 * 3600).astype(np.int64)
    age_h = (asof - ts).astype(np.int64) / 3600
    paid_ts = np.where(cod, recv, ts + pay_delay)
    paid = (paid_ts <= asof) & ~cancel_unpaid
    waiting_pay = cancel_unpaid & (age_h < 30) & (u[:, 5] < 0.5)  # not yet timed out
    status = np.full(n, "完成", dtype=object)
    status[recv > asof] = "等待确认收货"
    status[ship > asof] = "等待出库"
    status[(ship > asof) & (u[:, 6] < 0.03)] = "(锁定)等待出库"
    status[lock & (ship > asof)] = "锁定"
    status[pause & (ship > asof)] = "暂停"
    status[refund & (recv + 2 * 86400 <= asof)] = "已取消"
    status[cancel_unpaid] = "已取消"
    status[waiting_pay] = "等待付款"
    status[waiting_pay & (u[:, 7] < 0.1)] = "等待付款确认"
    deleted = np.isin(status, ["完成", "已取消"]) & (u[:, 7] > 0.99)
    status = np.where(deleted, ref.DELETED_PREFIX + status.astype(str), status.astype(str))
    completed = (status == "完成") | (status == "(删除)完成")
    dealt = paid & ~np.char.endswith(status.astype(str), "已取消")
    return {
        "status": status,
        "paid": paid,
        "paid_ts": paid_ts,
        "recv": recv,
        "completed": completed,
        "dealt": dealt,
        "cod": cod,
        "refunded": paid & ~dealt,
    }


def _sheet(o: dict[str, np.ndarray], products: Products, pix: np.ndarray, export: date) -> tuple[Sheet, dict]:
    st = _statuses(o, export)
    ol = o["order_of_line"]
    olx = pa.array(ol)
    sku = pix[o["sku"]]
    buyer = o["buyer"]
    prov = np.minimum(np.searchsorted(PROV_CUM, (buyer * 0.6180339887) % 1.0), len(PROV_NAMES) - 1)
    unpaid_style = np.where(o["u"][:, 2] < 0.5, "", ZERO_TS)
    paid_txt = F.where(st["paid"], F.timestamps(st["paid_ts"]), F.text(unpaid_style))
    bid = F.zpad(buyer, 7)
    rmk, mrmk = o["remark"], o["mremark"]
    remarks = F.pick(ref.ORDER_REMARKS + [None], np.where(rmk < 0, len(ref.ORDER_REMARKS), rmk))
    mremarks = F.pick(ref.MERCHANT_REMARKS + [None], np.where(mrmk < 0, len(ref.MERCHANT_REMARKS), mrmk))

    def lines(a: pa.Array) -> pa.Array:  # order-level text repeated on each of its lines
        return a.take(olx)

    cols = [
        Col("订单号", lines(F.ints(o["order_id"]))),
        Col("商品ID", F.pick(list(products.sku_id), sku)),
        Col("商品名称", F.pick(list(products.name), sku)),
        Col("订购数量", F.ints(o["qty"]), True),
        Col("支付方式", lines(F.where(st["cod"], "货到付款", "在线支付"))),
        Col("下单时间", lines(F.timestamps(o["ts"]))),
        Col("京东价", F.money(o["price"]), True),
        Col("订单金额", lines(F.money(o["order_amt"])), True),
        Col("结算金额", lines(F.money(o["payable"] - o["freight"])), True),
        Col("应付金额", lines(F.money(o["payable"])), True),
        Col("余额支付", lines(F.money(o["balance"])), True),
        Col("运费金额", lines(F.money(o["freight"])), True),
        Col("订单状态", lines(F.text(st["status"]))),
        Col("订单类型", lines(F.pick(ref.ORDER_TYPES, o["order_type"]))),
        Col("下单帐号", lines(F.concat("jd_test_", bid))),
        Col("客户姓名", lines(F.concat("测试用户", bid))),
        Col(
            "客户地址",
            lines(F.concat(F.pick(PROV_NAMES, prov), "测试市测试区测试路", F.ints(buyer % 997 + 1), "号")),
        ),
        Col("联系电话", lines(F.concat("138****", F.zpad(buyer % 10000, 4)))),
        Col("订单备注", lines(remarks)),
        Col("商家备注", lines(mremarks)),
        Col("付款确认时间", lines(paid_txt)),
        Col("货号", F.pick(list(products.article), sku)),
        Col("订单完成时间", lines(F.where(st["completed"], F.timestamps(st["recv"]), None))),
        Col("订单来源", lines(F.pick([s for s, _ in ref.ORDER_SOURCES], o["source"]))),
    ]
    dealt = st["dealt"][ol]
    net = _alloc_net(ol, o["gmv"].astype(np.float64), (o["payable"] - o["freight"]).astype(np.float64))
    out = {
        "sku": o["sku"],
        "qty": o["qty"],
        "gmv": o["gmv"],
        "net": net,
        "dealt": dealt,
        "refunded": st["refunded"][ol],
        "n_dealt_orders": int(st["dealt"].sum()),
    }
    return Sheet(cols), out


def _accumulate(agg: PopAgg, t: int, out: dict, n_sku: int) -> None:
    s, d = out["sku"], out["dealt"]

    def bc(w: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
        return np.bincount(s[mask], weights=None if w is None else w[mask], minlength=n_sku).astype(np.int64)

    allm = np.ones(len(s), bool)
    agg.deal_units[t] = bc(out["qty"], d)
    agg.deal_gmv[t] = bc(out["gmv"], d)
    agg.deal_net[t] = bc(out["net"], d)
    agg.deal_orders[t] = bc(None, d)
    agg.order_units[t] = bc(out["qty"], allm)
    agg.order_orders[t] = bc(None, allm)
    agg.order_amount[t] = bc(out["gmv"], allm)
    agg.refund[t] = bc(out["gmv"], out["refunded"])
    agg.day_orders[t] = out["n_dealt_orders"]

"""jd_ads: 京准通 custom report (day × campaign × ad group × SKU), pulled again night after night.

Report day d is pulled on d + k for the pull offsets k of `pull_offsets(ads_pulls)` (all of
1..15 by default) as long as d + k <= as-of (end + 1): the last days of the range have only
their first pulls, as they would on the as-of morning. Impressions, clicks, cost and carts
are final at the first pull; attributed orders and amounts grow pull by pull (direct ones
fast, indirect ones slowly) to their final value at day 15.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute

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
)
from jd_pipeline.generate.sink import Sink
from jd_pipeline.generate.writers import csv_group

SOURCE = "jd_ads"
ROWS_PER_DAY = 15_000
LINES = list(ref.AD_LINE_MIX)
ROLES = Roles(
    ids=("计划ID", "单元ID", "跟单SKU ID"),
    required="跟单SKU ID",
    date="日期",
    money=("总费用", "直接订单金额"),
    numeric=("展现数", "点击数", "总购物车数"),
    name="推广计划",
    sku="跟单SKU ID",
    product_line="产品线",
    header_variants={"点击率": "点击率(%)", "总费用": "花费", "推广计划": " 推广计划 "},
)
SHORT = {
    "kuaiche": "快车",
    "recommendation": "推荐",
    "smart": "智投",
    "display": "展位",
    "brand_juxiao": "聚效",
    "offsite": "站外",
}
PURPOSES = ["核心词", "品牌词", "竞品词", "拉新", "再营销", "大促", "新品", "日常"]


def _copy(group: Col) -> Col:
    """A fresh group per file: fault planting edits columns in place."""
    parts = [Col(c.header, c.values, c.numeric, c.quote_check) for c in group.parts or []]
    return Col(group.header, group.values, False, False, parts=parts)


def pull_offsets(ads_pulls: int) -> list[int]:
    """Which nights after the report day are pulled: 1..15 for 15, spread over 1..15 for fewer."""
    n = max(1, min(ads_pulls, ref.ATTRIBUTION_DAYS))
    if n == 1:
        return [1]
    return sorted({round(x) for x in np.linspace(1, ref.ATTRIBUTION_DAYS, n)})


@dataclass
class AdsStructure:
    line: np.ndarray  # index into LINES
    campaign: np.ndarray
    adgroup: np.ndarray
    sku: np.ndarray  # index into products
    campaign_name: list[str]
    adgroup_name: list[str]
    campaign_line: np.ndarray
    base_imp: np.ndarray
    ctr: np.ndarray
    cpc: np.ndarray
    cvr: np.ndarray


@dataclass
class AdsAgg:
    cost: np.ndarray  # days × store (cents), final
    clicks: np.ndarray  # days × store × line
    amount: np.ndarray  # days × store, final total order amount (cents)


def build_structure(cfg: Config, brand: Brand, products: Products) -> AdsStructure:
    rng = cfg.rng(SOURCE_CODES[SOURCE], brand.index)
    pop_w = products.popularity * np.where(products.store == SELF, 0.18, 1.0)
    on_share = float((products.active(cfg.days).mean(axis=0) * pop_w).sum() / pop_w.sum())
    n = max(30, int(ROWS_PER_DAY * cfg.scale / 0.75 / max(on_share, 0.2)))
    share = np.array([ref.AD_LINE_MIX[k][0] for k in LINES])
    line = np.sort(rng.choice(len(LINES), n, p=share / share.sum()))
    camp = np.zeros(n, np.int64)
    names: list[str] = []
    camp_line: list[int] = []
    ag = np.zeros(n, np.int64)
    ag_names: list[str] = []
    for li, code in enumerate(LINES):
        ix = np.flatnonzero(line == li)
        has_haitou = code in ("kuaiche", "recommendation")
        n_c = max(2 if has_haitou else 1, len(ix) // 60)
        c_local = rng.integers(0, n_c, len(ix))
        for k in range(n_c):
            haitou = has_haitou and (k % 5 == 4 or (n_c < 5 and k == n_c - 1))
            cat = brand.cats[int(rng.integers(len(brand.cats)))].l3
            purpose = PURPOSES[int(rng.integers(len(PURPOSES)))]
            short = SHORT[code]
            names.append(f"{short}-{'海投' if haitou else cat}-{purpose}{k + 1:02d}")
            camp_line.append(li)
        camp[ix] = len(names) - n_c + c_local
        a_local = rng.integers(0, 6, len(ix))
        ag[ix] = camp[ix] * 6 + a_local
    for c, nm in enumerate(names):
        for a in range(6):
            ag_names.append(f"{nm}-单元{a + 1}")
    sku = rng.choice(len(products), n, p=pop_w / pop_w.sum())
    key = ag * len(products) + sku
    _, keep = np.unique(key, return_index=True)
    keep.sort()
    mix = np.array([ref.AD_LINE_MIX[k][1:] for k in LINES])
    line, camp, ag, sku = line[keep], camp[keep], ag[keep], sku[keep]
    m = len(line)
    price_level = products.price_cents.mean() / 40_000
    return AdsStructure(
        line=line,
        campaign=camp,
        adgroup=ag,
        sku=sku,
        campaign_name=names,
        adgroup_name=ag_names,
        campaign_line=np.array(camp_line),
        base_imp=rng.lognormal(np.log(1700 * price_level**0.5), 0.9, m),
        ctr=mix[line, 0] * rng.lognormal(0, 0.3, m),
        cpc=mix[line, 1] * rng.lognormal(0, 0.25, m),
        cvr=0.012 * rng.lognormal(0, 0.4, m),
    )


def line_names(cfg: Config, d: date) -> list[str]:
    """产品线 names in use on day d: historic first third, transitional, current last third."""
    span = max((cfg.end - cfg.start).days, 1)
    pos = (d - cfg.start).days / span
    which = 0 if pos < 1 / 3 else (1 if pos < 2 / 3 else 2)
    return [ref.PRODUCT_LINES[k][which] for k in LINES]


def generate_ads(
    cfg: Config, brand: Brand, products: Products, sink: Sink, days_slice: slice = slice(None)
) -> AdsAgg:
    """`days_slice`: generate only these days of the range (aggregates stay full-size, zero elsewhere)."""
    s = build_structure(cfg, brand, products)
    days = cfg.days
    fac = day_factor(days, brand, cfg.start)
    fac = fac / fac.mean()
    camps = campaigns_between(cfg.start, cfg.end, brand)
    agg = AdsAgg(
        np.zeros((len(days), 2), np.int64),
        np.zeros((len(days), 2, len(LINES)), np.int64),
        np.zeros((len(days), 2), np.int64),
    )
    offsets = pull_offsets(cfg.ads_pulls)
    active = products.active(days)
    account = brand.short + ref.ACCOUNT_SUFFIX
    camp_ids = F.ints(10_000_000 + brand.index * 1_000_000 + np.arange(len(s.campaign_name)) * 13)
    ag_ids = F.ints(200_000_000 + brand.index * 10_000_000 + np.arange(len(s.adgroup_name)) * 7)
    camp_names, ag_names = F.text(s.campaign_name), F.text(s.adgroup_name)
    sku_ids = F.text(products.sku_id)
    store = products.store[s.sku]
    for t in range(len(days))[days_slice]:
        d64 = days[t]
        d = date.fromisoformat(str(d64))
        rng = cfg.rng(SOURCE_CODES[SOURCE], brand.index, t)
        in_camp = any(c.contains(d) for c in camps)
        on = active[t, s.sku] & (rng.random(len(s.sku)) < 0.75)
        r = np.flatnonzero(on)
        imp = rng.poisson(s.base_imp[r] * fac[t] ** 0.75 * rng.lognormal(0, 0.3, len(r)))
        clicks = rng.binomial(imp, np.minimum(s.ctr[r], 0.5))
        cost = np.round(clicks * s.cpc[r] * rng.uniform(0.85, 1.15, len(r)) * 100).astype(np.int64)
        orders = rng.poisson(clicks * s.cvr[r] * (1.7 if in_camp else 1.0))
        direct = rng.binomial(orders, 0.55)
        unit = products.price_cents[s.sku[r]]
        amt_d = (direct * unit * rng.uniform(1.0, 1.4, len(r))).astype(np.int64)
        amt_i = ((orders - direct) * unit * rng.uniform(1.0, 1.6, len(r))).astype(np.int64)
        carts = rng.binomial(clicks, 0.09)
        v = rng.random(len(r))
        st = store[r]
        for k in (0, 1):
            agg.cost[t, k] = cost[st == k].sum()
            agg.amount[t, k] = (amt_d + amt_i)[st == k].sum()
            agg.clicks[t, k] = np.bincount(s.line[r][st == k], weights=clicks[st == k], minlength=len(LINES))
        names = line_names(cfg, d)
        rx = pa.array(r)
        fixed = [
            Col("日期", F.dates(d, len(r))),
            Col("账户名称", F.const(account, len(r))),
            Col("产品线", F.pick(names, s.line[r])),
            Col("计划ID", camp_ids.take(pa.array(s.campaign[r]))),
            Col("推广计划", camp_names.take(pa.array(s.campaign[r]))),
            Col("单元ID", ag_ids.take(pa.array(s.adgroup[r]))),
            Col("推广单元", ag_names.take(pa.array(s.adgroup[r]))),
            Col("跟单SKU ID", sku_ids.take(pa.array(s.sku[r]))),
            Col("展现数", F.ints(imp), True),
            Col("点击数", F.ints(clicks), True),
            Col("总费用", F.money(cost), True),
        ]
        tail = [
            Col("总购物车数", F.ints(carts), True),
            Col("点击率", F.pct(clicks, imp)),
            Col("平均点击成本", F.ratio(cost / 100, clicks), True),
        ]
        del rx
        # the columns every pull of the day shares are rendered once (see writers.csv_group)
        fixed_g, tail_g = csv_group(fixed), csv_group(tail)
        stamp = d.strftime("%Y%m%d")
        for k in offsets:
            pulled = d + timedelta(days=k)
            if pulled > cfg.asof:
                break
            fd = (1 - 0.35 * np.exp(-(k - 1) / 2)) / (1 - 0.35 * np.exp(-7))
            fi = (1 - 0.85 * np.exp(-(k - 1) / 4)) / (1 - 0.85 * np.exp(-3.5))
            od = np.minimum(np.floor(direct * fd + v), direct).astype(np.int64)
            oi = np.minimum(np.floor((orders - direct) * fi + v), orders - direct).astype(np.int64)
            ad = np.where(direct > 0, amt_d * od // np.maximum(direct, 1), 0)
            ai = np.where(orders - direct > 0, amt_i * oi // np.maximum(orders - direct, 1), 0)
            attrib = [
                Col("直接订单行", F.counts(od), True),
                Col("直接订单金额", F.sparse(F.money, ad, "0.00"), True),
                Col("间接订单行", F.counts(oi), True),
                Col("间接订单金额", F.sparse(F.money, ai, "0.00"), True),
                Col("总订单行", F.counts(od + oi), True),
                Col("总订单金额", F.sparse(F.money, ad + ai, "0.00"), True),
            ]
            roi_v = np.divide(ad + ai, cost, out=np.zeros(len(cost)), where=cost > 0)
            roi = Col("ROI", F.sparse(lambda x: F.decimal(x, 2), roi_v, "0.00"), True)
            cols = [
                _copy(fixed_g),
                *attrib,
                _copy(tail_g),
                roi,
                Col("转化周期", F.const(f"{ref.ATTRIBUTION_DAYS}天", len(r))),
            ]
            sink.emit(
                SOURCE,
                Sheet(cols),
                period=d.isoformat(),
                filename=f"京准通自定义报表_{stamp}_pulled{pulled:%Y%m%d}.csv",
                delivered=pulled,
                hour=5,
                roles=ROLES,
            )
    return agg

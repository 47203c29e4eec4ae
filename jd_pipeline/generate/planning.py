"""Monthly and slower sources cut from the generated actuals: product master, industry rankings,
TP agency (roster KPIs, 30-60-90 actions, campaign plans) and finance (plans, OPEX, ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from jd_pipeline.generate import frames as F
from jd_pipeline.generate import reference as ref
from jd_pipeline.generate.ads import AdsAgg
from jd_pipeline.generate.faults import Roles
from jd_pipeline.generate.frames import Col, Sheet
from jd_pipeline.generate.model import (
    POP,
    SELF,
    SOURCE_CODES,
    STORE_LABELS,
    Brand,
    Campaign,
    Config,
    Products,
    campaigns_for_year,
    day_factor,
    demand_shares,
)
from jd_pipeline.generate.pop import LINES_PER_DAY, PopAgg
from jd_pipeline.generate.sink import Sink
from jd_pipeline.generate.vc import UNITS_PER_DAY, SelfAgg
from jd_pipeline.periods import month_end, months_between


def _text_sheet(headers: list[str], rows: list[list], numeric: set[str]) -> Sheet:
    cols = []
    for i, h in enumerate(headers):
        vals = [None if r[i] is None or r[i] == "" else str(r[i]) for r in rows]
        cols.append(Col(h, F.text(vals), h in numeric))
    return Sheet(cols)


def _m(cents: float) -> str:
    c = round(cents)
    sign = "-" if c < 0 else ""
    return f"{sign}{abs(c) // 100}.{abs(c) % 100:02d}"


# ----------------------------------------------------------------------------- actuals
@dataclass
class Actuals:
    """Monthly actuals by (month 'YYYY-MM', store, l1) from the generated sources."""

    gmv: dict[tuple[str, int, str], int]
    units: dict[tuple[str, int, str], int]
    pop_net: dict[tuple[str, str], int]
    ads_cost: dict[tuple[str, int], int]
    pop_orders: dict[str, int]
    sell_in_units: dict[str, int]
    complete: set[str]  # months fully inside the range


def collect_actuals(
    cfg: Config, brand: Brand, products: Products, pop: PopAgg, vc: SelfAgg, ads: AdsAgg
) -> Actuals:
    months = cfg.days.astype("datetime64[M]").astype(str)
    a = Actuals({}, {}, {}, {}, {}, {}, set())
    l1 = np.array([brand.cats[c].l1 for c in products.cat], dtype=object)
    for m in np.unique(months):
        sel = months == m
        for store, gm, un in ((POP, pop.deal_gmv, pop.deal_units), (SELF, vc.revenue, vc.units)):
            cats = l1[products.idx(store)]
            g, u = gm[sel].sum(axis=0), un[sel].sum(axis=0)
            for c in brand.l1s:
                a.gmv[(m, store, c)] = int(g[cats == c].sum())
                a.units[(m, store, c)] = int(u[cats == c].sum())
                if store == POP:
                    a.pop_net[(m, c)] = int(pop.deal_net[sel].sum(axis=0)[cats == c].sum())
        for store in (POP, SELF):
            a.ads_cost[(m, store)] = int(ads.cost[sel, store].sum())
        a.pop_orders[m] = int(pop.day_orders[sel].sum())
        a.sell_in_units[m] = int(vc.sell_in_units[sel].sum())
        first = np.datetime64(m + "-01")
        last = (first.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
        if first >= cfg.days[0] and last <= cfg.days[-1]:
            a.complete.add(m)
    return a


def expected_monthly_gmv(
    cfg: Config, brand: Brand, products: Products, year: int
) -> dict[tuple[str, int, str], float]:
    """The demand model's expected gmv by month, store and 一级类目 for a whole year (cents)."""
    days = np.arange(
        np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"), dtype="datetime64[D]"
    )
    fac = day_factor(days, brand, cfg.start) / day_factor(cfg.days, brand, cfg.start).mean()
    months = days.astype("datetime64[M]").astype(str)
    out: dict[tuple[str, int, str], float] = {}
    for store, per_day, unit_mult in ((POP, LINES_PER_DAY, 1.25), (SELF, UNITS_PER_DAY, 1.0)):
        ix = products.idx(store)
        sh = demand_shares(products, days, store)
        val = per_day * cfg.scale * unit_mult * fac[:, None] * sh * products.price_cents[ix][None, :]
        l1 = np.array([brand.cats[c].l1 for c in products.cat[ix]], dtype=object)
        for m in np.unique(months):
            col = val[months == m].sum(axis=0)
            for c in brand.l1s:
                out[(m, store, c)] = float(col[l1 == c].sum())
    return out


def plan_base(cfg: Config, brand: Brand, products: Products, act: Actuals, year: int) -> dict:
    exp = expected_monthly_gmv(cfg, brand, products, year)
    calib = {}
    for store in (POP, SELF):
        ea = sum(v for (m, s, _), v in exp.items() if s == store and m in act.complete)
        aa = sum(
            v for (m, s, _), v in act.gmv.items() if s == store and m in act.complete and m[:4] == str(year)
        )
        calib[store] = aa / ea if ea > 0 and aa > 0 else 1.0
    return {
        k: (act.gmv[k] if k[0] in act.complete and k in act.gmv else v * calib[k[1]]) for k, v in exp.items()
    }


# ------------------------------------------------------------------------- product master
PRODUCT_ROLES = Roles(ids=("SKU",), required="SKU", money=("吊牌价", "单位成本"), name="商品名称")


def write_products(cfg: Config, brand: Brand, products: Products, sink: Sink) -> None:
    deliveries = [cfg.start] + [m for m in months_between(cfg.start, cfg.end) if m > cfg.start]
    for d in deliveries:
        d64 = np.datetime64(d)
        rows = np.flatnonzero(products.launch <= d64 + 45)
        delisted = products.delist[rows] <= d64
        cats = products.cat[rows]
        n = len(rows)
        sheet = Sheet(
            [
                Col("SKU", F.text(products.sku_id[rows])),
                Col("店铺", F.pick(list(STORE_LABELS), products.store[rows])),
                Col("货号", F.text(products.article[rows])),
                Col("商品名称", F.text(products.name[rows])),
                Col("品类", F.pick([c.l1 for c in brand.cats], cats)),
                Col("子品类", F.pick([c.l3 for c in brand.cats], cats)),
                Col("上市季节", F.text(products.season[rows])),
                Col("上市日期", F.dates(products.launch[rows])),
                Col("退市日期", F.where(delisted, F.dates(products.delist[rows]), None)),
                Col("吊牌价", F.money(products.list_cents[rows]), True),
                Col("单位成本", F.money(products.cogs_cents[rows]), True),
                Col("状态", F.where(delisted, "停售", "在售")),
            ]
        )
        assert sheet.n_rows == n
        sink.emit(
            "ref_products",
            sheet,
            period=d.isoformat(),
            filename=f"商品主数据_{d:%Y%m%d}.xlsx",
            delivered=d,
            hour=5,
            roles=PRODUCT_ROLES,
        )


# ------------------------------------------------------------------------------ industry
INDUSTRY_ROLES = Roles(date="月份", date_kind="month", numeric=("成交金额指数", "访客指数"))


def write_industry(cfg: Config, brand: Brand, products: Products, act_daily: dict, sink: Sink) -> None:
    """Top brands per 三级类目 each month; the brand's own amount comes from its sales."""
    rng0 = cfg.rng(SOURCE_CODES["jd_sz_industry"], brand.index)
    l3s = [c.l3 for c in brand.cats]
    n_comp = 24
    comp_names = [
        ref.COMPETITOR_BRANDS[(brand.index * 7 + i) % len(ref.COMPETITOR_BRANDS)] for i in range(n_comp)
    ]
    level = {l3: rng0.lognormal(0, 1.0, n_comp) for l3 in l3s}
    for m in months_between(cfg.start, cfg.end):
        deliver = month_end(m) + timedelta(days=3)
        if deliver > cfg.asof:
            continue
        key = m.strftime("%Y-%m")
        rng = cfg.rng(SOURCE_CODES["jd_sz_industry"], brand.index, m.year, m.month)
        rows: list[list] = []
        for l3 in l3s:
            own = act_daily.get((key, l3), 0) / 100
            if own <= 0:
                continue
            level[l3] *= rng.lognormal(0, 0.08, n_comp)
            comp = own * level[l3] * 1.2
            names = comp_names + [brand.jd_name]
            amt = np.append(comp, own)
            order = np.argsort(-amt, kind="stable")
            ranks = np.empty(len(amt), np.int64)
            ranks[order] = np.arange(1, len(amt) + 1)
            show = [i for i in order[:20]]
            if len(amt) - 1 not in show:
                show.append(len(amt) - 1)
            for i in show:
                a = amt[i]
                bucket = next(lbl for lo, hi, lbl in ref.DEAL_AMOUNT_BUCKETS if hi is None or a < hi)
                idx = round(1000 * (a / 1e4) ** 0.6)
                rows.append(
                    [
                        key,
                        l3,
                        int(ranks[i]),
                        names[i],
                        idx,
                        int(idx * rng.uniform(0.8, 1.3)),
                        int(idx * rng.uniform(0.5, 1.1)),
                        bucket,
                    ]
                )
        if not rows:
            continue
        headers = ["月份", "三级类目", "排名", "品牌", "成交金额指数", "访客指数", "搜索指数", "成交金额区间"]
        sheet = _text_sheet(headers, rows, {"排名", "成交金额指数", "访客指数", "搜索指数"})
        sink.emit(
            "jd_sz_industry",
            sheet,
            period=key,
            filename=f"品牌榜_{m:%Y%m}.xlsx",
            delivered=deliver,
            roles=INDUSTRY_ROLES,
        )


# ----------------------------------------------------------------------------- TP agency
@dataclass(frozen=True)
class Staff:
    staff_id: str
    name: str
    role: str
    store: str


def roster(brand: Brand) -> list[Staff]:
    plan = [
        ("店长", "全部"),
        ("运营", "POP"),
        ("运营", "自营"),
        ("运营", "POP"),
        ("推广", "POP"),
        ("推广", "全部"),
        ("客服", "POP"),
        ("客服", "POP"),
        ("设计", "全部"),
        ("数据", "全部"),
    ]
    return [
        Staff(
            f"TP{brand.index + 1}{k + 1:03d}",
            f"{ref.STAFF_SURNAMES[(brand.index * 3 + k) % len(ref.STAFF_SURNAMES)]}测试{k + 1:02d}",
            role,
            store,
        )
        for k, (role, store) in enumerate(plan)
    ]


KPI_ROLES = Roles(
    ids=("工号",), required="工号", numeric=("目标值",), header_variants={"实际值(自报)": "实际值（自报）"}
)


def write_team_kpi(cfg: Config, brand: Brand, sink: Sink) -> None:
    staff = roster(brand)
    q = date(cfg.start.year, (cfg.start.month - 1) // 3 * 3 + 1, 1)
    while q <= cfg.end:
        label = f"{q.year}Q{(q.month - 1) // 3 + 1}"
        q_end = month_end(date(q.year, q.month + 2, 1))
        rng = cfg.rng(SOURCE_CODES["tp"], brand.index, 1, q.year, q.month)
        rows = []
        for s in staff:
            for kpi, w in ref.ROLE_KPIS[s.role]:
                mu, sd = ref.KPI_TARGETS[kpi]
                target = round(mu + sd * float(rng.normal(0, 0.3)), 4)
                rows.append(
                    [
                        label,
                        s.staff_id,
                        s.name,
                        s.role,
                        s.store,
                        kpi,
                        f"{w}%",
                        target,
                        round(target * float(rng.uniform(0.85, 1.1)), 2)
                        if kpi in ref.SELF_REPORTED_KPIS
                        else None,
                    ]
                )
        headers = ["季度", "工号", "姓名", "岗位", "店铺", "KPI指标", "权重", "目标值", "实际值(自报)"]
        first = q + timedelta(days=5)
        if first <= cfg.asof:
            blank = [r[:8] + [None] for r in rows]
            sink.emit(
                "tp_team_kpi",
                _text_sheet(headers, blank, {"目标值"}),
                period=label,
                filename=f"团队KPI_{label}.xlsx",
                delivered=first,
                roles=KPI_ROLES,
            )
        final = q_end + timedelta(days=7)
        if final <= cfg.asof:  # re-delivered after the quarter with the self-reported actuals
            sink.emit(
                "tp_team_kpi",
                _text_sheet(headers, rows, {"目标值", "实际值(自报)"}),
                period=label,
                filename=f"团队KPI_{label}_自评.xlsx",
                delivered=final,
                roles=KPI_ROLES,
            )
        q = date(q.year + (q.month == 10), q.month % 12 + 3 if q.month != 10 else 1, 1)


def _target(typical: float, mult: float) -> float:
    """A metric value; ratios (typical < 1) stay below 1."""
    v = typical * mult
    return round(min(v, 0.999) if typical < 1 else v, 4)


ACTION_ROLES = Roles(ids=("负责人工号",), required="计划编号", numeric=("目标值", "当前值"), name="行动项")


def write_action_plans(cfg: Config, brand: Brand, sink: Sink) -> None:
    staff = roster(brand)
    rng = cfg.rng(SOURCE_CODES["tp"], brand.index, 2)
    actions: list[dict[str, Any]] = []
    p = cfg.start
    while p <= cfg.end:
        for k, horizon in enumerate([30] * 4 + [60] * 3 + [90] * 3):
            tpl = ref.ACTION_TEMPLATES[int(rng.integers(len(ref.ACTION_TEMPLATES)))]
            owner = staff[int(rng.integers(len(staff)))]
            due = p + timedelta(days=horizon)
            done = p + timedelta(days=int(horizon * rng.uniform(0.3, 1.35)))
            cancel = p + timedelta(days=int(horizon * rng.uniform(0.2, 0.8))) if rng.random() < 0.06 else None
            actions.append(
                {
                    "id": f"A{p:%y%m%d}-{k + 1:02d}",
                    "horizon": f"{horizon}天",
                    "start": p,
                    "action": tpl[0],
                    "owner": owner.staff_id,
                    "store": owner.store,
                    "due": due,
                    "done": done,
                    "cancel": cancel,
                    "metric": tpl[1],
                    "target": _target(tpl[2], float(rng.uniform(0.8, 1.2))),
                    "final": float(rng.uniform(0.9, 1.08)),
                    "start_frac": float(rng.uniform(0.5, 0.8)),
                }
            )
        p += timedelta(days=90)
    s = cfg.start + timedelta(days=(7 - cfg.start.weekday()) % 7)
    headers = [
        "计划编号",
        "周期",
        "计划开始日期",
        "行动项",
        "负责人工号",
        "店铺",
        "截止日期",
        "状态",
        "指标",
        "目标值",
        "当前值",
    ]
    while s <= cfg.end:
        rows = []
        for a in actions:
            if not (a["start"] <= s < a["start"] + timedelta(days=180)):
                continue
            if a["cancel"] and s >= a["cancel"]:
                status = "已取消"
            elif s >= a["done"]:
                status = "已完成"
            elif s < a["start"] + timedelta(days=3):
                status = "未开始"
            elif s > a["due"]:
                status = "已延期"
            else:
                status = "进行中"
            prog = min(1.0, (s - a["start"]).days / max((a["done"] - a["start"]).days, 1))
            reach = (
                a["final"] if status == "已完成" else a["start_frac"] + (a["final"] - a["start_frac"]) * prog
            )
            cur = _target(a["target"], reach) if status != "未开始" else None
            rows.append(
                [
                    a["id"],
                    a["horizon"],
                    a["start"].isoformat(),
                    a["action"],
                    a["owner"],
                    a["store"],
                    a["due"].isoformat(),
                    status,
                    a["metric"],
                    a["target"],
                    None if cur is None else round(cur, 4),
                ]
            )
        if rows:
            sink.emit(
                "tp_action_plan",
                _text_sheet(headers, rows, {"目标值", "当前值"}),
                period=s.isoformat(),
                filename=f"306090行动计划_{s:%Y%m%d}.xlsx",
                delivered=s,
                hour=18,
                roles=ACTION_ROLES,
            )
        s += timedelta(days=7)


# ------------------------------------------------------------------------------ campaigns
def campaign_plan_rows(cfg: Config, brand: Brand, products: Products, base: dict, year: int) -> list[list]:
    """One row per campaign × store (POP, 自营) of the year: targets and the main platform resource."""
    rng = cfg.rng(SOURCE_CODES["campaigns"], brand.index, year)
    days = np.arange(
        np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"), dtype="datetime64[D]"
    )
    fac = day_factor(days, brand, cfg.start)
    rows = []
    for c in campaigns_for_year(year, brand):
        span = (days >= np.datetime64(c.warmup_start)) & (days <= np.datetime64(c.end))
        for store in (POP, SELF):
            month_gmv = {
                m: sum(v for (mm, s, _), v in base.items() if mm == m and s == store)
                for m in {str(x)[:7] for x in days[span]}
            }
            gmv = 0.0
            for x in np.flatnonzero(span):
                m = str(days[x])[:7]
                in_m = days.astype("datetime64[M]").astype(str) == m
                gmv += month_gmv[m] * fac[x] / fac[in_m].sum()
            slot, terms = ref.RESOURCE_SLOTS[int(rng.integers(len(ref.RESOURCE_SLOTS)))]
            cost = (
                round(float(rng.uniform(20_000, 200_000)) * max(cfg.scale, 0.01), 2)
                if terms == "付费"
                else 0.0
            )
            target = gmv * float(rng.uniform(0.85, 1.25))
            rows.append(
                [
                    c.code,
                    c.title,
                    c.type,
                    STORE_LABELS[store],
                    c.warmup_start.isoformat(),
                    c.start.isoformat(),
                    c.end.isoformat(),
                    _m(target),
                    _m(target * 0.1),
                    slot,
                    terms,
                    f"{cost:.2f}",
                ]
            )
    return rows


CAMPAIGN_ROLES = Roles(required="活动编号", money=("目标GMV", "广告预算"), name="活动名称")


def write_campaign_plans(cfg: Config, brand: Brand, rows_by_year: dict[int, list[list]], sink: Sink) -> None:
    headers = [
        "活动编号",
        "活动名称",
        "活动类型",
        "店铺",
        "预热开始",
        "正式开始",
        "结束日期",
        "目标GMV",
        "广告预算",
        "资源位",
        "资源获取方式",
        "资源成本",
    ]
    for year, rows in rows_by_year.items():
        rows = [
            r for r in rows if date.fromisoformat(r[6]) >= cfg.start and date.fromisoformat(r[4]) <= cfg.end
        ]
        if not rows:
            continue
        sink.emit(
            "tp_campaign_plan",
            _text_sheet(headers, rows, {"目标GMV", "广告预算", "资源成本"}),
            period=str(year),
            filename=f"活动计划_{year}.xlsx",
            delivered=min(date(year - 1, 12, 20), cfg.asof),
            roles=CAMPAIGN_ROLES,
        )


# -------------------------------------------------------------------------------- finance
def plan_versions(year: int) -> list[tuple[str, date]]:
    return [
        (f"{year}-预算", date(year - 1, 12, 15)),
        (f"{year}-Q2滚动", date(year, 3, 25)),
        (f"{year}-Q3滚动", date(year, 6, 25)),
        (f"{year}-Q4滚动", date(year, 9, 25)),
    ]


SALES_PLAN_ROLES = Roles(
    money=("目标GMV", "广告预算"), numeric=("目标销量",), date="年月", date_kind="month_of_year"
)


def write_sales_plans(
    cfg: Config, brand: Brand, products: Products, act: Actuals, bases: dict[int, dict], sink: Sink
) -> dict[str, dict[tuple[str, int], int]]:
    """Writes one file per version; returns {version: {(month, store): 目标GMV cents over categories}},
    which the regional budget published the same day splits by region."""
    headers = ["版本", "发布日期", "年月", "店铺", "品类", "目标GMV", "目标销量", "广告预算"]
    totals: dict[str, dict[tuple[str, int], int]] = {}
    avg_price = {s: float(products.price_cents[products.idx(s)].mean()) for s in (POP, SELF)}
    for year, base in bases.items():
        rng = cfg.rng(SOURCE_CODES["fin"], brand.index, 1, year)
        keys = sorted(base)
        budget_err = {k: 1 + float(rng.choice([-1, 1])) * float(rng.uniform(0.08, 0.22)) for k in keys}
        for n, (ver, pub) in enumerate(plan_versions(year)):
            if pub > cfg.asof:
                break
            rows: list[list] = []  # one file per version; every version file is kept
            for k in keys:
                m, store, cat = k
                if n == 0:
                    mult = budget_err[k]
                elif m < pub.strftime("%Y-%m") and m in act.complete:
                    mult = 1.0  # rolling versions restate closed months at actual
                else:
                    mult = 1 + float(rng.choice([-1, 1])) * float(rng.uniform(0.05, 0.15))
                g = base[k] * mult
                rows.append(
                    [
                        ver,
                        pub.isoformat(),
                        m,
                        STORE_LABELS[store],
                        cat,
                        _m(g),
                        int(g / max(avg_price[store], 1)),
                        _m(g * 0.08),
                    ]
                )
                by_store = totals.setdefault(ver, {})
                by_store[(m, store)] = by_store.get((m, store), 0) + round(g)
            sink.emit(
                "fin_sales_plan",
                _text_sheet(headers, rows, {"目标GMV", "目标销量", "广告预算"}),
                period=str(year),
                filename=f"销售计划_{ver}.xlsx",
                delivered=pub,
                roles=SALES_PLAN_ROLES,
            )
    return totals


def _opex_expected(
    cfg: Config, base: dict, months: list[str], brand: Brand
) -> dict[tuple[str, str, str], float]:
    """Expected cost by (month, cost centre, cost type) in CNY, for budgets."""
    out: dict[tuple[str, str, str], float] = {}
    for m in months:
        pop_g = sum(v for (mm, s, _), v in base.items() if mm == m and s == POP) / 100
        self_g = sum(v for (mm, s, _), v in base.items() if mm == m and s == SELF) / 100
        cc = ref.COST_CENTERS
        out[(m, cc["pop"], "ads")] = pop_g * 0.07
        out[(m, cc["self"], "ads")] = self_g * 0.04
        out[(m, cc["pop"], "agency_fee")] = (
            ref.AGENCY_FEE_BASE_CNY * cfg.scale + ref.AGENCY_FEE_GMV_RATE * pop_g
        )
        out[(m, cc["pop"], "platform_fee")] = ref.PLATFORM_FEE_MONTHLY_CNY
        out[(m, cc["pop"], "commission")] = (
            pop_g * 0.85 * float(np.mean([ref.COMMISSION_RATE_CARD[c] for c in brand.l1s]))
        )
        out[(m, cc["pop"], "logistics")] = pop_g / 350 * 7.5
        out[(m, cc["self"], "logistics")] = self_g / 500 * 1.2
        out[(m, cc["pop"], "campaign")] = 60_000 * cfg.scale
        out[(m, cc["shared"], "samples")] = 5_000 * cfg.scale
        out[(m, cc["shared"], "staff")] = 80_000 * cfg.scale
        out[(m, cc["shared"], "other")] = 3_000 * cfg.scale
    return out


OPEX_BUDGET_ROLES = Roles(money=("预算金额",), date="年月", date_kind="month_of_year")


def write_opex_budget(cfg: Config, brand: Brand, bases: dict[int, dict], sink: Sink) -> None:
    headers = ["版本", "发布日期", "年月", "成本中心", "费用类型", "预算金额"]
    names = {v[1]: v[2] for v in ref.CHART_OF_ACCOUNTS.values()}
    for year, base in bases.items():
        rng = cfg.rng(SOURCE_CODES["fin"], brand.index, 2, year)
        months = [f"{year}-{k:02d}" for k in range(1, 13)]
        exp = _opex_expected(cfg, base, months, brand)
        for n, (ver, pub) in enumerate(
            [(f"{year}-预算", date(year - 1, 12, 15)), (f"{year}-年中修订", date(year, 7, 5))]
        ):
            if pub > cfg.asof:
                break
            rows: list[list] = []
            for (m, cc, ct), v in sorted(exp.items()):
                spread = 0.2 if n == 0 else 0.1
                rows.append(
                    [
                        ver,
                        pub.isoformat(),
                        m,
                        cc,
                        names[ct],
                        _m(v * 100 * float(rng.uniform(1 - spread, 1 + spread))),
                    ]
                )
            sink.emit(
                "fin_opex_budget",
                _text_sheet(headers, rows, {"预算金额"}),
                period=str(year),
                filename=f"费用预算_{ver}.xlsx",
                delivered=pub,
                roles=OPEX_BUDGET_ROLES,
            )


GL_ROLES = Roles(
    ids=("凭证号",),
    required="科目编码",
    date="会计期间",
    date_kind="month",
    money=("借方金额",),
    currency="币种",
    header_variants={"借方金额": " 借方金额", "摘要": " 摘要"},
)


def write_ledger(cfg: Config, brand: Brand, act: Actuals, campaign_rows: list[list], sink: Sink) -> None:
    """GL lines per month: delivered early in the next month (open), again once closed (final)."""
    cc = ref.COST_CENTERS
    for m0 in months_between(cfg.start, cfg.end):
        m = m0.strftime("%Y-%m")
        rng = cfg.rng(SOURCE_CODES["fin"], brand.index, 3, m0.year, m0.month)
        last = month_end(m0)
        pop_g = sum(v for (mm, s, _), v in act.gmv.items() if mm == m and s == POP)
        lines: list[tuple[str, str, float, str, bool]] = []  # cost centre, cost type, cents, memo, at close

        def add(
            center: str, ctype: str, cents: float, memo: str, at_close: bool = False, _lines: list = lines
        ) -> None:
            _lines.append((center, ctype, cents, memo, at_close))

        for store, center in ((POP, cc["pop"]), (SELF, cc["self"])):
            cost = act.ads_cost.get((m, store), 0) * float(rng.uniform(0.985, 1.015))
            parts = rng.dirichlet(np.ones(3)) * cost
            for k, part in enumerate(parts):
                add(center, "ads", part, f"{m} 京准通广告充值{k + 1}")
        add(
            cc["pop"],
            "agency_fee",
            (ref.AGENCY_FEE_BASE_CNY * cfg.scale * 100) + ref.AGENCY_FEE_GMV_RATE * pop_g,
            f"{m} 代运营服务费(基础+GMV提成)",
            True,
        )
        add(cc["pop"], "platform_fee", ref.PLATFORM_FEE_MONTHLY_CNY * 100, f"{m} 平台使用费")
        for c in brand.l1s:
            net = act.pop_net.get((m, c), 0)
            if net:
                add(cc["pop"], "commission", net * ref.COMMISSION_RATE_CARD[c], f"{m} 佣金扣点-{c}", True)
        add(cc["pop"], "logistics", act.pop_orders.get(m, 0) * 750, f"{m} 京东物流配送费", True)
        add(cc["self"], "logistics", act.sell_in_units.get(m, 0) * 120, f"{m} 自营入仓服务费", True)
        for r in campaign_rows:
            if r[6][:7] == m and float(r[11]) > 0:
                add(
                    cc["pop"] if r[3] == "POP" else cc["self"],
                    "campaign",
                    float(r[11]) * 100,
                    f"{r[1]} {r[9]}",
                )
        add(
            cc["shared"], "samples", 5_000 * cfg.scale * 100 * float(rng.uniform(0.5, 1.5)), f"{m} 样品及赠品"
        )
        add(
            cc["shared"],
            "staff",
            80_000 * cfg.scale * 100 * float(rng.uniform(0.95, 1.05)),
            f"{m} 电商团队人员费用",
            True,
        )
        add(cc["shared"], "other", 3_000 * cfg.scale * 100 * float(rng.uniform(0.5, 1.5)), f"{m} 其他费用")
        if rng.random() < 0.3:  # a reversal (credit) of part of the ads
            add(cc["pop"], "ads", -1_000 * cfg.scale * 100 * float(rng.uniform(0.5, 2)), f"{m} 广告费冲销")
        deliveries = [(last + timedelta(days=3), False), (last + timedelta(days=12), True)]
        for when, closed in deliveries:
            if when > cfg.asof:
                break
            rows = _gl_rows(m, last, [x for x in lines if closed or not x[4]], rng)
            sheet = _text_sheet(GL_HEADERS, rows, {"行号", "借方金额", "贷方金额"})
            sink.emit(
                "fin_opex_actuals",
                sheet,
                period=m,
                filename=f"总账明细_{m0:%Y%m}_{when:%Y%m%d}.csv",
                delivered=when,
                roles=GL_ROLES,
            )


GL_HEADERS = [
    "凭证号",
    "行号",
    "凭证日期",
    "会计期间",
    "成本中心",
    "科目编码",
    "科目名称",
    "供应商",
    "摘要",
    "借方金额",
    "贷方金额",
    "币种",
]


def _gl_rows(m: str, last: date, lines, rng) -> list[list]:
    rows = []
    acct = ref.ACCOUNT_OF_COST_TYPE
    for k, (center, ctype, cents, memo, at_close) in enumerate(lines):
        voucher = f"记-{m.replace('-', '')}-{k // 2 + 1:04d}"
        day = last if at_close else last - timedelta(days=int(rng.integers(0, 25)) % max(last.day - 1, 1))
        code = acct[ctype]
        debit, credit = (_m(cents), "0.00") if cents >= 0 else ("0.00", _m(-cents))
        rows.append(
            [
                voucher,
                k % 2 + 1,
                day.isoformat(),
                m,
                center,
                code,
                ref.CHART_OF_ACCOUNTS[code][0],
                ref.VENDORS[ctype],
                memo,
                debit,
                credit,
                "CNY",
            ]
        )
    return rows


__all__ = ["Campaign"]

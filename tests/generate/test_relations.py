"""Cross-source relations of the generated world hold within their stated bands."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
import pandas as pd
import pytest

from jd_pipeline.generate import reference as ref
from jd_pipeline.generate.model import campaigns_between, day_factor, make_brand
from tests.generate.gen_helpers import files, num, read_rows


def frame(out, source, brand="brand_a", pattern="*") -> pd.DataFrame:
    parts = []
    for p in files(out, source, pattern):
        if p.relative_to(out).parts[1] != brand:
            continue
        df = pd.DataFrame(read_rows(p, source))
        df["_file"] = p.name
        df["_period"] = p.parent.name
        df["_mtime"] = p.stat().st_mtime
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def newest(df: pd.DataFrame) -> pd.DataFrame:
    last = df.groupby("_period")["_mtime"].transform("max")
    return df[df["_mtime"] == last]


@pytest.fixture(scope="module")
def pop(clean):
    df = frame(clean.out, "jd_pop_orders")
    for c in ("订购数量", "京东价", "订单金额", "结算金额", "应付金额", "运费金额"):
        df[c] = df[c].map(num)
    paid = ~df["付款确认时间"].isin(["", "0001-01-01 00:00:00"])
    df["dealt"] = paid & ~df["订单状态"].str.endswith("已取消")
    df["gmv"] = df["京东价"] * df["订购数量"]
    return df


def test_pop_order_level_amounts_repeated(pop):
    g = pop.groupby("订单号")
    assert (g["订单金额"].nunique() == 1).all() and (g["应付金额"].nunique() == 1).all()
    assert np.allclose(g["gmv"].sum(), g["订单金额"].first(), atol=0.005)
    assert np.allclose(pop["应付金额"], pop["结算金额"] + pop["运费金额"], atol=0.005)
    assert (pop["应付金额"] <= pop["订单金额"] + pop["运费金额"] + 0.005).all()
    assert (g.size() > 1).mean() > 0.1  # multi-line orders
    assert (pop["支付方式"] == "货到付款").any() and (pop["运费金额"] > 0).any()
    assert not pop.duplicated(["订单号", "商品ID"]).any()


def test_pop_weekly_rhythm_and_618_peak(pop):
    daily = pop[pop["dealt"]].groupby("_period")["gmv"].sum()
    normal = daily[[d for d in daily.index if "2026-07-01" <= d <= "2026-07-10"]].median()
    assert daily["2026-06-18"] > 5 * normal
    brand = make_brand(0)
    days = np.arange(np.datetime64("2026-01-01"), np.datetime64("2027-01-01"))
    f = day_factor(days, brand, date(2026, 1, 1))
    assert 6 < f[days == np.datetime64("2026-06-18")][0] / np.median(f) < 10
    assert 6 < f[days == np.datetime64("2026-11-11")][0] / np.median(f) < 10


def test_sz_sku_close_to_orders(clean, pop):
    sz = frame(clean.out, "jd_sz_sku", pattern="商品明细_pop_*")
    sz = sz[sz["时间"] != "合计"]
    sz_day = sz.groupby("_period")["成交金额"].apply(lambda s: s.map(num).sum())
    orders_day = pop[pop["dealt"]].groupby("_period")["gmv"].sum()
    ratio = (sz_day / orders_day).dropna()
    assert len(ratio) > 30 and ratio.between(0.95, 1.05).all()
    assert not (sz_day == orders_day).all()


def test_traffic_subtotals_and_paid_moves_with_ads(clean):
    for p in files(clean.out, "jd_sz_traffic")[:20]:
        rows = read_rows(p, "jd_sz_traffic")
        detail = [r for r in rows if r["一级来源"] != "合计" and r["二级来源"] != "合计"]
        subtotals = [r for r in rows if r["二级来源"] == "合计"]
        assert subtotals, p
        for r in subtotals:
            part = [d for d in detail if d["一级来源"] == r["一级来源"]]
            assert part and num(r["访客数"]) == sum(num(d["访客数"]) for d in part)
        total = rows[-1]
        assert total["一级来源"] == "合计" and num(total["访客数"]) == sum(num(d["访客数"]) for d in detail)
        assert any(d["一级来源"] == "付费流量" and num(d["访客数"]) > 0 for d in detail)


@pytest.fixture(scope="module")
def ads(clean):
    df = frame(clean.out, "jd_ads")
    df["pulled"] = df["_file"].str.extract(r"_pulled(\d{8})")[0]
    for c in ("总费用", "总订单行", "总订单金额", "直接订单行"):
        df[c] = df[c].map(num)
    return df


def test_ads_attribution_grows_and_cost_is_stable(ads):
    key = ["日期", "计划ID", "单元ID", "跟单SKU ID"]
    g = ads.sort_values("pulled").groupby(key)
    assert (g["总费用"].nunique() == 1).all()
    assert (g["总订单行"].apply(lambda s: s.is_monotonic_increasing)).all()
    grew = g["总订单行"].agg(lambda s: s.iloc[-1] > s.iloc[0])
    assert grew.any()
    assert not ads.duplicated(key + ["pulled"]).any()


def test_ads_names_skus_and_haitou(clean, ads):
    assert set(ads["产品线"]) <= set(ref.PRODUCT_LINE_NAMES)
    codes = defaultdict(set)
    for name in ads["产品线"].unique():
        codes[ref.PRODUCT_LINE_NAMES[name]].add(name)
    assert any(len(v) > 1 for v in codes.values())  # old and new names in the same history
    assert ads["推广计划"].str.contains("海投").any()
    master = frame(clean.out, "ref_products")
    latest = master[master["_mtime"] == master["_mtime"].max()]
    assert set(ads["跟单SKU ID"]) <= set(latest["SKU"])


def test_product_master_one_sku_per_article_and_store(clean):
    for brand in ("brand_a", "brand_b"):
        m = frame(clean.out, "ref_products", brand)
        latest = m[m["_mtime"] == m["_mtime"].max()]
        assert not latest.duplicated(["货号", "店铺"]).any()
        assert set(latest["店铺"]) == {"POP", "自营"}
        assert latest["上市季节"].str.fullmatch(r"\d{4}(SS|AW)").all()
        delisted = latest["状态"] == "停售"
        assert (latest.loc[delisted, "退市日期"] != "").all()
        assert (latest.loc[~delisted, "退市日期"] == "").all()


def test_inventory_national_row_and_never_negative(clean):
    cols = ["库存件数", "可用库存", "采购未到货", "不可售", "昨日出库商品件数"]
    for p in files(clean.out, "jd_vc_inventory")[::10]:
        df = pd.DataFrame(read_rows(p, "jd_vc_inventory"))
        df[cols] = df[cols].map(num)
        assert (df[cols] >= 0).all().all()
        nat = df[df["配送中心"] == "全国"].set_index("SKU")[cols]
        rdc = df[df["配送中心"] != "全国"].groupby("SKU")[cols].sum()
        pd.testing.assert_frame_equal(
            nat.sort_index(), rdc.sort_index(), check_dtype=False, check_names=False
        )


def test_purchase_orders_consistent(clean):
    po = frame(clean.out, "jd_vc_purchase_orders")
    for c in ("采购数量", "回告数量", "实收数量", "采购价", "采购金额"):
        po[c] = po[c].map(num)
    assert (po["实收数量"] <= po["回告数量"]).all() and (po["回告数量"] <= po["采购数量"]).all()
    assert np.allclose(po["采购金额"], po["采购数量"] * po["采购价"], atol=0.01)
    assert po.duplicated(["采购单号", "SKU"]).any()  # lines reappear as they change
    assert {"待回告", "已回告", "已完成"} <= set(po["状态"])
    done = po[po["状态"] == "已完成"]
    assert (done["完成时间"] != "").all()


def test_vc_sales_total_row_and_margin(clean):
    for p in files(clean.out, "jd_vc_sales")[:10]:
        df = pd.DataFrame(read_rows(p, "jd_vc_sales"))
        total, det = df.iloc[-1], df.iloc[:-1]
        assert total["时间"] == "合计"
        assert abs(num(total["收入"]) - det["收入"].map(num).sum()) < 0.02
        assert np.allclose(det["毛利"].map(num), det["收入"].map(num) - det["成本"].map(num), atol=0.011)


def _actual_gmv_june(clean, pop) -> dict[tuple[str, str], float]:
    master = frame(clean.out, "ref_products")
    latest = master[master["_mtime"] == master["_mtime"].max()].set_index("SKU")["品类"]
    jun = pop[pop["dealt"] & pop["_period"].str.startswith("2026-06")]
    out = {("POP", c): v for c, v in jun.groupby(jun["商品ID"].map(latest))["gmv"].sum().items()}
    vc = frame(clean.out, "jd_vc_sales")
    vc = vc[(vc["时间"] != "合计") & vc["_period"].str.startswith("2026-06")]
    for c, v in vc.groupby("一级类目")["收入"].apply(lambda s: s.map(num).sum()).items():
        out[("自营", c)] = v
    return out


def test_plans_close_to_actuals(clean, pop):
    plans = frame(clean.out, "fin_sales_plan")
    assert (plans.groupby("_file")["版本"].nunique() == 1).all()  # one version per file, all kept
    assert plans["版本"].nunique() >= 3
    assert plans.sort_values("发布日期")["版本"].iloc[0].endswith("预算")
    budget = plans[(plans["版本"] == "2026-预算") & (plans["年月"] == "2026-06")]
    actual = _actual_gmv_june(clean, pop)
    big = max(actual.values())
    checked = 0
    for _, r in budget.iterrows():
        a = actual.get((r["店铺"], r["品类"]), 0)
        if a > 0.1 * big:
            assert 0.65 < num(r["目标GMV"]) / a < 1.4, (r["店铺"], r["品类"])
            checked += 1
    assert checked >= 2


def test_ledger_ads_match_jd_ads_and_commission_matches_rate_card(clean, ads, pop):
    gl = newest(frame(clean.out, "fin_opex_actuals"))
    assert set(gl["币种"]) == {"CNY"} and set(gl["科目编码"]) <= set(ref.CHART_OF_ACCOUNTS)
    assert (frame(clean.out, "fin_opex_actuals").groupby("_period")["_file"].nunique() == 2).all()
    jun = gl[gl["会计期间"] == "2026-06"].copy()
    jun["amt"] = jun["借方金额"].map(num) - jun["贷方金额"].map(num)
    ads_gl = jun[jun["科目编码"] == "6601.01"]["amt"].sum()
    last = ads[ads["pulled"] == ads.groupby("日期")["pulled"].transform("max")]
    spend = last[last["日期"].str.startswith("2026-06")]["总费用"].sum()
    assert abs(ads_gl / spend - 1) < 0.03
    # commission = rate card × POP net sales (应付 − 运费 allocated to lines)
    master = frame(clean.out, "ref_products")
    cat = master[master["_mtime"] == master["_mtime"].max()].set_index("SKU")["品类"]
    d = pop[pop["dealt"] & pop["_period"].str.startswith("2026-06")].copy()
    d["share"] = d["gmv"] / d.groupby("订单号")["gmv"].transform("sum")
    d["net"] = (d["应付金额"] - d["运费金额"]) * d["share"]
    expected = sum(
        ref.COMMISSION_RATE_CARD[c] * v for c, v in d.groupby(d["商品ID"].map(cat))["net"].sum().items()
    )
    got = jun[jun["科目编码"] == "6601.04"]["amt"].sum()
    assert abs(got / expected - 1) < 0.001


def test_agency_kpis_actions_and_campaign_plans(clean):
    kpi = frame(clean.out, "tp_team_kpi")
    w = kpi.groupby(["_file", "工号"])["权重"].apply(lambda s: s.map(num).sum())
    assert (w == 100).all()
    assert set(kpi["KPI指标"]) <= {k for v in ref.ROLE_KPIS.values() for k, _ in v}
    acts = frame(clean.out, "tp_action_plan")
    assert acts["_period"].nunique() >= 6
    assert acts.groupby("计划编号")["状态"].nunique().max() >= 2  # statuses evolve
    assert set(acts["周期"]) == {"30天", "60天", "90天"}
    camp = frame(clean.out, "tp_campaign_plan")
    expected = {c.code for c in campaigns_between(date(2026, 5, 20), date(2026, 7, 12), make_brand(0))}
    assert expected <= set(camp["活动编号"])
    assert set(camp.groupby("活动编号")["店铺"].apply(frozenset)) == {frozenset({"POP", "自营"})}


def test_industry_ranks_include_the_brand(clean):
    ind = frame(clean.out, "jd_sz_industry")
    brand = make_brand(0).jd_name
    for _, g in ind.groupby(["月份", "三级类目"]):
        assert brand in set(g["品牌"])
        assert g["排名"].map(num).is_monotonic_increasing


def test_region_budget_splits_the_sales_plan_published_with_it(clean):
    budget = frame(clean.out, "fin_region_budget")
    plans = frame(clean.out, "fin_sales_plan")
    total_rows = budget[budget["版本"] == "合计"]
    detail = budget[budget["版本"] != "合计"].copy()
    detail["cents"] = detail["目标GMV"].map(lambda v: round(num(v) * 100))
    # one version per file, each ending in a 合计 row that equals its detail rows
    assert len(total_rows) == detail["_file"].nunique() == 2
    for _, t in total_rows.iterrows():
        assert round(num(t["目标GMV"]) * 100) == detail[detail["_file"] == t["_file"]]["cents"].sum()
    assert set(detail["大区"]) == set(ref.SALES_REGIONS.values())
    assert set(detail["版本"]) == {"2026-区域预算", "2026-Q3区域调整"}
    # the revision covers July to December only
    assert detail[detail["版本"] == "2026-Q3区域调整"]["年月"].min() == "2026-07"
    plans["cents"] = plans["目标GMV"].map(lambda v: round(num(v) * 100))
    checked = 0
    for (published, month, store), part in detail.groupby(["发布日期", "年月", "店铺"]):
        same_day = plans[
            (plans["发布日期"] == published) & (plans["年月"] == month) & (plans["店铺"] == store)
        ]
        assert len(same_day) > 0, (published, month, store)
        assert part["cents"].sum() == same_day["cents"].sum(), (published, month, store)
        checked += 1
    assert checked == 2 * 12 + 2 * 6


def test_region_master_maps_provinces_as_addresses_start_and_leaves_gaps(clean):
    import csv

    from jd_pipeline.config import DBT_PROJECT_DIR
    from jd_pipeline.generate.regions import master_rows

    master = frame(clean.out, "ref_regions")
    assert master["_period"].nunique() == 1  # a 53-day range gets one master
    seed = list(csv.DictReader((DBT_PROJECT_DIR / "seeds" / "province_region.csv").open(encoding="utf-8")))
    known = {r["province"]: r["province_short"] for r in seed} | {
        r["province_short"]: r["province_short"] for r in seed
    }
    provinces = master[master["类型"] == "省份"]
    shorts = {known[n] for n in provinces["名称"]}  # every name is one the POP staging recognises
    assert shorts == {p for p, _ in ref.PROVINCES} - set(ref.REGION_MASTER_GAPS)
    assert (provinces["名称"].isin([r["province_short"] for r in seed])).any()  # some by short name
    dcs = master[master["类型"] == "配送中心"]
    assert set(dcs["名称"]) == {d for d, _ in ref.DCS} - set(ref.DC_MASTER_GAPS)
    second = master_rows(second=True)
    assert {known[n] for k, n, _ in second if k == "省份"} == {p for p, _ in ref.PROVINCES}
    assert ("省份", "河南省", "华中") in [tuple(r) for r in second]

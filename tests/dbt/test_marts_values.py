"""Mart values on the hand-made fixture (fixture_data.py), worked out by hand.

POP orders of acme on 2026-03-01 (dealt = paid and not 已取消):
  O1  P1 2×99.00=198.00, P2 1×299.00=299.00; 应付 450.00 − 运费 10.00 = 440.00
      P1 440×198/497 = 175.2917 → 175.29 ; P2 440×299/497 = 264.7082 → 264.71 (sum 440.00)
  O2  (删除)完成, P1/P2/P3 1×10.00 each; 应付 20.00 → 6.67 ×3 = 20.01, −0.01 on P1 (tie, lowest sku) → 6.66
  O3  unpaid → not dealt;  O4  已取消 → not dealt
  O5  P1 3×99.00 = 297.00; 应付 287.00 → 287.00
  day: P1 units 6, gmv 505.00, net 468.95, orders 3 (O1,O2,O5), buyers 2 (b1,b2)
       P2 units 2, gmv 309.00, net 271.38;  P3 units 1, gmv 10.00, net 6.67
2026-03-02: O6 P1 99.00, 应付 109.00 − 10.00 → 99.00.   2026-04-01: O7 P1 2×99 = 198.00, net 180.00.
Self (VC 收入): 03-01 S1 1000.00 (10 u), S2 900.00 (5 u); 03-02 S1 −100.00 (−1 u); 04-01 S1 400.00 (4 u).
"""

from decimal import Decimal as D

import pytest

from tests.dbt.support import rows


def test_pop_allocation_to_the_cent(wh):
    got = {
        (o, s): n
        for o, s, n in rows(
            wh,
            "select order_id, sku_id, net_sales from intermediate.int_pop_order_lines__allocated where brand='acme'",
        )
    }
    assert got[("O1", "P1")] == D("175.29") and got[("O1", "P2")] == D("264.71")
    assert (
        got[("O2", "P1")] == D("6.66") and got[("O2", "P2")] == D("6.67") and got[("O2", "P3")] == D("6.67")
    )
    assert got[("O5", "P1")] == D("287.00")


def test_fct_sales_daily(wh):
    got = {
        r[:4]: r[4:]
        for r in rows(
            wh,
            "select date_day::varchar, brand, store_type, sku_id, units, gmv, "
            "net_sales, orders, buyers from marts.fct_sales_daily",
        )
    }
    assert got[("2026-03-01", "acme", "pop", "P1")] == (6, D("505.00"), D("468.95"), 3, 2)
    assert got[("2026-03-01", "acme", "pop", "P2")] == (2, D("309.00"), D("271.38"), 2, 1)
    assert got[("2026-03-01", "acme", "pop", "P3")] == (1, D("10.00"), D("6.67"), 1, 1)
    assert got[("2026-03-02", "acme", "pop", "P1")] == (1, D("99.00"), D("99.00"), 1, 1)
    assert got[("2026-03-01", "acme", "self", "S1")] == (10, D("1000.00"), D("1000.00"), 8, 7)
    assert got[("2026-03-01", "acme", "self", "S2")] == (5, D("900.00"), D("900.00"), 5, 5)
    assert got[("2026-03-02", "acme", "self", "S1")] == (-1, D("-100.00"), D("-100.00"), None, None)
    assert got[("2026-03-01", "beta", "self", "S9")] == (1, D("50.00"), D("50.00"), None, None)
    assert len(got) == 10
    # the day's POP net sales = Σ (应付 − 运费) of the dealt orders, exactly
    assert sum(v[2] for k, v in got.items() if k[:3] == ("2026-03-01", "acme", "pop")) == D("747.00")


def test_fct_pop_sales_by_province_daily(wh):
    got = {
        r[:3]: r[3:]
        for r in rows(
            wh,
            "select date_day::varchar, brand, province, units, gmv, net_sales, orders, "
            "buyers from marts.fct_pop_sales_by_province_daily",
        )
    }
    assert got[("2026-03-01", "acme", "广东省")] == (6, D("527.00"), D("460.00"), 2, 1)  # 广东 normalised
    assert got[("2026-03-01", "acme", "浙江省")] == (3, D("297.00"), D("287.00"), 1, 1)
    assert got[("2026-03-02", "acme", "上海市")] == (1, D("99.00"), D("99.00"), 1, 1)
    assert ("2026-03-01", "acme", "北京市") not in got  # only undealt orders there


def test_fct_inventory_daily_excludes_national(wh):
    got = rows(wh, "select sku_id, dc, on_hand, available from marts.fct_inventory_daily order by sku_id, dc")
    assert got == [("S1", "上海", 30, 29), ("S1", "北京", 50, 49), ("S2", "广州", 20, 19)]


def test_fct_sell_in_daily_newest_po_state(wh):
    got = rows(
        wh,
        "select date_day::varchar, sku_id, units_received, sell_in_amount from marts.fct_sell_in_daily "
        "order by 1, 2",
    )
    # PO1 90×60 on 03-02; PO2 newest export says 18 received (not 20) × 150; PO3 cancelled; PO4 10×60 in April
    assert got == [
        ("2026-03-02", "S1", 90, D("5400.00")),
        ("2026-03-02", "S2", 18, D("2700.00")),
        ("2026-04-01", "S1", 10, D("600.00")),
    ]


def test_fct_ads_daily(wh):
    got = {
        r[0]: r[1:]
        for r in rows(
            wh,
            "select date_day::varchar || '/' || campaign_id, product_line, store_type, "
            "is_haitou, cost, roi from marts.fct_ads_daily",
        )
    }
    assert got["2026-03-01/C1"] == ("kuaiche", "pop", False, D("100.00"), 5.0)
    assert got["2026-03-01/C2"] == ("recommendation", "self", True, D("200.00"), 4.0)
    assert got["2026-04-01/C1"][0] == "kuaiche" and got["2026-04-01/C2"][0] == "recommendation"


def test_fct_plan_vs_actual_monthly(wh):
    got = {
        r[:4]: r[4:]
        for r in rows(
            wh,
            "select month, brand, store_type, category, budget_gmv, plan_gmv, actual_gmv, "
            "achievement_vs_plan from marts.fct_plan_vs_actual_monthly",
        )
    }
    # budget = 2026-预算 (published 2025-12-01, listed after Q1滚动 in the file); plan = 2026-Q2滚动 (latest)
    b, p, a, ach = got[("2026-03", "acme", "pop", "服装")]
    assert (b, p, a) == (D("1000.00"), D("1100.00"), D("604.00"))  # P1: 505 + 99
    assert ach == pytest.approx(604 / 1100)
    assert got[("2026-03", "acme", "self", "服装")][:3] == (D("2000.00"), D("2100.00"), D("900.00"))
    assert got[("2026-04", "acme", "pop", "服装")][:3] == (D("1000.00"), D("900.00"), D("198.00"))
    assert got[("2026-03", "acme", "pop", "鞋靴")][:3] == (None, None, D("309.00"))
    assert got[("2026-03", "beta", "self", "(unmapped)")][2] == D("50.00")


def test_fct_ecom_pnl_monthly_march_by_hand(wh):
    """March 2026, ledger present.
    gmv: POP 824.00 + 99.00 = 923.00; self 1000 + 900 − 100 = 1800.00 (total 2723.00)
    JD-共享 = 1000.00 + 1.00 = 1001.00 → POP 1001×923/2723 = 339.30, self 661.70
    POP : revenue 747 + 99 = 846.00; cogs P1 7×40 + P2 2×100 + P3 1×5 = 485.00; GM 361.00
          ads 120, commission 60, agency_fee 100; contribution 361 − 280 − 339.30 = −258.30
    self: revenue = sell-in 5400 + 2700 = 8100.00; cogs 90×40 + 18×100 = 5400.00; GM 2700.00
          logistics 300, ads 250 − 50 = 200; contribution 2700 − 500 − 661.70 = 1538.30
    """
    cols = [
        "gmv",
        "revenue",
        "cogs",
        "gross_margin",
        "commission",
        "platform_fee",
        "ads",
        "agency_fee",
        "logistics",
        "campaign",
        "samples",
        "staff",
        "other",
        "allocated_shared",
        "contribution",
        "is_estimate",
    ]
    got = {
        r[0]: dict(zip(cols, r[1:-1])) | {"pct": r[-1]}
        for r in rows(
            wh,
            f"select store_type, {', '.join(cols)}, contribution_margin_pct from marts.fct_ecom_pnl_monthly "
            "where brand='acme' and month='2026-03'",
        )
    }
    z = D("0.00")
    assert got["pop"] == {
        "gmv": D("923.00"),
        "revenue": D("846.00"),
        "cogs": D("485.00"),
        "gross_margin": D("361.00"),
        "commission": D("60.00"),
        "platform_fee": z,
        "ads": D("120.00"),
        "agency_fee": D("100.00"),
        "logistics": z,
        "campaign": z,
        "samples": z,
        "staff": z,
        "other": z,
        "allocated_shared": D("339.30"),
        "contribution": D("-258.30"),
        "is_estimate": False,
        "pct": pytest.approx(-258.30 / 846),
    }
    assert got["self"] == {
        "gmv": D("1800.00"),
        "revenue": D("8100.00"),
        "cogs": D("5400.00"),
        "gross_margin": D("2700.00"),
        "commission": z,
        "platform_fee": z,
        "ads": D("200.00"),
        "agency_fee": z,
        "logistics": D("300.00"),
        "campaign": z,
        "samples": z,
        "staff": z,
        "other": z,
        "allocated_shared": D("661.70"),
        "contribution": D("1538.30"),
        "is_estimate": False,
        "pct": pytest.approx(1538.30 / 8100),
    }


def test_fct_ecom_pnl_monthly_april_estimate(wh):
    """April 2026: no ledger → estimate. POP: revenue 180.00, cogs 2×40 = 80.00, ads = 京准通 50.00,
    commission = 8% (服装) × 180.00 = 14.40 → contribution 35.60. self: revenue 600.00 (sell-in),
    cogs 10×40 = 400.00, ads 70.00 → contribution 130.00. Other lines and allocated_shared 0."""
    got = {
        r[0]: r[1:]
        for r in rows(
            wh,
            "select store_type, revenue, cogs, ads, commission, staff + other + logistics + agency_fee, "
            "allocated_shared, contribution, is_estimate from marts.fct_ecom_pnl_monthly "
            "where brand='acme' and month='2026-04'",
        )
    }
    z = D("0.00")
    assert got["pop"] == (D("180.00"), D("80.00"), D("50.00"), D("14.40"), z, z, D("35.60"), True)
    assert got["self"] == (D("600.00"), D("400.00"), D("70.00"), z, z, z, D("130.00"), True)


def test_fct_opex_monthly(wh):
    got = {
        r[:3]: r[3:]
        for r in rows(
            wh,
            "select month, cost_center, cost_type, actual, budget, plan, variance, qtd_budget, ytd_actual "
            "from marts.fct_opex_monthly where brand='acme'",
        )
    }
    # pop ads March: actual 120, budget B1 150, plan B2 130; QTD budget = Jan 100 + Mar 150
    assert got[("2026-03", "pop", "ads")] == (
        D("120.00"),
        D("150.00"),
        D("130.00"),
        D("-30.00"),
        D("250.00"),
        D("120.00"),
    )
    # Jan: only in B1; B1 is also the latest version having January → plan 100
    assert got[("2026-01", "pop", "ads")][:3] == (D("0.00"), D("100.00"), D("100.00"))
    # budget given as 人员 (Chinese name) maps to staff
    assert got[("2026-03", "shared", "staff")][:2] == (D("1000.00"), D("900.00"))
    assert got[("2026-03", "self", "ads")][0] == D("200.00")  # 250 debit − 50 credit


def test_fct_industry_share_monthly(wh):
    got = {
        r[0]: r[1:]
        for r in rows(
            wh,
            "select brand_name, rank, deal_index_share, is_own_brand, deal_amount_high "
            "from marts.fct_industry_share_monthly",
        )
    }
    assert got["ACME"][:1] == (3,) and got["ACME"][1] == pytest.approx(0.2) and got["ACME"][2] is True
    assert got["BrandX"][1] == pytest.approx(0.5) and got["BrandX"][2] is False and got["BrandX"][3] is None


def test_fct_campaign_recap(wh):
    got = {
        r[:2]: r[2:]
        for r in rows(
            wh,
            "select campaign_code, store_type, target_gmv, gmv_during, gmv_warmup, ads_cost, roi, resource_cost, "
            "top_skus from marts.fct_campaign_recap",
        )
    }
    assert got[("CSBD", "pop")] == (
        D("1000.00"),
        D("923.00"),
        D("0.00"),
        D("100.00"),
        5.0,
        D("500.00"),
        "P1, P2, P3",
    )
    # 全部 campaign: one row per store, target split evenly without gmv
    assert got[("C618", "pop")][0] == D("4500.00") and got[("C618", "self")][0] == D("4500.00")


def test_dims(wh):
    assert rows(wh, "select count(*) from marts.dim_store") == [(2,)]
    assert rows(wh, "select jd_brand_name from marts.dim_brand where brand='acme'") == [("ACME",)]
    # the newest product master wins: P1 cogs 40 (not 35), P9 dropped
    assert rows(wh, "select unit_cogs from marts.dim_sku where sku_id='P1'") == [(D("40.00"),)]
    assert rows(wh, "select count(*) from marts.dim_sku where sku_id='P9'") == [(0,)]
    assert rows(
        wh,
        "select jd_campaign_type, jd_campaign_phase, gtm_season from marts.dim_date "
        "where date_day = date '2026-06-01'",
    ) == [("618", "main", "2026SS")]

"""The brand's sales regions: the region master (ref_regions) and the regional budget
(fin_region_budget), split from the sales plan versions published the same day."""

from __future__ import annotations

from datetime import date, timedelta

from jd_pipeline.generate import reference as ref
from jd_pipeline.generate.faults import Roles
from jd_pipeline.generate.model import POP, SELF, SOURCE_CODES, STORE_LABELS, Brand, Config
from jd_pipeline.generate.planning import _m, _text_sheet
from jd_pipeline.generate.sink import Sink
from jd_pipeline.periods import months_between

REGION_ROLES = Roles(required="名称", name="名称")
BUDGET_ROLES = Roles(money=("目标GMV",), date="年月", date_kind="month_of_year")
BUDGET_HEADERS = ["版本", "发布日期", "年月", "大区", "店铺", "目标GMV"]


def _province_name(short: str, k: int) -> str:
    """Most provinces by their full name, every fifth by its short name (both appear in real masters)."""
    if k % 5 == 4:
        return short
    return ref.PROVINCE_FULL.get(short, short + "省")


def master_rows(second: bool) -> list[list[str]]:
    """The first master misses 西藏, 青海 and 德州; the second maps them and moves 河南 to 华中."""
    rows = []
    for k, (short, region) in enumerate(ref.SALES_REGIONS.items()):
        if not second and short in ref.REGION_MASTER_GAPS:
            continue
        rows.append(
            [
                "省份",
                _province_name(short, k),
                ref.REGION_MASTER_MOVES.get(short, region) if second else region,
            ]
        )
    for dc, region in ref.DC_REGIONS.items():
        if second or dc not in ref.DC_MASTER_GAPS:
            rows.append(["配送中心", dc, region])
    return rows


def master_deliveries(cfg: Config) -> list[tuple[date, bool]]:
    """(delivery day, is second master): one at the start, a revised one on the first 1st of a month
    past the middle of the range (none for a range under two months)."""
    out = [(cfg.start, False)]
    mid = cfg.start + timedelta(days=(cfg.end - cfg.start).days // 2)
    second = date(mid.year + (mid.month == 12), mid.month % 12 + 1, 1)
    if (cfg.end - cfg.start).days >= 60 and second <= cfg.end:
        out.append((second, True))
    return out


def write_region_master(cfg: Config, brand: Brand, sink: Sink) -> None:
    for day, second in master_deliveries(cfg):
        sheet = _text_sheet(["类型", "名称", "大区"], master_rows(second), set())
        sink.emit(
            "ref_regions",
            sheet,
            period=day.isoformat(),
            filename=f"销售大区_{day:%Y%m%d}.xlsx",
            delivered=day,
            hour=5,
            roles=REGION_ROLES,
        )


def region_shares(store: int) -> dict[str, float]:
    """Each region's share of a store's demand: POP by the provinces' buyer weights, 自营 by the RDCs'."""
    weights: dict[str, float] = {}
    if store == POP:
        for short, w in ref.PROVINCES:
            region = ref.SALES_REGIONS[short]
            weights[region] = weights.get(region, 0.0) + w
    else:
        for dc, w in ref.DCS:
            region = ref.DC_REGIONS[dc]
            weights[region] = weights.get(region, 0.0) + w
    total = sum(weights.values())
    return {r: w / total for r, w in sorted(weights.items())}


def split_cents(total_cents: int, shares: dict[str, float]) -> dict[str, int]:
    """Integer cents per region adding up to the total exactly (remainder on the largest share)."""
    out = {r: int(total_cents * s) for r, s in shares.items()}
    largest = max(shares, key=lambda r: (shares[r], r))
    out[largest] += total_cents - sum(out.values())
    return out


def region_versions(year: int) -> list[tuple[str, date, str, int]]:
    """(version, published, sales plan version published the same day, first month covered)."""
    return [
        (f"{year}-区域预算", date(year - 1, 12, 15), f"{year}-预算", 1),
        (f"{year}-Q3区域调整", date(year, 6, 25), f"{year}-Q3滚动", 7),
    ]


def write_region_budget(
    cfg: Config, brand: Brand, plan_totals: dict[str, dict[tuple[str, int], int]], sink: Sink
) -> None:
    """plan_totals: sales plan version -> {(month, store): 目标GMV cents summed over categories}. Each
    regional version splits the store totals of the plan version published with it (so the two agree),
    the shares tilted ±6 % per region and version, and ends with a 合计 row."""
    years = sorted({m.year for m in months_between(cfg.start, cfg.end)})
    for year in years:
        for n, (version, published, plan_version, first_month) in enumerate(region_versions(year)):
            totals = plan_totals.get(plan_version)
            if published > cfg.asof or not totals:
                continue
            rng = cfg.rng(SOURCE_CODES["fin"], brand.index, 4, year, n)
            rows: list[list] = []
            for store in (POP, SELF):
                base = region_shares(store)
                tilt = {r: s * float(rng.uniform(0.94, 1.06)) for r, s in base.items()}
                shares = {r: v / sum(tilt.values()) for r, v in tilt.items()}
                for month in range(first_month, 13):
                    key = f"{year}-{month:02d}"
                    if (key, store) not in totals:
                        continue
                    for region, cents in split_cents(totals[(key, store)], shares).items():
                        rows.append(
                            [version, published.isoformat(), key, region, STORE_LABELS[store], _m(cents)]
                        )
            if not rows:
                continue
            grand = sum(round(float(r[5]) * 100) for r in rows)
            sheet = _text_sheet(BUDGET_HEADERS, rows, {"目标GMV"})
            sheet.append_rows([{"版本": "合计", "目标GMV": _m(grand)}])
            sink.emit(
                "fin_region_budget",
                sheet,
                period=str(year),
                filename=f"区域预算_{version}.xlsx",
                delivered=published,
                roles=BUDGET_ROLES,
            )


__all__ = ["write_region_budget", "write_region_master"]

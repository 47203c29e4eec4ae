"""The simulated world every source is cut from: brands, product master, calendar and demand.

Everything is a pure function of (seed, brand index, dates, scale), so each source can be
generated independently (in another process) and still agree with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import numpy as np

from jd_pipeline.generate import reference as ref

SOURCE_CODES = {  # stable ids for per-(source, brand, period) random streams
    "ref_products": 1,
    "jd_pop_orders": 2,
    "jd_vc": 3,
    "jd_sz": 4,
    "jd_ads": 5,
    "jd_sz_industry": 6,
    "tp": 7,
    "fin": 8,
    "faults": 9,
    "campaigns": 10,
    "buyers": 11,
}
POP, SELF = 0, 1
STORE_CODES = ("pop", "self")
STORE_LABELS = ("POP", "自营")


@dataclass(frozen=True)
class Config:
    out: Path
    brands: int
    start: date
    end: date
    scale: float
    seed: int
    faults: float
    ads_pulls: int
    fault_kinds: frozenset[str] | None = None  # None = every kind of faults.KINDS

    @property
    def asof(self) -> date:
        """The generation's 'today': every delivery is dated on or before it."""
        return self.end + timedelta(days=1)

    def rng(self, *keys: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, *keys]))

    @cached_property
    def days(self) -> np.ndarray:
        return np.arange(np.datetime64(self.start), np.datetime64(self.end) + 1, dtype="datetime64[D]")


def brand_code(i: int) -> str:
    return f"brand_{chr(97 + i)}" if i < 26 else f"brand_{i + 1:03d}"


@dataclass(frozen=True)
class Brand:
    index: int
    code: str
    jd_name: str
    short: str
    prefix: str
    cats: tuple[ref.Cat3, ...]
    brand_day: date | None = None  # not used; super brand day comes from calendar

    @property
    def l1s(self) -> list[str]:
        return sorted({c.l1 for c in self.cats}, key=[c.l1 for c in self.cats].index)


def make_brand(i: int) -> Brand:
    name = ref.BRAND_NAMES[i % len(ref.BRAND_NAMES)]
    suffix = "" if i < len(ref.BRAND_NAMES) else str(i // len(ref.BRAND_NAMES) + 1)
    return Brand(
        index=i,
        code=brand_code(i),
        jd_name=name.replace("（", f"{suffix}（") if suffix else name,
        short=name.split("（")[0] + suffix,
        prefix=ref.ARTICLE_PREFIX[i % len(ref.ARTICLE_PREFIX)] + suffix,
        cats=tuple(ref.CATEGORY_FAMILIES[i % len(ref.CATEGORY_FAMILIES)]),
    )


# ------------------------------------------------------------------------------ calendar
@dataclass(frozen=True)
class Campaign:
    code: str
    title: str
    type: str
    warmup_start: date
    start: date
    end: date
    peak: float  # multiplier on the peak day

    def contains(self, d: date) -> bool:
        return self.warmup_start <= d <= self.end


def _d(s: str) -> date:
    return date.fromisoformat(s)


def campaigns_for_year(year: int, brand: Brand) -> list[Campaign]:
    sf = _d(ref.SPRING_FESTIVAL.get(year, f"{year}-02-01"))
    sbd_month = 4 + brand.index % 6  # 超级品牌日: one day a year per brand, Apr..Sep
    sbd = date(year, sbd_month if sbd_month != 6 else 7, 16)
    return [
        Campaign(
            f"{year}NHJ",
            f"{year}京东年货节",
            "年货节",
            sf - timedelta(days=33),
            sf - timedelta(days=28),
            sf - timedelta(days=9),
            2.5,
        ),
        Campaign(
            f"{year}PLR1",
            f"{year}春季品类日",
            "品类日",
            date(year, 3, 13),
            date(year, 3, 15),
            date(year, 3, 17),
            2.0,
        ),
        Campaign(
            f"{year}SBD",
            f"{year}{brand.short}超级品牌日",
            "超级品牌日",
            sbd - timedelta(days=3),
            sbd,
            sbd,
            4.0,
        ),
        Campaign(
            f"{year}618",
            f"{year}京东618",
            "618",
            date(year, 5, 20),
            date(year, 5, 31),
            date(year, 6, 18),
            8.0,
        ),
        Campaign(
            f"{year}PLR2",
            f"{year}秋季品类日",
            "品类日",
            date(year, 9, 10),
            date(year, 9, 12),
            date(year, 9, 14),
            2.0,
        ),
        Campaign(
            f"{year}1111",
            f"{year}京东双11",
            "双11",
            date(year, 10, 20),
            date(year, 10, 31),
            date(year, 11, 11),
            8.0,
        ),
        Campaign(
            f"{year}1212",
            f"{year}双12年终盛典",
            "其他",
            date(year, 12, 8),
            date(year, 12, 10),
            date(year, 12, 12),
            2.0,
        ),
    ]


def campaigns_between(start: date, end: date, brand: Brand) -> list[Campaign]:
    out = []
    for y in range(start.year, end.year + 1):
        out += [c for c in campaigns_for_year(y, brand) if c.end >= start and c.warmup_start <= end]
    return out


def campaign_multiplier(days: np.ndarray, brand: Brand) -> np.ndarray:
    """Demand multiplier per day: warm-up lift, official period, a sharp peak on the last day."""
    m = np.ones(len(days))
    years = range(int(str(days[0])[:4]) - 1, int(str(days[-1])[:4]) + 2)
    for y in years:
        sf = np.datetime64(ref.SPRING_FESTIVAL.get(y, f"{y}-02-01"))
        dip = (days >= sf - 6) & (days <= sf + 6)  # logistics stop around 春节
        m[dip] *= 0.45
        for c in campaigns_for_year(y, brand):
            ws, s, e = (np.datetime64(x) for x in (c.warmup_start, c.start, c.end))
            warm = (days >= ws) & (days < s)
            off = (days >= s) & (days <= e)
            m[warm] *= 1.15
            if off.any():
                span = max((e - s).astype(int), 1)
                pos = (days[off] - s).astype(int) / span
                m[off] *= 1.5 + 0.8 * pos**4
            for back, share in ((0, 1.0), (1, 0.38), (2, 0.22)):
                pk = days == e - back
                m[pk] = np.maximum(m[pk], c.peak * share)
    return m


WEEKDAY = np.array([1.0, 0.97, 0.95, 0.95, 1.0, 1.1, 1.12])  # Mon..Sun


def day_factor(days: np.ndarray, brand: Brand, start: date) -> np.ndarray:
    """Brand-level demand rhythm: weekday × growth (~15%/yr) × campaigns × 春节 dip."""
    wd = ((days.astype("datetime64[D]").astype(np.int64) - 4) % 7).astype(int)  # 1970-01-01 = Thu
    t = (days - np.datetime64(start)).astype(np.int64) / 365.0
    return WEEKDAY[wd] * np.exp(np.log(1.15) * t) * campaign_multiplier(days, brand)


def month_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype(int) % 12 + 1


# ---------------------------------------------------------------------------- products
@dataclass
class Products:
    """The product master of one brand: one row per SKU (numpy arrays)."""

    sku_id: np.ndarray
    store: np.ndarray  # POP / SELF
    article: np.ndarray
    name: np.ndarray
    cat: np.ndarray  # index into brand.cats
    season: np.ndarray
    launch: np.ndarray  # datetime64[D]
    delist: np.ndarray  # datetime64[D]; far future when never delisted
    list_cents: np.ndarray
    cogs_cents: np.ndarray
    price_cents: np.ndarray  # POP: 京东价; self: JD's retail price
    sell_in_cents: np.ndarray  # self: the brand's sell-in price to JD (采购价)
    popularity: np.ndarray
    brand: Brand = field(repr=False)

    def __len__(self) -> int:
        return len(self.sku_id)

    def idx(self, store: int) -> np.ndarray:
        return np.flatnonzero(self.store == store)

    def active(self, days: np.ndarray) -> np.ndarray:
        """days × skus bool: on sale (launched, not delisted)."""
        return (days[:, None] >= self.launch[None, :]) & (days[:, None] < self.delist[None, :])


NEVER = np.datetime64("2099-12-31")
COLORS = ["黑色", "白色", "灰色", "藏青", "卡其", "墨绿", "酒红", "米白"]
VARIANTS = ["经典款", "轻量款", "升级款", "旗舰款", "基础款", "Pro", "Max", "Lite"]


def _seasons(start: date, end: date) -> list[tuple[str, date]]:
    out = []
    for y in range(start.year - 2, end.year + 1):
        out += [(f"{y}SS", date(y, 2, 20)), (f"{y}AW", date(y, 8, 20))]
    return out


def make_products(cfg: Config, brand: Brand) -> Products:
    rng = cfg.rng(SOURCE_CODES["ref_products"], brand.index)
    n_pop = max(8, round(1200 * cfg.scale))
    n_self = min(n_pop, max(5, round(800 * cfg.scale)))
    seasons = _seasons(cfg.start, cfg.end)
    # ~60% of the range's assortment launched before it starts, the rest season by season
    launch_windows = np.array([np.datetime64(d) for _, d in seasons])
    before = launch_windows < np.datetime64(cfg.start)
    w = np.where(before, 1.0, 0.0)
    w[before] = np.linspace(0.5, 1.5, before.sum())
    w = w / w.sum() * 0.6 + np.where(before, 0, 1) / max((~before).sum(), 1) * 0.4
    season_idx = rng.choice(len(seasons), n_pop, p=w / w.sum())
    launch = launch_windows[season_idx] + rng.integers(-20, 21, n_pop)
    life = rng.integers(300, 560, n_pop)
    delisted = rng.random(n_pop) < 0.35
    delist = np.where(delisted, launch + life, NEVER)
    cat = rng.choice(len(brand.cats), n_pop, p=_cat_weights(len(brand.cats)))
    base_price = np.array([c.price for c in brand.cats])[cat] * np.exp(rng.normal(0, 0.25, n_pop))
    list_cents = (np.round(base_price / 10) * 1000 - 100).astype(np.int64)  # ¥xx9.00 style
    list_cents = np.maximum(list_cents, 1900)
    popularity = rng.lognormal(0, 1.1, n_pop)

    season_lbl = np.array([s for s, _ in seasons])[season_idx]
    art_seq = np.arange(1, n_pop + 1)
    article = np.array(
        [f"{brand.prefix}{s[2:4]}{s[4:]}{k:04d}" for s, k in zip(season_lbl, art_seq)], dtype=object
    )
    names = np.array(
        [
            f"{brand.short}{brand.cats[c].l3}{VARIANTS[k % len(VARIANTS)]} {COLORS[(k // 8) % len(COLORS)]} {a}"
            for c, k, a in zip(cat, rng.integers(0, 64, n_pop), article)
        ],
        dtype=object,
    )
    self_art = np.sort(rng.choice(n_pop, n_self, replace=False))
    sku_pop = 10_000_000_000 + rng.choice(89_999_999_999 // 7, n_pop, replace=False) * 7 + brand.index
    sku_self = 100_000_000_000 + rng.choice(99_999_999_999 // 7, n_self, replace=False) * 7 + brand.index

    def both(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, a[self_art]])

    lc = both(list_cents)
    store = np.concatenate([np.full(n_pop, POP), np.full(n_self, SELF)])
    disc = np.where(store == POP, rng.uniform(0.78, 1.0, len(store)), rng.uniform(0.82, 0.95, len(store)))
    price = (np.round(lc * disc / 100) * 100).astype(np.int64)
    return Products(
        sku_id=np.concatenate([sku_pop, sku_self]).astype(str).astype(object),
        store=store,
        article=both(article),
        name=both(names),
        cat=both(cat),
        season=both(season_lbl),
        launch=both(launch) + np.where(store == SELF, rng.integers(0, 15, len(store)), 0),
        delist=both(delist),
        list_cents=lc,
        cogs_cents=(lc * both(rng.uniform(0.28, 0.4, n_pop))).astype(np.int64),
        price_cents=price,
        sell_in_cents=(lc * both(rng.uniform(0.5, 0.6, n_pop))).astype(np.int64),
        popularity=both(popularity) * np.where(store == SELF, 1.0, 1.0),
        brand=brand,
    )


def _cat_weights(n: int) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** 0.6
    return w / w.sum()


def season_curve(products: Products, days: np.ndarray) -> np.ndarray:
    """days × skus multiplier from the category's seasonality and the SKU's launch ramp."""
    peaks = np.array([c.season_peak for c in products.brand.cats])[products.cat]
    m = month_of(days)[:, None]
    amp = np.where(peaks > 0, 0.6, 0.0)[None, :]
    seas = 1 + amp * np.cos(2 * np.pi * (m - peaks[None, :]) / 12)
    age = (days[:, None] - products.launch[None, :]).astype(np.int64)
    ramp = np.clip((age + 1) / 21.0, 0.15, 1.0) * np.where(age < 90, 1.25, 1.0)
    return seas * ramp * products.active(days)


def demand_shares(products: Products, days: np.ndarray, store: int) -> np.ndarray:
    """days × store-SKUs: each SKU's share of the store's demand on each day (rows sum to 1)."""
    ix = products.idx(store)
    sub = Products(**{k: getattr(products, k)[ix] for k in _ARRAYS}, brand=products.brand)
    w = season_curve(sub, days) * sub.popularity[None, :]
    tot = w.sum(axis=1, keepdims=True)
    return np.divide(w, tot, out=np.zeros_like(w), where=tot > 0)


_ARRAYS = [
    "sku_id",
    "store",
    "article",
    "name",
    "cat",
    "season",
    "launch",
    "delist",
    "list_cents",
    "cogs_cents",
    "price_cents",
    "sell_in_cents",
    "popularity",
]


def subset(products: Products, ix: np.ndarray) -> Products:
    return Products(**{k: getattr(products, k)[ix] for k in _ARRAYS}, brand=products.brand)

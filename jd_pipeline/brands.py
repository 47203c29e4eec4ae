"""The brand configuration: which brands the team operates, as whom JD shows them, in which stores,
and the POP commission rate card of each.

File: `$JD_DATA_DIR/brands.yaml` (example with every field: `docs/brands.example.yaml`). Validated
when read; every problem is reported with the file, the brand and the field. The warehouse gets it
as tables `config.brands`, `config.brand_names` and `config.pop_commission_rates` (written before
every dbt build), so `dim_brand.jd_brand_name`, the 品牌榜 match (`is_own_brand`) and the P&L's
commission estimate come from it, not from a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import yaml

from jd_pipeline.warehouse import transaction

BRAND_CODE_RE = re.compile(r"^[a-z0-9_]{2,32}$")
STORES = ("pop", "self")
DEFAULT_CATEGORY = "*"
FILE_NAME = "brands.yaml"
EXAMPLE = "docs/brands.example.yaml"


class BrandConfigError(ValueError):
    """The brand configuration is missing or invalid, or a landing folder's brand is not in it."""


@dataclass(frozen=True)
class Brand:
    code: str
    jd_brand_names: tuple[str, ...]
    stores: tuple[str, ...]
    pop_commission_rates: dict[str, Decimal]


def config_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load_brands(path: Path) -> dict[str, Brand]:
    """Read and validate the brand configuration; raise BrandConfigError naming what is wrong."""
    if not path.exists():
        raise BrandConfigError(
            f"no brand configuration at {path}: list the brands you operate there "
            f"(copy {EXAMPLE} from the repository and edit it)"
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BrandConfigError(f"{path}: not readable YAML ({type(exc).__name__})") from exc
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("brands"), list)
        or not document["brands"]
    ):
        raise BrandConfigError(f"{path}: expected a top-level `brands:` list with at least one brand")
    brands: dict[str, Brand] = {}
    for number, entry in enumerate(document["brands"], start=1):
        brand = _brand(path, number, entry)
        if brand.code in brands:
            raise BrandConfigError(f"{path}: brand {brand.code!r} is configured twice")
        brands[brand.code] = brand
    return brands


def _brand(path: Path, number: int, entry: object) -> Brand:
    where = f"{path}: brand #{number}"
    if not isinstance(entry, dict):
        raise BrandConfigError(f"{where}: expected a mapping with code, jd_brand_names, stores")
    unknown = set(entry) - {"code", "jd_brand_names", "stores", "pop_commission_rates"}
    if unknown:
        raise BrandConfigError(f"{where}: unknown field(s) {sorted(unknown)}")
    code = entry.get("code")
    if not isinstance(code, str) or not BRAND_CODE_RE.match(code):
        raise BrandConfigError(f"{where}: code must be the landing folder name, [a-z0-9_]{{2,32}}")
    where = f"{path}: brand {code!r}"
    names = entry.get("jd_brand_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise BrandConfigError(f"{where}: jd_brand_names must list the brand name(s) as 京东商智 shows them")
    stores = entry.get("stores")
    if (
        not isinstance(stores, list)
        or not stores
        or not set(stores) <= set(STORES)
        or len(set(stores)) < len(stores)
    ):
        raise BrandConfigError(f"{where}: stores must list pop and/or self (each once)")
    rates = _rates(where, entry.get("pop_commission_rates"), "pop" in stores)
    return Brand(code, tuple(n.strip() for n in names), tuple(s for s in STORES if s in stores), rates)


def _rates(where: str, raw: object, operates_pop: bool) -> dict[str, Decimal]:
    if raw is None and not operates_pop:
        return {}
    if not isinstance(raw, dict) or DEFAULT_CATEGORY not in raw:
        raise BrandConfigError(
            f"{where}: pop_commission_rates must map 品类 to a rate, with a '*' default for other categories"
        )
    rates: dict[str, Decimal] = {}
    for category, value in raw.items():
        try:
            rate = Decimal(str(value))
        except InvalidOperation:
            rate = Decimal(-1)
        if not isinstance(category, str) or not category.strip() or not Decimal(0) <= rate < Decimal(1):
            raise BrandConfigError(
                f"{where}: pop_commission_rates[{category!r}] must be a ratio in [0, 1), e.g. 0.08"
            )
        rates[category.strip()] = rate.quantize(Decimal("0.0001"))
    return rates


def check_landing_brands(brands: dict[str, Brand], landing_brands: set[str], path: Path) -> None:
    """A landing folder for a brand that is not configured is an error, never silently loaded."""
    unknown = sorted(landing_brands - set(brands))
    if unknown:
        raise BrandConfigError(
            f"landing folder(s) for brand(s) not in {path}: {', '.join(unknown)}. "
            "Add the brand (code, jd_brand_names, stores, pop_commission_rates) or move the folder away."
        )


def landing_brands(landing_dir: Path) -> set[str]:
    """Brand folders under every source folder of the landing zone (`<source>/<brand>/...`)."""
    from jd_pipeline.contracts import load_contracts

    found: set[str] = set()
    for source in load_contracts():
        folder = landing_dir / source
        if folder.is_dir():
            found |= {p.name for p in folder.iterdir() if p.is_dir()}
    return found


def configured_brands(data_dir: Path | None = None) -> dict[str, Brand]:
    """The validated configuration of `$JD_DATA_DIR`, checked against the landing folders."""
    from jd_pipeline.config import get_settings

    settings = get_settings()
    path = config_path(data_dir or settings.data_dir)
    brands = load_brands(path)
    check_landing_brands(
        brands, landing_brands((data_dir / "landing") if data_dir else settings.landing_dir), path
    )
    return brands


CONFIG_DDL = (
    "create schema if not exists config",
    "create table if not exists config.brands (brand varchar primary key, stores varchar not null)",
    (
        "create table if not exists config.brand_names (brand varchar not null, jd_brand_name varchar not null, "
        "name_rank integer not null)"
    ),
    (
        "create table if not exists config.pop_commission_rates (brand varchar not null, category varchar not null, "
        "commission_rate decimal(6,4) not null)"
    ),
)


def ensure_config_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in CONFIG_DDL:
        conn.execute(statement)


def write_config_tables(conn: duckdb.DuckDBPyConnection, brands: dict[str, Brand]) -> None:
    """Replace the config tables with `brands` in one transaction, then their objects in the raw
    lake when it is on (raises LakeSyncError when they cannot be written)."""
    ensure_config_tables(conn)
    with transaction(conn):
        for table in ("brands", "brand_names", "pop_commission_rates"):
            conn.execute(f"delete from config.{table}")
        for brand in brands.values():
            conn.execute("insert into config.brands values (?, ?)", [brand.code, ",".join(brand.stores)])
            for rank, name in enumerate(brand.jd_brand_names, start=1):
                conn.execute("insert into config.brand_names values (?, ?, ?)", [brand.code, name, rank])
            for category, rate in brand.pop_commission_rates.items():
                conn.execute(
                    "insert into config.pop_commission_rates values (?, ?, ?)", [brand.code, category, rate]
                )
    # After the commit: with the raw lake on (JD_RAW_LAKE_URL), a Spark run reads the config source
    # from the lake (dbt_project/macros/spark_lake.sql), so each table's object follows this copy.
    from jd_pipeline.lake import sync_config

    sync_config(conn)


def render_example(brands: list[Brand]) -> str:
    """A brands.yaml for `brands` (the generator writes one beside its landing zone)."""
    document = {
        "brands": [
            {
                "code": b.code,
                "jd_brand_names": list(b.jd_brand_names),
                "stores": list(b.stores),
                **(
                    {"pop_commission_rates": {c: float(r) for c, r in b.pop_commission_rates.items()}}
                    if b.pop_commission_rates
                    else {}
                ),
            }
            for b in brands
        ]
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)

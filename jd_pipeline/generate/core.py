"""`generate()`: orchestrates the sources per brand, in parallel processes, and writes the manifest."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from jd_pipeline.generate import reference as ref
from jd_pipeline.generate.ads import generate_ads, pull_offsets
from jd_pipeline.generate.faults import KINDS, FaultLog
from jd_pipeline.generate.model import (
    POP,
    SELF,
    SOURCE_CODES,
    Config,
    make_brand,
    make_products,
)
from jd_pipeline.generate.planning import (
    campaign_plan_rows,
    collect_actuals,
    plan_base,
    write_action_plans,
    write_campaign_plans,
    write_industry,
    write_ledger,
    write_opex_budget,
    write_products,
    write_sales_plans,
    write_team_kpi,
)
from jd_pipeline.generate.pop import generate_pop
from jd_pipeline.generate.regions import write_region_budget, write_region_master
from jd_pipeline.generate.sink import Sink, SourceStats
from jd_pipeline.generate.sz import generate_sz
from jd_pipeline.generate.vc import generate_vc

SOURCES = [
    "jd_pop_orders",
    "jd_vc_sales",
    "jd_vc_inventory",
    "jd_vc_purchase_orders",
    "jd_sz_sku",
    "jd_sz_traffic",
    "jd_sz_industry",
    "jd_ads",
    "tp_action_plan",
    "tp_team_kpi",
    "tp_campaign_plan",
    "fin_sales_plan",
    "fin_opex_budget",
    "fin_opex_actuals",
    "ref_products",
    "fin_region_budget",
    "ref_regions",
]
TASKS = {"pop": 1, "vc": 2, "ads": 3, "rest": 4}
# The heavy daily sources run as fixed day chunks (independent of `workers`, so output is too).
CHUNKS = {"pop": 2, "vc": 1, "ads": 2}
DEFAULT_START = date(2025, 1, 1)
DEFAULT_END = date(2026, 6, 30)


@dataclass
class GenerationSummary:
    out: Path
    manifest: Path
    brands: list[str]
    start: date
    end: date
    files: int
    rows: int
    bytes: int
    faults: int
    seconds: float
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.files} files, {self.rows} rows, {self.bytes / 1e6:.1f} MB for {', '.join(self.brands)} "
            f"{self.start}..{self.end}; {self.faults} planted faults (manifest {self.manifest})"
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            out=str(self.out),
            manifest=str(self.manifest),
            start=self.start.isoformat(),
            end=self.end.isoformat(),
        )
        return d


def _run_task(cfg: Config, brand_index: int, task: str, inputs: dict | None = None, chunk: int = 0) -> dict:
    t0, c0 = time.perf_counter(), _cpu()
    brand = make_brand(brand_index)
    products = make_products(cfg, brand)
    log = FaultLog(
        cfg.faults, cfg.rng(SOURCE_CODES["faults"], brand.index, TASKS[task], chunk), kinds=cfg.fault_kinds
    )
    sink = Sink(cfg.out, brand.code, log)
    n = CHUNKS.get(task, 1)
    nd = len(cfg.days)
    days = slice(nd * chunk // n, nd * (chunk + 1) // n)
    agg: Any = None
    if task == "pop":
        agg = generate_pop(cfg, brand, products, sink, days)
    elif task == "vc":
        agg = generate_vc(cfg, brand, products, sink)
    elif task == "ads":
        agg = generate_ads(cfg, brand, products, sink, days)
    else:
        assert inputs is not None
        _rest(cfg, brand, products, sink, inputs)
    return {
        "task": task,
        "chunk": chunk,
        "brand": brand.code,
        "agg": agg,
        "stats": sink.stats,
        "faults": log.records,
        "seconds": time.perf_counter() - t0,
        "cpu": _cpu() - c0,
    }


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _merge(aggs: list[Any]) -> Any:
    """Chunks of one task: the day ranges do not overlap, so the aggregates add up."""
    out = aggs[0]
    for other in aggs[1:]:
        for k, v in vars(other).items():
            setattr(out, k, getattr(out, k) + v)
    return out


def _rest(cfg: Config, brand, products, sink: Sink, inputs: dict) -> None:
    pop, vc, ads = inputs["pop"], inputs["vc"], inputs["ads"]
    generate_sz(cfg, brand, products, pop, vc, ads, sink)
    act = collect_actuals(cfg, brand, products, pop, vc, ads)
    write_products(cfg, brand, products, sink)
    write_industry(cfg, brand, products, _gmv_by_l3(cfg, brand, products, pop, vc), sink)
    years = range(cfg.start.year, cfg.end.year + 1)
    bases = {y: plan_base(cfg, brand, products, act, y) for y in years}
    camp_rows = {y: campaign_plan_rows(cfg, brand, products, bases[y], y) for y in years}
    write_campaign_plans(cfg, brand, camp_rows, sink)
    write_team_kpi(cfg, brand, sink)
    write_action_plans(cfg, brand, sink)
    plan_totals = write_sales_plans(cfg, brand, products, act, bases, sink)
    write_region_master(cfg, brand, sink)
    write_region_budget(cfg, brand, plan_totals, sink)
    write_opex_budget(cfg, brand, bases, sink)
    write_ledger(cfg, brand, act, [r for rows in camp_rows.values() for r in rows], sink)
    _stray(cfg, brand, sink)


def _gmv_by_l3(cfg: Config, brand, products, pop, vc) -> dict[tuple[str, str], int]:
    months = cfg.days.astype("datetime64[M]").astype(str)
    out: dict[tuple[str, str], int] = {}
    for store, gm in ((POP, pop.deal_gmv), (SELF, vc.revenue)):
        l3 = np.array([brand.cats[c].l3 for c in products.cat[products.idx(store)]], dtype=object)
        for m in np.unique(months):
            col = gm[months == m].sum(axis=0)
            for c in set(l3):
                out[(m, c)] = out.get((m, c), 0) + int(col[l3 == c].sum())
    return out


def _stray(cfg: Config, brand, sink: Sink) -> None:
    """Delivery-level faults that are not a file of any source (always once, for brand 0, when faults > 0)."""
    d = cfg.end
    if cfg.faults <= 0:
        return
    always = brand.index == 0
    if sink.log.allowed("path_outside_zone") and (always or sink.log.hit()):
        sink.stray(
            "jd_pop_orders",
            "path_outside_zone",
            f"jd_pop_orders/{brand.code}/{d.isoformat()}/京麦订单导出_{d:%Y%m%d}_link.csv",
            cfg.asof,
        )
    if sink.log.allowed("unexpected_path") and (always or sink.log.hit()):
        sink.stray(
            "jd_vc_sales",
            "unexpected_path",
            f"jd_vc_sales/{brand.code}/{d.isoformat()}/~$临时 文件(1).xlsx",
            cfg.asof,
        )
    if sink.log.allowed("unexpected_path") and (always or sink.log.hit()):
        sink.stray(
            "unknown", "unexpected_path", f"jd_unknown_export/{brand.code}/{d:%Y-%m}/导出.csv", cfg.asof
        )


def generate(
    out: Path,
    brands: int = 2,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    scale: float = 0.02,
    seed: int = 42,
    faults: float = 0.0,
    progress: Callable[[str], None] | None = None,
    ads_pulls: int = 15,
    fault_manifest: Path | None = None,
    workers: int | None = None,
    clean: bool = True,
    fault_kinds: Iterable[str] | None = None,
) -> GenerationSummary:
    """Write every source of sources.md into the landing layout under `out`.

    Deterministic for a given (brands, start, end, scale, seed, faults, ads_pulls): same bytes and
    same mtimes. The manifest (parameters, brands, reference data, statistics, planted faults)
    goes to `fault_manifest`, default `<out>/../generated_faults.json` (never inside the landing
    zone). `fault_kinds` limits the planted kinds (e.g. `faults.TOLERATED_KINDS` for a demo that
    must still publish); None plants every kind. `clean` removes what a previous generation left in `out` first; a non-empty `out`
    without a manifest beside it (real extracts?) is never deleted: FileExistsError.
    """
    t0 = time.perf_counter()
    out = Path(out).resolve()
    if end < start:
        raise ValueError("end is before start")
    if brands < 1 or scale <= 0 or not 0 <= faults <= 1 or ads_pulls < 1:
        raise ValueError("brands >= 1, scale > 0, 0 <= faults <= 1 and ads_pulls >= 1 are required")
    kinds = None if fault_kinds is None else frozenset(fault_kinds)
    if kinds is not None and not kinds <= set(KINDS):
        raise ValueError(f"unknown fault kinds: {sorted(kinds - set(KINDS))}")
    manifest = Path(fault_manifest) if fault_manifest else out.parent / "generated_faults.json"
    if clean and out.exists() and any(out.iterdir()):
        if not manifest.exists():
            raise FileExistsError(
                f"{out} is not empty and no {manifest.name} beside it says the generator wrote it: "
                "refusing to delete it (choose an empty or generated directory)"
            )
        shutil.rmtree(out)
    for stale in out.parent.glob(f"{out.name}_outside_*.csv"):
        stale.unlink()
    out.mkdir(parents=True, exist_ok=True)
    cfg = Config(out, brands, start, end, scale, seed, faults, ads_pulls, kinds)
    say = progress or (lambda _msg: None)
    results = _schedule(cfg, workers or min(2, os.cpu_count() or 1), say)
    stats: dict[str, SourceStats] = {s: SourceStats() for s in SOURCES}
    records: list[dict] = []
    for r in results:
        for src, st in r["stats"].items():
            stats.setdefault(src, SourceStats()).add(st)
        records += r["faults"]
    records.sort(key=lambda x: (x["file"], x["row"] if x["row"] is not None else -1, x["kind"]))
    mark_superseded(out, records)
    summary = GenerationSummary(
        out=out,
        manifest=manifest,
        brands=[make_brand(i).code for i in range(brands)],
        start=start,
        end=end,
        files=sum(s.files for s in stats.values()),
        rows=sum(s.rows for s in stats.values()),
        bytes=sum(s.bytes for s in stats.values()),
        faults=len(records),
        seconds=0.0,
        by_source={k: asdict(v) for k, v in stats.items()},
    )
    _write_manifest(cfg, manifest, summary, records)
    write_brand_config(out.parent / "brands.yaml", [make_brand(i) for i in range(brands)])
    summary.seconds = round(time.perf_counter() - t0, 2)
    say(
        f"done: {summary.files} files, {summary.rows} rows, {summary.bytes / 1e6:.1f} MB, "
        f"{summary.faults} planted faults in {summary.seconds}s; manifest {manifest}"
    )
    return summary


GENERATED_CONFIG_MARK = "# written by `jd-pipeline generate` for its demo brands (docs/brands.example.yaml)"


def write_brand_config(path: Path, brands: list) -> None:
    """The brand configuration of the generated brands beside the landing zone (the data dir), so
    the generated extracts load as configured brands. A configuration someone wrote is kept."""
    from jd_pipeline.brands import Brand as ConfiguredBrand
    from jd_pipeline.brands import render_example
    from jd_pipeline.generate.reference import COMMISSION_RATE_CARD

    if path.exists() and not path.read_text(encoding="utf-8").startswith(GENERATED_CONFIG_MARK):
        return
    rates = {category: Decimal(str(rate)) for category, rate in COMMISSION_RATE_CARD.items()}
    rates["*"] = Decimal("0.06")
    configured = [ConfiguredBrand(b.code, (b.jd_name,), ("pop", "self"), rates) for b in brands]
    path.write_text(GENERATED_CONFIG_MARK + "\n" + render_example(configured), encoding="utf-8")


def _stage1(cfg: Config) -> list[tuple[int, str, int]]:
    """(brand, task, chunk), heaviest first (longest-processing-time order for the pool)."""
    return [(b, t, c) for t in ("ads", "pop", "vc") for b in range(cfg.brands) for c in range(CHUNKS[t])]


def _schedule(cfg: Config, workers: int, say: Callable[[str], None]) -> list[dict]:
    results: list[dict] = []

    def report(r: dict) -> None:
        st = r["stats"]
        parts = ", ".join(f"{k} {v.files} files/{v.rows} rows" for k, v in st.items())
        part = f" part {r['chunk'] + 1}/{CHUNKS[r['task']]}" if CHUNKS.get(r["task"], 1) > 1 else ""
        say(f"{r['brand']} {r['task']}{part}: {parts} ({r['seconds']:.1f}s, cpu {r['cpu']:.1f}s)")
        results.append(r)

    def inputs_of(b: int, done: dict[tuple[int, str, int], dict]) -> dict:
        return {t: _merge([done[(b, t, c)]["agg"] for c in range(CHUNKS[t])]) for t in ("pop", "vc", "ads")}

    stage1 = _stage1(cfg)
    if workers <= 1:
        done = {}
        for key in stage1:
            r = _run_task(cfg, key[0], key[1], chunk=key[2])
            done[key] = r
            report(r)
        for b in range(cfg.brands):
            report(_run_task(cfg, b, "rest", inputs_of(b, done)))
        return _strip(results)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futs = {key: pool.submit(_run_task, cfg, key[0], key[1], None, key[2]) for key in stage1}
        finished: dict[tuple[int, str, int], dict] = {}
        rest: list[Future] = []
        pending = set(range(cfg.brands))
        while pending:
            for key, f in futs.items():
                if key not in finished and f.done():
                    finished[key] = f.result()
                    report(finished[key])
            for b in sorted(pending):
                if all(k in finished for k in stage1 if k[0] == b):
                    rest.append(pool.submit(_run_task, cfg, b, "rest", inputs_of(b, finished)))
                    pending.discard(b)
            time.sleep(0.05)
        for f in rest:
            report(f.result())
    return _strip(results)


def _strip(results: list[dict]) -> list[dict]:
    for r in results:
        r["agg"] = None
    return sorted(results, key=lambda r: (r["brand"], TASKS[r["task"]], r["chunk"]))


UNREADABLE = {"wrong_encoding", "empty_file", "missing_required_header", "xlsx_really_csv"}
VERSIONED = {
    "fin_sales_plan",
    "fin_opex_budget",
    "fin_region_budget",
}  # every file is its own unit (all versions kept)
_PULLED = re.compile(r"_pulled(\d{8})")


def _newness(p: Path) -> tuple[str, int, str]:
    m = _PULLED.search(p.name)
    return (m.group(1) if m else "", p.stat().st_mtime_ns, p.name)


def mark_superseded(out: Path, records: list[dict]) -> None:
    """Flag faults planted in a file that a newer, readable, different delivery of the same period
    replaces (the loader never reads it, so the fault is not observable there)."""
    listing: dict[Path, list[Path]] = {}
    unreadable = {out / r["file"] for r in records if r["kind"] in UNREADABLE}
    unreadable |= {
        out / r["file"] for r in records if r["kind"] == "same_file_twice" and out / r["detail"] in unreadable
    }
    for r in records:
        p = out / r["file"]
        r["superseded"] = False
        if r["source"] in VERSIONED or p.is_symlink() or not p.is_file():
            continue
        sibs = listing.setdefault(
            p.parent, [q for q in p.parent.iterdir() if q.is_file() and not q.is_symlink()]
        )
        own = _newness(p)
        for q in sibs:
            if q != p and q not in unreadable and _newness(q) > own and q.read_bytes() != p.read_bytes():
                r["superseded"] = True
                break


def _write_manifest(cfg: Config, path: Path, summary: GenerationSummary, records: list[dict]) -> None:
    body = {
        "generator": "jd_pipeline.generate",
        "params": {
            "brands": cfg.brands,
            "start": cfg.start.isoformat(),
            "end": cfg.end.isoformat(),
            "scale": cfg.scale,
            "seed": cfg.seed,
            "faults": cfg.faults,
            "ads_pulls": cfg.ads_pulls,
            "ads_pull_offsets": pull_offsets(cfg.ads_pulls),
            "asof": cfg.asof.isoformat(),
            "fault_kinds": None if cfg.fault_kinds is None else sorted(cfg.fault_kinds),
        },
        "brands": {make_brand(i).code: make_brand(i).jd_name for i in range(cfg.brands)},
        "reference": json.loads(ref.reference_json()),
        "summary": {k: v for k, v in summary.to_dict().items() if k not in ("seconds", "manifest", "out")},
        "faults": records,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")

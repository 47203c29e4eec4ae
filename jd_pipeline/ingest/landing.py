"""Landing-zone scan: which files fit a source's path template, and which are refused.

Pure Python and cheap (stat only, no file content read): the landing-zone sensor calls
`scan_landing()` every tick and `unseen_files()` (manifest.py) to skip files already seen.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from jd_pipeline.contracts import Contract, load_contracts
from jd_pipeline.periods import period_bounds, quarter_first_month

BRAND_RE = re.compile(r"^[a-z0-9_]{2,32}$")
STORES = ("pop", "self")
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9._\-\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
PULLED_RE = re.compile(r"_pulled(\d{8})(?!\d)")
PERIOD_RES = {
    "daily": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "monthly": re.compile(r"^\d{4}-\d{2}$"),
    "quarterly": re.compile(r"^\d{4}Q[1-4]$"),
    "yearly": re.compile(r"^\d{4}$"),
}


@dataclass(frozen=True)
class LandingFile:
    """One file of the landing zone that fits a source's path template."""

    source: str
    brand: str
    store: str | None  # `_store` of its rows: path store, fixed store, or None
    period: str  # folder period as written: 2026-03-01, 2026-03, 2026Q1, 2026
    partition_key: str  # Dagster partition key of the period
    path: Path  # absolute path
    relpath: str  # posix path relative to the landing dir (what the manifest records)
    size: int
    mtime: float
    pulled_on: date | None  # from a `_pulledYYYYMMDD` suffix
    file_key: str  # file name without the _pulled suffix (unit of `replace: file`)
    ctime_ns: int = 0  # inode change time: moves on any rewrite, cannot be set back by a user
    inode: int = 0

    @property
    def fingerprint(self) -> str:
        """Cheap change detector (no content read): size, mtime, ctime (ns) and inode. An
        in-place rewrite keeping size and mtime (`touch -r`, a copy tool preserving times) still
        changes ctime, so the file is hashed again and reloaded if its bytes changed."""
        return f"{self.size}:{int(self.mtime * 1e9)}:{self.ctime_ns}:{self.inode}"

    @property
    def kind(self) -> str:
        return self.path.suffix.lower().lstrip(".")


@dataclass(frozen=True)
class RefusedPath:
    """A path in the landing zone that is never read, and why."""

    relpath: str
    source: str | None
    reason: str

    @property
    def fingerprint(self) -> str:
        return "refused:" + hashlib.sha256(f"{self.relpath}|{self.reason}".encode()).hexdigest()[:16]


def partition_key_of(kind: str, period: str) -> str:
    """The Dagster partition key of a folder period (see jd_pipeline/defs/partitions.py)."""
    if kind == "quarterly":
        return quarter_first_month(period)
    if kind == "monthly":
        return f"{period}-01"
    return period


def _valid_period(kind: str, period: str) -> bool:
    if not PERIOD_RES[kind].match(period):
        return False
    try:
        period_bounds(kind, period)
    except ValueError:
        return False
    return True


def _pulled_on(name: str) -> date | None:
    m = PULLED_RE.search(name)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def business_today() -> date:
    """Today in the business time zone (Asia/Shanghai): no pull can be dated after it."""
    from zoneinfo import ZoneInfo

    from jd_pipeline.config import BUSINESS_TIMEZONE

    return datetime.now(ZoneInfo(BUSINESS_TIMEZONE)).date()


def _pulled_problem(contract: Contract, name: str, period: str) -> str | None:
    """Why a `_pulled` date cannot be right: not a date, after today, or (daily sources) before
    the report day it reports on. Such a file would pin its period for ever (a typo'd future
    date always looks newest), so it is refused instead of loaded."""
    m = PULLED_RE.search(name)
    if not m:
        return None
    pulled = _pulled_on(name)
    if pulled is None:
        return f"_pulled date {m.group(1)} is not a valid date"
    if pulled > business_today():
        return f"_pulled date {pulled} is after today (Asia/Shanghai)"
    if contract.period_kind == "daily" and pulled < date.fromisoformat(period):
        return f"_pulled date {pulled} is before the report day {period}"
    return None


def classify(landing: Path, path: Path, contracts: dict[str, Contract]) -> LandingFile | RefusedPath:
    """Check one path against the templates; never opens the file."""
    rel = path.relative_to(landing)
    relpath = rel.as_posix()
    parts = rel.parts
    source = parts[0] if parts else None
    contract = contracts.get(source or "")

    def refuse(reason: str) -> RefusedPath:
        return RefusedPath(relpath=relpath, source=source if contract else None, reason=reason)

    if contract is None:
        return refuse(f"{relpath}: path fits no source (unknown folder {source!r})")
    if ".." in parts:
        return refuse(f"{relpath}: '..' in path")
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return refuse(f"{relpath}: broken or looping link")
        if not target.is_relative_to(landing.resolve()):
            return refuse(f"{relpath}: link points outside the landing zone")
    expected = 5 if contract.has_store_dir else 4
    if len(parts) != expected:
        layout = f"{contract.source}/<{contract.layout.replace('/', '>/<')}>/<file>"
        return refuse(f"{relpath}: path does not fit the template {layout}")
    brand, name = parts[1], parts[-1]
    store = parts[2] if contract.has_store_dir else contract.fixed_store()
    period = parts[-2]
    if not BRAND_RE.match(brand):
        return refuse(f"{relpath}: brand folder {brand!r} must match [a-z0-9_]{{2,32}}")
    if contract.has_store_dir and store not in STORES:
        return refuse(f"{relpath}: store folder {store!r} must be pop or self")
    if not _valid_period(contract.period_kind, period):
        return refuse(f"{relpath}: period folder {period!r} is not a valid {contract.period_kind} period")
    if not FILE_NAME_RE.match(name):
        return refuse(f"{relpath}: file name has characters outside [A-Za-z0-9._-] and CJK")
    problem = _pulled_problem(contract, name, period)
    if problem:
        return refuse(f"{relpath}: {problem}")
    kind = Path(name).suffix.lower().lstrip(".")
    if kind not in contract.file_kinds:
        return refuse(
            f"{relpath}: file type .{kind} not expected for {contract.source} ({', '.join(contract.file_kinds)})"
        )
    st = path.stat()
    return LandingFile(
        source=contract.source,
        brand=brand,
        store=store,
        period=period,
        partition_key=partition_key_of(contract.period_kind, period),
        path=path,
        relpath=relpath,
        size=st.st_size,
        mtime=st.st_mtime,
        pulled_on=_pulled_on(name),
        file_key=PULLED_RE.sub("", name),
        ctime_ns=st.st_ctime_ns,
        inode=st.st_ino,
    )


def walk_landing(landing_dir: Path | str, source: str | None = None) -> list[LandingFile | RefusedPath]:
    """Every file (and refused link/path) under the landing dir, or under one source's folder."""
    landing = Path(landing_dir).absolute()
    contracts = load_contracts()
    root = landing / source if source else landing
    if not root.is_dir():
        return []
    out: list[LandingFile | RefusedPath] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                rel = (here / d).relative_to(landing).as_posix()
                out.append(
                    RefusedPath(
                        rel,
                        rel.split("/")[0] if rel.split("/")[0] in contracts else None,
                        f"{rel}: linked directory, not followed",
                    )
                )
        dirnames.sort()
        for name in sorted(filenames):
            out.append(classify(landing, here / name, contracts))
    return out


def scan_landing(landing_dir: Path | str, source: str | None = None) -> list[LandingFile]:
    """The files the loader would read (all sources, or one), sorted by path."""
    return [f for f in walk_landing(landing_dir, source) if isinstance(f, LandingFile)]


def scan_refused(landing_dir: Path | str, source: str | None = None) -> list[RefusedPath]:
    """Paths that are refused (never read), with the reason."""
    return [f for f in walk_landing(landing_dir, source) if isinstance(f, RefusedPath)]


def scan_unknown_folders(landing_dir: Path | str) -> list[RefusedPath]:
    """Top-level entries of the landing zone that are no source (one refusal each, not read)."""
    landing = Path(landing_dir)
    if not landing.is_dir():
        return []
    contracts = load_contracts()
    return [
        RefusedPath(p.name, None, f"{p.name}: path fits no source (unknown folder {p.name!r})")
        for p in sorted(landing.iterdir())
        if p.name not in contracts
    ]


def newness(pulled_on: date | None, mtime: float, relpath: str) -> tuple[date, float, str]:
    """Sort key of deliveries: `_pulled` date first, then modification time, then path."""
    return (pulled_on or date.min, mtime, relpath)

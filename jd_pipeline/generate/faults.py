"""Planted bad inputs (issue 3's catalogue) and contract quirks, with a manifest of each one.

`--faults RATE`: for every delivered file and every fault kind that applies to it, the kind
is planted with probability RATE (one instance: one row, one header or the whole file), except
the file-breaking kinds (`FILE_BREAKING`): a file is unreadable with probability RATE, the kind
drawn among those that apply, and then carries no other fault. Delivery-level kinds (a copy of a file,
an earlier export of a day, a link out of the zone, stray paths) are planted per brand and
source at the same rate. Every instance is recorded as
`{"file": <path relative to out>, "row": <1-based data row or null>, "kind", "source", "detail"}`.
With RATE = 0 nothing is planted; the ordinary quirks (total/subtotal rows, 全国 rows,
`0001-01-01` unpaid timestamps, BOM, GB18030) are always there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from jd_pipeline.generate.frames import Col, Sheet

# kind -> what it is (documented in docs/generator.md)
KINDS: dict[str, str] = {
    # file-breaking (one per file at most)
    "wrong_encoding": "file written in another encoding than the contract's (UTF-16 / GB18030)",
    "empty_file": "0-byte file",
    "header_only": "header line/row only, no data",
    "missing_required_header": "a required column is missing",
    "xlsx_really_csv": "a .xlsx file that is really CSV text",
    # file-level, still readable
    "bom_variant": "BOM where none is expected, or no BOM where one is (UTF-8)",
    "extra_unknown_header": "an extra column the contract does not know",
    "header_variant": "header with spaces / full-width brackets / 点击率(%)",
    "truncated_last_line": "CSV cut in the middle of its last line",
    "date_format_variant": "a date column as YYYYMMDD, YYYY/M/D or Excel serial numbers",
    "thousands_currency": "a money column as `¥1,234.50` / `1,234.50`",
    "id_as_float": "an ID column as `100012345678.0`",
    # row-level
    "non_numeric": "a non-numeric text in a numeric column",
    "negative_quantity": "a negative quantity where not allowed",
    "date_outside_period": "a row dated outside the folder's period",
    "duplicate_key": "a detail row repeated (same key twice in the file)",
    "total_mismatch": "a total/subtotal row that disagrees with its detail rows",
    "excel_mangled_id": "an ID mangled by Excel (`1.23457E+13`)",
    "unknown_product_line": "a 产品线 outside the code map",
    "unknown_sku": "a SKU not in the product master",
    "non_cny_currency": "a ledger line in USD",
    "empty_marker": "`-`, `--`, `—` or `N/A` in a numeric cell (null)",
    "html_entity": "`&amp;` in a name",
    # delivery-level
    "same_file_twice": "the same bytes delivered again under another name (`-副本`)",
    "corrected_redelivery": "an earlier export of the same period, replaced by the later one",
    "path_outside_zone": "a symlink in the landing zone pointing outside it",
    "unexpected_path": "a file in a path that fits no source / with a forbidden name",
}
FILE_BREAKING = ["wrong_encoding", "empty_file", "header_only", "missing_required_header", "xlsx_really_csv"]
# Kinds the pipeline absorbs without a blocking check failing (quirks it parses, files it rejects
# or skips, deliveries it de-duplicates): what a demo can plant and still publish. Not here: row
# faults and empty markers (the detail rows no longer add up to a 合计 row), total mismatches,
# unknown 产品线 — each fails a blocking ingest check, as it should; nor a header-only file, which a
# daily source's day would load as a near-empty day, held until accepted (ingest/plausibility.py).
TOLERATED_KINDS = frozenset(
    {
        "wrong_encoding",
        "empty_file",
        "missing_required_header",
        "xlsx_really_csv",
        "bom_variant",
        "extra_unknown_header",
        "header_variant",
        "date_format_variant",
        "thousands_currency",
        "id_as_float",
        "html_entity",
        "same_file_twice",
        "corrected_redelivery",
        "path_outside_zone",
        "unexpected_path",
    }
)
ROW_KINDS = [
    "non_numeric",
    "negative_quantity",
    "date_outside_period",
    "duplicate_key",
    "total_mismatch",
    "excel_mangled_id",
    "unknown_product_line",
    "unknown_sku",
    "non_cny_currency",
    "empty_marker",
    "html_entity",
]


@dataclass(frozen=True)
class Roles:
    """Which columns of a file a fault may touch (headers as written; empty = not applicable)."""

    ids: tuple[str, ...] = ()  # text IDs (mangling, float rendering)
    required: str = ""  # a required header to drop
    date: str = ""  # date/timestamp column checked against the folder period
    date_kind: str = "date"  # date | ts | month | month_of_year
    qty: str = ""  # quantity that must not be negative
    money: tuple[str, ...] = ()  # money columns (separators, non-numeric)
    numeric: tuple[str, ...] = ()  # other numeric columns (empty markers)
    name: str = ""  # a name column for HTML entities
    sku: str = ""  # SKU column checked against the product master
    product_line: str = ""
    currency: str = ""
    header_variants: dict[str, str] = field(default_factory=dict)  # header -> variant


@dataclass
class FaultLog:
    rate: float
    rng: np.random.Generator
    records: list[dict] = field(default_factory=list)

    kinds: frozenset[str] | None = None  # None = every kind

    def allowed(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def hit(self, kind: str | None = None) -> bool:
        """One draw (always, so the other faults stay put whatever `kinds` is): planted or not."""
        return self.rate > 0 and self.rng.random() < self.rate and (kind is None or self.allowed(kind))

    def add(self, file: str, kind: str, source: str, row: int | None = None, detail: str = "") -> None:
        self.records.append({"file": file, "row": row, "kind": kind, "source": source, "detail": detail})


# --------------------------------------------------------------------------- sheet edits
def _pylist(sheet: Sheet, header: str) -> tuple[Col, list]:
    c = sheet.col(header)
    return c, c.values.to_pylist()


def set_cell(sheet: Sheet, header: str, row: int, value: str | None) -> None:
    c, vals = _pylist(sheet, header)
    vals[row] = value
    c.values = pa.array(vals, pa.string())
    c.quote_check = True


def map_col(sheet: Sheet, header: str, fn) -> None:
    c, vals = _pylist(sheet, header)
    c.values = pa.array([None if v is None else fn(v) for v in vals], pa.string())
    c.quote_check = True


def thousands(v: str, sign: str) -> str:
    try:
        x = float(v)
    except ValueError:
        return v
    return f"{sign}{x:,.2f}"


def date_variant(v: str, style: int) -> str:
    if len(v) < 10 or v[4] != "-":
        return v
    y, m, d = int(v[:4]), int(v[5:7]), int(v[8:10])
    if style == 0:
        return f"{y:04d}{m:02d}{d:02d}" + v[10:]
    if style == 1:
        return f"{y}/{m}/{d}" + v[10:]
    from datetime import date

    return str((date(y, m, d) - date(1899, 12, 30)).days)


def mangle(v: str) -> str:
    try:
        return f"{float(v):.5E}".replace("E+0", "E+")
    except ValueError:
        return "1.23457E+13"


def shift_date(v: str, days: int) -> str:
    from datetime import date, timedelta

    try:
        d = date.fromisoformat(v[:10]) + timedelta(days=days)
    except ValueError:
        return v
    return d.isoformat() + v[10:]


def plant_sheet(sheet: Sheet, roles: Roles, log: FaultLog, file: str, source: str, csv: bool) -> list[str]:
    """Edit the sheet in place; returns the file-breaking kind chosen for the bytes stage (if any)."""
    detail_rows = np.setdiff1d(np.arange(sheet.n_rows), np.array(sheet.total_rows, dtype=np.int64))
    if len(detail_rows) == 0 or log.rate <= 0:
        return []
    rng = log.rng

    used: set[int] = set()

    def row() -> int:
        """A detail row no other fault touched yet (if any is left), so faults never overlap."""
        free = [r for r in detail_rows.tolist() if r not in used] if len(used) < len(detail_rows) else []
        if not free:
            return -1
        r = int(rng.choice(free))
        used.add(r)
        return r

    def rec(kind: str, r: int | None, detail: str) -> None:
        log.add(file, kind, source, None if r is None else r + 1, detail)

    # file-breaking first, at most one: a file that cannot be read carries no other fault
    breaking = [k for k in FILE_BREAKING if (k != "xlsx_really_csv" or not csv) and log.allowed(k)]
    if not roles.required and "missing_required_header" in breaking:
        breaking.remove("missing_required_header")
    if log.hit() and breaking:  # one file in RATE is unreadable, the kind drawn among those that apply
        k = breaking[int(rng.integers(len(breaking)))]
        if k == "missing_required_header":
            sheet.cols = [c for c in sheet.cols if c.header != roles.required]
            rec(k, None, roles.required)
            return []
        return [k]
    if log.hit("duplicate_key"):  # first, so that the rows recorded below are final
        r = row()
        idx = np.insert(np.arange(sheet.n_rows), r + 1, r)
        new = sheet.take(idx)
        sheet.cols = new.cols
        sheet.total_rows = [t + 1 if t > r else t for t in sheet.total_rows]
        detail_rows = np.setdiff1d(np.arange(sheet.n_rows), np.array(sheet.total_rows, dtype=np.int64))
        used.update({r, r + 1})
        rec("duplicate_key", r + 1, "row repeated as the next row")
    if roles.date and roles.date_kind == "date" and log.hit("date_format_variant"):
        style = int(rng.integers(3))
        map_col(sheet, roles.date, lambda v: date_variant(v, style))
        if style == 2:
            sheet.col(roles.date).numeric = True
        rec("date_format_variant", None, f"{roles.date}: {['YYYYMMDD', 'YYYY/M/D', 'Excel serial'][style]}")
    if roles.ids and log.hit("excel_mangled_id") and (r := row()) >= 0:
        h = roles.ids[int(rng.integers(len(roles.ids)))]
        set_cell(sheet, h, r, mangle(sheet.col(h).values[r].as_py() or "0"))
        rec("excel_mangled_id", r, h)
    if roles.ids and log.hit("id_as_float"):
        h = roles.ids[0]
        map_col(sheet, h, lambda v: v + ".0" if v.isdigit() else v)
        rec("id_as_float", None, h)
    if roles.money and log.hit("thousands_currency"):
        h = roles.money[int(rng.integers(len(roles.money)))]
        sign = ["¥", "￥", ""][int(rng.integers(3))]
        map_col(sheet, h, lambda v: thousands(v, sign))
        rec("thousands_currency", None, f"{h}: {sign or 'separators'}")
    if (roles.money or roles.numeric) and log.hit("non_numeric") and (r := row()) >= 0:
        h = (roles.money + roles.numeric)[int(rng.integers(len(roles.money + roles.numeric)))]
        set_cell(sheet, h, r, ["abc", "#VALUE!", "暂无", "12..5"][int(rng.integers(4))])
        rec("non_numeric", r, h)
    if roles.numeric and log.hit("empty_marker") and (r := row()) >= 0:
        h = roles.numeric[int(rng.integers(len(roles.numeric)))]
        set_cell(sheet, h, r, ["-", "--", "—", "N/A"][int(rng.integers(4))])
        rec("empty_marker", r, h)
    if roles.qty and log.hit("negative_quantity") and (r := row()) >= 0:
        q = str(sheet.col(roles.qty).values[r].as_py() or "").lstrip("-")
        set_cell(sheet, roles.qty, r, "-" + (q if q.strip("0.") else "1"))  # never "-0"
        rec("negative_quantity", r, roles.qty)
    if roles.date and log.hit("date_outside_period") and (r := row()) >= 0:
        v = sheet.col(roles.date).values[r].as_py() or ""
        if roles.date_kind == "month":  # a monthly period: the month before
            y, m = int(v[:4]), int(v[5:7])
            shifted = f"{y - 1 if m == 1 else y}-{12 if m == 1 else m - 1:02d}"
        elif roles.date_kind == "month_of_year":  # a yearly period: the same month a year before
            shifted = f"{int(v[:4]) - 1}{v[4:]}"
        else:
            shifted = shift_date(v, -1) if v[:4].isdigit() and v[4:5] == "-" else v
        if shifted != v:  # (a date already rendered as an Excel serial is left alone)
            set_cell(sheet, roles.date, r, shifted)
            rec("date_outside_period", r, f"{roles.date}: {shifted}")
    if roles.name and log.hit("html_entity") and (r := row()) >= 0:
        set_cell(sheet, roles.name, r, (sheet.col(roles.name).values[r].as_py() or "") + " 套装&amp;礼盒")
        rec("html_entity", r, roles.name)
    if roles.sku and log.hit("unknown_sku") and (r := row()) >= 0:
        bad = str(90_000_000_000 + int(rng.integers(1_000_000_000)))
        set_cell(sheet, roles.sku, r, bad)
        rec("unknown_sku", r, bad)
    if roles.product_line and log.hit("unknown_product_line") and (r := row()) >= 0:
        set_cell(sheet, roles.product_line, r, "京东直通车Plus")
        rec("unknown_product_line", r, "京东直通车Plus")
    if roles.currency and log.hit("non_cny_currency") and (r := row()) >= 0:
        set_cell(sheet, roles.currency, r, "USD")
        rec("non_cny_currency", r, "USD")
    if sheet.total_rows and log.hit("total_mismatch"):
        r = int(rng.choice(sheet.total_rows))
        for c in sheet.cols:
            v = c.values[r].as_py()
            if c.numeric and v and v.replace(".", "", 1).lstrip("-").isdigit() and float(v) != 0:
                set_cell(sheet, c.header, r, f"{float(v) * 1.1 + 1:.2f}" if "." in v else str(int(v) + 7))
                rec("total_mismatch", r, c.header)
                break
    if log.hit("extra_unknown_header"):
        sheet.cols.append(Col("备用字段", pa.array(["x"] * sheet.n_rows, pa.string())))
        rec("extra_unknown_header", None, "备用字段")
    if roles.header_variants and log.hit("header_variant"):
        h, variant = list(roles.header_variants.items())[int(rng.integers(len(roles.header_variants)))]
        sheet.col(h).header = variant
        if variant.endswith(("(%)", "（%）")):  # such exports show 3.25 for 3.25%
            map_col(sheet, variant, lambda v: v.removesuffix("%"))
        rec("header_variant", None, f"{h} -> {variant!r}")
    return []

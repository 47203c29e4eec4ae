"""Restatements on top of a generated landing zone, for the nightly-equals-rebuild test.

The generator already delivers some of what sources.md allows to change after the fact (15 京准通
pulls of each report day, a GL month delivered open then closed, weekly agency snapshots, plan
versions). `plant_restatements` adds the rest to a generated landing zone, each as files with their
delivery time as mtime (Asia/Shanghai), so replaying the deliveries night by night exercises them:

| kind | what changes after the first delivery |
| --- | --- |
| pop_status_redelivered | a POP day first exported the next morning (cancellations not yet known, orders not yet completed), re-delivered 3 days later with the settled statuses |
| ads_repulls | every 京准通 report day pulled again every night for 15 days (generator) |
| po_moved_completion_day | a completed PO line's newer state moves 完成时间 to the next day and corrects 实收数量 |
| po_cancelled_after_completion | a completed PO line's newer state is 已取消 |
| gl_month_redelivered | a GL month re-delivered with changed lines (generator's closing entries, a corrected amount) |
| gl_voucher_moved | a voucher line leaves a month's re-delivery and arrives in the next month's ledger |
| plan_revision | a 滚动 sales-plan version of the remaining months (Apr–Dec) published within the window |
| product_master_change | a product-master delivery changes a SKU's 品类 and 单位成本 |
| inventory_redelivered | an inventory day re-delivered with corrected stock (RDC and 全国 rows) |
| agency_snapshots | weekly 30-60-90 plan snapshots, every one kept (generator) |

Every restatement lands within the last `NIGHTS_NEEDED` days before the as-of (some deliveries
are re-timed for it), so a replay of that many nights sees both the first delivery and the
restatement of each. `deliveries(landing)` lists the files by delivery day, for the replay.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl

from jd_pipeline.config import BUSINESS_TIMEZONE
from jd_pipeline.periods import add_months, month_start

TZ = ZoneInfo(BUSINESS_TIMEZONE)
RESTATEMENT_KINDS: dict[str, str] = {
    "pop_status_redelivered": "POP day exported early, re-delivered with settled statuses",
    "ads_repulls": "京准通 report days pulled again every night for 15 days",
    "po_moved_completion_day": "a completed PO line moves its 完成时间 and corrects 实收数量",
    "po_cancelled_after_completion": "a completed PO line is cancelled in a later export",
    "gl_month_redelivered": "a GL month re-delivered with changed lines",
    "gl_voucher_moved": "a voucher line moves from one month's ledger to the next",
    "plan_revision": "a sales-plan version of the remaining months published in the window",
    "product_master_change": "a master delivery changes a SKU's 品类 and 单位成本",
    "inventory_redelivered": "an inventory day re-delivered with corrected stock",
    "agency_snapshots": "weekly agency plan snapshots, every one kept",
}
# Every restatement lands in the last NIGHTS_NEEDED days before the as-of, so a replay of that many
# nights sees the first delivery and the restatement of each.
NIGHTS_NEEDED = 8
POP_EARLY_OFFSETS = (6, 5, 4)  # POP days (before the as-of) exported early, then settled 3 days later


# ------------------------------------------------------------------------------------- deliveries
def delivered_on(path: Path) -> date:
    return datetime.fromtimestamp(path.stat().st_mtime, TZ).date()


def deliver_at(path: Path, day: date, hour: int = 6) -> None:
    stamp = datetime.combine(day, time(hour), TZ).timestamp()
    os.utime(path, (stamp, stamp))


def deliveries(landing: Path) -> dict[date, list[Path]]:
    """Landing files by delivery day (mtime in Asia/Shanghai)."""
    out: dict[date, list[Path]] = {}
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        out.setdefault(delivered_on(path), []).append(path)
    return out


# ------------------------------------------------------------------------------------ csv helpers
def _read_csv(path: Path, encoding: str) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return rows[0], rows[1:]


def _write_csv(path: Path, encoding: str, header: list[str], rows: list[list[str]], day: date) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    data = buffer.getvalue().encode(encoding)
    if encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    deliver_at(path, day)


def _edit_xlsx(
    path: Path, target: Path, edit: Callable[[list[list[Any]]], list[list[Any]]], day: date
) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows = edit(rows)
    fresh = openpyxl.Workbook()
    for row in rows:
        fresh.active.append(row)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh.save(target)
    deliver_at(target, day)


# ------------------------------------------------------------------------------------ the kinds
def _pop_status_redelivered(landing: Path, brand: str, asof: date) -> list[str]:
    planted = []
    for day in (asof - timedelta(days=offset) for offset in POP_EARLY_OFFSETS):
        folder = landing / "jd_pop_orders" / brand / day.isoformat()
        finals = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        if not finals:
            continue
        deliver_at(finals[-1], day + timedelta(days=3))  # settled statuses, three days later
        header, rows = _read_csv(finals[-1], "gb18030")
        status, completed = header.index("订单状态"), header.index("订单完成时间")
        for row in rows:  # the morning after: nothing completed or cancelled yet
            if row[status] in ("完成", "已取消", "(删除)完成", "(删除)已取消"):
                row[status], row[completed] = "等待出库", ""
        early = folder / f"京麦订单导出_{day:%Y%m%d}_{day + timedelta(days=1):%Y%m%d}.csv"
        _write_csv(early, "gb18030", header, rows, day + timedelta(days=1))
        planted.append(str(early.relative_to(landing)))
    return planted


def _completed_po_lines(
    landing: Path, brand: str, first: date, last: date
) -> list[tuple[Path, list[str], list[str]]]:
    """(file, header, row) of lines completed in an export between first and last whose key
    appears in no later export."""
    folder = landing / "jd_vc_purchase_orders" / brand
    seen_later: dict[tuple[str, str], date] = {}
    found = []
    for day_dir in sorted(folder.iterdir()):
        day = date.fromisoformat(day_dir.name)
        for path in day_dir.glob("*.csv"):
            header, rows = _read_csv(path, "utf-8")
            for row in rows:
                key = (row[header.index("采购单号")], row[header.index("SKU")])
                seen_later[key] = max(day, seen_later.get(key, day))
                if (
                    first <= day <= last
                    and row[header.index("状态")] == "已完成"
                    and int(row[header.index("实收数量")] or 0) > 1
                ):
                    found.append((path, header, row, day))
    return [(p, h, r) for p, h, r, d in found if seen_later[(r[h.index("采购单号")], r[h.index("SKU")])] == d]


def _add_po_state(folder: Path, export_day: date, header: list[str], state: list[str], landing: Path) -> str:
    """The state joins that day's export (replace: period: one file per export day), delivered
    when that export was, or a new export delivered the next day."""
    existing = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if existing:
        _, rows = _read_csv(existing[-1], "utf-8")
        delivered = delivered_on(existing[-1])
        _write_csv(existing[-1], "utf-8", header, [*rows, state], delivered)
        return str(existing[-1].relative_to(landing))
    target = folder / f"采购单_{export_day:%Y%m%d}.csv"
    _write_csv(target, "utf-8", header, [state], export_day + timedelta(days=1))
    return str(target.relative_to(landing))


def _po_restatements(landing: Path, brand: str, asof: date) -> dict[str, list[str]]:
    lines = _completed_po_lines(landing, brand, asof - timedelta(days=8), asof - timedelta(days=6))
    if len(lines) < 2:
        return {}
    out: dict[str, list[str]] = {}
    for kind, (path, header, row) in zip(
        ("po_moved_completion_day", "po_cancelled_after_completion"), lines[:2]
    ):
        export_day = date.fromisoformat(path.parent.name) + timedelta(days=2)
        state = list(row)
        if kind == "po_moved_completion_day":
            completed = datetime.fromisoformat(row[header.index("完成时间")]) + timedelta(days=1)
            state[header.index("完成时间")] = completed.strftime("%Y-%m-%d %H:%M:%S")
            state[header.index("实收数量")] = str(int(row[header.index("实收数量")]) - 1)
        else:
            state[header.index("状态")] = "已取消"
        out[kind] = [
            _add_po_state(
                landing / "jd_vc_purchase_orders" / brand / export_day.isoformat(),
                export_day,
                header,
                state,
                landing,
            )
        ]
    return out


def _gl_restatements(landing: Path, brand: str, asof: date) -> dict[str, list[str]]:
    """Month Q (two before the as-of's) re-delivered closed within the nightly part, one voucher
    line left out; month P (the one before) delivered open with that line, then re-delivered with a
    corrected amount."""
    p_month = add_months(asof, -1)
    q_month = add_months(p_month, -1)
    q_dir = landing / "fin_opex_actuals" / brand / f"{q_month:%Y-%m}"
    p_dir = landing / "fin_opex_actuals" / brand / f"{p_month:%Y-%m}"
    q_files, p_files = sorted(q_dir.glob("*.csv")), sorted(p_dir.glob("*.csv"))
    if len(q_files) < 2 or not p_files:
        return {}
    header, q_rows = _read_csv(q_files[-1], "gb18030")
    moved, q_rows = q_rows[0], q_rows[1:]
    _write_csv(q_files[-1], "gb18030", header, q_rows, asof - timedelta(days=6))
    _, p_rows = _read_csv(p_files[0], "gb18030")
    last_day = month_start(asof) - timedelta(days=1)
    moved = list(moved)
    moved[header.index("会计期间")] = f"{p_month:%Y-%m}"
    moved[header.index("凭证日期")] = last_day.isoformat()
    _write_csv(p_files[0], "gb18030", header, [*p_rows, moved], asof - timedelta(days=5))
    corrected = [list(r) for r in p_rows] + [moved]
    debit = header.index("借方金额")
    corrected[0][debit] = f"{float(corrected[0][debit] or 0) + 123.45:.2f}"
    closed = p_dir / f"总账明细_{p_month:%Y%m}_{asof - timedelta(days=1):%Y%m%d}.csv"
    _write_csv(closed, "gb18030", header, corrected, asof - timedelta(days=1))
    return {
        "gl_month_redelivered": [str(q_files[-1].relative_to(landing)), str(closed.relative_to(landing))],
        "gl_voucher_moved": [str(p_files[0].relative_to(landing))],
    }


def _plan_revision(landing: Path, brand: str, start: date, asof: date) -> list[str]:
    """The 滚动 version published within the window keeps only the months from its quarter on; finance
    sends it within the replayed nights."""
    planted = []
    for path in sorted((landing / "fin_sales_plan" / brand).rglob("*滚动*.xlsx")):
        published = delivered_on(path)
        if not start <= published <= asof:
            continue
        first_month = f"{published.year}-{((published.month - 1) // 3 + 1) * 3 + 1:02d}"

        def remaining(rows: list[list[Any]], first_month: str = first_month) -> list[list[Any]]:
            month = rows[0].index("年月")
            return [rows[0], *[r for r in rows[1:] if str(r[month]) >= first_month]]

        _edit_xlsx(path, path, remaining, asof - timedelta(days=4))  # sent by finance a few days later
        planted.append(str(path.relative_to(landing)))
    return planted


def _master_change(landing: Path, brand: str, asof: date) -> list[str]:
    folder = landing / "ref_products" / brand / month_start(asof).isoformat()
    files = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
    if not files:
        return []

    def change(rows: list[list[Any]]) -> list[list[Any]]:
        header = rows[0]
        category, cost = header.index("品类"), header.index("单位成本")
        categories = sorted({r[category] for r in rows[1:]})
        row = rows[1]
        row[category] = next(c for c in categories if c != row[category]) if len(categories) > 1 else "其他"
        row[cost] = round(float(row[cost]) * 1.1 + 1, 2)
        return rows

    _edit_xlsx(files[-1], files[-1], change, delivered_on(files[-1]))
    return [str(files[-1].relative_to(landing))]


def _inventory_redelivered(landing: Path, brand: str, asof: date) -> list[str]:
    day = asof - timedelta(days=6)
    folder = landing / "jd_vc_inventory" / brand / day.isoformat()
    files = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
    if not files:
        return []

    def correct(rows: list[list[Any]]) -> list[list[Any]]:
        header = rows[0]
        sku, dc, on_hand = header.index("SKU"), header.index("配送中心"), header.index("库存件数")
        first = next(r for r in rows[1:] if r[dc] != "全国")
        for row in rows[1:]:
            if row[sku] == first[sku] and row[dc] in (first[dc], "全国"):
                row[on_hand] = int(row[on_hand]) + 5
        return rows

    target = folder / f"{files[-1].stem}_更正.xlsx"
    _edit_xlsx(files[-1], target, correct, day + timedelta(days=3))
    return [str(target.relative_to(landing))]


def _generator_kinds(landing: Path, brand: str, start: date, asof: date) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    ads_day = landing / "jd_ads" / brand / (asof - timedelta(days=5)).isoformat()
    pulls = sorted(ads_day.glob("*.csv")) if ads_day.is_dir() else []
    if len(pulls) > 1:
        out["ads_repulls"] = [str(p.relative_to(landing)) for p in pulls]
    snapshots = sorted((landing / "tp_action_plan" / brand).glob("*/*.xlsx"))
    if len(snapshots) > 1:
        out["agency_snapshots"] = [str(p.relative_to(landing)) for p in snapshots]
    return out


def plant_restatements(landing: Path, start: date, end: date) -> dict[str, list[str]]:
    """Add the restatements to a landing zone generated for [start, end] (as-of = end + 1, at
    least ~60 days). Returns, per kind, the files that carry it (kinds missing = not possible)."""
    asof = end + timedelta(days=1)
    found: dict[str, list[str]] = {}
    brands = sorted(p.name for p in (landing / "jd_pop_orders").iterdir() if p.is_dir())
    for brand in brands:
        parts: dict[str, list[str]] = {
            "pop_status_redelivered": _pop_status_redelivered(landing, brand, asof),
            "plan_revision": _plan_revision(landing, brand, start, asof),
            "product_master_change": _master_change(landing, brand, asof),
            "inventory_redelivered": _inventory_redelivered(landing, brand, asof),
            **_po_restatements(landing, brand, asof),
            **_gl_restatements(landing, brand, asof),
            **_generator_kinds(landing, brand, start, asof),
        }
        for kind, files in parts.items():
            if files:
                found.setdefault(kind, []).extend(files)
    return found

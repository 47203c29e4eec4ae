"""Delivering files into the landing layout: path, format, faults, mtime, statistics."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jd_pipeline.generate.faults import FaultLog, Roles, plant_sheet
from jd_pipeline.generate.frames import Sheet
from jd_pipeline.generate.writers import render_csv, render_xlsx, write_bytes


@dataclass(frozen=True)
class FileKind:
    fmt: str  # csv | xlsx
    encoding: str = "utf-8"
    bom: bool = False


FILE_KINDS: dict[str, FileKind] = {
    "jd_pop_orders": FileKind("csv", "gb18030"),
    "jd_vc_purchase_orders": FileKind("csv", "utf-8", True),
    "jd_ads": FileKind("csv", "utf-8", True),
    "fin_opex_actuals": FileKind("csv", "gb18030"),
}
XLSX = FileKind("xlsx")


def file_kind(source: str) -> FileKind:
    return FILE_KINDS.get(source, XLSX)


@dataclass
class SourceStats:
    files: int = 0
    rows: int = 0
    bytes: int = 0

    def add(self, other: SourceStats) -> None:
        self.files += other.files
        self.rows += other.rows
        self.bytes += other.bytes


@dataclass
class Sink:
    out: Path
    brand: str
    log: FaultLog
    stats: dict[str, SourceStats] = field(default_factory=dict)
    _dirs: set[Path] = field(default_factory=set)

    def path(self, source: str, store: str | None, period: str, filename: str) -> Path:
        parts = [source, self.brand] + ([store] if store else []) + [period, filename]
        return self.out.joinpath(*parts)

    def emit(
        self,
        source: str,
        sheet: Sheet,
        *,
        period: str,
        filename: str,
        delivered: date,
        store: str | None = None,
        roles: Roles | None = None,
        hour: int = 6,
        plant: bool = True,
    ) -> Path:
        kind = file_kind(source)
        path = self.path(source, store, period, filename)
        rel = path.relative_to(self.out).as_posix()
        breaking: list[str] = []
        if plant and self.log.rate > 0:
            sheet = sheet.expanded()
            breaking = plant_sheet(sheet, roles or Roles(), self.log, rel, source, kind.fmt == "csv")
        data = self._render(sheet, kind, breaking[0] if breaking else None, rel, source, plant)
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        write_bytes(path, data, delivered, hour, mkdir=False)
        st = self.stats.setdefault(source, SourceStats())
        st.files += 1
        st.rows += sheet.n_rows - len(sheet.total_rows)
        st.bytes += len(data)
        if plant and self.log.hit("same_file_twice"):
            copy = path.with_name(path.stem + "-副本" + path.suffix)
            write_bytes(copy, data, delivered, hour + 1, mkdir=False)
            self.log.add(copy.relative_to(self.out).as_posix(), "same_file_twice", source, None, rel)
            st.files += 1
        return path

    def _render(
        self, sheet: Sheet, kind: FileKind, breaking: str | None, rel: str, src: str, plant: bool
    ) -> bytes:
        log = self.log
        if breaking == "empty_file":
            log.add(rel, breaking, src)
            return b""
        if breaking == "header_only":
            log.add(rel, breaking, src)
            sheet = Sheet([type(c)(c.header, c.values.slice(0, 0), c.numeric) for c in sheet.cols])
        if kind.fmt == "xlsx":
            if breaking == "xlsx_really_csv":
                log.add(rel, breaking, src)
                return render_csv(sheet, "utf-8", bom=True)
            if breaking == "wrong_encoding":
                breaking = None  # not applicable to xlsx
            return render_xlsx(sheet)
        encoding, bom = kind.encoding, kind.bom
        if breaking == "wrong_encoding":
            encoding, bom = ("utf-16", False) if encoding == "gb18030" else ("gb18030", False)
            log.add(rel, breaking, src, None, encoding)
        elif plant and log.hit("bom_variant"):
            if encoding == "gb18030":
                encoding, bom = "utf-8", True
            else:
                bom = not bom
            log.add(rel, "bom_variant", src, None, f"{encoding} bom={bom}")
        data = render_csv(sheet, encoding, bom)
        if plant and breaking is None and sheet.n_rows > 1 and log.hit("truncated_last_line"):
            cut = data.rstrip(b"\r\n")
            last = cut.rfind(b"\n")
            keep = last + 1 + max(1, (len(cut) - last - 1) // 2)
            data = data[:keep]
            if encoding == "gb18030":  # never cut inside a multi-byte character
                data = data.decode("gb18030", errors="ignore").encode("gb18030")
            log.add(rel, "truncated_last_line", src, sheet.n_rows, "")
        return data

    def stray(self, source: str, kind: str, rel_target: str, delivered: date) -> None:
        """Delivery-level faults: a link out of the zone, or a path that fits no source."""
        if kind == "path_outside_zone":
            outside = self.out.parent / f"{self.out.name}_outside_{self.brand}.csv"
            write_bytes(outside, "机密,数据\r\n1,2\r\n".encode(), delivered)
            link = self.out / rel_target
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.is_symlink():
                os.symlink(os.path.relpath(outside, link.parent), link)
            self.log.add(rel_target, kind, source, None, f"-> {outside.name}")
        else:
            path = self.out / rel_target
            write_bytes(path, "备注,说明\r\n临时文件,请忽略\r\n".encode(), delivered)
            self.log.add(rel_target, kind, source, None, "fits no source")

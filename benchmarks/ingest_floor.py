"""The floor of ingest: the files the loader parsed, read bare into DuckDB tables.

Bare means only what any loader of these files must do: GB18030 CSVs transcoded to UTF-8 as a
stream (DuckDB cannot read GB18030 without an extension, and none can be downloaded here), every
CSV of a source read by one DuckDB `read_csv` (all columns as text, no header handling), every
workbook's first sheet read by python-calamine into an Arrow table and inserted. No contract, no
typing, no validation, no quarantine, no manifest, no checks.

The files are the ones `ops.load_manifest` says were read (rows_read > 0), so a delivery the loader
skipped (a duplicate, a pull superseded before it was read) is not read here either.

    python benchmarks/ingest_floor.py <warehouse.duckdb> <landing dir> [--scratch DIR]
"""

from __future__ import annotations

import argparse
import codecs
import json
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from python_calamine import CalamineWorkbook

TRANSCODE_CHUNK = 1 << 20


@dataclass
class SourceFloor:
    source: str
    files: int = 0
    rows: int = 0  # rows the bare read produced (header and preamble lines included)
    transcode_seconds: float = 0.0
    read_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.transcode_seconds + self.read_seconds


@dataclass
class Floor:
    sources: list[SourceFloor] = field(default_factory=list)
    rows_read_by_loader: int = 0

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.sources)

    @property
    def files(self) -> int:
        return sum(s.files for s in self.sources)

    def to_json(self) -> dict:
        return {
            "seconds": round(self.seconds, 2),
            "files": self.files,
            "rows_read_by_loader": self.rows_read_by_loader,
            "sources": [{**asdict(s), "seconds": round(s.seconds, 2)} for s in self.sources],
        }


def parsed_files(warehouse: Path, landing: Path) -> tuple[dict[str, list[Path]], int]:
    """Per source, the files the loader read (rows_read > 0; manifest paths are relative to the
    landing zone), and the rows it read from them."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "SELECT source, path, rows_read FROM ops.load_manifest WHERE rows_read > 0 ORDER BY source, path"
        ).fetchall()
    by_source: dict[str, list[Path]] = defaultdict(list)
    for source, path, _ in rows:
        by_source[source].append(landing / path)
    return dict(by_source), sum(int(r[2]) for r in rows)


def _is_utf8(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, target: Path) -> None:
    decoder = codecs.getincrementaldecoder("gb18030")("replace")
    with path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(TRANSCODE_CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))


def _csv_floor(conn: duckdb.DuckDBPyConnection, source: str, files: list[Path], scratch: Path) -> SourceFloor:
    floor = SourceFloor(source, files=len(files))
    began = time.perf_counter()
    readable: list[str] = []
    for number, path in enumerate(files):
        if _is_utf8(path):
            readable.append(str(path))
        else:
            copy = scratch / f"{source}-{number}.csv"
            _transcode(path, copy)
            readable.append(str(copy))
    floor.transcode_seconds = time.perf_counter() - began
    began = time.perf_counter()
    conn.execute(
        f'CREATE OR REPLACE TABLE "{source}" AS SELECT * FROM read_csv(?, all_varchar = true, header = false, '
        "union_by_name = true, null_padding = true, strict_mode = false)",
        [readable],
    )
    floor.rows = int(conn.execute(f'SELECT count(*) FROM "{source}"').fetchall()[0][0])
    floor.read_seconds = time.perf_counter() - began
    return floor


def _xlsx_floor(conn: duckdb.DuckDBPyConnection, source: str, files: list[Path]) -> SourceFloor:
    floor = SourceFloor(source, files=len(files))
    began = time.perf_counter()
    tables = []
    for path in files:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        width = max((len(r) for r in rows), default=0)
        columns = [[_text(r[i]) if i < len(r) else None for r in rows] for i in range(width)]
        tables.append(pa.table({f"column{i}": pa.array(c, pa.string()) for i, c in enumerate(columns)}))
    combined = pa.concat_tables(tables, promote_options="default") if tables else pa.table({})
    conn.register("sheets", combined)
    conn.execute(f'CREATE OR REPLACE TABLE "{source}" AS SELECT * FROM sheets')
    conn.unregister("sheets")
    floor.rows = combined.num_rows
    floor.read_seconds = time.perf_counter() - began
    return floor


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def measure_floor(warehouse: Path, landing: Path, scratch: Path | None = None) -> Floor:
    """Read bare every file the loader read from `landing` into `warehouse`; seconds per source."""
    files, rows_read = parsed_files(warehouse, landing)
    work = Path(tempfile.mkdtemp(prefix="jd-floor-", dir=scratch))
    floor = Floor(rows_read_by_loader=rows_read)
    try:
        with duckdb.connect(str(work / "floor.duckdb")) as conn:
            for source, paths in sorted(files.items()):
                csvs = [p for p in paths if p.suffix.lower() == ".csv"]
                books = [p for p in paths if p.suffix.lower() in (".xlsx", ".xls")]
                if csvs:
                    floor.sources.append(_csv_floor(conn, source, csvs, work))
                if books:
                    floor.sources.append(_xlsx_floor(conn, f"{source}_xlsx", books))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return floor


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--scratch", type=Path, help="where the transcoded copies go (default: the temp dir)")
    args = parser.parse_args()
    print(json.dumps(measure_floor(args.warehouse, args.landing, args.scratch).to_json(), indent=2))


if __name__ == "__main__":
    main()

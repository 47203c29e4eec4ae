"""The tolerant re-read of a damaged CSV: physical lines, one record at a time.

Used when DuckDB cannot read a file (mixed line endings stop its state machine) or when the rows
it parsed do not add up to the file's physical lines (an unbalanced quote swallows the rest of
the file into one field; blank lines). Each physical line is a record, except that a quoted
field may span up to JOIN_MAX following lines when the joined text is a well-formed record with
the header's field count (a legitimate multi-line product name). A line that is not a
well-formed record (unbalanced quote, wrong field count, over LINE_MAX characters, control
characters) is returned as a broken row with its line number; the good records are written to
a clean UTF-8 CSV that DuckDB reads as usual, so typing and validation stay in SQL.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from jd_pipeline.ingest.scan import FIELD_MAX

JOIN_MAX = 20  # lines a quoted field may span
LINE_MAX = 10_000_000  # bytes (UTF-8) of one record: DuckDB's max_line_size in the normal read
RAW_MAX = 2000  # characters of a broken line kept in the quarantine (sources without personal data)
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Split:
    good: list[int] = field(default_factory=list)  # row number (data line, header = 0) of each clean record
    broken: list[tuple[int, str, str]] = field(default_factory=list)  # (row number, reason, raw line)


def _lines(fh: TextIO) -> Iterator[tuple[int, str]]:
    for no, line in enumerate(fh, start=1):
        yield no, line.removesuffix("\n")


def _parse(record: str, delim: str) -> list[str] | None:
    try:
        return next(csv.reader([record], delimiter=delim, quotechar='"', doublequote=True, strict=True))
    except (csv.Error, StopIteration):
        return None


def _problem(record: str, fields: list[str] | None, ncols: int, labels: list[str]) -> str | None:
    if len(record) > LINE_MAX // 4 and (size := len(record.encode("utf-8"))) > LINE_MAX:
        return f"line of {size:,} bytes exceeds the limit of {LINE_MAX:,}"
    if fields is None:
        return "malformed quoting (a quote opened or closed in the wrong place)"
    if len(fields) != ncols:
        return f"expected {ncols} fields, found {len(fields)}"
    bad = [labels[i] for i, v in enumerate(fields) if CONTROL_RE.search(v)]
    if bad:
        return "control character (NUL or another byte below 0x20) in " + ", ".join(bad)
    long = [
        labels[i]
        for i, v in enumerate(fields)
        if len(v) > FIELD_MAX // 4 and len(v.encode("utf-8")) > FIELD_MAX
    ]
    if long:
        return f"field over {FIELD_MAX:,} bytes in " + ", ".join(long)
    return None


def split_file(path: Path, delim: str, labels: list[str], out: TextIO, withheld: str | None) -> Split:
    """Write the header and the well-formed records of `path` (UTF-8) to `out`; return the
    record numbers and the broken lines. `labels`: a name per header field (for messages);
    `withheld`: replaces the raw text of broken lines (sources with personal data)."""
    ncols = len(labels)
    csv.field_size_limit(
        max(csv.field_size_limit(), LINE_MAX)
    )  # the default 128 KiB would hide the size rule
    writer = csv.writer(out, delimiter=delim, lineterminator="\n")
    split = Split()
    with path.open("r", encoding="utf-8-sig", errors="replace", newline=None) as fh:  # CRLF, LF, CR
        lines = _lines(fh)
        pending: deque[tuple[int, str]] = deque()

        def take() -> tuple[int, str] | None:
            return pending.popleft() if pending else next(lines, None)

        header = take()
        if header is None:
            return split
        writer.writerow(_parse(header[1], delim) or [])
        while (item := take()) is not None:
            no, text = item
            if not text.strip():
                continue  # a blank line is no row
            record = text
            extra: list[tuple[int, str]] = []
            if text.count('"') % 2:
                joined = text
                while len(extra) < JOIN_MAX and (nxt := take()) is not None:
                    extra.append(nxt)
                    joined += "\n" + nxt[1]
                    if nxt[1].count('"') % 2:
                        break
                fields = _parse(joined, delim) if joined.count('"') % 2 == 0 else None
                if fields is not None and len(fields) == ncols:
                    record, extra = joined, []  # a quoted field spanning lines: one record
                else:
                    pending.extendleft(reversed(extra))  # those lines are read again on their own
            fields = _parse(record, delim)
            problem = _problem(record, fields, ncols, labels)
            if problem is None and fields is not None:  # _problem reports a line that does not parse
                writer.writerow(fields)
                split.good.append(no - 1)
            else:
                raw = (
                    withheld
                    if withheld is not None
                    else (record[:RAW_MAX] + ("…" if len(record) > RAW_MAX else ""))
                )
                split.broken.append((no - 1, f"line {no}: {problem}", raw))
    return split

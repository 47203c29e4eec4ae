"""Error text that may leave the loader (manifest reasons, logs, Dagster events) without data.

Database and parser messages can quote the value or the line they failed on (DuckDB's CSV
errors print the original line, cast errors the value). `safe_error` keeps the kind of error
and its first line with every quoted part replaced, so no cell content (personal data
included) is ever copied into a reason or a log.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|「[^」]*」")
_CUT_AT = ("Original Line", "original line", "Line:", "  file =")
MAX_LEN = 300


def safe_error(exc: BaseException | str) -> str:
    """The first line of an error message, quoted values withheld, at most MAX_LEN characters."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    for marker in _CUT_AT:
        if marker in first:
            first = first[: first.index(marker)].rstrip(" :")
    first = _QUOTED.sub("<value withheld>", first)
    if len(first) > MAX_LEN:
        first = first[:MAX_LEN] + "…"
    name = exc.__class__.__name__ if isinstance(exc, BaseException) else ""
    kind_given = "Error" in first.split(":")[0]  # DuckDB's own "Invalid Input Error: ..."
    return f"{name}: {first}" if name and not kind_given else first


class FileRejected(Exception):
    """The file cannot be read at all; the message names the file and the problem."""

"""Write report files so a reader never sees a half-written one and a failed build changes nothing.

Every file of a build is first written next to its target as a hidden temp file; only when all of
them are written are they renamed into place (`os.replace`, atomic per file on POSIX). Any error
before that removes the temp files and leaves the previous reports untouched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path


def publish_files(files: Mapping[Path, bytes]) -> list[Path]:
    """Write all `files` (path → content) atomically as a set of renames; returns the paths."""
    token = uuid.uuid4().hex[:8]
    staged: list[tuple[Path, Path]] = []
    try:
        for target, content in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{token}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            staged.append((tmp, target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return [target for _, target in staged]

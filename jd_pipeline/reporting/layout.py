"""Table shapes shared by the reports: a wide one-row-per-store table turned into metrics × stores.

A P&L or a campaign overview has ~20 figures for two stores: as columns it runs off an A4 page;
as rows (one per figure, a column per store and a 合计) it reads top to bottom and always fits.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from jd_pipeline.reporting.labels import column_label
from jd_pipeline.reporting.model import Format, Table


def transposed(
    sheet: str,
    title: str,
    frame: pd.DataFrame,
    key_col: str,
    metrics: Sequence[str],
    formats: dict[str, Format],
    model: str | None = None,
    total: dict[str, object] | None = None,
    labels: dict[str, str] | None = None,
    note: str = "",
) -> Table:
    """Rows = `metrics` (labelled from the dictionary), columns = the values of `key_col` (+ 合计).

    `total` gives the 合计 column's value per metric (None: no 合计 column); metrics missing from it
    stay empty there (a ratio is not a sum)."""
    labels = labels or {}
    rows = []
    for metric in metrics:
        dictionary_label = column_label(metric, model)
        label = labels.get(metric) or (dictionary_label.label_zh if dictionary_label else metric)
        row: dict[str, object] = {"item": label}
        for key, value in zip(frame[key_col], frame[metric]):
            row[str(key)] = value
        if total is not None:
            row["合计"] = total.get(metric)
        rows.append(row)
    out = pd.DataFrame(rows)
    value_cols = [c for c in out.columns if c != "item"]
    row_formats: list[Format] = [formats.get(m, "text") for m in metrics]
    text: dict[str, Format] = {c: "text" for c in [*value_cols, "item"]}
    return Table(
        sheet,
        title,
        out,
        text,
        model=None,
        labels={"item": "项目", **{c: c for c in value_cols}},
        cell_formats={c: row_formats for c in value_cols},
        note=note,
    )

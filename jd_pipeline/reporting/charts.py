"""Small matplotlib charts rendered to PNG bytes (inlined as base64 in the HTML, no network needed).

Conventions every report shares: POP店 is always `POP_COLOR`, 自营 always `SELF_COLOR`; value axes
are labelled in 万 / 亿 with few ticks (one unit per axis, labels never crowd); bars are sorted;
estimated points (a month without ledger) are drawn hollow and named in the legend; date windows
(campaign warm-up and main period) can be shaded.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from jd_pipeline.reporting.fonts import configure_matplotlib
from jd_pipeline.reporting.formatting import axis_label, axis_unit, to_float

POP_COLOR = "#c81623"  # JD red
SELF_COLOR = "#2f6fb3"  # blue
# Colours for series that are not a store (plan, budget, last year, …): never the store colours.
OTHER_COLORS = ("#8c8c8c", "#f0a30a", "#3a9d5d", "#7b4fa0", "#17becf", "#e377c2", "#5b5b5b")
POSITIVE, NEGATIVE, TOTAL = "#3a9d5d", "#c0504d", "#f0a30a"
DPI = 100
WARMUP_SHADE, MAIN_SHADE = "#fde9c8", "#f9d0d3"


def series_color(label: str, index: int) -> str:
    """POP and 自营 keep their colour in every chart; other series take the other colours in order."""
    if "POP" in label:
        return POP_COLOR
    if "自营" in label:
        return SELF_COLOR
    return OTHER_COLORS[index % len(OTHER_COLORS)]


@dataclass(frozen=True)
class Window:
    """A shaded stretch of a line chart's x axis, by category index (inclusive)."""

    first: int
    last: int
    label: str
    color: str


def _figure(width: float = 8.0, height: float = 3.4) -> tuple[plt.Figure, plt.Axes]:
    configure_matplotlib()
    fig, ax = plt.subplots(figsize=(width, height), dpi=DPI)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _values(series: Sequence[object]) -> np.ndarray:
    """Floats; a missing value stays NaN (a gap in a line, no bar), never 0."""
    out = []
    for v in series:
        try:
            out.append(np.nan if v is None else to_float(v))
        except (TypeError, ValueError):
            out.append(np.nan)
    return np.array(out, dtype=float)


def _money_axis(axis: matplotlib.axis.Axis, values: Sequence[np.ndarray], unit_name: str = "元") -> str:
    """万/亿 tick labels, at most 6 ticks; returns the axis unit text (e.g. 万元)."""
    finite = [np.nanmax(np.abs(v)) for v in values if len(v) and np.isfinite(v).any()]
    divisor, suffix = axis_unit(max(finite, default=0.0))
    axis.set_major_locator(MaxNLocator(nbins=5))
    axis.set_major_formatter(FuncFormatter(lambda v, _: axis_label(v, divisor, suffix)))
    return f"{suffix}{unit_name}"


def _legend(ax: plt.Axes) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _short(label: str, limit: int = 16) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def grouped_bars(
    categories: Sequence[str],
    series: Mapping[str, Sequence[object]],
    title: str,
    unit: str = "元",
    sort: bool = True,
) -> bytes:
    """Bars side by side per category, sorted by the first series (largest first)."""
    cats = [str(c) for c in categories]
    data = {k: _values(v) for k, v in series.items()}
    data = {k: v for k, v in data.items() if np.isfinite(v).any()} or data  # no legend for an empty series
    order = list(range(len(cats)))
    if sort and data:
        first = next(iter(data.values()))
        order = sorted(order, key=lambda i: -np.nan_to_num(first[i], nan=-np.inf))
    cats = [cats[i] for i in order]
    data = {k: v[order] for k, v in data.items()}
    fig, ax = _figure(max(7.0, min(12.0, 0.8 * len(cats) + 4)), 3.6)
    n = max(len(data), 1)
    width = 0.8 / n
    x = np.arange(len(cats))
    for i, (label, values) in enumerate(data.items()):
        ax.bar(
            x + (i - (n - 1) / 2) * width,
            np.nan_to_num(values),
            width,
            label=label,
            color=series_color(label, i),
        )
    rotate = len(cats) > 5 or max((len(c) for c in cats), default=0) > 8
    ax.set_xticks(
        x,
        [_short(c) for c in cats],
        rotation=30 if rotate else 0,
        ha="right" if rotate else "center",
        fontsize=8,
    )
    ax.set_ylabel(_money_axis(ax.yaxis, list(data.values()), unit) if unit else "")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=11)
    _legend(ax)
    return _png(fig)


def lines(
    x: Sequence[str],
    series: Mapping[str, Sequence[object]],
    title: str,
    unit: str = "元",
    estimated: Sequence[bool] | None = None,
    windows: Sequence[Window] = (),
    dashed: Sequence[str] = (),
    estimated_label: str = "估算 (总账未到)",
) -> bytes:
    """One line per series. `estimated[i]` marks point i of every series as an estimate (hollow marker);
    `windows` shade stretches of x; series named in `dashed` (last year) are drawn dashed."""
    xs = [str(v) for v in x]
    pos = np.arange(len(xs))
    fig, ax = _figure()
    for w in windows:
        ax.axvspan(w.first - 0.5, w.last + 0.5, color=w.color, alpha=0.8, lw=0, label=w.label, zorder=0)
    data = {k: _values(v) for k, v in series.items()}
    est = np.array(list(estimated) if estimated is not None else [False] * len(xs), dtype=bool)
    for i, (label, values) in enumerate(data.items()):
        color = series_color(label, i)
        style = "--" if label in dashed else "-"
        ax.plot(pos, values, style, color=color, lw=1.6, label=label, zorder=2)
        ax.plot(pos[~est], values[~est], "o", ms=3.5, color=color, zorder=3)
        if est.any():
            ax.plot(pos[est], values[est], "o", ms=6, mfc="white", mec=color, mew=1.5, zorder=3)
    if est.any():
        ax.plot([], [], "o", ms=6, mfc="white", mec="#444", mew=1.5, label=estimated_label)
    step = max(1, int(np.ceil(len(xs) / 14)))  # at most ~14 x labels: they never overlap
    ax.set_xticks(pos[::step], [xs[i] for i in range(0, len(xs), step)], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(-0.5, max(len(xs), 1) - 0.5)
    ax.set_ylabel(_money_axis(ax.yaxis, list(data.values()), unit) if unit else "")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=11)
    _legend(ax)
    return _png(fig)


def stacked_bars(
    categories: Sequence[str], series: Mapping[str, Sequence[object]], title: str, unit: str = "人"
) -> bytes:
    fig, ax = _figure(6.5, 3.2)
    cats = [str(c) for c in categories]
    bottom = np.zeros(len(cats))
    for i, (label, values) in enumerate(series.items()):
        vals = np.nan_to_num(_values(values))
        ax.bar(cats, vals, bottom=bottom, label=label, color=OTHER_COLORS[i % len(OTHER_COLORS)], width=0.5)
        bottom += vals
    ax.set_ylabel(_money_axis(ax.yaxis, [bottom], unit))
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=11)
    _legend(ax)
    return _png(fig)


def hbars(
    labels: Sequence[str],
    values: Sequence[object],
    title: str,
    colors: Sequence[str] | None = None,
    unit: str = "元",
    legend: Mapping[str, str] | None = None,
) -> bytes:
    """Horizontal bars, largest on top; names on the y axis (never overlapping), values in 万/亿."""
    vals = _values(values)
    order = sorted(
        range(len(vals)), key=lambda i: np.nan_to_num(vals[i], nan=-np.inf)
    )  # ascending: largest on top
    names = [_short(str(labels[i]), 22) for i in order]
    bar_colors = [(colors[i] if colors else SELF_COLOR) for i in order]
    fig, ax = _figure(8.0, max(2.4, 0.3 * len(names) + 1.2))
    ax.barh(np.arange(len(names)), np.nan_to_num(vals[order]), color=bar_colors)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_xlabel(_money_axis(ax.xaxis, [vals], unit) if unit else "")
    ax.grid(axis="x", alpha=0.3)
    for name, color in (legend or {}).items():
        ax.barh([0], [0], color=color, label=name)
    ax.set_title(title, fontsize=11)
    _legend(ax)
    return _png(fig)


def percent_hbars(
    labels: Sequence[str], values: Sequence[object], title: str, reference: float = 1.0
) -> bytes:
    """Horizontal bars of ratios shown as %, largest on top, with a reference line (e.g. 100 % = 达标)."""
    vals = _values(values)
    order = sorted(range(len(vals)), key=lambda i: np.nan_to_num(vals[i], nan=-np.inf))
    fig, ax = _figure(8.0, max(2.4, 0.3 * len(order) + 1.2))
    ax.barh(np.arange(len(order)), np.nan_to_num(vals[order]) * 100, color=OTHER_COLORS[2])
    ax.set_yticks(np.arange(len(order)), [_short(str(labels[i]), 22) for i in order], fontsize=8)
    ax.axvline(reference * 100, color="#444", lw=1, ls="--")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=11)
    return _png(fig)


def waterfall(steps: Sequence[tuple[str, float | None]], title: str, total_label: str) -> bytes:
    """Start at the first step, add the others (negative = a cost), end with a total bar."""
    fig, ax = _figure(max(8.0, min(12.0, 0.7 * len(steps) + 3)), 3.8)
    running = 0.0
    labels, bottoms, heights, colors = [], [], [], []
    for i, (label, value) in enumerate(steps):
        v = 0.0 if value is None else to_float(value)
        labels.append(label)
        if i == 0:
            bottoms.append(0.0)
            heights.append(v)
            colors.append(OTHER_COLORS[0])
        else:
            bottoms.append(running if v >= 0 else running + v)
            heights.append(abs(v))
            colors.append(POSITIVE if v >= 0 else NEGATIVE)
        running += v
    labels.append(total_label)
    bottoms.append(min(0.0, running))
    heights.append(abs(running))
    colors.append(TOTAL)
    ax.bar(range(len(labels)), heights, bottom=bottoms, color=colors)
    unit = _money_axis(ax.yaxis, [np.array(bottoms) + np.array(heights), np.array(bottoms)])
    divisor, suffix = axis_unit(max((abs(b + h) for b, h in zip(bottoms, heights)), default=0.0))
    for i, (b, h) in enumerate(zip(bottoms, heights)):
        if h:
            ax.text(i, b + h, axis_label(h, divisor, suffix), ha="center", va="bottom", fontsize=7)
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(title, fontsize=11)
    return _png(fig)


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    values: Sequence[Sequence[float | None]],
    title: str,
    xlabel: str = "",
    ylabel: str = "",
) -> bytes:
    """A ratio matrix (0..1) as coloured cells with their percentage; None cells stay blank."""
    fig, ax = _figure(max(6.0, 0.55 * len(cols) + 2.5), max(2.4, 0.32 * len(rows) + 1.4))
    grid = np.array([[np.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    masked = np.ma.masked_invalid(grid)
    cmap = matplotlib.colormaps["Reds"].with_extremes(bad="#ffffff")
    image = ax.imshow(masked, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if not np.isnan(grid[i, j]):
                ax.text(
                    j,
                    i,
                    f"{grid[i, j]:.0%}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if grid[i, j] > 0.6 else "#222",
                )
    ax.set_xticks(np.arange(len(cols)), list(cols), fontsize=8)
    ax.set_yticks(np.arange(len(rows)), list(rows), fontsize=8)
    ax.grid(False)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.colorbar(image, ax=ax, fraction=0.03, format=matplotlib.ticker.PercentFormatter(1.0))
    return _png(fig)

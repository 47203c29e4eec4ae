"""Small matplotlib charts rendered to PNG bytes (inlined as base64 in the HTML, no network needed)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from jd_pipeline.reporting.fonts import configure_matplotlib

PALETTE = ("#c81623", "#2f6fb3", "#8c8c8c", "#f0a30a", "#3a9d5d", "#7b4fa0", "#e377c2", "#17becf")
DPI = 90


def _figure(width: float = 7.5, height: float = 3.2) -> tuple[plt.Figure, plt.Axes]:
    configure_matplotlib()
    fig, ax = plt.subplots(figsize=(width, height), dpi=DPI)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _values(series: Sequence[object]) -> np.ndarray:
    return np.array([0.0 if v is None else float(v) for v in series], dtype=float)


def grouped_bars(
    categories: Sequence[str], series: Mapping[str, Sequence[object]], title: str, ylabel: str = ""
) -> bytes:
    """Bars side by side per category, one colour per series."""
    fig, ax = _figure(max(6.0, 0.9 * len(categories) + 3), 3.4)
    n = max(len(series), 1)
    width = 0.8 / n
    x = np.arange(len(categories))
    for i, (label, values) in enumerate(series.items()):
        ax.bar(x + (i - (n - 1) / 2) * width, _values(values), width, label=label, color=PALETTE[i % len(PALETTE)])
    ax.set_xticks(x, list(categories), rotation=20 if len(categories) > 5 else 0, ha="right" if len(categories) > 5 else "center")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, frameon=False)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return _png(fig)


def lines(x: Sequence[str], series: Mapping[str, Sequence[object]], title: str, ylabel: str = "") -> bytes:
    fig, ax = _figure()
    for i, (label, values) in enumerate(series.items()):
        ax.plot(list(x), _values(values), marker="o", ms=3, label=label, color=PALETTE[i % len(PALETTE)])
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.legend(fontsize=8, frameon=False)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return _png(fig)


def stacked_bars(categories: Sequence[str], series: Mapping[str, Sequence[object]], title: str) -> bytes:
    fig, ax = _figure(6.0, 3.2)
    bottom = np.zeros(len(categories))
    for i, (label, values) in enumerate(series.items()):
        vals = _values(values)
        ax.bar(list(categories), vals, bottom=bottom, label=label, color=PALETTE[i % len(PALETTE)])
        bottom += vals
    ax.set_title(title)
    ax.legend(fontsize=8, frameon=False)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return _png(fig)


def hbars(labels: Sequence[str], values: Sequence[object], title: str, color: str = PALETTE[1]) -> bytes:
    fig, ax = _figure(7.0, max(2.2, 0.28 * len(labels) + 1))
    vals = _values(values)
    ax.barh(list(labels)[::-1], vals[::-1], color=color)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    ax.tick_params(axis="y", labelsize=8)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return _png(fig)


def waterfall(steps: Sequence[tuple[str, object]], title: str, total_label: str) -> bytes:
    """Start at the first step, add the others (negative = a cost), end with a total bar."""
    fig, ax = _figure(max(6.5, 0.75 * len(steps) + 2), 3.4)
    running = 0.0
    labels, bottoms, heights, colors = [], [], [], []
    for i, (label, value) in enumerate(steps):
        v = 0.0 if value is None else float(value)
        labels.append(label)
        if i == 0:
            bottoms.append(0.0)
            heights.append(v)
            colors.append(PALETTE[1])
        else:
            bottoms.append(running if v >= 0 else running + v)
            heights.append(abs(v))
            colors.append(PALETTE[4] if v >= 0 else PALETTE[0])
        running += v
    labels.append(total_label)
    bottoms.append(min(0.0, running))
    heights.append(abs(running))
    colors.append(PALETTE[3])
    ax.bar(labels, heights, bottom=bottoms, color=colors)
    for i, (b, h) in enumerate(zip(bottoms, heights)):
        ax.text(i, b + h, f"{h:,.0f}", ha="center", va="bottom", fontsize=7)
    ax.axhline(0, color="#444", lw=0.8)
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return _png(fig)


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[object]], title: str,
            xlabel: str = "", ylabel: str = "") -> bytes:
    """A ratio matrix (0..1) as coloured cells with their percentage; None cells stay blank."""
    fig, ax = _figure(max(6.0, 0.55 * len(cols) + 2.5), max(2.4, 0.32 * len(rows) + 1.4))
    grid = np.array([[np.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    masked = np.ma.masked_invalid(grid)
    cmap = matplotlib.colormaps["Reds"].with_extremes(bad="#ffffff")
    image = ax.imshow(masked, cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] > 0.6 else "#222")
    ax.set_xticks(np.arange(len(cols)), list(cols), fontsize=8)
    ax.set_yticks(np.arange(len(rows)), list(rows), fontsize=8)
    ax.grid(False)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.colorbar(image, ax=ax, fraction=0.03, format=matplotlib.ticker.PercentFormatter(1.0))
    return _png(fig)

"""A CJK font for matplotlib that works on a fresh clone without system fonts.

Order of preference:
1. Noto Sans CJK SC shipped inside the `mplfonts` PyPI package (installed by `pip install -e .`),
   registered from the package path with `font_manager.addfont`;
2. any installed system font that covers Chinese (Noto Sans CJK, WenQuanYi, Source Han, SimHei).
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path

from matplotlib import font_manager

log = logging.getLogger(__name__)

PACKAGED_FONTS = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def _packaged_font_file() -> Path | None:
    try:
        folder = resources.files("mplfonts") / "fonts"
    except ModuleNotFoundError:
        return None
    for name in PACKAGED_FONTS:
        candidate = Path(str(folder / name))
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def cjk_font_family() -> str | None:
    """Register and return the family name of a CJK font (None if none is available)."""
    packaged = _packaged_font_file()
    if packaged is not None:
        font_manager.fontManager.addfont(str(packaged))
        return font_manager.FontProperties(fname=str(packaged)).get_name()
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in SYSTEM_FAMILIES:
        if family in installed:
            return family
    log.warning("No CJK font found: Chinese labels in charts will not render (pip install mplfonts).")
    return None


def configure_matplotlib() -> str | None:
    """Use the CJK font first for every chart; keep minus signs renderable."""
    import matplotlib

    matplotlib.use("Agg")
    family = cjk_font_family()
    if family:
        matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
        matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family

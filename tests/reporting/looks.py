"""What a reader would notice on a report page, measured from the DOM of headless Chromium.

Used by tests/reporting/test_report_looks.py on the fixture run and by
scripts/check_report_looks.py on any reports folder (e.g. the demo's last month).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

SCREEN_WIDTH = 1400
# A4 landscape (297 mm) less 2 × 10 mm page margins, at 96 px per inch.
A4_LANDSCAPE_CONTENT = round((297 - 20) / 25.4 * 96)
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
BAD_TEXT = re.compile(r"00:00:00|\bNaN\b|\bnan\b|\bNone\b|\bundefined\b|\bNaT\b|<NA>")
MODEL_NAME = re.compile(r"\b(fct|dim|stg|int)_[a-z0-9_]+")
MONEY_UNITS = {"元", "万元", "亿元"}

_MEASURE = """(width) => {
  const out = {pageWidth: document.documentElement.scrollWidth, overflowing: [], scrollingTables: []};
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !el.closest('.table-wrap')) {
      out.overflowing.push(el.tagName + ' ' + (el.className || '') + ' ' + Math.round(r.right));
    }
  }
  for (const w of document.querySelectorAll('.table-wrap')) {
    if (w.scrollWidth > w.clientWidth + 1) {
      const t = w.querySelector('table');
      out.scrollingTables.push((t && t.dataset.table) + ' ' + w.scrollWidth + '>' + w.clientWidth);
    }
  }
  return out;
}"""

_TEXTS = """() => ({
  headers: [...document.querySelectorAll('h1, h2, h3, th, .kpi .label')].map(e => e.innerText.trim()),
  bodyText: document.querySelector('header').innerText + '\\n' + document.querySelector('main').innerText,
  moneyCards: [...document.querySelectorAll('.kpi[data-fmt="money"]')].map(k => ({
    key: k.dataset.key, pending: k.dataset.pending === '1',
    unit: (k.querySelector('.unit') || {innerText: ''}).innerText.trim(),
    value: k.querySelector('.value').innerText.trim()})),
  images: [...document.querySelectorAll('img')].map(i => ({ok: i.complete && i.naturalWidth > 0, alt: i.alt})),
})"""


def problems_on_page(page: Page, width: int) -> list[str]:
    """Layout problems at the page's current viewport `width`."""
    m = page.evaluate(_MEASURE, width)
    out = []
    if m["pageWidth"] > width:
        out.append(f"page is {m['pageWidth']} px wide at {width} px")
    out += [f"wider than {width} px: {e}" for e in m["overflowing"][:5]]
    out += [f"table needs scrolling at {width} px: {t}" for t in m["scrollingTables"]]
    return out


def text_problems(page: Page) -> list[str]:
    t = page.evaluate(_TEXTS)
    out = []
    out += [f"snake_case header: {h!r}" for h in t["headers"] if SNAKE_CASE.search(h)]
    out += [f"model name outside the 数据来源 footnote: {h!r}" for h in t["headers"] if MODEL_NAME.search(h)]
    for bad in sorted(set(BAD_TEXT.findall(t["bodyText"]))):
        out.append(f"text shows {bad!r}")
    if MODEL_NAME.search(t["bodyText"]):
        out.append(f"model name in the body: {MODEL_NAME.search(t['bodyText']).group(0)}")
    for card in t["moneyCards"]:
        if card["pending"]:
            if "待总账" not in card["value"]:
                out.append(f"pending card {card['key']} does not say 待总账")
        elif card["value"] != "–" and card["unit"] not in MONEY_UNITS:
            out.append(f"money card {card['key']} has no unit ({card['value']!r})")
    out += [f"image not rendered: {i['alt']}" for i in t["images"] if not i["ok"]]
    return out


def check_report(page: Page, html: Path) -> list[str]:
    """All problems of one report: at 1400 px on screen and at A4 landscape width in print media."""
    page.set_viewport_size({"width": SCREEN_WIDTH, "height": 900})
    page.emulate_media(media="screen")
    page.goto(html.as_uri())
    found = problems_on_page(page, SCREEN_WIDTH) + text_problems(page)
    page.set_viewport_size({"width": A4_LANDSCAPE_CONTENT, "height": 900})
    page.emulate_media(media="print")
    found += [f"[A4] {p}" for p in problems_on_page(page, A4_LANDSCAPE_CONTENT)]
    page.set_viewport_size({"width": SCREEN_WIDTH, "height": 900})
    page.emulate_media(media="screen")
    return found

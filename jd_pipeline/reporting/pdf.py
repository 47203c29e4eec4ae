"""Report PDFs (A4 landscape) printed by headless Chromium, for forwarding in chat.

Playwright drives Debian's chromium (`scripts/system-packages.txt`; `JD_CHROMIUM` overrides the
path); nothing downloads a browser. Chromium embeds the glyphs of the CJK font it used (Noto Sans
CJK from fonts-noto-cjk, as Type3 fonts with ToUnicode), so the PDF reads the same anywhere and its text can be extracted.
One browser prints every report of a run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

# Off the network (this machine reaches only package registries) and runnable as root, headless.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PAGE_MARGIN = "10mm"


def chromium_executable() -> str:
    path = os.environ.get("JD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError(
            "headless chromium not found for the report PDFs: run `make system-deps` "
            "(installs Debian's chromium and fonts-noto-cjk) or set JD_CHROMIUM"
        )
    return path


@contextmanager
def pdf_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def html_to_pdf(browser: Browser, html: str) -> bytes:
    """Print one self-contained HTML page (charts inline) to an A4 landscape PDF."""
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.set_content(html, wait_until="load")
        page.emulate_media(media="print")
        return page.pdf(
            format="A4",
            landscape=True,
            print_background=True,
            margin={"top": PAGE_MARGIN, "bottom": PAGE_MARGIN, "left": PAGE_MARGIN, "right": PAGE_MARGIN},
        )
    finally:
        context.close()


def _print_all(htmls: list[str]) -> list[bytes]:
    with pdf_browser() as browser:
        return [html_to_pdf(browser, h) for h in htmls]


def htmls_to_pdfs(htmls: list[str]) -> list[bytes]:
    """PDFs of `htmls`, printed in a thread of their own: Playwright's sync API refuses to start in a
    thread whose asyncio loop is running (another Playwright session, an async caller)."""
    if not htmls:
        return []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-pdf") as pool:
        return pool.submit(_print_all, htmls).result()

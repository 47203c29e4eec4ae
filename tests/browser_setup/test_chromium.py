"""The browser setup itself: Debian chromium renders CJK text and a screenshot is kept."""

from __future__ import annotations

import subprocess

from tests.browser import screenshot


def test_a_cjk_font_is_installed_for_screenshots():
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=True)
    assert "Noto Sans CJK" in fonts.stdout, "fonts-noto-cjk missing: run `make system-deps`"


def test_chromium_renders_cjk_and_keeps_a_screenshot(page, tmp_path):
    html = tmp_path / "probe.html"
    html.write_text("<html><body><h1 id='t'>经营概览 ¥1,234.56</h1></body></html>", encoding="utf-8")
    page.goto(html.as_uri())
    assert page.inner_text("#t") == "经营概览 ¥1,234.56"
    shot = screenshot(page, "browser_setup_probe")
    assert shot.stat().st_size > 1000

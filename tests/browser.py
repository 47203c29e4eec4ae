"""One headless-browser setup for every test that looks at a page (Dagster UI, reports, BI).

Playwright drives Debian's `chromium` (installed by `scripts/install-system-deps.sh`); nothing
downloads a browser. A missing browser is a test failure, never a skip: CI must look.
Screenshots go to `$JD_TEST_ARTIFACTS` (default `test-artifacts/` in the repo), kept by CI.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

REPO_ROOT = Path(__file__).resolve().parent.parent

# The flags keep Chromium off the network (this machine reaches only package registries) and
# make it run as root without a sandbox, as CI does.
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


def chromium_executable() -> str:
    """Path of the system Chromium; fails loudly when the setup did not install it."""
    path = os.environ.get("JD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError("headless chromium not found: run `make system-deps` (installs Debian's chromium)")
    return path


def artifacts_dir() -> Path:
    root = Path(os.environ.get("JD_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
    (root / "screenshots").mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium browser, closed on exit."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG under the artifacts folder and return its path."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = artifacts_dir() / "screenshots" / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""Run the report looking checks (tests/reporting/looks.py) on a reports folder, e.g. the demo's:

    .venv/bin/python scripts/check_report_looks.py data/reports/acme/2026-06 data/reports/acme/2026Q2

Prints the problems per report, keeps screenshots under test-artifacts/screenshots/, exits 1 on any.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import chromium, screenshot
from tests.reporting.looks import check_report


def main(folders: list[str]) -> int:
    failed = 0
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN").new_page()
        for folder in folders:
            for html in sorted(Path(folder).rglob("*.html")):
                problems = check_report(page, html)
                screenshot(page, "look_" + "_".join(html.with_suffix("").parts[-3:]))
                print(f"{'FAIL' if problems else 'ok  '} {html}")
                for p in problems:
                    print(f"       {p}")
                failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

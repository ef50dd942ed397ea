"""Screenshots of the published example at a phone's width and a desktop's, to review by eye.

Publishes the example call (with its provisional round) into a temporary folder and writes
PNG files of the index, a round, a project and the budget page at 375 and 1280 px to
``--out`` (default ``screenshots/``, which git ignores). Needs the test extras (Playwright)
and Chromium (``/usr/bin/chromium``, or ``--chromium PATH``).

    python scripts/screenshots.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "index": "index.html",
    "round": "rounds/2021Q3.html",
    "project": "projects/lovelace.html",
    "budget": "budget.html",
}
WIDTHS = (375, 1280)


def main() -> None:
    """Publish the example, then photograph each page at each width."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "public"
        subprocess.run(
            [sys.executable, "-m", "gen_cli", "publish", "--call", str(ROOT / "dossiers"),
             "--out", str(site), "--draft"],
            check=True,
        )  # fmt: skip
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium)
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                for name, path in PAGES.items():
                    page.goto((site / path).as_uri())
                    target = args.out / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                page.close()
            browser.close()


if __name__ == "__main__":
    main()

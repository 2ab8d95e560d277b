"""Screenshots of the built book's first screens (scoreboard and one notebook) for the README.

    python -m attrprior.compendium.screenshots [build/book/_build/html]

Needs headless Chromium (``apt-get install chromium``); writes ``book/screenshots/*.png`` at a 1,280 × 900 window.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PAGES = {"scoreboard.png": "scoreboard.html", "notebook-05.png": "notebooks/05_dapr.html"}


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    html = Path(argv[0]) if argv else ROOT / "build" / "book" / "_build" / "html"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("screenshots: chromium not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    out = ROOT / "book" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        for name, page_path in PAGES.items():
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto((html / page_path).as_uri(), wait_until="load", timeout=120_000)
            page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.wait_for_timeout(1000)
            page.screenshot(path=str(out / name))
            print(f"screenshots: {out / name}")
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

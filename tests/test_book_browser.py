"""The built book, read in a real browser (headless Chromium through Playwright), as a reader would.

Every page must load nothing from the network, render its math (no raw TeX left), log no JavaScript error, show
no progress bar, warning or local path, and no figure shrunk below 80 % of its width; the scoreboard must show its
verdict column inside a 1,280 px window. The book is built at the ``smoke`` profile
into a temporary folder (set ``ATTRPRIOR_BROWSER_BOOK=<html folder>`` to check an existing build instead, e.g.
the ``default`` book of ``make book``). Skipped, saying why, where Chromium is not installed
(``apt-get install chromium``; ``.ci/run`` installs it).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{")
NOISE = {  # what a reader should never meet in a rendered page
    "a progress bar": re.compile(r"\d+%\|[^\n|]{0,80}\|\s*\d+/\d+|\d+(\.\d+)?\s?(it/s|s/it)\]"),
    "a Python warning": re.compile(r"\b\w*Warning: |warnings\.warn\("),
    "a local path": re.compile(r"(/home/|/root/|/work/|/tmp/|\.venv/|site-packages/|\.tmp-)"),
    "the issue tracker's wording": re.compile(r"\b[Ii]ssues? \d+\b"),
}
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed: apt-get install chromium")


@pytest.fixture(scope="module")
def html_dir(tmp_path_factory) -> Path:
    given = os.environ.get("ATTRPRIOR_BROWSER_BOOK")
    if given:
        return Path(given)
    build = tmp_path_factory.mktemp("smoke-book")
    env = {**os.environ, "ATTRPRIOR_PROFILE": "smoke"}
    for module in ("attrprior.run", "attrprior.compendium.book"):
        args = [sys.executable, "-m", module, "--profile", "smoke", "--build-dir", str(build)]
        if module == "attrprior.run":
            args.append("--no-progress")
        proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        assert proc.returncode == 0, f"{module} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return build / "book" / "_build" / "html"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _pages(html_dir: Path) -> list[Path]:
    pages = [html_dir / f"{n}.html" for n in ("intro", "scoreboard", "methods", "data")]  # index.html: a redirect
    pages += sorted((html_dir / "notebooks").glob("*.html"))
    return [p for p in pages if p.is_file()]


def _visit(browser, page_path: Path) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.as_uri(), wait_until="load", timeout=120_000)
    page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.wait_for_timeout(1000)  # late requests (fonts, lazy scripts) still get recorded
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    # what the reader is shown as prose or as a cell's output (code written as an instruction may name .venv/ etc.)
    shown = page.evaluate("""() => {
        const main = document.querySelector('main') || document.body;
        const outputs = Array.from(main.querySelectorAll('.cell_output')).map(e => e.textContent).join('\\n');
        const prose = main.cloneNode(true);
        prose.querySelectorAll('pre, code, .cell_input, .cell_output').forEach(e => e.remove());
        return outputs + '\\n' + prose.textContent;
    }""")
    out = {"page": page, "requests": requests, "errors": errors, "text": text, "shown": shown}
    return out


def test_every_page_is_offline_renders_math_and_has_no_js_errors_or_noise(html_dir, browser):
    pages = _pages(html_dir)
    assert len(pages) >= 5, f"expected the book's pages under {html_dir}"
    problems = []
    for path in pages:
        seen = _visit(browser, path)
        remote = [u for u in seen["requests"] if urlparse(u).scheme not in ("file", "data", "blob", "about")
                  and urlparse(u).hostname not in ("localhost", "127.0.0.1")]
        tex = RAW_TEX.findall(seen["text"])
        if remote:
            problems.append(f"{path.name}: loads from the network: {sorted(set(remote))[:3]}")
        if tex:
            problems.append(f"{path.name}: raw TeX left in the text ({len(tex)}×, e.g. {tex[0]!r})")
        for what, pattern in NOISE.items():
            hit = pattern.search(seen["shown"])
            if hit:
                problems.append(f"{path.name}: {what} in the text: {hit.group(0)!r}")
        if seen["errors"]:
            problems.append(f"{path.name}: JavaScript errors: {seen['errors'][:2]}")
        seen["page"].close()
    assert not problems, "\n".join(problems)


def test_scoreboard_verdicts_fit_a_1280px_window(html_dir, browser):
    seen = _visit(browser, html_dir / "scoreboard.html")
    page = seen["page"]
    cells = page.locator("table td:has(.sd-badge)")
    assert cells.count() > 0, "the scoreboard shows no verdict badges"
    right = max(box["x"] + box["width"] for box in (cells.nth(i).bounding_box() for i in range(cells.count())))
    first = page.locator("table").first.locator("th, td")  # the per-paper counts: read whole on the first screen
    summary_right = max(first.nth(i).bounding_box()["x"] + first.nth(i).bounding_box()["width"]
                        for i in range(first.count()))
    summary_bottom = max(first.nth(i).bounding_box()["y"] + first.nth(i).bounding_box()["height"]
                         for i in range(first.count()))
    page.close()
    assert right <= 1280, f"verdict column ends at {right:.0f} px, outside a 1,280 px window"
    assert summary_right <= 1280, f"the per-paper counts end at {summary_right:.0f} px, outside a 1,280 px window"
    assert summary_bottom <= 900, f"the per-paper counts end {summary_bottom:.0f} px down, below a 1,280 × 900 first screen"


def test_no_figure_is_shrunk_below_80_percent(html_dir, browser):
    """At 1,280 px a figure drawn wider than the text column is scaled down, and its tick labels with it."""
    problems = []
    for path in _pages(html_dir):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(path.as_uri(), wait_until="load", timeout=120_000)
        images = page.evaluate("""() => Array.from(document.querySelectorAll('main img'))
            .filter(i => i.complete && i.naturalWidth > 0 && i.offsetParent !== null)
            .map(i => [i.getAttribute('src').slice(-48), i.naturalWidth, i.getBoundingClientRect().width])""")
        page.close()
        problems += [f"{path.name}: {src} shown at {shown / natural:.0%} of its {natural} px"
                     for src, natural, shown in images if shown < 0.8 * natural]
    assert not problems, "\n".join(problems)

"""The report pages read in headless Chromium (Debian's, never a download), as a reader would: one
check of a page at one window width, returning what is wrong with it (empty: nothing).

Used by tests/integration/test_report_page.py on the tiny world it builds and, to check pages
that exist already (a full-size year), on any data folder:

    STATEOFML_REPORT_DATA_DIR=/work/data/full2022 .venv/bin/python -m pytest \\
        tests/integration/test_report_page.py -k existing -s

which also leaves screenshots of every page and of every chart under test-artifacts/.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# A reader's widths: desktop, tablet, phone (the page must fit from 360 px up).
WIDTHS = (1280, 820, 360)

# Pairs of text labels of one axis (or one legend) whose boxes intersect by more than this many
# pixels both ways: labels that run together. Vega hides the labels its overlap rule drops by
# giving them opacity 0; those are not read.
OVERLAPPING_LABELS_JS = """(tolerance) => {
  const found = [];
  for (const box of document.querySelectorAll('.chart-box')) {
    for (const group of box.querySelectorAll('g.role-axis-label, g.role-legend-label, g.role-axis-title')) {
      const texts = Array.from(group.querySelectorAll('text'))
        .filter(t => t.textContent.trim() && Number(getComputedStyle(t).opacity || 1) > 0
                     && t.getAttribute('opacity') !== '0')
        .map(t => [t.textContent, t.getBoundingClientRect()]);
      for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
        const [a, ra] = texts[i], [b, rb] = texts[j];
        const dx = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const dy = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (dx > tolerance && dy > tolerance) found.push(`${box.dataset.chart}: "${a}" / "${b}"`);
      }
    }
  }
  return found;
}"""

# Text the chart draws outside its own box (cut off by the column or running into the next chart).
OUTSIDE_JS = """() => Array.from(document.querySelectorAll('.chart-box')).flatMap(box => {
  const r = box.getBoundingClientRect();
  return Array.from(box.querySelectorAll('svg text')).filter(t => {
    const q = t.getBoundingClientRect();
    return t.textContent.trim() && q.width > 0 && (q.left < r.left - 1 || q.right > r.right + 1);
  }).map(t => `${box.dataset.chart}: "${t.textContent}" outside its box`);
})"""

# A headline figure broken over two lines ("122,66" / "3,577" at 360 px) reads as two numbers.
WRAPPED_FIGURES_JS = """() => Array.from(document.querySelectorAll('.headline data')).filter(d => {
  const rects = d.getClientRects();
  return rects.length > 1 || d.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(d).lineHeight || 0);
}).map(d => `headline figure "${d.textContent}" wraps over lines`)"""


@dataclass
class PageCheck:
    """What one page at one width showed."""

    url: str
    width: int
    problems: list[str] = field(default_factory=list)
    charts: int = 0
    seconds: float = 0.0  # from navigation to every chart drawn at its width
    requests: list[str] = field(default_factory=list)
    title: str = ""  # the document's title once drawn (a script from the data would change it)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def broken_links(tab, url: str) -> list[str]:
    """Every link of the open page that does not resolve: a missing anchor or a missing file."""
    broken = []
    # The chart library's own menu (export as SVG / PNG) is not the report's: its links are buttons.
    hrefs = tab.eval_on_selector_all("a[href]", "as => as.filter(a => !a.closest('.vega-actions'))"
                                                ".map(a => a.getAttribute('href'))")
    for href in hrefs:
        if href.startswith("#"):
            if not tab.locator(f"[id='{href[1:]}']").count():
                broken.append(href)
        elif not href.startswith("data:"):
            target = Path(unquote(urlparse(url).path)).parent / href.split("#")[0]
            if not target.resolve().is_file():
                broken.append(href)
    return broken


def check_page(browser, url: str, width: int, *, screenshots: Path | None = None, chart_shots: bool = False,
               timeout_ms: int = 60_000) -> PageCheck:
    """Open ``url`` in a ``width`` px window and read it: no horizontal page scroll, every chart
    drawn within its box, no labels running together, every link resolves, no console error and
    no request leaving the file. ``screenshots``: a folder for the full page (and, ``chart_shots``,
    each chart) as PNG."""
    check = PageCheck(url, width)
    name = Path(unquote(urlparse(url).path)).stem
    tab = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    tab.on("request", lambda r: check.requests.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("dialog", lambda d: (errors.append(f"dialog opened: {d.message}"), d.dismiss()))
    tab.route(re.compile(r"^https?://"), lambda route: route.abort())
    try:
        t0 = time.monotonic()
        tab.goto(url, timeout=timeout_ms)
        check.charts = tab.locator(".chart-box").count()
        try:
            tab.wait_for_function(f"document.querySelectorAll('.chart-box[data-fitted]').length === {check.charts}",
                                  timeout=timeout_ms)
        except Exception:  # noqa: BLE001 - reported as a problem, the other checks still run
            missing = tab.eval_on_selector_all(".chart-box:not([data-fitted])", "bs => bs.map(b => b.dataset.chart)")
            check.problems.append(f"charts not drawn to fit: {missing}")
        check.seconds = round(time.monotonic() - t0, 2)
        check.title = tab.title()
        if not tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            check.problems.append(f"page scrolls sideways: {tab.evaluate('document.documentElement.scrollWidth')} px wide")
        drawn = tab.locator(".chart-box svg.marks, .chart-box canvas").count()
        if drawn != check.charts:
            check.problems.append(f"{drawn} charts drawn of {check.charts}")
        too_wide = tab.evaluate("""() => Array.from(document.querySelectorAll('.chart-box'))
            .filter(b => b.querySelector('svg') && b.querySelector('svg').getBoundingClientRect().width
                         > b.getBoundingClientRect().width + 1).map(b => b.dataset.chart)""")
        check.problems += [f"{c}: wider than its column" for c in too_wide]
        check.problems += [f"labels overlap: {o}" for o in tab.evaluate(OVERLAPPING_LABELS_JS, 2)]
        check.problems += tab.evaluate(OUTSIDE_JS)
        check.problems += tab.evaluate(WRAPPED_FIGURES_JS)
        check.problems += [f"broken link: {h}" for h in broken_links(tab, url)]
        check.problems += [f"console error: {e}" for e in errors]
        check.problems += [f"request leaves the file: {r}" for r in check.requests if not r.startswith(("file://", "data:"))]
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(screenshots / f"{name}-{width}.png"), full_page=True)
            if chart_shots:
                for i in range(check.charts):
                    box = tab.locator(".chart-box").nth(i)
                    chart = box.get_attribute("data-chart")
                    box.screenshot(path=str(screenshots / f"{name}-{width}-{chart}.png"))
    finally:
        tab.close()
    return check

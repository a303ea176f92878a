"""A hand-built half year through every asset to the report pages, then the pages read back and
opened in headless Chromium (Debian's, never a download).

One materialization for the module: 2022 Q3..Q4 of tests/landing_builder.tiny_world as one run,
plus a corporate user whose profile's industry is a script. The run writes the 2022 page, the
views of 2022 Q3 and Q4, and the index; each page must be one self-contained file assembled from
the chart assets' files, fit 1280, 820 and 360 px windows, draw every chart without labels running
together, keep every link, and never run the profile's script (tests/report_browser.py reads a page).
`test_existing_report_pages` reads pages built elsewhere the same way (a full-size year):

    STATEOFML_REPORT_DATA_DIR=<data dir> .venv/bin/python -m pytest tests/integration/test_report_page.py -k existing -s
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.charts.registry import ALL_CHARTS
from assets.charts.render import vendor_bundle
from assets.report.paths import index_path, page_path, snapshot_path
from stateofml.cli import main
from stateofml.platform.project import PROJECT_ROOT
from stateofml.quarters import Quarter
from tests.landing_builder import tiny_world, ts, write_records
from tests.pipeline import materialize_quarters
from tests.report_browser import WIDTHS, check_page, launch

Q3, Q4 = Quarter(2022, 3), Quarter(2022, 4)
# A profile value written to run in a reader's browser: it must stay text everywhere.
EVIL = "</script><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
QUARTERLY = [s.name for s in ALL_CHARTS if s.period == "quarter"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "report"


def hostile_profile(landing: Path) -> None:
    """u6 (France, corporate, industry = a script) runs once in 2022 Q4."""
    write_records(landing, "users", [dict(user_id="u6", signup_at=ts(2022, 2, 1), country_code="FR",
                                          profession="corporate", industry=EVIL, updated_at=ts(2022, 2, 1))],
                  name="hostile.parquet")
    write_records(landing, "runs", [dict(run_id="r7", user_id="u6", created_at=ts(2022, 12, 5, 9),
                                         started_at=ts(2022, 12, 5, 9), runtime_seconds=1800.0, state="finished",
                                         gpu="Tesla T4", gpu_count=1, telemetry_imports=[1])], name="hostile.parquet")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = tmp_path_factory.mktemp("report") / "data"
    tiny_world(data / "landing")
    hostile_profile(data / "landing")
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize_quarters(data, instance, Q3.compact, Q4.compact)
        metadata = {ev.asset_key.path[-1]: ev.materialization.metadata
                    for ev in result.get_asset_materialization_events()}
    return data, metadata


@pytest.fixture(scope="module")
def page(built) -> str:
    data, _ = built
    return page_path(data / "reports", 2022).read_text(encoding="utf-8")


def figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'<figure class="chart" id="[^"]+" data-chart="([^"]+)">(.*?)</figure>', page, re.S))


def pages(data: Path) -> list[Path]:
    """Every published page: the year's, the quarters' views, the index."""
    report = data / "reports" / "report"
    return [page_path(data / "reports", 2022), report / "state_of_ml_2022Q3.html",
            report / "state_of_ml_2022Q4.html", index_path(data / "reports")]


def test_the_run_writes_the_year_page_the_quarter_views_and_the_index(built, page):
    data, metadata = built
    reports = data / "reports"
    assert snapshot_path(reports, Q4).read_text(encoding="utf-8") == page
    assert sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.html") if "charts" not in p.parts) == [
        "2022Q3/state_of_ml_2022Q3.html", "2022Q4/state_of_ml_2022.html",
        "2022Q4/state_of_ml_2022Q4.html", "report/index.html", "report/state_of_ml_2022.html",
        "report/state_of_ml_2022Q3.html", "report/state_of_ml_2022Q4.html"]
    assert metadata["state_of_ml_page"]["quarter_views"].value == ["2022 Q3", "2022 Q4"]
    index = index_path(reports).read_text()
    assert re.findall(r'<a href="([^"]+)">', index) == [
        "state_of_ml_2022.html", "state_of_ml_2022Q3.html", "state_of_ml_2022Q4.html"]
    # A quarter's view holds its quarterly analyses, as of that quarter.
    q3 = (reports / "report" / "state_of_ml_2022Q3.html").read_text()
    assert set(figures(q3)) == set(QUARTERLY)
    assert "<h1>The State of ML, 2022 Q3</h1>" in q3 and "data through 2022 Q3" in q3


def references(markup: str) -> list[str]:
    """The src and href attributes of the page's real elements (an HTML parser, not a regex: an
    escaped `<img src=x>` inside a caption or alt text is text, not a reference)."""
    from html.parser import HTMLParser

    class Refs(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.found += [value or "" for name, value in attrs if name in ("src", "href")]

    parser = Refs()
    parser.feed(markup)
    return parser.found


def test_the_page_is_one_self_contained_file(built, page):
    data, _ = built
    reports = data / "reports"
    # Nothing is fetched: links are anchors, other published pages, or data: URIs (pictures, CSV).
    markup = re.sub(r"(<script\b[^>]*>).*?(</script>)", r"\1\2", page, flags=re.S)  # tags, not contents
    refs = references(markup)
    assert refs and all(r.startswith(("#", "data:image/png;base64,", "data:text/csv;", "../report/")) for r in refs), refs
    assert "<link" not in markup.lower() and "@import" not in markup and "url(" not in markup
    # The Vega JavaScript inline, once: two plain <script>s (it, and the code that embeds the charts).
    drawn = len(re.findall(r'<div class="chart-box"', page))
    assert drawn == len(ALL_CHARTS) - 1  # the tiny world has no library growth above the threshold
    assert re.findall(r"<script\b[^>]*>", markup) == [
        '<script type="application/json" class="vl-spec">'] * drawn + ["<script>", "<script>"]
    bundle = vendor_bundle(reports).read_text(encoding="utf-8")
    assert page.count(bundle[:2000]) == 1 and page.count(bundle[-2000:]) == 1


def test_every_link_resolves_from_the_published_pages_and_from_the_snapshots(built):
    """A published page is a byte copy of its quarter's snapshot: a relative link must resolve from
    both places (and the snapshots are what a reader opens for an earlier state of a year)."""
    data, _ = built
    reports = data / "reports"
    every_page = [p for p in reports.rglob("state_of_ml_*.html") if "charts" not in p.parts]
    assert len(every_page) == 6  # 3 published, 3 snapshots
    for path in [*every_page, index_path(reports)]:
        markup = re.sub(r"(<script\b[^>]*>).*?(</script>)", r"\1\2", path.read_text(encoding="utf-8"), flags=re.S)
        links = [r.split("#")[0] for r in references(markup) if not r.startswith(("#", "data:"))]
        assert links, path
        missing = [link for link in links if not (path.parent / link).resolve().is_file()]
        assert missing == [], f"{path.relative_to(reports)}: {missing}"


def test_every_chart_is_on_the_page_as_its_asset_drew_it(built, page):
    data, metadata = built
    on_page = figures(page)
    assert len(re.findall(r"<figure\b", page)) == len(ALL_CHARTS) and set(on_page) == {s.name for s in ALL_CHARTS}
    charts = data / "reports" / Q4.compact / "charts"
    for spec in ALL_CHARTS:
        body = on_page[spec.name]
        assert body.count("<h3>") == 1 and f"<h3>{html_lib.escape(spec.title)}</h3>" in body
        caption = metadata[spec.name]["caption"].value  # what the chart asset computed
        assert html_lib.unescape(re.search(r"<figcaption>(.*?)</figcaption>", body, re.S).group(1)) == caption
        if not (charts / f"{spec.name}.png").exists():  # nothing to draw: the caption says why
            assert "chart-box" not in body and spec.name == "fastest_growing_libraries"
            continue
        embedded = json.loads(re.search(r'class="vl-spec">(.*?)</script>', body, re.S).group(1))
        assert embedded == json.loads((charts / f"{spec.name}.vl.json").read_text())
        picture = re.search(r'src="data:image/png;base64,([^"]+)"', body).group(1)
        assert base64.b64decode(picture) == (charts / f"{spec.name}.png").read_bytes()
        csv = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', body).group(1)
        assert base64.b64decode(csv) == (charts / f"{spec.name}.csv").read_bytes()
        for mart in spec.marts:
            assert f">marts.{mart}</code>" in body
        assert "Who is counted: " in body
    # The tiny world's own numbers made it through: 2 US users of 6 in 2022 Q4.
    assert "United States leads 2022 Q4 with 2 active users of 6." in page
    # Simulated? No: hand-written files are what a production export would be.
    assert "Production landing zone:" in page and "Simulated data" not in page
    # Few users everywhere here: the shares say so.
    assert page.count('class="few-users"') >= 5


def test_headline_is_the_marts_headline(built, page):
    data, metadata = built
    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        row = conn.execute("select active_users, countries, runs, training_hours, quarters_covered "
                           "from marts.headline_by_year where year = 2022").fetchone()
    shown = {key: float(value) for value, key in re.findall(r'<data value="([^"]+)" data-headline="(\w+)">', page)}
    assert shown == dict(zip(["active_users", "countries", "runs", "training_hours"], map(float, row[:4])))
    assert f">{row[0]:,}<" in page and f">{row[2]:,}<" in page
    assert metadata["state_of_ml_page"]["headline/active_users"].value == row[0]
    assert "2022 (full year) &middot; data through 2022 Q4" in page
    assert "no earlier period loaded to compare" in page  # 2021 has no activity in this world
    assert f"Figures from the {row[4]} quarter" in page


def test_cli_prints_the_page_and_refuses_a_year_without_one(built, capsys):
    data, _ = built
    assert main(["--data-dir", str(data), "report", "--year", "2022"]) == 0
    assert capsys.readouterr().out.strip() == str(page_path(data / "reports", 2022))
    assert main(["--data-dir", str(data), "report", "--year", "2021"]) == 2
    err = capsys.readouterr().err
    assert "2021 report page has not been built yet" in err and "materialize 2021Q1:2021Q4" in err


def test_the_hostile_profile_value_is_text_in_every_file(built):
    data, metadata = built
    industry_files = list((data / "reports").rglob("corporate_users_by_industry.*"))
    assert {p.suffix for p in industry_files} >= {".html", ".json", ".csv"}
    for path in [*pages(data), *(p for p in industry_files if p.suffix == ".html")]:
        text = path.read_text(encoding="utf-8")
        assert "<script>document.title" not in text and "<img src=x" not in text, path
    csv = pd.read_csv(data / "reports" / Q4.compact / "charts" / "corporate_users_by_industry.csv")
    assert EVIL in set(csv["industry"])  # kept as the value it is, in the data
    # The Dagster metadata preview is a picture named by the chart's title, never by the data's strings.
    preview = metadata["corporate_users_by_industry"]["preview"].value
    assert preview.startswith("![Corporate active users, runs and training hours by industry, per year 100%]"
                              "(data:image/png;base64,") and "<" not in preview


@pytest.mark.browser
def test_pages_fit_draw_link_and_run_no_injected_script(built):
    from playwright.sync_api import sync_playwright

    data, _ = built
    chart_html = (data / "reports" / Q4.compact / "charts" / "corporate_users_by_industry.html").as_uri()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for url in [*(page.as_uri() for page in pages(data)), chart_html]:
                is_page = url != chart_html
                for width in WIDTHS:
                    check = check_page(browser, url, width, screenshots=ARTIFACTS if is_page else None)
                    where = f"{Path(urlparse(url).path).name} at {width} px"
                    assert check.problems == [], where  # no dialog either: the profile's script never ran
                    assert all(r.startswith("file://") for r in check.requests), (where, check.requests)
                    assert check.title and check.title != "pwned", where
                    if is_page:
                        assert check.charts == Path(urlparse(url).path).read_text().count('<div class="chart-box"'), where
                        assert (check.charts > 0) == ("index" not in url), where
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(pages(data)[0].as_uri())
            # Printed: the picture, not the live view.
            tab.wait_for_function("document.querySelectorAll('.chart-box[data-fitted]').length === "
                                  "document.querySelectorAll('.chart-box').length", timeout=30_000)
            tab.emulate_media(media="print")
            assert tab.locator(".chart-box img.fallback").first.is_visible()
            assert not tab.locator(".chart-box .chart-live").first.is_visible()
        finally:
            browser.close()


def existing_pages(data: Path) -> list[Path]:
    """Every published page of a data folder: the years', the quarters' views, the index."""
    report = data / "reports" / "report"
    return sorted(report.glob("state_of_ml_*.html")) + [index_path(data / "reports")]


@pytest.mark.browser
def test_existing_report_pages():
    """The same reading of pages built elsewhere (a full-size year): set STATEOFML_REPORT_DATA_DIR
    to its data folder. Prints each page's size and load time; screenshots of every page and
    chart go to test-artifacts/report-existing/<folder name>/."""
    import os

    from playwright.sync_api import sync_playwright

    folder = os.environ.get("STATEOFML_REPORT_DATA_DIR")
    if not folder:
        pytest.skip("set STATEOFML_REPORT_DATA_DIR to a data folder with built report pages")
    data = Path(folder).resolve()
    found = [p for p in existing_pages(data) if p.is_file()]
    assert found, f"no report pages under {data / 'reports' / 'report'}"
    shots = PROJECT_ROOT / "test-artifacts" / "report-existing" / data.name
    problems = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for path in found:
                for width in WIDTHS:
                    check = check_page(browser, path.as_uri(), width, screenshots=shots, chart_shots=width == WIDTHS[0],
                                       timeout_ms=180_000)
                    print(f"{path.name} at {width} px: {path.stat().st_size / 1e6:.2f} MB, {check.charts} charts "
                          f"drawn in {check.seconds:.1f} s, {len(check.problems)} problem(s)")
                    problems += [f"{path.name} at {width} px: {problem}" for problem in check.problems]
        finally:
            browser.close()
    assert problems == []

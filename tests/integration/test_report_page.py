"""A hand-built quarter through every asset to the report page, then the page read back.

One materialization for the module (2022 Q4 of tests/landing_builder.tiny_world): the page must
be one self-contained file holding every chart of ALL_CHARTS (title, caption, spec, picture) and
the headline of marts.headline_by_year.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.charts.assets import ALL_CHARTS
from assets.charts.render import vendor_bundle
from assets.report.assets import HEADLINE_MART, state_of_ml_page
from assets.report.paths import page_path, snapshot_path
from stateofml.cli import main
from orchestration.definitions import build_definitions
from stateofml.platform.resources import build_resources
from stateofml.quarters import Quarter
from tests.landing_builder import tiny_world
from tests.pipeline import materialize_quarters

Q4 = Quarter(2022, 4)


def warehouse(data: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=read_only)


def stand_in_headline(data: Path) -> None:
    """Until the demographics helper's marts.headline_by_year is in the project: a table with its
    contract and tiny_world's 2022 figures (Q4 loaded: u1..u5, US/CN/DE, runs r1..r6, 8 h)."""
    with warehouse(data, read_only=False) as conn:
        conn.execute(f"""
            create table marts.{HEADLINE_MART} (year_start date, year int, quarters_covered int,
                active_users bigint, countries bigint, runs bigint, training_hours double);
            insert into marts.{HEADLINE_MART} values ('2022-01-01', 2022, 1, 5, 3, 6, 8.0);
        """)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = tmp_path_factory.mktemp("report") / "data"
    tiny_world(data / "landing")
    defs = build_definitions(build_resources(data))
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialize_quarters(data, instance, Q4.compact, Q4.compact)
        metadata = {ev.asset_key.path[-1]: ev.materialization.metadata
                    for ev in result.get_asset_materialization_events()}
        headline_mart = dg.AssetKey(["marts", HEADLINE_MART])
        if not defs.resolve_asset_graph().get(headline_mart).is_materializable:
            # The page was written without a headline, and says so; then with the stand-in.
            assert "No headline figures for 2022 yet" in page_path(data / "reports", 2022).read_text()
            stand_in_headline(data)
            rerun = dg.materialize([state_of_ml_page], resources=build_resources(data),
                                   partition_key=Q4.partition_key, instance=instance)
            assert rerun.success
            metadata["state_of_ml_page"] = rerun.get_asset_materialization_events()[0].materialization.metadata
    return data, metadata


@pytest.fixture(scope="module")
def page(built) -> str:
    data, _ = built
    return page_path(data / "reports", 2022).read_text(encoding="utf-8")


def figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'<figure class="chart" id="[^"]+" data-chart="([^"]+)">(.*?)</figure>', page, re.S))


def test_the_page_is_one_self_contained_file(built, page):
    data, metadata = built
    reports = data / "reports"
    assert snapshot_path(reports, Q4).read_text(encoding="utf-8") == page
    assert sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.html") if "charts" not in p.parts) == [
        "2022Q4/report/state_of_ml_2022.html", "report/state_of_ml_2022.html"]
    # Nothing is fetched: no src/href to another file or host, no CSS import, only data: pictures.
    markup = re.sub(r"(<script\b[^>]*>).*?(</script>)", r"\1\2", page, flags=re.S)  # tags, not contents
    refs = re.findall(r'\b(?:src|href)\s*=\s*["\']?([^"\'\s>]*)', markup, re.I)
    assert refs and all(r.startswith(("#", "data:image/png;base64,")) for r in refs), refs
    assert "<link" not in markup.lower() and "@import" not in markup and "url(" not in markup
    # The Vega JavaScript inline, once: two plain <script>s (it, and the code that embeds the charts).
    assert re.findall(r"<script\b[^>]*>", markup) == [
        '<script type="application/json" class="vl-spec">'] * len(ALL_CHARTS) + ["<script>", "<script>"]
    bundle = vendor_bundle(reports).read_text(encoding="utf-8")
    assert page.count(bundle[:2000]) == 1 and page.count(bundle[-2000:]) == 1
    assert metadata["state_of_ml_page"]["seconds"].value < 30


def test_every_chart_is_on_the_page_as_its_asset_drew_it(built, page):
    data, metadata = built
    on_page = figures(page)
    assert len(re.findall(r"<figure\b", page)) == len(ALL_CHARTS) and set(on_page) == {s.name for s in ALL_CHARTS}
    for spec in ALL_CHARTS:
        body = on_page[spec.name]
        assert f"<h3>{html_lib.escape(spec.title)}</h3>" in body
        caption = metadata[spec.name]["caption"].value  # what the chart asset computed
        assert f"<figcaption>{html_lib.escape(caption)}</figcaption>" in body
        embedded = json.loads(re.search(r'class="vl-spec">(.*?)</script>', body, re.S).group(1))
        drawn = json.loads((data / "reports" / Q4.compact / "charts" / f"{spec.name}.vl.json").read_text())
        assert embedded == drawn
        picture = re.search(r'src="data:image/png;base64,([^"]+)"', body).group(1)
        assert base64.b64decode(picture)[:8] == b"\x89PNG\r\n\x1a\n"
        for mart in spec.marts:
            assert f"<code>marts.{mart}</code>" in body
    # The tiny world's own numbers made it through: 2 US users in 2022 Q4.
    assert "United States leads 2022 Q4 with 2 active users of 5." in page


def test_headline_is_the_marts_headline(built, page):
    data, metadata = built
    with warehouse(data) as conn:
        row = conn.execute(f"select active_users, countries, runs, training_hours, quarters_covered "
                           f"from marts.{HEADLINE_MART} where year = 2022").fetchone()
    shown = {key: float(value) for value, key in re.findall(r'<data value="([^"]+)" data-headline="(\w+)">', page)}
    assert shown == dict(zip(["active_users", "countries", "runs", "training_hours"], map(float, row[:4])))
    assert f">{row[0]:,}<" in page and f">{row[2]:,}<" in page
    assert metadata["state_of_ml_page"]["headline/active_users"].value == row[0]
    assert "2022 (full year) &middot; data through 2022 Q4" in page
    if row[4] < 4:
        assert f"Figures from the {row[4]} quarter" in page


def test_cli_prints_the_page_and_refuses_a_year_without_one(built, capsys):
    data, _ = built
    assert main(["--data-dir", str(data), "report", "--year", "2022"]) == 0
    assert capsys.readouterr().out.strip() == str(page_path(data / "reports", 2022))
    assert main(["--data-dir", str(data), "report", "--year", "2021"]) == 2
    err = capsys.readouterr().err
    assert "2021 report page has not been built yet" in err and "materialize 2021Q1:2021Q4" in err


@pytest.mark.browser
def test_charts_draw_offline_in_a_browser(built):
    from playwright.sync_api import sync_playwright

    data, _ = built
    url = page_path(data / "reports", 2022).as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            tab = browser.new_page()
            requests, errors = [], []
            tab.on("request", lambda r: requests.append(r.url))
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.route(re.compile(r"^https?://"), lambda route: route.abort())
            tab.goto(url)
            tab.wait_for_function(f"document.querySelectorAll('figure.chart.live').length === {len(ALL_CHARTS)}",
                                  timeout=20_000)
            assert tab.locator("figure.chart.live svg.marks").count() == len(ALL_CHARTS)
            assert not tab.locator("figure.chart.live img.fallback").first.is_visible()
            tab.emulate_media(media="print")  # printed: the picture, not the live view
            assert tab.locator("figure.chart img.fallback").first.is_visible()
            assert not tab.locator("figure.chart .chart-live").first.is_visible()
        finally:
            browser.close()
    assert requests == [url] and errors == []

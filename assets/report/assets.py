"""The report page asset: for a quarter, the page of its year as it stands at the quarter's end, the
quarter's own view (its quarterly analyses), and the index of every page.

The pages are assembled from what the chart assets wrote (spec, picture, drawn data, caption: see
``assets/charts/render.py``), never drawn again: a chart's asset is the one place it is made. The
page reads no warehouse; it reads the landing zone's records only to say where the data comes from.
"""

import time
from datetime import datetime, timezone

import dagster as dg

from assets.analysts.publish import DOCS_SITE
from assets.charts.registry import ALL_CHARTS
from assets.charts.render import vendor_bundle
from assets.charts.theme import FONT, PALETTE
from assets.charts.views import FEW_USERS, chart_files, pages_of_window
from stateofml.platform.automation import QUARTER_CLOSE_FRESHNESS, follows_its_quarter
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.platform.resources import AnalystsFolder, LandingZone, ReportOutputs
from stateofml.quarters import Quarter

from .page import Headline, Link, Nav, PageChart, render_index, render_page
from .paths import docs_site_link, link, page_name, publish, publish_index, publish_quarter, published, quarter_page_name
from .source import describe_source

# The charts whose key numbers are the headline of a year's page and of a quarter's view.
YEAR_HEADLINE, QUARTER_HEADLINE = "headline_by_year", "activity_by_quarter"
QUARTER_CHARTS = [spec for spec in ALL_CHARTS if spec.period == "quarter"]


def read_charts(outputs, as_of: Quarter, specs) -> list[PageChart]:
    """The chart assets' files of ``as_of``; a missing one is an error that names the asset to run."""
    charts = []
    for spec in specs:
        files = chart_files(outputs, as_of, spec.name)
        if not files.meta.is_file():
            raise FileNotFoundError(f"chart {spec.name!r} has no files for {as_of.label} ({files.meta}): "
                                    f"materialize charts/{spec.name} for {as_of.label} first")
        charts.append(PageChart.from_files(files))
    return charts


def headline_of(charts: list[PageChart], name: str, period_key: str, expected: str) -> Headline | None:
    """The headline from chart ``name``'s key numbers, if they are about the page's period."""
    numbers = next((c.key_numbers for c in charts if c.name == name), {})
    if not numbers or str(numbers.get(period_key)) != expected:
        return None
    return Headline.from_numbers(numbers, period_key)


def navigation(years: list[int], quarters: list[Quarter], current: str) -> Nav:
    return Nav(
        years=tuple(Link(str(y), link(page_name(y)), page_name(y) == current) for y in years),
        quarters=tuple(Link(q.label, link(quarter_page_name(q)), quarter_page_name(q) == current) for q in quarters),
        index=link("index.html"),
    )


@dg.asset(
    key=["report", "state_of_ml_page"],
    deps=[dg.AssetKey(["charts", spec.name]) for spec in ALL_CHARTS],
    group_name="report",
    owners=["team:analytics"],
    kinds={"html", "python"},
    partitions_def=quarterly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    automation_condition=follows_its_quarter(),
    freshness_policy=QUARTER_CLOSE_FRESHNESS,
    description=(
        "The State of ML page of the partition's year as of the partition's quarter, assembled from the "
        "chart assets' files: one offline HTML file with the data source, key findings, headline against "
        "the previous year, every chart (interactive, a picture for print, its data as CSV) and the method "
        "notes. Writes `<outputs>/<quarter>/state_of_ml_<year>.html` and refreshes "
        "`<outputs>/report/state_of_ml_<year>.html`; each quarter's view `state_of_ml_<quarter>.html`; and "
        "`<outputs>/report/index.html` (`<quarter>`: `2022Q4`). A range writes one page per year and one view per quarter it touches."
    ),
)
def state_of_ml_page(context: dg.AssetExecutionContext, outputs: ReportOutputs, landing: LandingZone,
                     analysts: AnalystsFolder):
    t0 = time.monotonic()
    root = outputs.root
    quarters = context_quarters(context)
    year_views = pages_of_window(quarters)
    source = describe_source(landing.root)
    vega_js = vendor_bundle(root).read_text(encoding="utf-8")
    generated_at = datetime.now(timezone.utc)
    years, listed = published(root)
    years = sorted(set(years) | {q.year for q in year_views})
    listed = sorted(set(listed) | set(quarters))
    common = dict(vega_js=vega_js, generated_at=generated_at, font=FONT, palette=PALETTE, source=source,
                  few_users=FEW_USERS, docs_site=docs_site_link(root, analysts.root / DOCS_SITE))

    pages = []
    for as_of in year_views:
        charts = read_charts(root, as_of, ALL_CHARTS)
        headline = headline_of(charts, YEAR_HEADLINE, "year", str(as_of.year))
        if headline is None:
            context.log.warning(f"{as_of.label} page: no headline figures for {as_of.year} (no activity loaded)")
        html = render_page(as_of=as_of, charts=charts, headline=headline,
                           nav=navigation(years, listed, page_name(as_of.year)), **common)
        snapshot, year_page = publish(root, as_of, html)
        context.log.info(f"{as_of.label}: {len(charts)} charts, {len(html) / 1e6:.1f} MB -> {snapshot}")
        pages.append((as_of, snapshot, year_page, len(html.encode("utf-8")), headline))
    for quarter in quarters:
        charts = read_charts(root, quarter, QUARTER_CHARTS)
        html = render_page(as_of=quarter, charts=charts, headline=headline_of(charts, QUARTER_HEADLINE, "quarter", quarter.label),
                           nav=navigation(years, listed, quarter_page_name(quarter)), quarter_view=True, **common)
        publish_quarter(root, quarter, html)
    index = publish_index(root, render_index(
        years=[Link(str(y), page_name(y)) for y in years], quarters=[Link(q.label, quarter_page_name(q)) for q in listed],
        source=source, generated_at=generated_at, font=FONT, palette=PALETTE))

    as_of, snapshot, year_page, size, headline = pages[-1]
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.label,
            "pages": [str(p[1]) for p in pages],
            "page": dg.MetadataValue.path(str(year_page)),
            "snapshot": dg.MetadataValue.path(str(snapshot)),
            "index": dg.MetadataValue.path(str(index)),
            "quarter_views": [q.label for q in quarters],
            "charts": len(ALL_CHARTS),
            "bytes": size,
            "seconds": round(time.monotonic() - t0, 2),
            "source": " ".join(source),
            **({f"headline/{f.key}": f.value for f in headline.figures} if headline else {"headline": "missing"}),
        }
    )

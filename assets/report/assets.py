"""The report page asset: for a quarter, the page of its year as it stands at the quarter's end.

Every chart is drawn again from the marts by its own ``ChartSpec`` (query, build, caption), not
read back from the chart asset's files: the page's spec, picture, caption and headline then come
from one read of the warehouse, and a backfill range can write the page of every year it touches
(the chart assets draw only the range's latest quarter).
"""

import time
from dataclasses import dataclass
from datetime import datetime, timezone

import dagster as dg
import duckdb
import pandas as pd
import vl_convert as vlc

from assets.charts.assets import ALL_CHARTS
from assets.charts.registry import ChartSpec
from assets.charts.render import vendor_bundle
from assets.charts.theme import FONT, PALETTE, use_theme
from stateofml.platform.automation import REPORT_FRESHNESS, follows_its_quarter
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.platform.resources import WAREHOUSE_POOL, ReportOutputs, Warehouse
from stateofml.quarters import Quarter

from .page import Headline, PageChart, render_page
from .paths import publish

# marts.headline_by_year (year_start, year, quarters_covered, active_users, countries, runs,
# training_hours): one row per calendar year, recomputed from every loaded quarter of it.
HEADLINE_MART = "headline_by_year"
# The chart assets save their PNGs at this scale too: sharp when printed.
PNG_SCALE = 2


def pages_of_window(quarters: list[Quarter]) -> list[Quarter]:
    """One page per year the window touches, as of the window's last quarter in that year."""
    latest: dict[int, Quarter] = {}
    for q in quarters:
        latest[q.year] = max(q, latest.get(q.year, q))
    return [latest[y] for y in sorted(latest)]


@dataclass(frozen=True)
class PageData:
    as_of: Quarter
    frames: dict[str, pd.DataFrame]  # chart name -> its query's rows
    headline: Headline | None


def read_headline(conn: duckdb.DuckDBPyConnection, year: int) -> Headline | None:
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?",
        [HEADLINE_MART],
    ).fetchone()[0]
    if not exists:
        return None
    row = conn.execute(
        f"select year, quarters_covered, active_users, countries, runs, training_hours "
        f"from marts.{HEADLINE_MART} where year = ?",
        [year],
    ).fetchone()
    return Headline(*row) if row else None


def read_page_data(conn: duckdb.DuckDBPyConnection, as_of: Quarter, specs: list[ChartSpec]) -> PageData:
    """Everything a page needs from the warehouse (small aggregates), read under one lock."""
    frames = {spec.name: conn.execute(spec.query, {"end": as_of.end}).df() for spec in specs}
    return PageData(as_of, frames, read_headline(conn, as_of.year))


def draw(spec: ChartSpec, df: pd.DataFrame, as_of: Quarter) -> PageChart:
    """The chart as its asset draws it (same spec, same rows), with its caption and picture.

    No rows (a year before its data, a backfill's early years): a figure that says so, since a
    chart's build and caption may assume rows."""
    if df.empty:
        return PageChart(name=spec.name, section=spec.section, title=spec.title,
                         caption=f"No data up to {as_of.label}.", marts=tuple(spec.marts), order=spec.order,
                         vega_lite=None, png=None)
    try:
        vega_lite = spec.build(df).to_dict()
        caption = spec.caption(df)
        png = vlc.vegalite_to_png(vega_lite, scale=PNG_SCALE)
    except Exception as exc:
        raise RuntimeError(f"chart {spec.name!r} ({spec.section}) could not be drawn for the report: {exc}") from exc
    return PageChart(
        name=spec.name, section=spec.section, title=spec.title, caption=caption, marts=tuple(spec.marts),
        order=spec.order, vega_lite=vega_lite, png=png, png_scale=PNG_SCALE,
    )


@dg.asset(
    key=["report", "state_of_ml_page"],
    deps=[
        *(dg.AssetKey(["charts", spec.name]) for spec in ALL_CHARTS),
        dg.AssetKey(["marts", HEADLINE_MART]),
    ],
    group_name="report",
    owners=["team:analytics"],
    kinds={"html", "python"},
    partitions_def=quarterly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    automation_condition=follows_its_quarter(),
    freshness_policy=REPORT_FRESHNESS,
    description=(
        "The State of ML page of the partition's year as of the partition's quarter: one offline HTML "
        "file with the headline, every chart (interactive, with a picture for print) and the method "
        "notes. Writes `<outputs>/<quarter>/report/state_of_ml_<year>.html` and refreshes "
        "`<outputs>/report/state_of_ml_<year>.html` (`<quarter>`: `2022Q4`). A range writes one page per year it touches."
    ),
)
def state_of_ml_page(context: dg.AssetExecutionContext, warehouse: Warehouse, outputs: ReportOutputs):
    use_theme()
    t0 = time.monotonic()
    as_ofs = pages_of_window(context_quarters(context))
    with warehouse.get_connection() as conn:
        data = [read_page_data(conn, as_of, ALL_CHARTS) for as_of in as_ofs]
    # Drawing and writing need no lock: other warehouse users may go on meanwhile.
    vega_js = vendor_bundle(outputs.root).read_text(encoding="utf-8")
    generated_at = datetime.now(timezone.utc)
    pages = []
    for page in data:
        if page.headline is None:
            context.log.warning(f"marts.{HEADLINE_MART} has no row for {page.as_of.year} (or is not built): the page says so")
        elif page.headline.quarters_covered > page.as_of.q:
            context.log.warning(f"{page.as_of.label} page: the yearly headline includes later quarters")
        charts = [draw(spec, page.frames[spec.name], page.as_of) for spec in ALL_CHARTS]
        html = render_page(
            as_of=page.as_of, charts=charts, headline=page.headline, headline_mart=HEADLINE_MART,
            vega_js=vega_js, generated_at=generated_at, font=FONT, palette=PALETTE,
        )
        snapshot, year_page = publish(outputs.root, page.as_of, html)
        context.log.info(f"{page.as_of.label}: {len(charts)} charts, {len(html) / 1e6:.1f} MB -> {snapshot}")
        pages.append((page, snapshot, year_page, len(html.encode("utf-8"))))

    page, snapshot, year_page, size = pages[-1]
    headline = page.headline
    return dg.MaterializeResult(
        metadata={
            "as_of": page.as_of.label,
            "pages": [str(p[1]) for p in pages],
            "page": dg.MetadataValue.path(str(year_page)),
            "snapshot": dg.MetadataValue.path(str(snapshot)),
            "charts": len(ALL_CHARTS),
            "bytes": size,
            "seconds": round(time.monotonic() - t0, 2),
            **({f"headline/{k}": v for k, _, v in headline.figures()} if headline else {"headline": "missing"}),
        }
    )

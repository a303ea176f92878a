"""The page of the quarter in progress, to date, drawn from a preview's warehouse (assets/open_quarter.py).

The same code as the report, called as plain functions: the quarterly analyses (``period="quarter"``)
are queried, drawn and saved by the chart code (``chart_meta``, the specs' builders, ``save_chart``)
and laid out by ``render_page``; only the place and the label differ. Every chart's picture,
subtitle and caption, the headline and the page's title carry the preview's "to date" label, and
everything is written under ``<data>/preview/<quarter>/`` (``charts/``, ``vendor/``,
``report/state_of_ml_<quarter>_to_date.html``), which ``preview_open_quarter`` replaces whole. The
page links to no report page or index and none links to it (its name is not a report page's name,
``paths.published``): a preview is not part of the report.

A chart that cannot be made from one quarter (growth on the quarter before: the preview loads this
quarter only, and the mart says "previous not loaded" with nulls) is shown with a "not enough data"
sentence instead of a picture, never a crash nor a misleading "no growth".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd

from assets.charts.assets import chart_meta
from assets.charts.registry import ChartSpec, all_charts
from assets.charts.render import ChartFiles, save_chart, vendor_bundle
from assets.charts.theme import FONT, PALETTE, use_theme
from assets.charts.views import FEW_USERS
from assets.open_quarter import Preview

from .assets import QUARTER_CHARTS, QUARTER_HEADLINE, headline_of
from .page import Nav, PageChart, render_page
from .source import describe_source

NOT_ENOUGH_DATA = "Not enough data"


@dataclass
class PreviewPage:
    path: Path
    drawn: list[str] = field(default_factory=list)
    not_drawn: dict[str, str] = field(default_factory=dict)  # chart name -> why (the page says it too)


def preview_page_name(preview: Preview) -> str:
    # Not a report page's name (state_of_ml_<year|quarter>.html): never listed by the report's index.
    return f"state_of_ml_{preview.quarter.compact}_to_date.html"


def missing_period(df: pd.DataFrame) -> str | None:
    """Why ``df`` cannot make its chart in a preview, or None: it compares with a period whose
    figures are all null (``previous_*`` columns; a mart leaves them null when that period is not
    loaded, and a preview loads its own quarter only)."""
    empty = [c for c in df.columns if c.startswith("previous_") and df[c].isna().all()]
    if df.empty or not empty:
        return None
    return (f"{NOT_ENOUGH_DATA}: this chart compares the quarter with the one before, and a preview of the "
            "quarter in progress holds this quarter only. It is drawn once the quarter is closed and materialized.")


def with_label(chart: alt.TopLevelMixin, label: str) -> tuple[alt.TopLevelMixin, str]:
    """The chart with ``label`` as the first line of its subtitle (its picture says "to date" too),
    and the subtitle the page shows beside it."""
    title = chart.to_dict().get("title")
    params = dict(title) if isinstance(title, dict) else {"text": title or ""}
    old = params.get("subtitle") or []
    lines = [old] if isinstance(old, str) else list(old)
    params["subtitle"] = [label, *lines]
    return chart.properties(title=alt.TitleParams(**params)), ". ".join([label, *lines])


def draw_preview_chart(spec: ChartSpec, df: pd.DataFrame, preview: Preview, files: ChartFiles, outputs: Path) -> dict:
    """Draw and save one quarterly chart of the preview; its meta (``drawn`` False with a reason)."""
    quarter, chart = preview.quarter, None
    reason = missing_period(df)
    if reason is None:
        try:
            meta = chart_meta(spec, df, quarter)
            chart = None if df.empty else spec.build(df)
        except Exception as exc:  # noqa: BLE001 - a builder that needs more than one quarter: said on the page
            reason = f"{NOT_ENOUGH_DATA} to draw this chart from a quarter to date ({type(exc).__name__}: {exc})."
    if reason is not None:
        meta = chart_meta(spec, df.iloc[0:0], quarter) | {"caption": reason, "rows": len(df)}  # the keys, no figures
    meta = meta | {"caption": f"{preview.label}: {meta['caption']}", "quarter": preview.label, "subtitle": preview.label}
    if chart is not None:
        chart, meta["subtitle"] = with_label(chart, preview.label)
    save_chart(chart, files, outputs, meta)
    return meta | {"drawn": chart is not None}


def preview_notice(preview: Preview, left_out: int) -> str:
    q = preview.quarter
    return (f"Preview of an unfinished quarter: {preview.label}. Its figures grow until the quarter closes on "
            f"{q.end.isoformat()}; the report's page of {q.label} is made from the closed quarter after that. "
            "This preview is not part of the report: no report page or index links to it, and it links to none. "
            f"Only the quarterly analyses are drawn; the {left_out} yearly ones wait for the year's page, since a "
            "year's figures need its closed quarters, which a preview does not load.")


def write_preview_page(preview: Preview, landing: Path) -> PreviewPage:
    """The preview's charts and page, from its warehouse, under its own folder; returns the page."""
    folder = preview.warehouse.parent
    quarter, specs = preview.quarter, QUARTER_CHARTS
    use_theme()
    conn = duckdb.connect(str(preview.warehouse), read_only=True)
    try:
        frames = {spec.name: conn.execute(spec.query, {"end": quarter.end}).df() for spec in specs}
    finally:
        conn.close()
    page = PreviewPage(folder / "report" / preview_page_name(preview))
    charts = []
    for spec in specs:
        files = ChartFiles(folder / "charts", spec.name)
        meta = draw_preview_chart(spec, frames[spec.name], preview, files, folder)
        if meta["drawn"]:
            page.drawn.append(spec.name)
        else:
            page.not_drawn[spec.name] = meta["caption"]
        charts.append(PageChart.from_files(files))
    headline = headline_of(charts, QUARTER_HEADLINE, "quarter", quarter.label)
    html = render_page(
        as_of=quarter, charts=charts, headline=headline and dataclasses.replace(headline, period=preview.label),
        source=describe_source(landing), nav=Nav(index=""), vega_js=vendor_bundle(folder).read_text(encoding="utf-8"),
        generated_at=datetime.now(UTC), font=FONT, palette=PALETTE, few_users=FEW_USERS, quarter_view=True,
        page_title=f"The State of ML, {preview.label}", page_period=f"{preview.label}, quarterly analyses (preview)",
        page_file=page.path.name, notice=preview_notice(preview, len(all_charts()) - len(specs)),
    )
    page.path.parent.mkdir(parents=True, exist_ok=True)
    page.path.write_text(html, encoding="utf-8")
    return page


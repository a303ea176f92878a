"""One Dagster asset per chart spec: read its marts, draw, and save the chart's files for every
view the report shows (``assets/charts/render.py``); the report page assembles those files.

Views: the page of each year the partition window touches, as of the window's last quarter in
that year; a quarterly analysis (``period="quarter"``) also for each quarter of the window.
"""


import json
import re

import dagster as dg
import pandas as pd

from stateofml.platform.automation import follows_its_quarter
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.platform.resources import WAREHOUSE_POOL, ReportOutputs, Warehouse
from stateofml.quarters import Quarter

from .registry import ALL_CHARTS, ChartSpec
from .render import ChartFiles, save_chart
from .theme import use_theme
from .views import chart_files, chart_views, few_users_note, share_population


def chart_meta(spec: ChartSpec, df: pd.DataFrame, quarter: Quarter) -> dict:
    """What the page shows beside the chart, computed from the rows the chart is drawn from."""
    if df.empty:
        return {"name": spec.name, "title": spec.title, "subtitle": "", "section": spec.section.key,
                "caption": f"No data up to {quarter.label}.", "marts": list(spec.marts), "population": spec.population,
                "few_users": "", "finding": None, "key_numbers": {}, "quarter": quarter.label, "rows": 0}
    counts = share_population(df, spec.latest_only)
    # The smallest denominator of a period's shares (a frame split by profession has one per group).
    population = spec.population + (f"; users behind each share, at least: {', '.join(f'{k} {n:,}' for k, n in counts.items())}"
                                    if counts else "")
    return {"name": spec.name, "title": spec.title, "section": spec.section.key, "caption": spec.caption(df),
            "marts": list(spec.marts), "population": population, "few_users": few_users_note(df, spec.latest_only),
            "finding": spec.finding(df), "key_numbers": spec.key_numbers(df), "quarter": quarter.label,
            "rows": len(df)}


def draw_view(spec: ChartSpec, df: pd.DataFrame, quarter: Quarter, files: ChartFiles, outputs) -> dict:
    meta = chart_meta(spec, df, quarter)
    try:
        chart = None if df.empty else spec.build(df)
        if chart is not None:
            title = chart.to_dict().get("title", {})
            meta["subtitle"] = title.get("subtitle", "") if isinstance(title, dict) else ""
        save_chart(chart, files, outputs, meta)
    except Exception as exc:
        raise RuntimeError(f"chart {spec.name!r} ({spec.section.title}) could not be drawn for {quarter.label}: {exc}") from exc
    return meta


def build_chart_asset(spec: ChartSpec) -> dg.AssetsDefinition:
    @dg.asset(
        key=["charts", spec.name],
        deps=[dg.AssetKey(["marts", m]) for m in spec.marts],
        group_name="charts",
        owners=["team:analytics"],
        kinds={"altair", "python"},
        partitions_def=quarterly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        automation_condition=follows_its_quarter(),
        description=f"{spec.title} ({spec.section.title}). Reads {', '.join('marts.' + m for m in spec.marts)}; "
        "the partition's chart shows every period up to and including it. Writes the Vega-Lite spec, PNG, "
        "HTML, the drawn data (CSV) and the caption (JSON) under `<outputs>/<quarter>/charts/`.",
    )
    def _chart(context: dg.AssetExecutionContext, warehouse: Warehouse, outputs: ReportOutputs):
        use_theme()
        views = chart_views(spec, context_quarters(context))
        with warehouse.get_connection() as conn:
            frames = {q: conn.execute(spec.query, {"end": q.end}).df() for q in views}
        # Drawing needs no lock, but the pool holds the step anyway; the frames are small aggregates.
        metas = {q: draw_view(spec, df, q, chart_files(outputs.root, q, spec.name), outputs.root)
                 for q, df in frames.items()}
        quarter = views[-1]
        meta, files = metas[quarter], chart_files(outputs.root, quarter, spec.name)
        context.log.info(f"{spec.name}: {len(views)} view(s), latest {quarter.label}: {meta['caption']}")
        # The title is our own text; markdown's brackets and HTML's angles are dropped all the same.
        alt_text = re.sub(r"[\[\]()<>]", "", spec.title)
        preview = ({"preview": dg.MetadataValue.md(f"![{alt_text}]({files.png_data_uri()})"),
                    "vega_lite_spec": dg.MetadataValue.json(json.loads(files.spec.read_text())),
                    "html": dg.MetadataValue.path(str(files.html)), "png": dg.MetadataValue.path(str(files.png)),
                    "csv": dg.MetadataValue.path(str(files.csv))} if files.png.exists() else {})
        return dg.MaterializeResult(
            metadata={
                "quarter": quarter.label,
                "views": [q.label for q in views],
                "rows": meta["rows"],
                "caption": meta["caption"],
                **{f"key/{k}": v for k, v in meta["key_numbers"].items()},
                **preview,
            }
        )

    _chart.__name__ = f"chart_{spec.name}"
    return _chart


chart_assets = [build_chart_asset(spec) for spec in ALL_CHARTS]

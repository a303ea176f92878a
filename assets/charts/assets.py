"""One Dagster asset per chart spec: read its marts, draw, save HTML + PNG + Vega-Lite spec."""


import json

import dagster as dg

from stateofml.platform.automation import follows_its_quarter
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.platform.resources import WAREHOUSE_POOL, ReportOutputs, Warehouse

from . import activity, demographics, frameworks, hardware, libraries
from .registry import ChartSpec
from .render import save_chart
from .theme import use_theme

ALL_CHARTS: list[ChartSpec] = sorted(
    [*activity.CHARTS, *demographics.CHARTS, *frameworks.CHARTS, *libraries.CHARTS, *hardware.CHARTS],
    key=lambda c: c.order,
)


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
        description=f"{spec.title} ({spec.section}). Reads {', '.join('marts.' + m for m in spec.marts)}; "
        "the partition's chart shows every quarter up to and including it.",
    )
    def _chart(context: dg.AssetExecutionContext, warehouse: Warehouse, outputs: ReportOutputs):
        use_theme()
        quarter = context_quarters(context)[-1]  # a backfill range draws its latest quarter
        with warehouse.get_connection() as conn:
            df = conn.execute(spec.query, {"end": quarter.end}).df()
        chart = spec.build(df)
        files = save_chart(chart, outputs.root / quarter.compact / "charts", spec.name, outputs.root)
        caption = spec.caption(df)
        context.log.info(f"{spec.name} {quarter.label}: {caption}")
        return dg.MaterializeResult(
            metadata={
                "quarter": quarter.label,
                "rows": len(df),
                "caption": caption,
                **{f"key/{k}": v for k, v in spec.key_numbers(df).items()},
                "preview": dg.MetadataValue.md(f"![{spec.title}]({files.png_data_uri()})"),
                "vega_lite_spec": dg.MetadataValue.json(json.loads(files.spec.read_text())),
                "html": dg.MetadataValue.path(str(files.html)),
                "png": dg.MetadataValue.path(str(files.png)),
            }
        )

    _chart.__name__ = f"chart_{spec.name}"
    return _chart


chart_assets = [build_chart_asset(spec) for spec in ALL_CHARTS]

"""Redraw the charts and the report pages of a range of quarters from a warehouse already built
(no ingestion, no dbt: minutes, where `stateofml materialize` of a full-size year takes most of an
hour), after a change to chart or report code:

    .venv/bin/python scripts/redraw_report.py <data dir> 2022Q1 2022Q4
"""
import sys
import time
from pathlib import Path

import dagster as dg

from assets.charts.assets import chart_assets
from assets.report.assets import state_of_ml_page
from stateofml.platform.resources import build_resources
from stateofml.quarters import Quarter

data, first, last = Path(sys.argv[1]), Quarter.parse(sys.argv[2]), Quarter.parse(sys.argv[3])
t0 = time.monotonic()
with dg.DagsterInstance.ephemeral() as instance:
    result = dg.materialize([*chart_assets, state_of_ml_page], resources=build_resources(data), instance=instance,
                            tags={"dagster/asset_partition_range_start": first.partition_key,
                                  "dagster/asset_partition_range_end": last.partition_key})
print("success" if result.success else "FAILED", f"{time.monotonic() - t0:.0f} s")

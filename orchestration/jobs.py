"""Jobs: what the schedule, the CLI and the UI's launchpad run."""

from __future__ import annotations

import dagster as dg

# Profiles and lookup tables: unpartitioned inputs every quarter reads.
reference_job = dg.define_asset_job(
    "reference_data",
    selection=dg.AssetSelection.groups("reference") | dg.AssetSelection.assets(["raw", "users"]),
    description="Account profiles snapshot and the dbt seeds (countries, GPUs, libraries).",
)

# Everything partitioned by quarter, raw files to charts. A range of quarters runs as one run.
quarterly_job = dg.define_asset_job(
    "state_of_ml_quarterly",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reference") - dg.AssetSelection.assets(["raw", "users"])
    # The docs site changes with the models, not the data: one dbt invocation less per quarter.
    - dg.AssetSelection.assets(["analysts", "dbt_docs"]),
    description="One quarter (or a range) of the State of ML report: ingestion, dbt, charts, the report page.",
)

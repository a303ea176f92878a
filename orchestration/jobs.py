"""Jobs: what the schedule, the sensors, the CLI and the UI's launchpad run."""

from __future__ import annotations

import dagster as dg

from stateofml.platform.automation import BUILDS_QUARTERS_TAG
from stateofml.platform.selections import QUARTERLY, REFERENCE, WANDB_IMPORT

# Runs of these jobs build their quarters whole: the automation never follows what they updated
# (a subset launched from the job's page counts as such a run too; from an asset's page it does not).
BUILDS_QUARTERS = {BUILDS_QUARTERS_TAG: "true"}

# The lookup tables' dbt tests are checks, but the seed step (`dbt seed`) does not run tests: a job
# that planned them recorded 26 planned-and-never-run check events a run.
SEEDS = dg.AssetSelection.groups("reference")
REFERENCE_RUN = REFERENCE - SEEDS | SEEDS.without_checks()

# Profiles and lookup tables: unpartitioned inputs every quarter reads.
reference_job = dg.define_asset_job(
    "reference_data",
    selection=REFERENCE_RUN,
    description="Account profiles snapshot and the dbt seeds (countries, GPUs, libraries).",
)

# Everything partitioned by quarter, raw files to charts. A range of quarters runs as one run.
quarterly_job = dg.define_asset_job(
    "state_of_ml_quarterly",
    selection=QUARTERLY,
    run_tags=BUILDS_QUARTERS,
    description="One quarter (or a range) of the State of ML report: ingestion, dbt, charts, the report page.",
)

# The reference data, then the quarter, in one run: the unpartitioned assets run once, upstream
# of the quarter's models, so the quarter is never built from yesterday's profiles and a failed
# profile load stops the quarter instead of racing a separate run.
quarter_and_reference_job = dg.define_asset_job(
    "state_of_ml_quarter_and_reference",
    selection=REFERENCE_RUN | QUARTERLY,
    run_tags=BUILDS_QUARTERS,
    description="Profiles and lookup tables, then one quarter (or a range): what the quarterly schedule runs.",
)

# Real run folders from the drop folder into the landing zone (the landing sensor follows).
wandb_import_job = dg.define_asset_job(
    "import_wandb_runs",
    selection=WANDB_IMPORT,
    description="Import the run folders of the drop folder into the landing zone.",
)

"""The one entry point: `dagster dev -w workspace.yaml`, `dg dev`, and the CLI load `defs`."""


import dagster as dg

from assets.analysts.assets import analyst_assets
from assets.charts.assets import chart_assets
from assets.code_imports.assets import parsed_code
from assets.dbt.assets import quarterly_models, reference_seeds
from assets.ingest.assets import raw_quarterly_assets, raw_users
from assets.report.assets import state_of_ml_page
from assets.sources.assets import landing_files, wandb_run_folders
from stateofml.platform.resources import build_resources

from .automation import automation_sensor
from .jobs import quarter_and_reference_job, quarterly_job, reference_job, wandb_import_job
from .schedules import quarter_close_schedule
from .sensors import landing_zone_sensor, wandb_run_folders_sensor


def build_definitions(resources: dict | None = None) -> dg.Definitions:
    """All definitions; tests and the CLI pass resources rooted in their own data folder."""
    return dg.Definitions(
        assets=[wandb_run_folders, *landing_files, raw_users, *raw_quarterly_assets, parsed_code, reference_seeds, quarterly_models,
                *chart_assets, state_of_ml_page, *analyst_assets],
        jobs=[reference_job, quarterly_job, quarter_and_reference_job, wandb_import_job],
        schedules=[quarter_close_schedule],
        sensors=[landing_zone_sensor, wandb_run_folders_sensor, automation_sensor],
        resources=resources or build_resources(),
        # Every step that matters holds the one DuckDB warehouse in turn (pool duckdb_warehouse), so
        # a process per step buys no parallelism and costs a definitions load per step (~5 s each).
        executor=dg.in_process_executor,
    )


defs = build_definitions()

"""Dagster wiring only: definitions, partitions, resources, dbt assets, jobs, CLI."""

import warnings

from dagster import BetaWarning

# Single-run backfills (BackfillPolicy) are what DuckDB's single writer needs; the API is
# marked beta. Silence that one warning for every module of the project, before they load.
warnings.filterwarnings("ignore", category=BetaWarning)

"""Run the platform's jobs on a test's data folder, the way the CLI does: reference data, then a
range of quarters as one run (one dbt invocation for the whole range)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.definitions import build_definitions
from stateofml.platform.resources import build_resources
from stateofml.quarters import Quarter


def materialize_quarters(data_dir: Path, instance: dg.DagsterInstance, first: str, last: str,
                         reference: bool = True) -> dg.ExecuteInProcessResult:
    """Quarters ``first``..``last`` (e.g. "2020Q1", "2022Q4"), both included; ``reference=False``
    skips profiles and seeds when a test already loaded them. Returns the quarters' run."""
    defs = build_definitions(build_resources(data_dir))
    if reference:
        assert defs.resolve_job_def("reference_data").execute_in_process(instance=instance).success
    result = defs.resolve_job_def("state_of_ml_quarterly").execute_in_process(
        instance=instance,
        tags={"dagster/asset_partition_range_start": Quarter.parse(first).partition_key,
              "dagster/asset_partition_range_end": Quarter.parse(last).partition_key},
    )
    assert result.success
    return result

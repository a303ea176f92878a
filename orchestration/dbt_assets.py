"""dbt models and seeds as Dagster assets, keyed and grouped by the layer they belong to."""


import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from .automation import follows_its_quarter, reload_when_changed
from .partitions import dbt_vars_for_window, quarterly_partitions
from .project import dbt_project
from .resources import WAREHOUSE_POOL, Warehouse

OWNERS = ["team:analytics-engineering"]


class StateOfMLTranslator(DagsterDbtTranslator):
    """Asset key = [layer, model] (the schema analysts query: marts.active_users_by_country),
    group = the folder the model lives in, so the UI reads raw -> staging -> intermediate -> marts."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec  # keyed by the source's meta.dagster.asset_key: the raw ingestion assets
        seed = props["resource_type"] == "seed"
        layer = "reference" if seed else props["fqn"][1]
        return spec.replace_attributes(
            key=dg.AssetKey([layer, props["name"]]),
            group_name=layer,
            owners=OWNERS,
            automation_condition=reload_when_changed() if seed else follows_its_quarter(),
        ).merge_attributes(kinds={"sql"} if props["resource_type"] == "model" else {"csv"})


translator = StateOfMLTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=False)
)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="resource_type:seed",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def reference_seeds(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Lookup tables (countries, GPUs, libraries): unpartitioned, rebuilt when they change."""
    with warehouse.dbt_environment():
        yield from dbt.cli(["seed"], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="resource_type:model",
    dagster_dbt_translator=translator,
    partitions_def=quarterly_partitions,
    # One dbt invocation for any number of quarters: each dbt call costs ~8 s before it starts,
    # and concurrent partition runs of dbt would collide on the DuckDB lock.
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def quarterly_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Staging, intermediate and mart models for the partition's quarter(s), tests included."""
    window = context.partition_time_window
    dbt_vars = dbt_vars_for_window(window.start, window.end)
    context.log.info(f"dbt build for {dbt_vars}")
    with warehouse.dbt_environment():
        yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()

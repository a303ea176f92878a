"""dbt models and seeds as Dagster assets, keyed and grouped by the layer they belong to."""


import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import version as installed_version
from pathlib import Path
from contextlib import AbstractContextManager
from typing import Any

import dagster as dg
import duckdb
from pydantic import Field
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from stateofml.platform.automation import QUARTER_CLOSE_FRESHNESS, follows_its_quarter, reload_when_changed
from stateofml.platform.partitions import dbt_vars_for_window, quarterly_partitions
from stateofml.platform.project import dbt_project
from assets.analysts.publish import DOCS_SITE, docs_fragment
from stateofml.platform.resources import WAREHOUSE_POOL, AnalystsFolder, Warehouse

OWNERS = ["team:analytics-engineering"]
# Layers whose dbt tests are not Dagster asset checks (StateOfMLTranslator.get_asset_check_spec).
UNCHECKED_LAYERS = ("staging", "intermediate")


class StateOfMLTranslator(DagsterDbtTranslator):
    """Asset key = [layer, model] (the schema analysts query: marts.active_users_by_country_by_quarter),
    group = the folder the model lives in, so the UI reads raw -> staging -> intermediate -> marts."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec  # keyed by the source's meta.dagster.asset_key: the raw ingestion assets
        seed = props["resource_type"] == "seed"
        layer = "reference" if seed else props["fqn"][1]
        spec = spec.replace_attributes(
            key=dg.AssetKey([layer, props["name"]]),
            group_name=layer,
            owners=OWNERS,
            automation_condition=reload_when_changed() if seed else follows_its_quarter(),
        ).merge_attributes(kinds={"sql"} if props["resource_type"] == "model" else {"csv"})
        # The marts are what analysts read: expected on the same deadline as the report page.
        return spec.replace_attributes(freshness_policy=QUARTER_CLOSE_FRESHNESS) if layer == "marts" else spec

    def get_asset_check_spec(self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str,
                             project: DbtProject | None) -> dg.AssetCheckSpec | None:
        """dbt tests as checks, each described: its own description, else what it tests, where.

        Only the tests of what is read (marts, lookup tables): the tests of staging and
        intermediate views still run in every build, and an error still fails it (dbt's log names
        the test), but as checks they cost three Dagster events a run each (planned, output,
        evaluation; ~0.1-0.25 s each on SQLite) for results no operator reads."""
        if asset_spec.key.path[0] in UNCHECKED_LAYERS:
            return None
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return dg.AssetCheckSpec(
            spec.name, asset=spec.asset_key, description=describe_dbt_test(manifest["nodes"][unique_id], asset_spec.key),
            additional_deps=spec.additional_deps, blocking=spec.blocking, metadata=spec.metadata,
            automation_condition=spec.automation_condition,
        )


def describe_dbt_test(test: Mapping[str, Any], key: dg.AssetKey) -> str:
    if test.get("description", "").strip():
        return test["description"].strip()
    severity = test.get("config", {}).get("severity", "error").lower()
    meta = test.get("test_metadata") or {}
    if not meta:  # a singular test: a SQL file of its own
        return f"dbt singular test `{test['name']}` ({test.get('original_file_path', '')}) on `{key.to_user_string()}`: fails on any row it returns (severity {severity})."
    kwargs = {k: v for k, v in meta.get("kwargs", {}).items() if k not in ("model", "column_name") and v is not None}
    column = meta.get("kwargs", {}).get("column_name")
    where = f"column `{column}` of `{key.to_user_string()}`" if column else f"`{key.to_user_string()}`"
    args = f" with {', '.join(f'{k}={v}' for k, v in sorted(kwargs.items()))}" if kwargs else ""
    return f"dbt test `{meta['name']}` on {where}{args} (severity {severity})."


translator = StateOfMLTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=True)
)

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def table_metadata(conn: duckdb.DuckDBPyConnection, nodes: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Row count (tables only: counting a view runs its whole query) and column schema of each
    built dbt node, by unique_id, in two queries whatever the number of nodes."""
    by_relation = {(n["schema"], n.get("alias") or n["name"]): n for n in nodes}
    if not by_relation:
        return {}
    names = [f"{schema}.{name}" for schema, name in by_relation]
    columns: dict[tuple[str, str], list[dg.TableColumn]] = {}
    tables: list[tuple[str, str]] = []
    for schema, name, column, data_type, table_type in conn.execute(
        """
        select c.table_schema, c.table_name, c.column_name, c.data_type, t.table_type
        from information_schema.columns c
        join information_schema.tables t using (table_catalog, table_schema, table_name)
        where c.table_catalog = current_database() and c.table_schema || '.' || c.table_name in (select unnest($names))
        order by c.table_schema, c.table_name, c.ordinal_position
        """,
        {"names": names},
    ).fetchall():
        described = by_relation[(schema, name)].get("columns", {}).get(column, {})
        columns.setdefault((schema, name), []).append(
            dg.TableColumn(column, data_type.lower(), description=described.get("description") or None)
        )
        if table_type == "BASE TABLE" and (schema, name) not in tables:
            tables.append((schema, name))
    counts: dict[tuple[str, str], int] = {}
    if tables:
        union = " union all ".join(
            f"select '{s}', '{n}', count(*) from \"{s}\".\"{n}\"" for s, n in tables
        )
        counts = {(s, n): c for s, n, c in conn.execute(union).fetchall()}
    metadata = {}
    for relation, node in by_relation.items():
        if relation not in columns:
            continue  # not in the warehouse (a model that failed before creating it)
        md: dict[str, Any] = {"dagster/column_schema": dg.TableSchema(columns=columns[relation])}
        if relation in counts:
            md["dagster/row_count"] = counts[relation]
        metadata[node["unique_id"]] = md
    return metadata


def docs_url(analysts: AnalystsFolder, node: Mapping[str, Any]) -> dg.UrlMetadataValue:
    """The node's page in the dbt docs site (asset analysts/dbt_docs; `stateofml docs`), as a link."""
    return dg.MetadataValue.url((analysts.root / DOCS_SITE).as_uri() + docs_fragment(node["resource_type"], node["unique_id"]))


def stream_with_table_metadata(invocation: DbtCliInvocation, connect: Connect, log,
                               analysts: AnalystsFolder | None = None) -> Iterator[Any]:
    """The invocation's Dagster events; each built model or seed with `dagster/row_count` and
    `dagster/column_schema` read from the warehouse.

    dbt holds the DuckDB file while it runs, so events are buffered until it exits (as
    dagster-dbt's fetch_row_counts does for DuckDB); then one connection, under the warehouse
    lock the caller already holds, reads the metadata: no second process, no lock wait.
    """
    events, failure = [], None
    try:
        events.extend(invocation.stream())
    except Exception as exc:  # a failed model or test: what was built is still reported, then the error
        failure = exc

    def unique_id(event) -> str | None:
        if isinstance(event, dg.Output | dg.AssetMaterialization) and "unique_id" in event.metadata:
            return event.metadata["unique_id"].value
        return None

    # dagster-dbt reports a test that is no asset check (UNCHECKED_LAYERS) as an observation of its
    # model: one event a test a run, which says no more than dbt's log and the build's outcome.
    events = [e for e in events if not (isinstance(e, dg.AssetObservation)
                                        and str(e.metadata.get("unique_id", dg.MetadataValue.text("")).value).startswith("test."))]

    built = [invocation.manifest["nodes"][uid] for uid in map(unique_id, events) if uid]
    extra: dict[str, dict[str, Any]] = {}
    if built:
        started = time.monotonic()
        try:
            with connect() as conn:
                extra = table_metadata(conn, built)
            log.info(f"row counts and column schemas of {len(extra)} relations in {time.monotonic() - started:.2f}s")
        except Exception as exc:  # metadata is a courtesy: never hide dbt's own outcome behind it
            log.warning(f"no table metadata: {exc}")
    if analysts is not None:
        for node in built:
            extra.setdefault(node["unique_id"], {})["dbt_docs"] = docs_url(analysts, node)
    for event in events:
        uid = unique_id(event)
        yield event.with_metadata({**event.metadata, **extra[uid]}) if uid in extra else event
    if failure is not None:
        raise failure


# What the warehouse's lookup tables were loaded from (a fingerprint of the seed files), written
# after each successful `dbt seed`: a run whose seed files did not change skips the reload.
SEEDS_LOADED = "_platform.seeds_loaded"


def seeds_fingerprint(project_dir: Path) -> str:
    """sha256 over what a seed table is made from: the CSV and YAML files under seeds/ (data,
    column types, descriptions), dbt_project.yml (seed configs) and the dbt and adapter versions."""
    digest = hashlib.sha256()
    files = [project_dir / "dbt_project.yml", *sorted(p for p in (project_dir / "seeds").rglob("*") if p.is_file())]
    for path in files:
        digest.update(f"{path.relative_to(project_dir)}\0".encode())
        digest.update(path.read_bytes())
    for package in ("dbt-core", "dbt-duckdb"):
        digest.update(f"{package}=={installed_version(package)}\0".encode())
    return digest.hexdigest()


def seeds_loaded_from(conn: duckdb.DuckDBPyConnection, keys: Iterable[dg.AssetKey]) -> str | None:
    """The fingerprint the warehouse's seed tables were loaded from; None if one of them is missing."""
    wanted = {(key.path[0], key.path[-1]) for key in keys}
    present = set(conn.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
    ).fetchall())
    if not wanted <= present or ("_platform", "seeds_loaded") not in present:
        return None
    row = conn.execute(f"select fingerprint from {SEEDS_LOADED}").fetchone()
    return row[0] if row else None


def record_seeds_loaded(conn: duckdb.DuckDBPyConnection, fingerprint: str) -> None:
    conn.execute(f"create schema if not exists {SEEDS_LOADED.split('.')[0]}")
    conn.execute(f"create or replace table {SEEDS_LOADED} as select ? as fingerprint, now() as loaded_at", [fingerprint])


class SeedsConfig(dg.Config):
    reload: bool = Field(default=False, description="Reload the lookup tables even if their files did not change.")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="resource_type:seed",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def reference_seeds(context: dg.AssetExecutionContext, config: SeedsConfig, dbt: DbtCliResource,
                    warehouse: Warehouse, analysts: AnalystsFolder):
    """Lookup tables (countries, GPUs, libraries): unpartitioned, rebuilt when they change.

    Not reloaded when the warehouse already holds them loaded from the same files (the fingerprint
    in _platform.seeds_loaded): a `dbt seed` cost 15-20 s a run for 2 s of SQL. A skipped table
    is materialized only in a Dagster instance that never recorded it (so the catalog is complete);
    elsewhere its last materialization stands and the automation sees no change.
    """
    fingerprint = seeds_fingerprint(dbt_project.project_dir)
    keys = sorted(context.selected_asset_keys, key=lambda k: k.to_user_string())
    with warehouse.dbt_environment() as connect:
        if not config.reload:
            with connect() as conn:
                unchanged = seeds_loaded_from(conn, keys) == fingerprint
            if unchanged:
                context.log.info(f"lookup tables unchanged since loaded (seed files {fingerprint[:12]}): not reloaded")
                unrecorded = [k for k in keys if context.instance.get_latest_materialization_event(k) is None]
                if unrecorded:  # described as a load would describe them: rows, columns, docs page
                    seeds = {n["name"]: n for n in json.loads(dbt_project.manifest_path.read_text())["nodes"].values()
                             if n["resource_type"] == "seed"}
                    nodes = [seeds[k.path[-1]] for k in unrecorded]
                    with connect() as conn:
                        described = table_metadata(conn, nodes)
                    for key, node in zip(unrecorded, nodes):
                        yield dg.MaterializeResult(asset_key=key, metadata={
                            **described.get(node["unique_id"], {}), "dbt_docs": docs_url(analysts, node),
                            "reloaded": False, "seed_files": fingerprint[:12]})
                return
        target = warehouse.dbt_target(f"seed-{context.run.run_id[:8]}")
        invocation = dbt.cli(warehouse.dbt_args("seed", target=target), env=warehouse.dbt_env(), cwd=warehouse.dbt_cwd,
                             context=context, target_path=target)
        yield from stream_with_table_metadata(invocation, connect, context.log, analysts)
        if invocation.is_successful() and set(keys) == set(context.assets_def.keys):
            with connect() as conn:
                record_seeds_loaded(conn, fingerprint)


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
def quarterly_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse,
                     analysts: AnalystsFolder):
    """Staging, intermediate and mart models for the partition's quarter(s), tests included."""
    window = context.partition_time_window
    dbt_vars = dbt_vars_for_window(window.start, window.end)
    context.log.info(f"dbt build for {dbt_vars}")
    target = warehouse.dbt_target(f"build-{context.run.run_id[:8]}")
    with warehouse.dbt_environment() as connect:
        invocation = dbt.cli(warehouse.dbt_args("build", target=target), env=warehouse.dbt_env(dbt_vars),
                             cwd=warehouse.dbt_cwd, context=context, target_path=target)
        yield from stream_with_table_metadata(invocation, connect, context.log, analysts)

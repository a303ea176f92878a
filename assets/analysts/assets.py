"""Analysts' assets: the published copy of the marts (+ Parquet) and the dbt docs site.

Why a separate asset rather than a step inside the dbt asset: it shows in the lineage (marts ->
analysts), has its own metadata (what was published, how big, how long), can be re-published
alone from the UI, and a failed publication never marks the dbt models as failed. It runs in the
quarterly job right after the marts, so every successful build is published.
"""

import json
import os
import shutil
import time

import dagster as dg
from dagster_dbt import DbtCliResource

from stateofml.platform.automation import follows_its_quarter
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.platform.project import dbt_project
from stateofml.platform.resources import WAREHOUSE_POOL, AnalystsFolder, Warehouse

from .publish import COPY_FILE, DOCS_SITE, existing, export_parquet, publish_copy, published_relations

GROUP = "analysts"
OWNERS = ["team:analytics-engineering"]


def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


# The marts and seeds as the dbt translator keys them ([schema, name]); read from the same
# manifest @dbt_assets reads when the definitions load.
PUBLISHED_KEYS = [dg.AssetKey([r.schema, r.name]) for r in published_relations(_manifest())]
MART_KEYS = [k for k in PUBLISHED_KEYS if k.path[0] == "marts"]


@dg.asset(
    key=[GROUP, "marts_copy"],
    group_name=GROUP,
    owners=OWNERS,
    kinds={"duckdb", "parquet", "python"},
    deps=PUBLISHED_KEYS,
    # Partitioned like the marts, so a quarter's run publishes right after its build (one run in
    # the UI, not a backfill of mixed partitioning); each publication holds every quarter built.
    partitions_def=quarterly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    # Marts rebuilt by automation (late data, a changed lookup table) are published too.
    automation_condition=follows_its_quarter(),
    pool=WAREHOUSE_POOL,  # it reads the warehouse
    description=(
        f"Every mart and lookup table copied into `<data>/analysts/{COPY_FILE}` (dbt descriptions "
        "as table and column comments) and every mart as `<data>/analysts/parquet/<mart>.parquet`, "
        "all quarters built so far; the core's large fct_runs and fct_run_libraries as "
        "`parquet/<mart>/<quarter>.parquet`, rewritten for the quarters built, and views over them in "
        "the copy. Written to temporary files and swapped in atomically: analysts query it with any "
        "DuckDB client while the pipeline runs, and never lock the pipeline out."
    ),
)
def marts_copy(context: dg.AssetExecutionContext, warehouse: Warehouse, analysts: AnalystsFolder) -> dg.MaterializeResult:
    relations = published_relations(_manifest())
    target = analysts.root / COPY_FILE
    started = time.monotonic()
    with warehouse.get_connection() as conn:
        present = existing(conn, relations)
        # Parquet first: the copy's views over the core read those files.
        parquet = export_parquet(conn, present, analysts.root / "parquet", context_quarters(context))
        rows = publish_copy(conn, present, target, analysts.root / "parquet")
    seconds = time.monotonic() - started
    missing = sorted(f"{r.schema}.{r.name}" for r in relations if r not in present)
    context.log.info(f"published {len(rows)} tables to {target} in {seconds:.2f}s")
    if missing:
        context.log.warning(f"not built yet, so not published: {', '.join(missing)}")
    table = "\n".join(f"| `{name}` | {n:,} |" for name, n in rows.items())
    return dg.MaterializeResult(
        metadata={
            "published_after": ", ".join(q.label for q in context_quarters(context)),
            "path": dg.MetadataValue.path(str(target)),
            "parquet": dg.MetadataValue.path(str(analysts.root / "parquet")),
            "tables": dg.MetadataValue.md(f"| table | rows |\n|---|---|\n{table}"),
            "not_built_yet": ", ".join(missing) or "none",
            "bytes": target.stat().st_size,
            "parquet_files_written": len(parquet),
            "seconds": round(seconds, 2),
            "query_it": dg.MetadataValue.md(f"```\nduckdb -readonly {target}\n```"),
        }
    )


@dg.asset(
    key=[GROUP, "dbt_docs"],
    group_name=GROUP,
    owners=OWNERS,
    kinds={"dbt", "html"},
    deps=MART_KEYS,
    pool=WAREHOUSE_POOL,  # dbt reads the warehouse's catalog (column types, table stats)
    description=(
        "The dbt documentation (every model, column, test and the lineage) as one static page: "
        "`<data>/analysts/dbt_docs/index.html`, opens from disk without a server. Not part of the "
        "quarterly job (it costs one dbt invocation); materialize it when models change."
    ),
)
def dbt_docs(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse,
             analysts: AnalystsFolder) -> dg.MaterializeResult:
    target = warehouse.dbt_target(f"docs-{context.run.run_id[:8]}")
    with warehouse.dbt_environment():
        invocation = dbt.cli(warehouse.dbt_args("docs", "generate", "--static", target=target),
                             env=warehouse.dbt_env(), cwd=warehouse.dbt_cwd, manifest=dbt_project.manifest_path, target_path=target).wait()
    site = invocation.target_path / "static_index.html"
    target = analysts.root / DOCS_SITE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".index.html.{os.getpid()}.tmp")
    shutil.copyfile(site, tmp)
    os.replace(tmp, target)
    catalog = invocation.get_artifact("catalog.json")
    context.log.info(f"dbt docs: {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "documented_relations": len(catalog.get("nodes", {})),
            "bytes": target.stat().st_size,
        }
    )


analyst_assets = [marts_copy, dbt_docs]

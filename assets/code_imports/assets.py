"""The parsed-imports cache as a Dagster asset: each quarter's new code blobs -> code_imports.parsed_code.

The table is content-addressed and shared by every quarter (a script first saved in 2021 Q3 is parsed once,
whichever later runs reuse it); the partition only says which quarter's blobs to offer. Offering a quarter
again parses nothing already parsed, so a rerun costs an anti-join, not a re-parse.
"""

import dagster as dg

from assets.ingest.load import table_name
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.platform.resources import WAREHOUSE_POOL, Warehouse

from .cache import TABLE, update_code_imports

PARSED_CODE_KEY = dg.AssetKey(["code_imports", "parsed_code"])


class ParseConfig(dg.Config):
    # Worker processes for a big batch of new sources (update_code_imports decides per call whether
    # spawning them pays: small batches parse in-process). Two = the cores of the smallest machine.
    workers: int = 2


def blobs_query(conn, quarters) -> str:
    """One SELECT over the quarters' raw code_blobs tables (validated names only)."""
    tables = [table_name("code_blobs", q) for q in quarters]
    existing = {
        f"{schema}.{name}"
        for schema, name in conn.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    missing = [t for t in tables if t not in existing]
    if missing:
        raise dg.Failure(f"raw code blobs not loaded for {', '.join(missing)}: materialize raw/code_blobs first")
    # local_modules: an extra field the run-folder importer writes (the project's own modules).
    local = "from_json(json_extract(extra, '$.local_modules'), '[\"VARCHAR\"]') as local_modules"
    return " union all ".join(f"select code_hash, path, source, {local} from {t}" for t in tables)


@dg.asset(
    key=PARSED_CODE_KEY,
    group_name="code_imports",
    owners=["team:analytics-engineering"],
    kinds={"python", "duckdb"},
    deps=[dg.AssetKey(["raw", "code_blobs"])],
    partitions_def=quarterly_partitions,
    # A backfill of many quarters is one run: one connection, one process pool, one anti-join.
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    description=(
        "Third-party modules imported by each distinct training script or notebook (one row per code hash, "
        f"`{TABLE}`), parsed without executing it. Incremental by content: only hashes never parsed "
        "before are read from `raw.code_blobs__<yyyy>q<n>` of the partition's quarters."
    ),
    metadata={"table": TABLE, "docs": "docs/code_imports.md"},
)
def parsed_code(context: dg.AssetExecutionContext, config: ParseConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    quarters = context_quarters(context)
    with warehouse.get_connection() as conn:
        stats = update_code_imports(conn, blobs_query(conn, quarters), workers=config.workers)
        total = conn.execute(f"select count(*) from {TABLE}").fetchone()[0]
    label = ",".join(q.compact for q in quarters)
    context.log.info(
        f"code imports {label}: {stats.seen} hashes offered, {stats.already_parsed} already parsed, "
        f"{stats.parsed_now} parsed now in {stats.seconds:.1f}s ({stats.pool_batches} pool batches)"
    )
    return dg.MaterializeResult(
        metadata={
            "quarters": label,
            "seen": stats.seen,
            "already_parsed": stats.already_parsed,
            "parsed_now": stats.parsed_now,
            "by_method": dg.MetadataValue.json(stats.by_method),
            "errors": stats.errors,
            "pool_batches": stats.pool_batches,
            "seconds": stats.seconds,
            "dagster/row_count": total,
        }
    )

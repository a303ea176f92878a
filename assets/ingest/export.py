"""Raw tables -> Parquet files: the hand-over from the DuckDB warehouse to another engine.

The Spark target of the dbt project (docs/spark.md) reads the raw sources as Spark tables over
these files (macro ``register_raw_parquet``), so both engines model exactly the same rows:
the ingestion (validation, quarantine, deduplication) stays the one in ``load.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

# Schema and table names come from the dbt manifest; still, only plain identifiers reach SQL.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def dbt_sources(manifest_path: Path) -> list[tuple[str, str]]:
    """(schema, table) of every source of the dbt project, from its parsed manifest."""
    manifest = json.loads(Path(manifest_path).read_text())
    return sorted({(s["schema"], s["identifier"]) for s in manifest["sources"].values()})


def export_parquet(conn: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], out_dir: Path) -> dict[str, int]:
    """Write each table to ``<out_dir>/<schema>/<table>/data.parquet``; returns rows per table.

    A table that does not exist (a source nobody has loaded yet) is an error: a missing source
    on one engine would silently make its marts differ.
    """
    counts: dict[str, int] = {}
    for schema, table in tables:
        if not (_IDENTIFIER.fullmatch(schema) and _IDENTIFIER.fullmatch(table)):
            raise ValueError(f"not a plain identifier: {schema}.{table}")
        folder = Path(out_dir) / schema / table
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "data.parquet"
        path = str(target).replace("'", "''")
        conn.execute(f"copy (select * from {schema}.{table}) to '{path}' (format parquet, compression zstd)")
        counts[f"{schema}.{table}"] = conn.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
    return counts

"""Publish the marts for analysts: a DuckDB file of their own, and Parquet files.

The warehouse allows one process at a time (DuckDB's file lock), so an analyst who opened it
would stop the pipeline, and a running pipeline would refuse the analyst. The published copy
is a different file: written beside the old one under a temporary name and swapped in with
``os.replace``, so a reader who holds the old file keeps reading its snapshot, a new reader gets
the new one, and the pipeline never waits for anyone.

The core's two large tables (fct_runs, fct_run_libraries: tens of millions and hundreds of millions
of rows a quarter) are the exception, marked in their dbt yml (``meta: {analysts_copy:
parquet_by_quarter}``): copying them whole at every publication cost more than the quarter's dbt
build at full size (205 s of an 848 s quarter) and grows with every quarter of history. They are
written as one Parquet file per quarter, only for the quarters the run built (and any the folder
lacks), each file swapped in whole; in the DuckDB copy they are views over those files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from stateofml.quarters import Quarter

# The warehouse's name: the same catalog name (stateofml) and the same SQL work on both files.
COPY_FILE = "stateofml.duckdb"
# The dbt docs site, one page that opens from disk.
DOCS_SITE = Path("dbt_docs") / "index.html"
# The meta value (`analysts_copy`) of a mart published as Parquet files by quarter (see above).
BY_QUARTER = "parquet_by_quarter"
# dbt_project.yml's `name`: the middle of every model's unique_id (model.stateofml.<name>).
DBT_PROJECT = "stateofml"


def docs_fragment(resource_type: str, unique_id: str) -> str:
    """A node's page within the docs site: its Angular route, after the site's "#!" hash prefix."""
    return f"#!/{resource_type}/{unique_id}"


def mart_docs_fragment(mart: str) -> str:
    """The page of ``marts.<mart>`` within the docs site."""
    return docs_fragment("model", f"model.{DBT_PROJECT}.{mart}")


@dataclass(frozen=True)
class Relation:
    """A table analysts get: a mart (published and exported) or a reference seed (published)."""

    schema: str
    name: str
    description: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)  # column -> description
    by_quarter: bool = False  # published as <parquet>/<name>/<quarter>.parquet, a view in the copy

    @property
    def sql(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    @property
    def is_mart(self) -> bool:
        return self.schema == "marts"


def published_relations(manifest: Mapping[str, Any]) -> list[Relation]:
    """Every mart model and every seed of the dbt project, with their dbt descriptions."""
    relations = []
    for node in manifest["nodes"].values():
        is_mart = node["resource_type"] == "model" and node["fqn"][1] == "marts"
        if is_mart or node["resource_type"] == "seed":
            meta = {**node.get("meta", {}), **node.get("config", {}).get("meta", {})}
            relations.append(Relation(
                schema=node["schema"],
                name=node.get("alias") or node["name"],
                description=(node.get("description") or "").strip(),
                columns={c: (v.get("description") or "").strip() for c, v in node.get("columns", {}).items()},
                by_quarter=is_mart and meta.get("analysts_copy") == BY_QUARTER,
            ))
    return sorted(relations, key=lambda r: (r.schema, r.name))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def existing(conn: duckdb.DuckDBPyConnection, relations: list[Relation]) -> list[Relation]:
    """The relations the warehouse holds (a mart is missing until its first build)."""
    present = {tuple(r) for r in conn.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
    ).fetchall()}
    return [r for r in relations if (r.schema, r.name) in present]


def quarter_files(folder: Path, r: Relation) -> Path:
    """Where a by-quarter mart's files are: ``<folder>/<name>/<2022Q4>.parquet``."""
    return folder / r.name


def publish_copy(conn: duckdb.DuckDBPyConnection, relations: list[Relation], target: Path,
                 parquet: Path) -> dict[str, int]:
    """Copy the relations from the warehouse (``conn``) into a new DuckDB file, with the dbt
    descriptions as table and column comments, then swap it in as ``target``. A by-quarter mart
    becomes a view over its Parquet files under ``parquet`` (export_parquet writes them first;
    absolute paths, so the view works from any working directory). Row counts by ``schema.name``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)  # from a publication killed halfway
    rows: dict[str, int] = {}
    conn.execute(f"attach {_literal(str(tmp))} as publish")
    try:
        for r in relations:
            conn.execute(f'create schema if not exists publish."{r.schema}"')
            files = sorted(quarter_files(parquet, r).glob("*.parquet")) if r.by_quarter else []
            if files:
                glob = str(quarter_files(parquet.resolve(), r) / "*.parquet")
                conn.execute(f"create view publish.{r.sql} as select * from read_parquet({_literal(glob)})")
            else:  # a small mart; or a by-quarter one with no quarter built yet (an empty table keeps its columns)
                conn.execute(f"create table publish.{r.sql} as select * from {r.sql}" + (" limit 0" if r.by_quarter else ""))
            if r.description:
                kind = "view" if files else "table"
                conn.execute(f"comment on {kind} publish.{r.sql} is {_literal(r.description)}")
            columns = {c for (c,) in conn.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = 'publish' and table_schema = $s and table_name = $n",
                {"s": r.schema, "n": r.name}).fetchall()}
            for column, text in r.columns.items():
                if text and column in columns:
                    conn.execute(f'comment on column publish.{r.sql}."{column}" is {_literal(text)}')
            rows[f"{r.schema}.{r.name}"] = conn.execute(f"select count(*) from publish.{r.sql}").fetchone()[0]
        conn.execute("detach publish")  # checkpoints: the file is whole, no WAL beside it
    except BaseException:
        conn.execute("detach database if exists publish")
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return rows


def _write_parquet(conn: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    """``select`` as the zstd Parquet file ``path``, swapped in whole (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        conn.execute(f"copy ({select}) to {_literal(str(tmp))} (format parquet, compression zstd)")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_parquet(conn: duckdb.DuckDBPyConnection, relations: list[Relation], folder: Path,
                   quarters: list[Quarter]) -> list[Path]:
    """Each mart as ``<folder>/<mart>.parquet`` (zstd), rewritten whole; each by-quarter mart as
    ``<folder>/<mart>/<quarter>.parquet``, rewritten for ``quarters`` (the run's) and for any
    quarter of the warehouse the folder lacks; files of marts or quarters that are no longer in
    the warehouse are removed. The files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for r in relations:
        if not r.is_mart:
            continue
        if not r.by_quarter:
            _write_parquet(conn, f"select * from {r.sql}", folder / f"{r.name}.parquet")
            written.append(folder / f"{r.name}.parquet")
            continue
        sub = quarter_files(folder, r)
        sub.mkdir(exist_ok=True)
        built = {Quarter.containing(d): sub / f"{Quarter.containing(d).compact}.parquet"
                 for (d,) in conn.execute(f"select distinct quarter_start from {r.sql}").fetchall()}
        for q, path in sorted(built.items()):
            if q in quarters or not path.exists():
                _write_parquet(conn, f"select * from {r.sql} where quarter_start = date '{q.start}'", path)
                written.append(path)
        for stale in set(sub.glob("*.parquet")) - set(built.values()):
            stale.unlink()
    marts = {quarter_files(folder, r) for r in relations if r.is_mart and r.by_quarter}
    for stale in set(folder.glob("*.parquet")) - set(written):
        stale.unlink()
    for stale in {d for d in folder.iterdir() if d.is_dir()} - marts:
        for f in stale.glob("*.parquet"):
            f.unlink()
        if not any(stale.iterdir()):
            stale.rmdir()
    return written

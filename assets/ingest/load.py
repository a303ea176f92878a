"""Load one entity for one quarter (or the users snapshot): validate, deduplicate, replace.

Storage layout: one table per entity and quarter (``raw.runs__2022q4``), replaced whole in one
transaction, behind a view (``raw.runs``) that unions the quarters. Re-running a quarter then
costs what running it once costs, never grows the file, and never touches other quarters
(a DELETE+INSERT inside one big table did all three badly, see docs).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from stateofml.contract import ENTITIES, Entity, file_date, landing_files
from stateofml.quarters import Quarter

from .readers import (
    CAST_ERRORS_COL,
    EXTRA_COL,
    FILE_COL,
    PARSE_TS_MACRO,
    ROW_COL,
    FileRead,
    count_records,
    duckdb_type,
    file_sha256,
    read_file,
    read_parquet_files,
)

RAW_SCHEMA = "raw"
# Counts in a 64-bit world: more GPUs than this on one run is a broken probe, not a machine.
MAX_GPU_COUNT = 1024
# Clocks drift; a record more than this far in the future is wrong, not early.
FUTURE_TOLERANCE = timedelta(days=1)

QUARANTINE_COLUMNS = (
    "entity VARCHAR, quarter VARCHAR, source_file VARCHAR, source_row BIGINT, "
    "record_key VARCHAR, reason VARCHAR, record VARCHAR"
)


@dataclass
class LoadStats:
    entity: str
    quarter: str  # "2022Q4", or "snapshot" for users
    files: int = 0
    duplicate_files: int = 0
    failed_files: list[str] = field(default_factory=list)
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    deduplicated: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.quarantined + self.deduplicated

    @property
    def quarantine_share(self) -> float:
        return self.quarantined / self.read if self.read else 0.0


def table_name(entity: str, quarter: Quarter | None) -> str:
    """Validated identifiers only: entity from the contract, suffix from a parsed Quarter."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}")
    return f"{RAW_SCHEMA}.{entity}" if quarter is None else f"{RAW_SCHEMA}.{entity}__{quarter.table_suffix}"


def load_quarter(conn: duckdb.DuckDBPyConnection, landing: Path, entity_name: str, quarter: Quarter,
                 now: datetime | None = None) -> LoadStats:
    entity = ENTITIES[entity_name]
    if not entity.quarterly:
        raise ValueError(f"{entity_name} is loaded as a snapshot, not by quarter")
    files = landing_files(landing, entity_name, quarter.start, quarter.end)
    return _load(conn, entity, files, quarter, now or datetime.now(timezone.utc))


def load_snapshot(conn: duckdb.DuckDBPyConnection, landing: Path, entity_name: str,
                  now: datetime | None = None) -> LoadStats:
    entity = ENTITIES[entity_name]
    return _load(conn, entity, landing_files(landing, entity_name), None, now or datetime.now(timezone.utc))


def _load(conn, entity: Entity, files: list[Path], quarter: Quarter | None, now: datetime) -> LoadStats:
    stats = LoadStats(entity.name, quarter.compact if quarter else "snapshot", files=len(files))
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(PARSE_TS_MACRO)
    staged = f"_staged_{entity.name}"
    typed_cols = ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in entity.schema)
    conn.execute(f"create or replace temp table {staged} ({typed_cols}, {EXTRA_COL} VARCHAR, "
                 f"{CAST_ERRORS_COL} VARCHAR, {FILE_COL} VARCHAR, {ROW_COL} BIGINT)")
    conn.execute(f"create or replace temp table _bad_lines ({QUARANTINE_COLUMNS})")
    reads: list[FileRead] = []
    # The same file delivered twice (the file-hash manifest): only the first delivery (oldest
    # mtime, then name) is read; a later copy is a no-op whose records count as deduplicated.
    hashes = {path: file_sha256(path) for path in files}
    first_by_hash: dict[str, Path] = {}
    for path in sorted(files, key=lambda p: (p.stat().st_mtime_ns, str(p))):
        first_by_hash.setdefault(hashes[path], path)
    to_read = []
    for path in files:
        sha = hashes[path]
        if first_by_hash[sha] != path:
            try:
                n = count_records(path)
            except (OSError, EOFError, gzip.BadGzipFile, pa.ArrowException):
                n = 0  # as unreadable as its twin, whose error is already reported
            reads.append(FileRead(path, sha, path.stat().st_size, rows=n, duplicate_of=first_by_hash[sha]))
        else:
            to_read.append(path)
    # Parquet files together (one statement per schema), JSON Lines one by one (parsed in Python).
    read_now = read_parquet_files(conn, [p for p in to_read if p.name.endswith(".parquet")], entity, staged, hashes)
    read_now += [read_file(conn, p, entity, staged, sha256=hashes[p]) for p in to_read if not p.name.endswith(".parquet")]
    for info in read_now:
        reads.append(info)
        path = info.path
        if info.error:
            # The file as a whole is quarantined: one row naming it, so it is counted and visible.
            stats.failed_files.append(f"{path}: {info.error}")
            info.bad_lines.append((None, f"unreadable file: {info.error}", None))
        if info.bad_lines:
            conn.executemany(
                "insert into _bad_lines values (?, ?, ?, ?, null, ?, ?)",
                [(entity.name, stats.quarter, str(path), line, reason, text) for line, reason, text in info.bad_lines],
            )
    stats.read = sum(r.rows + len(r.bad_lines) for r in reads)

    # Quarantined records are not candidates for deduplication: a bad newer version must not
    # hide a good older one. Ties on updated_at: the file name that sorts last, then the last row.
    # The rule check is a view, not a copy, and only the keys seen more than once are ranked
    # (a window over every record, 35 M wide rows at full size, made the load 1.6x slower).
    conn.execute(f"create or replace temp view _checked as "
                 f"select *, {_reasons_sql(entity, quarter, now)} as _reason from {staged}")
    conn.execute(f"""
        create or replace temp table _superseded as
        with good as (
            select "{entity.key}" as _key, {_order_col(entity)} as _version, {FILE_COL}, {ROW_COL}
            from _checked where _reason is null
        ),
        repeated as (select _key from good group by _key having count(*) > 1),
        ranked as (
            select {FILE_COL}, {ROW_COL}, row_number() over (
                       partition by _key order by _version desc nulls last, {FILE_COL} desc, {ROW_COL} desc) as _rank
            from good semi join repeated using (_key)
        )
        select {FILE_COL}, {ROW_COL} from ranked where _rank > 1
    """)
    target = table_name(entity.name, quarter)
    quarantine = (f"{RAW_SCHEMA}.quarantine__{entity.name}__{quarter.table_suffix}" if quarter
                  else f"{RAW_SCHEMA}.quarantine__{entity.name}")
    manifest = (f"{RAW_SCHEMA}.landing_files__{entity.name}__{quarter.table_suffix}" if quarter
                else f"{RAW_SCHEMA}.landing_files__{entity.name}")
    conn.execute("create or replace temp table _manifest (entity VARCHAR, quarter VARCHAR, path VARCHAR, "
                 "sha256 VARCHAR, size_bytes BIGINT, records BIGINT, status VARCHAR, detail VARCHAR, loaded_at TIMESTAMP)")
    manifest_rows = [
        (entity.name, stats.quarter, str(r.path), r.sha256, r.size_bytes, r.rows + len(r.bad_lines),
         "duplicate" if r.duplicate_of else "failed" if r.error else "read",
         f"same bytes as {r.duplicate_of}" if r.duplicate_of else r.error, now.replace(tzinfo=None))
        for r in reads
    ]
    if manifest_rows:  # DuckDB's executemany refuses an empty list
        conn.executemany("insert into _manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?)", manifest_rows)
    conn.execute("begin transaction")
    try:
        conn.execute(f"create schema if not exists {RAW_SCHEMA}")
        conn.execute(f"""
            create or replace table {target} as
            select {_final_columns(entity)}, {EXTRA_COL} as extra, {FILE_COL} as source_file, {ROW_COL} as source_row
            from _checked anti join _superseded using ({FILE_COL}, {ROW_COL})
            where _reason is null
        """)
        conn.execute(f"""
            create or replace table {quarantine} as
            select * from _bad_lines
            union all by name
            select '{entity.name}' as entity, '{stats.quarter}' as quarter, {FILE_COL} as source_file,
                   {ROW_COL} as source_row, "{entity.key}"::varchar as record_key, _reason as reason,
                   to_json(struct_pack({', '.join(f'"{f.name}" := "{f.name}"' for f in entity.schema)},
                                       extra := {EXTRA_COL}))::varchar as record
            from _checked where _reason is not null
        """)
        conn.execute(f"create or replace table {manifest} as select * from _manifest")
        if quarter is not None:
            _refresh_union_view(conn, entity.name)
            _refresh_union_view(conn, f"landing_files__{entity.name}", like=f"landing_files__{entity.name}__")
            _refresh_union_view(conn, f"quarantine__{entity.name}", like=f"quarantine__{entity.name}__")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    stats.loaded = conn.execute(f"select count(*) from {target}").fetchall()[0][0]
    stats.quarantined = conn.execute(f"select count(*) from {quarantine}").fetchall()[0][0]
    stats.duplicate_files = sum(1 for r in reads if r.duplicate_of)
    stats.deduplicated = conn.execute("select count(*) from _superseded").fetchall()[0][0] \
        + sum(r.rows for r in reads if r.duplicate_of)
    stats.reasons = dict(conn.execute(
        f"select reason, count(*) from {quarantine} group by all order by 2 desc").fetchall())
    conn.execute("drop view if exists _checked")
    for t in (staged, "_superseded", "_bad_lines", "_manifest"):
        conn.execute(f"drop table if exists {t}")
    return stats


def _final_columns(entity: Entity) -> str:
    return ", ".join(
        f"{_order_col(entity)} as updated_at" if f.name == "updated_at" else f'"{f.name}"' for f in entity.schema
    )


def _order_col(entity: Entity) -> str:
    # A record without updated_at is the first version of itself: it dates from its event time.
    if "updated_at" in entity.schema.names:
        return f'coalesce(updated_at, "{entity.event_time}")'
    return f'"{entity.event_time}"'


def _reasons_sql(entity: Entity, quarter: Quarter | None, now: datetime) -> str:
    """The first failed rule of a record, as text; NULL when the record is good."""
    ev = f'"{entity.event_time}"'
    future = (now + FUTURE_TOLERANCE).replace(tzinfo=None).isoformat(sep=" ")
    rules = [
        (f'"{entity.key}" is null or trim("{entity.key}") = \'\'', f"missing {entity.key}"),
        (f"{CAST_ERRORS_COL} is not null", f"'wrong type: ' || {CAST_ERRORS_COL}"),
        (f"{ev} is null", f"missing or unparseable {entity.event_time}"),
        (f"{ev} > timestamp '{future}'", f"{entity.event_time} in the future"),
        (f"strftime({ev}, '%Y-%m-%d') <> regexp_extract({FILE_COL}, 'date=([0-9-]+)', 1)",
         f"{entity.event_time} is not in its date= folder"),
    ]
    if entity.name == "runs":
        rules += [
            ("runtime_seconds < 0", "negative runtime_seconds"),
            (f"gpu_count < 0 or gpu_count > {MAX_GPU_COUNT}", "absurd gpu_count"),
        ]
    whens = " ".join(
        f"when {cond} then {reason if reason.startswith(chr(39)) else repr(reason)}" for cond, reason in rules
    )
    return f"(case {whens} end)"


def _refresh_union_view(conn, view: str, like: str | None = None) -> None:
    """Point ``raw.<view>`` at every quarter table of that kind (schemas may drift: BY NAME)."""
    prefix = like or f"{view}__"
    tables = [r[0] for r in conn.execute(
        "select table_name from duckdb_tables() where schema_name = ? and starts_with(table_name, ?) "
        "and regexp_full_match(substr(table_name, ?), '[0-9]{4}q[1-4]') order by table_name",
        [RAW_SCHEMA, prefix, len(prefix) + 1]).fetchall()]
    body = " union all by name ".join(f"select * from {RAW_SCHEMA}.{t}" for t in tables)
    conn.execute(f"create or replace view {RAW_SCHEMA}.{view} as {body}")


def quarter_of_file(path: Path) -> Quarter | None:
    day: date | None = file_date(path)
    return Quarter.containing(day) if day else None

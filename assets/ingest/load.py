"""Load one entity for one quarter (or the users snapshot): validate, deduplicate, replace.

Storage layout: one table per entity and quarter (``raw.runs__2022q4``), replaced whole in one
transaction, behind a view (``raw.runs``) that unions the quarters. Re-running a quarter then
costs what running it once costs, never grows the file, and touches other quarters only to remove
the older copy of a key it now holds in a newer version (a DELETE+INSERT inside one big table did
all three badly, see docs). That other quarter's dbt models still count the key until it is
rebuilt: ``LoadStats.superseded_elsewhere`` names it (assets/ingest/assets.py reports it to the
automation, and the CLI prints the command that rebuilds it).
"""

from __future__ import annotations

import gzip
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from stateofml.contract import ENTITIES, Entity, LandingScan, folder_date, scan_entity
from stateofml.quarters import Quarter

from .readers import (
    CAST_ERRORS_COL,
    EXTRA_COL,
    FILE_COL,
    PARSE_TS_MACRO,
    ROW_COL,
    FileRead,
    ParquetInPlace,
    count_records,
    duckdb_type,
    file_sha256,
    parquet_in_place,
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
    # Paths under the entity's folder that are not data files ("path: why"); not records, not counted in read.
    unrecognised: list[str] = field(default_factory=list)
    # Quarter -> keys whose older copy left that quarter's table because this load holds a newer version.
    superseded_elsewhere: dict[str, int] = field(default_factory=dict)

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
    scan = scan_entity(landing, entity_name, quarter.start, quarter.end)
    return _load(conn, entity, scan, quarter, now or datetime.now(timezone.utc))


def load_snapshot(conn: duckdb.DuckDBPyConnection, landing: Path, entity_name: str,
                  now: datetime | None = None) -> LoadStats:
    entity = ENTITIES[entity_name]
    return _load(conn, entity, scan_entity(landing, entity_name), None, now or datetime.now(timezone.utc))


def _load(conn, entity: Entity, scan: LandingScan, quarter: Quarter | None, now: datetime) -> LoadStats:
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(PARSE_TS_MACRO)
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    fingerprints = _fingerprints(scan.files)
    try:
        try:
            return _load_files(conn, entity, scan, quarter, now, fingerprints, in_place=True)
        except _InPlaceReadFailed:
            # A Parquet page that does not decode behind a good footer: read the files into the staging
            # table instead, where a failing file is read alone and named (rare, so its cost is fine).
            return _load_files(conn, entity, scan, quarter, now, fingerprints, in_place=False)
    finally:
        # The new table is renamed into place at commit; after a failure it is dropped here (after a
        # crash, the next load replaces it).
        conn.execute(f"drop table if exists {_next_table(entity, quarter)}")
        conn.execute("drop view if exists _good")
        for t in (_staged(entity), "_file_days", "_superseded", "_shared", "_elsewhere", "_bad_lines", "_manifest"):
            conn.execute(f"drop table if exists {t}")


class _InPlaceReadFailed(Exception):
    """A statement reading Parquet files in place failed (a damaged page)."""


def _load_files(conn, entity: Entity, scan: LandingScan, quarter: Quarter | None, now: datetime,
                fingerprints: _Fingerprints, in_place: bool) -> LoadStats:
    stats = LoadStats(entity.name, quarter.compact if quarter else "snapshot", files=len(scan.files),
                      unrecognised=[f"{path}: {why}" for path, why in scan.unrecognised])
    reads, parquet = _read_files(conn, entity, fingerprints, stats, in_place)
    next_table = _next_table(entity, quarter)
    _build(conn, entity, quarter, now, reads, parquet, next_table)
    _find_superseded(conn, entity, next_table)
    others = _other_quarter_tables(conn, entity, quarter)
    _resolve_across_quarters(conn, entity, next_table, others)
    _stage_manifest(conn, entity, stats, reads, now)
    _replace(conn, entity, quarter, stats, others, next_table)
    stats.duplicate_files = sum(1 for r in reads if r.duplicate_of)
    stats.deduplicated += sum(r.rows for r in reads if r.duplicate_of)
    return stats


def _staged(entity: Entity) -> str:
    return f"_staged_{entity.name}"


def _next_table(entity: Entity, quarter: Quarter | None) -> str:
    """The quarter's new table, built and committed before the transaction that renames it into place.
    Built inside that transaction, DuckDB rewrote all of it at commit once rows were deleted (2x the load).
    Its name does not match the ``<entity>__<yyyy>q<n>`` tables the union views read."""
    return f"{RAW_SCHEMA}._next_{table_name(entity.name, quarter).partition('.')[2]}"


@dataclass
class _Fingerprints:
    stats: dict[Path, os.stat_result] = field(default_factory=dict)
    hashes: dict[Path, str] = field(default_factory=dict)
    errors: dict[Path, str] = field(default_factory=dict)  # could not even be read to hash it


def _fingerprints(files: list[Path]) -> _Fingerprints:
    out = _Fingerprints()
    for path in files:
        try:
            out.stats[path], out.hashes[path] = _fingerprint(path)
        except OSError as exc:  # no read permission, a FIFO, gone since the scan: this file only
            out.errors[path] = f"{type(exc).__name__}: {exc}"
    return out


def _read_files(conn, entity: Entity, fingerprints: _Fingerprints, stats: LoadStats,
                in_place: bool) -> tuple[list[FileRead], ParquetInPlace]:
    """JSON Lines (and Parquet files that must be read alone, or all of them when not ``in_place``)
    into the staged temp table; the other Parquet files as SELECTs that read them where they lie.
    Bad lines and unreadable files into ``_bad_lines``."""
    typed_cols = ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in entity.schema)
    conn.execute(f"create or replace temp table {_staged(entity)} ({typed_cols}, {EXTRA_COL} VARCHAR, "
                 f"{CAST_ERRORS_COL} VARCHAR, {FILE_COL} VARCHAR, {ROW_COL} BIGINT)")
    conn.execute(f"create or replace temp table _bad_lines ({QUARANTINE_COLUMNS})")
    reads = [FileRead(path, None, 0, error=error) for path, error in fingerprints.errors.items()]
    seen, hashes = fingerprints.stats, fingerprints.hashes
    # The same file delivered twice (the file-hash manifest): only the first delivery (oldest
    # mtime, then name) is read; a later copy is a no-op whose records count as deduplicated.
    first_by_hash: dict[str, Path] = {}
    for path in sorted(hashes, key=lambda p: (seen[p].st_mtime_ns, str(p))):
        first_by_hash.setdefault(hashes[path], path)
    to_read = []
    for path, sha in hashes.items():
        if first_by_hash[sha] != path:
            try:
                n = count_records(path)
            except (OSError, EOFError, gzip.BadGzipFile, pa.ArrowException, ValueError):
                n = 0  # as unreadable as its twin, whose error is already reported
            reads.append(FileRead(path, sha, seen[path].st_size, rows=n, duplicate_of=first_by_hash[sha]))
        else:
            to_read.append(path)
    staged = _staged(entity)
    parquet_files = [p for p in to_read if p.name.endswith(".parquet")]
    if in_place:
        parquet, alone = parquet_in_place(conn, parquet_files, entity, hashes)
        reads += parquet.reads
        reads += [read_file(conn, p, entity, staged, sha256=hashes[p]) for p in alone]
    else:
        parquet = ParquetInPlace()
        reads += read_parquet_files(conn, parquet_files, entity, staged, hashes)
    # JSON Lines one by one (parsed in Python).
    reads += [read_file(conn, p, entity, staged, sha256=hashes[p]) for p in to_read if not p.name.endswith(".parquet")]
    for info in reads:
        if info.error:
            # The file as a whole is quarantined: one row naming it, so it is counted and visible.
            stats.failed_files.append(f"{info.path}: {info.error}")
            info.bad_lines.append((None, f"unreadable file: {info.error}", None))
    _append(conn, "_bad_lines", ("entity", "quarter", "source_file", "source_row", "reason", "record"),
            [(entity.name, stats.quarter, str(info.path), line, reason, text)
             for info in reads for line, reason, text in info.bad_lines])
    stats.read = sum(r.rows + len(r.bad_lines) for r in reads)
    return reads, parquet


def _fingerprint(path: Path) -> tuple[os.stat_result, str]:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO would wait for a writer for ever
        raise OSError(f"not a regular file: {path}")
    return st, file_sha256(path)


def _build(conn, entity: Entity, quarter: Quarter | None, now: datetime, reads: list[FileRead],
           parquet: ParquetInPlace, next_table: str) -> None:
    """Every record read, in one pass, into ``next_table``: the final columns, plus ``_reason`` (the
    first rule the record fails, NULL when good) and ``_record`` (the quarantine's copy of a rejected
    record, as read). Both columns are dropped, and the rejected rows and the older versions of a key
    (older than another row of this load or another quarter's copy) deleted, in the transaction that
    puts the table in place: a delete marks rows, a dropped column is metadata, so
    the records are read and written once (the staged copy and the anti joins of an earlier version
    cost 2.5x the bare copy of the files)."""
    # Each file's folder date, from the contract's parse of its own folder name (never a date=
    # higher up the path of the landing zone).
    conn.execute(f"create or replace temp table _file_days ({FILE_COL} VARCHAR, _folder_day DATE)")
    _append(conn, "_file_days", (FILE_COL, "_folder_day"),
            [(str(r.path), folder_date(r.path.parent.name)) for r in reads if r.rows])
    sources = " union all ".join([*parquet.selects, f"select * from {_staged(entity)}"])
    record = (f"to_json(struct_pack({', '.join(f'{_q(f.name)} := {_q(f.name)}' for f in entity.schema)}, "
              f"extra := {EXTRA_COL}))::varchar")
    try:
        conn.execute(f"""
            create or replace table {next_table} as
            select {_final_columns(entity)}, {EXTRA_COL} as extra, {FILE_COL} as source_file, {ROW_COL} as source_row,
                   _reason, case when _reason is not null then {record} end as _record
            from (
                select *, {_reasons_sql(entity, quarter, now)} as _reason
                from ({sources}) left join _file_days using ({FILE_COL})
            )
        """, [files for files in parquet.params] or None)
    except (duckdb.InterruptException, duckdb.OutOfMemoryException):
        raise
    except duckdb.Error as exc:
        if not parquet.selects:
            raise
        raise _InPlaceReadFailed(str(exc)) from exc


def _q(name: str) -> str:
    return f'"{name}"'


def _find_superseded(conn, entity: Entity, next_table: str) -> None:
    """``_superseded``: the rowids of the good records that a newer version of the same key in this
    load replaces. Quarantined records are not candidates: a bad newer version must not hide a good
    older one. Ties on updated_at: the file name that sorts last, then the last row.

    Only the keys seen more than once are ranked (a window over every record made the load 1.6x
    slower), found by the 64-bit hash of the key (a hash table of 35 M integers, not of 35 M strings;
    a collision only adds a candidate, the ranking is by the key itself)."""
    conn.execute(f"""
        create or replace temp table _superseded as
        with good as (
            select rowid as _rid, "{entity.key}" as _key, {_order_col(entity)} as _version, source_file, source_row
            from {next_table} where _reason is null
        ),
        repeated as (select hash(_key) as _h from good group by _h having count(*) > 1),
        ranked as (
            select _rid, row_number() over (
                       partition by _key order by _version desc nulls last, source_file desc, source_row desc) as _rank
            from good where hash(_key) in (select _h from repeated)
        )
        select _rid from ranked where _rank > 1
    """)


def _other_quarter_tables(conn, entity: Entity, quarter: Quarter | None) -> dict[str, str]:
    """Quarter label -> raw table of the entity's other loaded quarters (none for a snapshot)."""
    if quarter is None:
        return {}
    own = table_name(entity.name, quarter)
    return {Quarter.parse(t.rpartition("__")[2]).compact: f"{RAW_SCHEMA}.{t}"
            for t in _quarter_tables(conn, f"{entity.name}__") if f"{RAW_SCHEMA}.{t}" != own}


def _resolve_across_quarters(conn, entity: Entity, next_table: str, others: dict[str, str]) -> None:
    """``_elsewhere``: each key of this load that another quarter's table also holds, with who wins
    (``_rid``: the row of this load).

    A key lives in one quarter (the uniqueness the warehouse tests): across quarters the same rule
    as within one applies (newest version, then the file name that sorts last, then the last row).
    The 64-bit hashes of this load's keys and of the other tables' keys meet first (a hash join of
    integers); only the rare rows whose hash is shared are then compared by key."""
    conn.execute("create or replace temp table _elsewhere (_key VARCHAR, _quarter VARCHAR, _theirs_win BOOLEAN, "
                 "_rid BIGINT)")
    if not others:
        return
    mine = (f"""select rowid as _rid, "{entity.key}"::varchar as _key, {_order_col(entity)} as _version,
                       source_file, source_row
                from {next_table} where _reason is null and rowid not in (select _rid from _superseded)""")
    theirs = " union all ".join(
        f"""select "{entity.key}"::varchar as _key, {_order_col(entity)} as _version, source_file as _tfile,
                   source_row as _trow, '{label}' as _quarter from {table}"""
        for label, table in others.items())
    conn.execute(f"""
        create or replace temp table _shared as
        select hash(_key) as _h from ({theirs}) intersect select hash(_key) from ({mine})
    """)
    conn.execute(f"""
        insert into _elsewhere
        select t._key, t._quarter,
               (t._version, t._tfile, t._trow) > (m._version, m.source_file, m.source_row) as _theirs_win, m._rid
        from (select * from ({theirs}) where hash(_key) in (select _h from _shared)) t
        join (select * from ({mine}) where hash(_key) in (select _h from _shared)) m using (_key)
    """)


def _stage_manifest(conn, entity: Entity, stats: LoadStats, reads: list[FileRead], now: datetime) -> None:
    conn.execute("create or replace temp table _manifest (entity VARCHAR, quarter VARCHAR, path VARCHAR, "
                 "sha256 VARCHAR, size_bytes BIGINT, records BIGINT, status VARCHAR, detail VARCHAR, loaded_at TIMESTAMP)")
    loaded_at = now.replace(tzinfo=None)
    rows = [
        (entity.name, stats.quarter, str(r.path), r.sha256, r.size_bytes, r.rows + len(r.bad_lines),
         "duplicate" if r.duplicate_of else "failed" if r.error else "read",
         f"same bytes as {r.duplicate_of}" if r.duplicate_of else r.error, loaded_at)
        for r in reads
    ]
    # Paths that are not data files are listed too (no records): nothing in the landing zone is passed over.
    rows += [(entity.name, stats.quarter, entry.rpartition(": ")[0], None, None, None, "unrecognised",
              entry.rpartition(": ")[2], loaded_at) for entry in stats.unrecognised]
    _append(conn, "_manifest", ("entity", "quarter", "path", "sha256", "size_bytes", "records", "status", "detail",
                                "loaded_at"), rows)


def _append(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows into a temp table in one statement (executemany runs one statement per row: a second for
    the manifest of a quarter's 92 files, minutes for a file of 100 k bad lines)."""
    if not rows:
        return
    conn.register("_rows", pa.table({name: pa.array(values) for name, values in zip(columns, zip(*rows), strict=True)}))
    try:
        conn.execute(f"insert into {table} by name select * from _rows")
    finally:
        conn.unregister("_rows")


def _replace(conn, entity: Entity, quarter: Quarter | None, stats: LoadStats, others: dict[str, str],
             next_table: str) -> None:
    """Put the new table in place of the quarter's, with its quarantine and manifest tables, in one
    transaction; a key that this quarter now holds in a newer version leaves the other quarter's
    table in the same one."""
    target = table_name(entity.name, quarter)
    suffix = f"__{quarter.table_suffix}" if quarter else ""
    quarantine = f"{RAW_SCHEMA}.quarantine__{entity.name}{suffix}"
    manifest = f"{RAW_SCHEMA}.landing_files__{entity.name}{suffix}"
    conn.execute("begin transaction")
    try:
        conn.execute(f"""
            create or replace table {quarantine} as
            select * from _bad_lines
            union all by name
            select '{entity.name}' as entity, '{stats.quarter}' as quarter, source_file, source_row,
                   "{entity.key}"::varchar as record_key, _reason as reason, _record as record
            from {next_table} where _reason is not null
        """)
        conn.execute(f"create or replace table {manifest} as select * from _manifest")
        # The rejected rows, the older versions of a key, and the keys another quarter holds in a newer version.
        conn.execute(f"""
            delete from {next_table} where _reason is not null
                or rowid in (select _rid from _superseded)
                or rowid in (select _rid from _elsewhere where _theirs_win)
        """)
        conn.execute(f"alter table {next_table} drop column _reason")
        conn.execute(f"alter table {next_table} drop column _record")
        conn.execute(f"drop table if exists {target}")
        conn.execute(f"alter table {next_table} rename to {target.partition('.')[2]}")
        # Keys whose version here beats every other quarter's: the older copies go (the keys this
        # quarter lost are not in its table). Only the rare colliding keys are touched. That other
        # quarter's dbt models still count them: superseded_elsewhere says which quarter to rebuild.
        wins = dict(conn.execute(
            "select _quarter, count(distinct _key) from _elsewhere where _key not in "
            "(select _key from _elsewhere where _theirs_win) group by all").fetchall())
        for label, n in sorted(wins.items()):
            conn.execute(f"""delete from {others[label]} where "{entity.key}" in (
                select _key from _elsewhere where _quarter = ? and _key not in (select _key from _elsewhere where _theirs_win))""",
                [label])
            stats.superseded_elsewhere[label] = n
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
    stats.deduplicated = conn.execute(
        "select (select count(*) from _superseded) + (select count(distinct _rid) from _elsewhere where _theirs_win)"
    ).fetchall()[0][0]
    stats.reasons = dict(conn.execute(
        f"select reason, count(*) from {quarantine} group by all order by 2 desc").fetchall())


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
    ]
    # Every timestamp, not only the event time: an updated_at in the year 9999 would win over every
    # later correction for ever.
    rules += [(f'"{f.name}" > timestamp \'{future}\'', f"{f.name} in the future")
              for f in entity.schema if pa.types.is_timestamp(f.type)]
    rules.append((f"{ev}::date is distinct from _folder_day", f"{entity.event_time} is not in its date= folder"))
    # NaN or Infinity (from Parquet, or text such as "Infinity") would poison every sum and share.
    rules += [(f'not isfinite("{f.name}")', f"non-finite {f.name}")
              for f in entity.schema if pa.types.is_floating(f.type)]
    if entity.name == "runs":
        rules += [
            ("runtime_seconds < 0", "negative runtime_seconds"),
            (f"gpu_count < 0 or gpu_count > {MAX_GPU_COUNT}", "absurd gpu_count"),
        ]
    whens = " ".join(
        f"when {cond} then {reason if reason.startswith(chr(39)) else repr(reason)}" for cond, reason in rules
    )
    return f"(case {whens} end)"


def _quarter_tables(conn, prefix: str) -> list[str]:
    """Names of the ``raw.<prefix><yyyy>q<n>`` tables, sorted."""
    return [r[0] for r in conn.execute(
        "select table_name from duckdb_tables() where schema_name = ? and starts_with(table_name, ?) "
        "and regexp_full_match(substr(table_name, ?), '[0-9]{4}q[1-4]') order by table_name",
        [RAW_SCHEMA, prefix, len(prefix) + 1]).fetchall()]


def _refresh_union_view(conn, view: str, like: str | None = None) -> None:
    """Point ``raw.<view>`` at every quarter table of that kind (schemas may drift: BY NAME)."""
    tables = _quarter_tables(conn, like or f"{view}__")
    body = " union all by name ".join(f"select * from {RAW_SCHEMA}.{t}" for t in tables)
    conn.execute(f"create or replace view {RAW_SCHEMA}.{view} as {body}")

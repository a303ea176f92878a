"""Load one entity for one quarter (or the users snapshot): validate, deduplicate, replace.

Storage layout: one table per entity and quarter (``raw.runs__2022q4``), replaced whole in one
transaction, behind a view (``raw.runs``) that unions the quarters. Re-running a quarter then
costs what running it once costs, never grows the file, and never touches other quarters
(a DELETE+INSERT inside one big table did all three badly, see docs).
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
    stats = LoadStats(entity.name, quarter.compact if quarter else "snapshot", files=len(scan.files),
                      unrecognised=[f"{path}: {why}" for path, why in scan.unrecognised])
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(PARSE_TS_MACRO)
    reads = _read_files(conn, entity, scan.files, stats)
    _check_and_rank(conn, entity, quarter, now, reads)
    others = _other_quarter_tables(conn, entity, quarter)
    _resolve_across_quarters(conn, entity, others)
    _stage_manifest(conn, entity, stats, reads, now)
    _replace(conn, entity, quarter, stats, others)
    stats.duplicate_files = sum(1 for r in reads if r.duplicate_of)
    stats.deduplicated += sum(r.rows for r in reads if r.duplicate_of)
    conn.execute("drop view if exists _good")
    for t in (_staged(entity), "_file_days", "_rejected", "_superseded", "_elsewhere", "_bad_lines", "_manifest"):
        conn.execute(f"drop table if exists {t}")
    return stats


def _staged(entity: Entity) -> str:
    return f"_staged_{entity.name}"


def _read_files(conn, entity: Entity, files: list[Path], stats: LoadStats) -> list[FileRead]:
    """Every file into the staged temp table; bad lines and unreadable files into ``_bad_lines``."""
    typed_cols = ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in entity.schema)
    conn.execute(f"create or replace temp table {_staged(entity)} ({typed_cols}, {EXTRA_COL} VARCHAR, "
                 f"{CAST_ERRORS_COL} VARCHAR, {FILE_COL} VARCHAR, {ROW_COL} BIGINT)")
    conn.execute(f"create or replace temp table _bad_lines ({QUARANTINE_COLUMNS})")
    reads: list[FileRead] = []
    seen: dict[Path, os.stat_result] = {}
    hashes: dict[Path, str] = {}
    for path in files:
        try:
            seen[path], hashes[path] = _fingerprint(path)
        except OSError as exc:  # no read permission, a FIFO, gone since the scan: this file only
            reads.append(FileRead(path, None, 0, error=f"{type(exc).__name__}: {exc}"))
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
    # Parquet files together (one statement per schema), JSON Lines one by one (parsed in Python).
    staged = _staged(entity)
    reads += read_parquet_files(conn, [p for p in to_read if p.name.endswith(".parquet")], entity, staged, hashes)
    reads += [read_file(conn, p, entity, staged, sha256=hashes[p]) for p in to_read if not p.name.endswith(".parquet")]
    for info in reads:
        if info.error:
            # The file as a whole is quarantined: one row naming it, so it is counted and visible.
            stats.failed_files.append(f"{info.path}: {info.error}")
            info.bad_lines.append((None, f"unreadable file: {info.error}", None))
        if info.bad_lines:
            conn.executemany(
                "insert into _bad_lines values (?, ?, ?, ?, null, ?, ?)",
                [(entity.name, stats.quarter, str(info.path), line, reason, text) for line, reason, text in info.bad_lines],
            )
    stats.read = sum(r.rows + len(r.bad_lines) for r in reads)
    return reads


def _fingerprint(path: Path) -> tuple[os.stat_result, str]:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO would wait for a writer for ever
        raise OSError(f"not a regular file: {path}")
    return st, file_sha256(path)


def _check_and_rank(conn, entity: Entity, quarter: Quarter | None, now: datetime, reads: list[FileRead]) -> None:
    """``_rejected``: each staged record that fails a rule, with the first rule it fails; ``_good``:
    the others; ``_superseded``: the good records that a newer version of the same key in this
    load replaces.

    The rules run once, into a table of the few rejected rows: ``_good`` is then an anti join
    against it, not a copy of 35 M wide rows nor a re-evaluation of every rule per use.
    Quarantined records are not candidates for deduplication: a bad newer version must not
    hide a good older one. Ties on updated_at: the file name that sorts last, then the last row.
    Only the keys seen more than once are ranked (a window over every record made the load 1.6x slower)."""
    # Each file's folder date, from the contract's parse of its own folder name (never a date=
    # higher up the path of the landing zone).
    conn.execute(f"create or replace temp table _file_days ({FILE_COL} VARCHAR, _folder_day DATE)")
    days = [(str(r.path), folder_date(r.path.parent.name)) for r in reads if r.rows]
    if days:
        conn.executemany("insert into _file_days values (?, ?)", days)
    conn.execute(f"""
        create or replace temp table _rejected as
        select {FILE_COL}, {ROW_COL}, _reason from (
            select {FILE_COL}, {ROW_COL}, {_reasons_sql(entity, quarter, now)} as _reason
            from {_staged(entity)} left join _file_days using ({FILE_COL})
        ) where _reason is not null
    """)
    conn.execute(f"create or replace temp view _good as "
                 f"select * from {_staged(entity)} anti join _rejected using ({FILE_COL}, {ROW_COL})")
    conn.execute(f"""
        create or replace temp table _superseded as
        with good as (
            select "{entity.key}" as _key, {_order_col(entity)} as _version, {FILE_COL}, {ROW_COL} from _good
        ),
        repeated as (select _key from good group by _key having count(*) > 1),
        ranked as (
            select {FILE_COL}, {ROW_COL}, row_number() over (
                       partition by _key order by _version desc nulls last, {FILE_COL} desc, {ROW_COL} desc) as _rank
            from good semi join repeated using (_key)
        )
        select {FILE_COL}, {ROW_COL} from ranked where _rank > 1
    """)


def _other_quarter_tables(conn, entity: Entity, quarter: Quarter | None) -> dict[str, str]:
    """Quarter label -> raw table of the entity's other loaded quarters (none for a snapshot)."""
    if quarter is None:
        return {}
    own = table_name(entity.name, quarter)
    return {Quarter.parse(t.rpartition("__")[2]).compact: f"{RAW_SCHEMA}.{t}"
            for t in _quarter_tables(conn, f"{entity.name}__") if f"{RAW_SCHEMA}.{t}" != own}


def _resolve_across_quarters(conn, entity: Entity, others: dict[str, str]) -> None:
    """``_elsewhere``: each key of this load that another quarter's table also holds, with who wins.

    A key lives in one quarter (the uniqueness the warehouse tests): across quarters the same rule
    as within one applies (newest version, then the file name that sorts last, then the last row).
    Only this load's surviving keys are probed against the other tables' key columns (one hash
    join), so the cost is a scan of those columns; the rows found are the rare collisions."""
    conn.execute("create or replace temp table _elsewhere (_key VARCHAR, _quarter VARCHAR, _theirs_win BOOLEAN, "
                 f"{FILE_COL} VARCHAR, {ROW_COL} BIGINT)")
    if not others:
        return
    theirs = " union all ".join(
        f"""select "{entity.key}"::varchar as _key, {_order_col(entity)} as _version, source_file as _tfile,
                   source_row as _trow, '{label}' as _quarter from {table}"""
        for label, table in others.items())
    conn.execute(f"""
        insert into _elsewhere
        with mine as (
            select "{entity.key}"::varchar as _key, {_order_col(entity)} as _version, {FILE_COL}, {ROW_COL}
            from _good anti join _superseded using ({FILE_COL}, {ROW_COL})
        )
        select t._key, t._quarter,
               (t._version, t._tfile, t._trow) > (m._version, m.{FILE_COL}, m.{ROW_COL}) as _theirs_win,
               m.{FILE_COL}, m.{ROW_COL}
        from ({theirs}) t join mine m using (_key)
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
    if rows:  # DuckDB's executemany refuses an empty list
        conn.executemany("insert into _manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _replace(conn, entity: Entity, quarter: Quarter | None, stats: LoadStats, others: dict[str, str]) -> None:
    """Replace the quarter's raw, quarantine and manifest tables in one transaction; a key that
    this quarter now holds in a newer version leaves the other quarter's table in the same one."""
    target = table_name(entity.name, quarter)
    suffix = f"__{quarter.table_suffix}" if quarter else ""
    quarantine = f"{RAW_SCHEMA}.quarantine__{entity.name}{suffix}"
    manifest = f"{RAW_SCHEMA}.landing_files__{entity.name}{suffix}"
    lost = f"select {FILE_COL}, {ROW_COL} from _elsewhere where _theirs_win"
    conn.execute("begin transaction")
    try:
        conn.execute(f"create schema if not exists {RAW_SCHEMA}")
        conn.execute(f"""
            create or replace table {target} as
            select {_final_columns(entity)}, {EXTRA_COL} as extra, {FILE_COL} as source_file, {ROW_COL} as source_row
            from _good anti join _superseded using ({FILE_COL}, {ROW_COL})
                       anti join ({lost}) using ({FILE_COL}, {ROW_COL})
        """)
        conn.execute(f"""
            create or replace table {quarantine} as
            select * from _bad_lines
            union all by name
            select '{entity.name}' as entity, '{stats.quarter}' as quarter, {FILE_COL} as source_file,
                   {ROW_COL} as source_row, "{entity.key}"::varchar as record_key, _reason as reason,
                   to_json(struct_pack({', '.join(f'"{f.name}" := "{f.name}"' for f in entity.schema)},
                                       extra := {EXTRA_COL}))::varchar as record
            from {_staged(entity)} join _rejected using ({FILE_COL}, {ROW_COL})
        """)
        conn.execute(f"create or replace table {manifest} as select * from _manifest")
        # Keys whose version here beats every other quarter's: the older copies go (the keys this
        # quarter lost are not in its table). Only the rare colliding keys are touched.
        wins = dict(conn.execute(
            f"select _quarter, count(distinct _key) from _elsewhere where _key not in "
            f"(select _key from _elsewhere where _theirs_win) group by all").fetchall())
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
        f"select (select count(*) from _superseded) + (select count(distinct ({FILE_COL}, {ROW_COL})) from ({lost}))"
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

"""Read one landing file into the staging temp table, typed to the contract.

Each file is read on its own so that a damaged file is a clear file-level error while the
other files of the quarter still load. JSON Lines are parsed in Python, line by line, because
DuckDB's ``read_json(ignore_errors=true)`` turns bad lines into NULL rows and loses them.
Parquet columns already of the contract's type pass through untouched (the fast path at
full size); anything else is cast, and a value that does not cast is reported by column name
in ``_cast_errors`` instead of silently becoming NULL. Casts are strict: a string column takes
strings only (not booleans, numbers or objects), an integer column integral values only
(``2.5`` is a wrong type, not 3), and JSON must be standard (no ``NaN``, no duplicate keys).

The loader's own columns in a source are named ``__stateofml_*``; a user's column may be named
anything else (``filename`` and ``file_row_number`` included) and is kept.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from stateofml.contract import Entity

FILE_COL, ROW_COL, EXTRA_COL, CAST_ERRORS_COL = "_file", "_row", "_extra", "_cast_errors"
# Columns the readers add to a source; a landing file may not use this prefix.
RESERVED_PREFIX = "__stateofml_"
SRC_FILE, SRC_ROW, SRC_EXTRA, SRC_TYPE_ERRORS = (RESERVED_PREFIX + n for n in ("file", "row", "extra_json", "type_errors"))
# DuckDB's virtual column for the row of a Parquet file; a real column of that name hides it.
PARQUET_ROW = "file_row_number"

_ARROW_TO_DUCKDB = {
    pa.string(): "VARCHAR",
    pa.float64(): "DOUBLE",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.list_(pa.int32()): "INTEGER[]",
    pa.list_(pa.string()): "VARCHAR[]",
}


def duckdb_type(typ: pa.DataType) -> str:
    """The warehouse type of a contract field (timestamps are stored as naive UTC)."""
    return "TIMESTAMP" if pa.types.is_timestamp(typ) else _ARROW_TO_DUCKDB[typ]


@dataclass
class FileRead:
    path: Path
    sha256: str | None  # None when the file could not even be read to hash it
    size_bytes: int
    rows: int = 0
    error: str | None = None  # file-level: nothing of the file was loaded
    duplicate_of: Path | None = None  # byte-identical to a file already read: not read again
    bad_lines: list[tuple[int | None, str, str | None]] = field(default_factory=list)  # (line, reason, text)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def count_records(path: Path) -> int:
    """Records in a file without loading it (for a duplicate delivery, counted as deduplicated)."""
    if path.stat().st_size == 0:
        return 0
    if path.name.endswith(".parquet"):
        return pq.ParquetFile(path).metadata.num_rows
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def read_file(conn: duckdb.DuckDBPyConnection, path: Path, entity: Entity, into: str,
              sha256: str | None = None) -> FileRead:
    """Append the typed rows of ``path`` to the temp table ``into`` (created by the caller)."""
    info = FileRead(path=path, sha256=sha256 or file_sha256(path), size_bytes=path.stat().st_size)
    if info.size_bytes == 0:
        return info  # an empty file is valid and holds no records
    try:
        if path.name.endswith(".parquet"):
            names = pq.ParquetFile(path).schema_arrow.names
            _refuse_reserved(names)
            if PARQUET_ROW in names:
                # The file's own column hides DuckDB's row number: read it whole, number its rows here.
                table = pq.read_table(path)
                conn.register("_source_file", table.append_column(SRC_ROW, pa.array(range(1, table.num_rows + 1), pa.int64())))
                source_sql, row_expr, params = "_source_file", SRC_ROW, []
            else:
                source_sql, row_expr, params = _PARQUET_SOURCE, _PARQUET_ROW_EXPR, [str(path)]
        else:
            table = _jsonl_table(path, entity, info)
            if table is None:
                return info
            conn.register("_source_file", table)
            source_sql, row_expr, params = "_source_file", SRC_ROW, []
        source = conn.sql(f"select * from {source_sql}", params=params or None)
        types = dict(zip(source.columns, (str(t) for t in source.types)))
        sql = _typed_select(entity, types, source_sql, row_expr, file_expr="?::varchar")
        info.rows = conn.execute(f"insert into {into} by name {sql}", [str(path), *params]).fetchall()[0][0]
    except (duckdb.Error, OSError, EOFError, gzip.BadGzipFile, pa.ArrowException, ValueError) as exc:
        info.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    finally:
        try:
            conn.unregister("_source_file")
        except duckdb.Error:
            pass
    return info


# Many Parquet files in one scan: the file name under a name of ours (a user's ``filename`` column
# is kept), the row from DuckDB's virtual ``file_row_number``.
_PARQUET_SOURCE = f"read_parquet(?, filename = '{SRC_FILE}', hive_partitioning = false)"
_PARQUET_ROW_EXPR = f"({PARQUET_ROW} + 1)::bigint"


def _refuse_reserved(names: list[str]) -> None:
    if reserved := [n for n in names if n.startswith(RESERVED_PREFIX)]:
        raise ValueError(f"column {reserved[0]!r} uses the prefix {RESERVED_PREFIX!r}, reserved by the loader")


def _schema_groups(paths: list[Path]) -> tuple[list[list[Path]], dict[Path, int], list[Path]]:
    """Parquet files grouped by schema (from their footers), their row counts, and the files to read
    alone: a footer that does not read (``read_file`` says why), a column that hides DuckDB's row
    number or uses the loader's prefix, or the only file of its schema."""
    groups: dict[pa.Schema, list[Path]] = {}
    rows: dict[Path, int] = {}
    alone: list[Path] = []
    for path in paths:
        try:
            footer = pq.ParquetFile(path)
            rows[path] = footer.metadata.num_rows
            schema = footer.schema_arrow.remove_metadata()
        except (OSError, pa.ArrowException, ValueError):
            alone.append(path)  # empty, truncated or not Parquet: read_file says which
            continue
        if PARQUET_ROW in schema.names or any(n.startswith(RESERVED_PREFIX) for n in schema.names):
            alone.append(path)  # read_file keeps such a column, or says why it cannot
        else:
            groups.setdefault(schema, []).append(path)
    alone += [g[0] for g in groups.values() if len(g) == 1]
    return [g for g in groups.values() if len(g) > 1], rows, alone


@dataclass
class ParquetInPlace:
    """Typed SELECTs over Parquet files where they lie (one per schema, ``?`` = its file list):
    the statement that uses them is the one that reads the files."""

    selects: list[str] = field(default_factory=list)
    params: list[list[str]] = field(default_factory=list)
    reads: list[FileRead] = field(default_factory=list)  # rows from the footers


def parquet_in_place(conn: duckdb.DuckDBPyConnection, paths: list[Path], entity: Entity,
                     sha256: dict[Path, str]) -> tuple[ParquetInPlace, list[Path]]:
    """The SELECTs reading ``paths`` in place, and the files that must be read alone (``read_file``).

    Nothing is copied here: at full size a staged copy of the runs cost as much as the final table.
    A page that does not decode behind a good footer fails the statement that reads it; the caller
    then reads the files with ``read_parquet_files``, which names the damaged one."""
    groups, rows, alone = _schema_groups(paths)
    out = ParquetInPlace()
    for group in groups:
        files = [str(p) for p in group]
        try:
            source = conn.sql(f"select * from {_PARQUET_SOURCE}", params=[files])
        except duckdb.Error:
            alone.extend(group)  # footers pyarrow reads but DuckDB does not: read_file says why
            continue
        types = dict(zip(source.columns, (str(t) for t in source.types)))
        out.selects.append(_typed_select(entity, types, _PARQUET_SOURCE, _PARQUET_ROW_EXPR, file_expr=SRC_FILE))
        out.params.append(files)
        out.reads += [FileRead(path=p, sha256=sha256[p], size_bytes=p.stat().st_size, rows=rows[p]) for p in group]
    return out, sorted(alone)


def read_parquet_files(conn: duckdb.DuckDBPyConnection, paths: list[Path], entity: Entity, into: str,
                       sha256: dict[Path, str]) -> list[FileRead]:
    """Append the typed rows of many Parquet files, one statement per schema: DuckDB then reads
    the files in parallel (a full-size quarter is ~90 daily files of 380 k runs; one statement per
    file cost 8x more). Damage is still attributed to its file: a file whose footer does not read
    goes through ``read_file`` alone, and if a group's statement fails (a corrupt page), nothing
    of it was inserted (a failed statement is rolled back) and each of its files is read alone."""
    groups, rows, alone = _schema_groups(paths)
    reads: list[FileRead] = []
    for group in groups:
        files = [str(p) for p in group]
        try:
            source = conn.sql(f"select * from {_PARQUET_SOURCE}", params=[files])
            types = dict(zip(source.columns, (str(t) for t in source.types)))
            sql = _typed_select(entity, types, _PARQUET_SOURCE, _PARQUET_ROW_EXPR, file_expr=SRC_FILE)
            conn.execute(f"insert into {into} by name {sql}", [files])
        except duckdb.Error:
            alone.extend(group)
            continue
        reads += [FileRead(path=p, sha256=sha256[p], size_bytes=p.stat().st_size, rows=rows[p]) for p in group]
    reads += [read_file(conn, p, entity, into, sha256=sha256[p]) for p in sorted(alone)]
    return reads


def _typed_select(entity: Entity, source_types: dict[str, str], source_sql: str, row_expr: str,
                  file_expr: str) -> str:
    cols, checks = [], []
    for f in entity.schema:
        target = duckdb_type(f.type)
        if f.name not in source_types:
            cols.append(f'null::{target} as "{f.name}"')
            continue
        expr, can_fail = _cast(f'"{f.name}"', source_types[f.name], target)
        cols.append(f'{expr} as "{f.name}"')
        if can_fail:
            checks.append(f"""case when "{f.name}" is not null and ({expr}) is null then '{f.name}' end""")
    if SRC_TYPE_ERRORS in source_types:  # the JSON reader's own findings come first
        checks.insert(0, SRC_TYPE_ERRORS)
    extras = sorted(c for c in source_types if c not in entity.schema.names and not c.startswith(RESERVED_PREFIX))
    if SRC_EXTRA in source_types:
        extra = SRC_EXTRA
    elif extras:
        extra = "to_json(struct_pack(" + ", ".join(f'"{c}" := "{c}"' for c in extras) + "))::varchar"
    else:
        extra = "null::varchar"
    cast_errors = f"nullif(concat_ws(',', {', '.join(checks)}), '')" if checks else "null::varchar"
    return (
        f"select {', '.join(cols)}, {extra} as {EXTRA_COL}, {cast_errors} as {CAST_ERRORS_COL}, "
        f"{file_expr} as {FILE_COL}, {row_expr} as {ROW_COL} from {source_sql}"
    )


def _cast(col: str, source: str, target: str) -> tuple[str, bool]:
    """An expression turning ``col`` of type ``source`` into ``target``; can it fail?"""
    if source == target:
        return col, False
    if target == "TIMESTAMP":
        if source == "TIMESTAMP WITH TIME ZONE":
            return f"({col} at time zone 'UTC')", False
        if source.startswith("TIMESTAMP"):
            return f"{col}::timestamp", False
        return f"stateofml_parse_ts({col}::varchar)", True
    if target.endswith("[]") and source == "VARCHAR":
        element = target[:-2]
        return (f"case when json_valid({col}) and json_type({col}) = 'ARRAY' "
                f"then try_cast(from_json({col}, '[\"{element}\"]') as {target}) end"), True
    if target == "BOOLEAN" and source == "VARCHAR":
        return f"try_cast(lower(trim({col})) as BOOLEAN)", True
    if target == "VARCHAR":
        # A boolean, number or object is not a name: a wrong type, never its text.
        return "null::VARCHAR", True
    if target in ("INTEGER", "BIGINT"):
        # Integral values only: a cast would round 2.5 to 3 (text) or to 2 (a float).
        if source == "VARCHAR":
            return (f"case when regexp_full_match(trim({col}), '[+-]?[0-9]+([.]0*)?') "
                    f"then try_cast(trim({col}) as {target}) end"), True
        if source in ("FLOAT", "DOUBLE") or source.startswith("DECIMAL"):
            return f"case when {col} = trunc({col}) then try_cast({col} as {target}) end", True
    return f"try_cast({col} as {target})", True


# Timestamps in JSON Lines: ISO 8601 with Z or an offset, naive (read as UTC), or epoch seconds
# or milliseconds as numbers (values above 1e11 cannot be seconds before the year 5138).
PARSE_TS_MACRO = r"""
create or replace temp macro stateofml_parse_ts(v) as (
    case
        when v is null then null
        when regexp_full_match(trim(v), '-?[0-9]+(\.[0-9]+)?') then
            case when abs(try_cast(trim(v) as double)) >= 1e11
                 then try(to_timestamp(try_cast(trim(v) as double) / 1000))
                 else try(to_timestamp(try_cast(trim(v) as double))) end
        else try_cast(trim(v) as timestamptz)
    end at time zone 'UTC'
)
"""


def _jsonl_table(path: Path, entity: Entity, info: FileRead) -> pa.Table | None:
    names = entity.schema.names
    columns: dict[str, list] = {n: [] for n in names}
    strings = {f.name for f in entity.schema if pa.types.is_string(f.type)}
    extras: list[str | None] = []
    type_errors: list[str | None] = []
    lines: list[int] = []
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                info.bad_lines.append((lineno, "invalid UTF-8", raw[:200].decode("utf-8", "replace")))
                continue
            line = line.lstrip("\ufeff").strip()  # a BOM, CRLF and blank lines are accepted
            if not line:
                continue
            try:
                obj = _strict_json(line)
            except json.JSONDecodeError as exc:
                info.bad_lines.append((lineno, f"not JSON ({exc.msg})", line[:200]))
                continue
            except _NotStrictJSON as exc:
                info.bad_lines.append((lineno, str(exc), line[:200]))
                continue
            except RecursionError:
                info.bad_lines.append((lineno, "not JSON (nested too deep)", line[:200]))
                continue
            except ValueError:  # Python's limit on the digits of an integer (4300)
                info.bad_lines.append((lineno, "not JSON (an integer with too many digits)", line[:200]))
                continue
            if not isinstance(obj, dict):
                info.bad_lines.append((lineno, f"a JSON {type(obj).__name__}, not an object", line[:200]))
                continue
            wrong = []
            for n in names:
                value = obj.get(n)
                if n in strings and value is not None and not isinstance(value, str):
                    wrong.append(n)
                columns[n].append(_text(value))
            type_errors.append(",".join(wrong) or None)
            extra = {k: v for k, v in obj.items() if k not in columns}
            extras.append(json.dumps(extra, sort_keys=True) if extra else None)
            lines.append(lineno)
    if not lines:
        return None
    data = {n: pa.array(v, pa.string()) for n, v in columns.items()}
    data[SRC_EXTRA] = pa.array(extras, pa.string())
    data[SRC_TYPE_ERRORS] = pa.array(type_errors, pa.string())
    data[SRC_ROW] = pa.array(lines, pa.int64())
    return pa.table(data)


class _NotStrictJSON(ValueError):
    """Valid for Python's json module, not for the contract: the message is the quarantine reason."""


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _NotStrictJSON(f"duplicate key {dup[:50]!r} in one object")
    return obj


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise _NotStrictJSON(f"a number out of range ({text[:30]})")
    return value


def _no_constant(name: str):
    raise _NotStrictJSON(f"not JSON ({name} is not a JSON number)")


def _strict_json(line: str):
    return json.loads(line, object_pairs_hook=_no_duplicate_keys, parse_float=_finite, parse_constant=_no_constant)


def _text(v) -> str | None:
    """JSON values as text for the typed cast: lists/objects as JSON, booleans as true/false."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)

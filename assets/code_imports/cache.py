"""Content-addressed, incremental import extraction over DuckDB: each code hash is parsed once, ever.

Runs share code: a quarter's 31 M runs hold only a few % distinct sources (``code_blobs`` stores each text
once, keyed by its sha256). ``update_code_imports`` reads only the hashes that ``code_imports.parsed_code``
does not hold yet (an anti-join in SQL), parses them in bounded batches (streamed Arrow record batches,
optionally fanned out to a process pool) and appends the results, one committed insert per batch: an
interrupted run keeps what it finished and the next one resumes after it.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from assets.code_imports.extract import ImportResult, extract_imports, extract_many

log = logging.getLogger(__name__)

SCHEMA = "code_imports"
TABLE = f"{SCHEMA}.parsed_code"
DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    code_hash VARCHAR PRIMARY KEY,
    modules VARCHAR[],
    method VARCHAR,
    error VARCHAR,
    source_bytes BIGINT,
    parsed_at TIMESTAMP,
    local_modules VARCHAR[]
);
-- Tables made before local_modules was part of the key: their rows were parsed with none.
alter table {TABLE} add column if not exists local_modules VARCHAR[];
"""
# The result of a parse depends on the source and on the project's own modules (left out of the
# count): a hash offered with other local modules than it was parsed with is parsed again.
_LOCAL = "list_sort(list_distinct(coalesce({}, []::varchar[])))"
_SAME_PARSE = f"b.code_hash = p.code_hash and b.local_modules = {_LOCAL.format('p.local_modules')}"
# Rows per streamed batch: a few thousand sources (tens of MB at most) in memory at once; each batch is
# one committed insert, which costs ~2-4 us a row more at 2,000 rows than at 5,000.
BATCH_ROWS = 5_000
# Fewer new sources than this parse in-process: spawning workers (each re-imports the caller's main
# module, ~0.5-2 s) costs more than it saves on about 3 s of single-core parsing.
POOL_MIN_ROWS = 5_000
# Sources per pool task: ~25 ms of parsing, against ~0.2 ms of a task's own cost.
TASK_ROWS = 250
# Batches queued in the pool beyond the one being awaited: the workers parse the next batch while the
# parent inserts this one (and reads the one after), instead of idling between batches.
BATCHES_AHEAD = 1

_RESULTS = pa.schema(
    [
        ("code_hash", pa.string()),
        ("modules", pa.list_(pa.string())),
        ("method", pa.string()),
        ("error", pa.string()),
        ("source_bytes", pa.int64()),
        ("local_modules", pa.list_(pa.string())),
    ]
)


@dataclass
class ParseStats:
    seen: int = 0  # distinct hashes the query offered
    already_parsed: int = 0  # of those, parsed by an earlier call
    parsed_now: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    errors: int = 0  # results with an error (fallbacks and skips), recorded in the table
    pool_batches: int = 0  # batches parsed by the process pool (0: all in-process)
    seconds: float = 0.0


def update_code_imports(
    conn: duckdb.DuckDBPyConnection,
    blobs_query: str,
    workers: int = 2,
    *,
    batch_rows: int = BATCH_ROWS,
    pool_min_rows: int = POOL_MIN_ROWS,
) -> ParseStats:
    """Parse the sources of ``blobs_query`` (rows of code_hash, path, source) not parsed before.

    ``blobs_query`` is any SELECT, e.g. ``select code_hash, path, source from raw.code_blobs__2022q4``;
    an optional fourth column ``local_modules`` (VARCHAR[]) names the project's own modules, which are
    not counted (``extract_imports(local_modules=...)``).
    ``workers`` > 1 parses in that many processes when at least ``pool_min_rows`` sources are new.
    """
    started = time.perf_counter()
    conn.execute(DDL)
    stats = ParseStats()
    stats.seen, stats.already_parsed = _offered_counts(conn, blobs_query)
    duplicated = _duplicated_new_hashes(conn, blobs_query)
    taken: set[str] = set()
    methods: Counter[str] = Counter()
    # Inserts go through a second connection: a query on `conn` would end the stream being read.
    writer = conn.cursor()
    pool = None
    try:
        if workers > 1 and stats.seen - stats.already_parsed >= pool_min_rows:
            pool = _pool(workers)
        batches = (_first_copies(batch, duplicated, taken) for batch in _new_blobs(conn, blobs_query, batch_rows))
        for rows, results in _parsed(filter(None, batches), pool):
            _insert(writer, rows, results)
            stats.pool_batches += pool is not None
            stats.parsed_now += len(results)
            stats.errors += sum(r.error is not None for r in results)
            methods.update(r.method for r in results)
            log.debug("code_imports: parsed %d sources (%d so far)", len(results), stats.parsed_now)
    finally:
        writer.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    stats.by_method = dict(sorted(methods.items()))
    stats.seconds = round(time.perf_counter() - started, 3)
    log.info("code_imports: %s", stats)
    return stats


def _pool(workers: int) -> Executor:
    # spawn, not fork: the parent runs DuckDB threads, and forking a threaded process can copy a held
    # lock into the child. The price: workers re-import the caller's __main__, which must be guarded by
    # `if __name__ == "__main__":` like any multiprocessing entry point.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _offered(conn: duckdb.DuckDBPyConnection, blobs_query: str) -> str:
    """The offered rows with ``local_modules`` always present, sorted and distinct (the cache's key
    with the hash), whether or not the query has the column."""
    has_local = "local_modules" in conn.sql(f"select * from ({blobs_query}) limit 0").columns
    local = _LOCAL.format("local_modules" if has_local else "null")
    return f"select code_hash, path, source, {local} as local_modules from ({blobs_query})"


def _offered_counts(conn: duckdb.DuckDBPyConnection, blobs_query: str) -> tuple[int, int]:
    seen, already = conn.execute(
        f"""
        select count(distinct b.code_hash), count(distinct p.code_hash)
        from (select distinct code_hash, local_modules from ({_offered(conn, blobs_query)}) where code_hash is not null) b
        left join {TABLE} p on {_SAME_PARSE}
        """
    ).fetchone()
    return seen, already


def _duplicated_new_hashes(conn: duckdb.DuckDBPyConnection, blobs_query: str) -> frozenset[str]:
    # The same hash may land twice (a re-sent file). Deduplicating the stream in SQL would hold every
    # source in a hash table; instead only the (normally zero) repeated hashes are kept here.
    rows = conn.execute(
        f"""
        select b.code_hash from ({_offered(conn, blobs_query)}) b anti join {TABLE} p on {_SAME_PARSE}
        where b.code_hash is not null group by b.code_hash having count(*) > 1
        """
    ).fetchall()
    return frozenset(code_hash for (code_hash,) in rows)


def _new_blobs(conn: duckdb.DuckDBPyConnection, blobs_query: str, batch_rows: int) -> pa.RecordBatchReader:
    """The offered rows not parsed yet (their hash, or their hash with these local modules), streamed:
    never the whole set in memory."""
    return conn.sql(
        f"""
        select b.code_hash, b.path, b.source, strlen(b.source) as source_bytes, b.local_modules
        from ({_offered(conn, blobs_query)}) b anti join {TABLE} p on {_SAME_PARSE}
        where b.code_hash is not null
        """
    ).to_arrow_reader(batch_rows)


Row = tuple[str, str | None, str | None, int | None, list[str] | None]  # hash, path, source, bytes, local


def _first_copies(batch: pa.RecordBatch, duplicated: frozenset[str], taken: set[str]) -> list[Row]:
    """The batch's rows, keeping only the first copy of a hash the query offers more than once."""
    columns = batch.to_pydict()
    rows = []
    keys = ("code_hash", "path", "source", "source_bytes", "local_modules")
    for row in zip(*(columns[k] for k in keys), strict=True):
        if row[0] in duplicated:
            if row[0] in taken:
                continue
            taken.add(row[0])
        rows.append(row)
    return rows


def _parsed(batches: Iterable[list[Row]], pool: Executor | None) -> Iterator[tuple[list[Row], list[ImportResult]]]:
    """(rows, their results) batch by batch, in order."""
    if pool is None:
        for rows in batches:
            yield rows, [extract_imports(row[2], row[1], local_modules=row[4] or ()) for row in rows]
        return
    pending: deque[tuple[list[Row], list[Future[list[ImportResult]]]]] = deque()
    for rows in batches:
        items = [(row[2], row[1], tuple(row[4] or ())) for row in rows]
        tasks = [pool.submit(extract_many, items[i : i + TASK_ROWS]) for i in range(0, len(items), TASK_ROWS)]
        pending.append((rows, tasks))
        if len(pending) > BATCHES_AHEAD:
            yield _gathered(*pending.popleft())
    while pending:
        yield _gathered(*pending.popleft())


def _gathered(rows: list[Row], tasks: list[Future[list[ImportResult]]]) -> tuple[list[Row], list[ImportResult]]:
    return rows, [result for task in tasks for result in task.result()]


def _insert(writer: duckdb.DuckDBPyConnection, rows: list[Row], results: list[ImportResult]) -> None:
    table = pa.table(
        [
            pa.array([row[0] for row in rows], pa.string()),
            pa.array([list(r.modules) for r in results], pa.list_(pa.string())),
            pa.array([r.method for r in results], pa.string()),
            pa.array([r.error for r in results], pa.string()),
            pa.array([row[3] for row in rows], pa.int64()),
            pa.array([row[4] for row in rows], pa.list_(pa.string())),
        ],
        schema=_RESULTS,
    )
    parsed_at = datetime.now(UTC).replace(tzinfo=None)  # the column is a naive UTC TIMESTAMP
    writer.register("_parsed_batch", table)
    try:
        # "or replace": a hash parsed again for other local modules keeps one row (the primary key).
        writer.execute(f"insert or replace into {TABLE} by name select *, ?::timestamp as parsed_at from _parsed_batch",
                       [parsed_at])
    finally:
        writer.unregister("_parsed_batch")

"""update_code_imports: each hash parsed once ever, errors recorded, the pool agrees with in-process."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from assets.code_imports.cache import TABLE, update_code_imports
from assets.code_imports.extract import extract_imports

CORPUS = Path(__file__).parent / "corpus"
BLOBS = "select code_hash, path, source from raw.code_blobs"


def _blob(name: str, data: bytes) -> tuple[str, str, str]:
    # The landing zone holds text: ingestion decodes, keeping undecodable bytes visible as U+FFFD.
    return hashlib.sha256(data).hexdigest(), name, data.decode("utf-8", "replace")


def corpus_blobs() -> list[tuple[str, str, str]]:
    return [_blob(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir()) if p.suffix in (".py", ".ipynb")]


def _connect(path: Path, blobs: list[tuple]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    conn.execute("create schema if not exists raw")
    conn.execute("create or replace table raw.code_blobs (code_hash varchar, path varchar, source varchar)")
    conn.executemany("insert into raw.code_blobs values (?, ?, ?)", blobs)
    return conn


def _parsed(conn) -> dict[str, tuple]:
    rows = conn.execute(f"select code_hash, modules, method, error, source_bytes from {TABLE}").fetchall()
    return {row[0]: row[1:] for row in rows}


@pytest.fixture
def conn(tmp_path):
    conn = _connect(tmp_path / "code.duckdb", corpus_blobs())
    yield conn
    conn.close()


def test_first_call_parses_everything_second_call_nothing(conn):
    distinct = len({b[0] for b in corpus_blobs()})

    first = update_code_imports(conn, BLOBS, workers=1)
    second = update_code_imports(conn, BLOBS, workers=1)

    assert (first.seen, first.already_parsed, first.parsed_now) == (distinct, 0, distinct)
    assert sum(first.by_method.values()) == distinct
    assert (second.seen, second.already_parsed, second.parsed_now) == (distinct, distinct, 0)
    assert second.by_method == {} and second.errors == 0


def test_rows_hold_what_extract_imports_returns(conn):
    update_code_imports(conn, BLOBS, workers=1)
    parsed = _parsed(conn)
    for code_hash, path, source in corpus_blobs():
        result = extract_imports(source, path)
        assert parsed[code_hash] == (list(result.modules), result.method, result.error, len(source.encode())), path
    never_run = parsed[_blob("never_execute.py", (CORPUS / "never_execute.py").read_bytes())[0]]
    assert never_run[:2] == (["corpus_execution_canary", "torch"], "ast")


def test_only_new_hashes_are_parsed_and_each_once(conn):
    update_code_imports(conn, BLOBS, workers=1)
    before = conn.execute(f"select count(*) from {TABLE}").fetchone()[0]
    fresh = [_blob(f"new_{i}.py", f"import new_module_{i}\n".encode()) for i in range(3)]
    # A re-sent landing file offers the same new hash twice, and old hashes again.
    conn.executemany("insert into raw.code_blobs values (?, ?, ?)", [*fresh, fresh[0], *corpus_blobs()[:5]])

    stats = update_code_imports(conn, BLOBS, workers=1)

    assert (stats.seen, stats.already_parsed, stats.parsed_now) == (before + 3, before, 3)
    assert conn.execute(f"select count(*) from {TABLE}").fetchone()[0] == before + 3
    assert _parsed(conn)[fresh[1][0]][:2] == (["new_module_1"], "ast")


def test_errors_are_recorded_not_raised(tmp_path):
    blobs = [
        _blob("broken.py", b"import torch\nfrom torchvision import (models,\n"),
        _blob("truncated.ipynb", b'{"cells": [{"cell_type": "code", "source": ["import jax\\n"'),
        _blob("huge.py", b"import torch\n" + b"x = 1\n" * 3_000_000),
        _blob("empty.py", b""),
        (None, "orphan.py", "import ignored_without_a_hash"),
        (hashlib.sha256(b"lost").hexdigest(), "lost.py", None),
    ]
    conn = _connect(tmp_path / "errors.duckdb", blobs)

    stats = update_code_imports(conn, BLOBS, workers=1)

    assert stats.seen == stats.parsed_now == 5  # the row without a hash is not offered
    assert stats.errors == 3
    assert stats.by_method == {"empty": 2, "line_fallback": 2, "skipped_too_large": 1}
    errors = conn.execute(f"select method, error from {TABLE} where error is not null order by all").fetchall()
    assert [m for m, _ in errors] == ["line_fallback", "line_fallback", "skipped_too_large"]
    assert errors[0][1].startswith("SyntaxError") and errors[1][1].startswith("invalid notebook JSON")
    assert _parsed(conn)[blobs[0][0]][:2] == (["torch", "torchvision"], "line_fallback")


def test_process_pool_gives_the_same_rows_as_in_process(tmp_path, monkeypatch):
    marker = tmp_path / "executed.marker"
    monkeypatch.setenv("CODE_IMPORTS_MARKER", str(marker))  # inherited by the spawned workers
    blobs = corpus_blobs()
    serial = _connect(tmp_path / "serial.duckdb", blobs)
    pooled = _connect(tmp_path / "pooled.duckdb", blobs)

    in_process = update_code_imports(serial, BLOBS, workers=1, batch_rows=16)
    with_pool = update_code_imports(pooled, BLOBS, workers=2, batch_rows=16, pool_min_rows=1)

    assert in_process.pool_batches == 0 and with_pool.pool_batches >= 2
    assert _parsed(pooled) == _parsed(serial)
    assert (with_pool.seen, with_pool.parsed_now, with_pool.by_method, with_pool.errors) == (
        in_process.seen,
        in_process.parsed_now,
        in_process.by_method,
        in_process.errors,
    )
    assert not marker.exists() and not Path(f"{marker}.shell").exists()


def test_local_modules_of_the_landing_extra_field_are_not_counted(tmp_path):
    """The asset's query reads the importer's extra field ``local_modules`` from the raw table's ``extra``."""
    from assets.code_imports.assets import blobs_query
    from stateofml.quarters import Quarter

    source = "import datasets\nimport torch\nfrom utils import seed\n"
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        conn.execute("create schema raw")
        conn.execute("create table raw.code_blobs__2022q4 (code_hash varchar, path varchar, source varchar, extra varchar)")
        conn.executemany(
            "insert into raw.code_blobs__2022q4 values (?, 'train.py', ?, ?)",
            [
                ["h-local", source, '{"local_modules": ["datasets", "train", "utils"]}'],
                ["h-plain", source + "\n", None],  # no file list: datasets is Hugging Face's
            ],
        )
        update_code_imports(conn, blobs_query(conn, [Quarter(2022, 4)]), workers=1)
        parsed = _parsed(conn)
    finally:
        conn.close()
    assert parsed["h-local"][0] == ["torch"]
    assert parsed["h-plain"][0] == ["datasets", "torch", "utils"]


def test_local_modules_are_part_of_the_key(tmp_path):
    """The same source offered with other local modules (the importer learned the project's own
    modules) is parsed again, and keeps one row; with the same ones, it is not."""
    source = "import torch\nimport mylib\n"
    code = hashlib.sha256(source.encode()).hexdigest()
    conn = _connect(tmp_path / "local.duckdb", [(code, "train.py", source)])
    offered = lambda local: f"select code_hash, path, source, {local}::varchar[] as local_modules from raw.code_blobs"  # noqa: E731
    try:
        first = update_code_imports(conn, BLOBS, workers=1)
        assert first.parsed_now == 1 and _parsed(conn)[code][0] == ["mylib", "torch"]
        learned = update_code_imports(conn, offered("['mylib']"), workers=1)
        assert (learned.already_parsed, learned.parsed_now) == (0, 1)
        assert _parsed(conn)[code][0] == ["torch"]
        again = update_code_imports(conn, offered("['mylib', 'mylib']"), workers=1)  # the same set
        assert (again.already_parsed, again.parsed_now) == (1, 0)
        assert conn.execute(f"select count(*) from {TABLE}").fetchone()[0] == 1
    finally:
        conn.close()

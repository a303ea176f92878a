"""Landing files -> raw tables: every record is loaded, quarantined (with a reason) or deduplicated."""

from datetime import date

import duckdb
import pytest

from assets.ingest.load import load_quarter, load_snapshot
from stateofml.quarters import Quarter
from tests.landing_builder import ts, write_jsonl, write_records

Q4 = Quarter(2022, 4)


@pytest.fixture
def conn(tmp_path):
    c = duckdb.connect(str(tmp_path / "stateofml.duckdb"))
    yield c
    c.close()


def rows(conn, sql):
    return conn.execute(sql).fetchall()


def test_latest_update_wins_and_accounting_balances(tmp_path, conn):
    landing = tmp_path / "landing"
    write_records(landing, "runs", [
        dict(run_id="r1", user_id="u1", created_at=ts(2022, 10, 5, 1), runtime_seconds=60.0, updated_at=ts(2022, 10, 5, 2)),
        dict(run_id="r1", user_id="u1", created_at=ts(2022, 10, 5, 1), runtime_seconds=120.0, updated_at=ts(2022, 10, 6, 2)),
        dict(run_id="r2", user_id="u2", created_at=ts(2022, 10, 5, 3), runtime_seconds=-1.0),
    ])
    stats = load_quarter(conn, landing, "runs", Q4)
    assert (stats.read, stats.loaded, stats.quarantined, stats.deduplicated) == (3, 1, 1, 1)
    assert stats.balanced
    assert rows(conn, "select run_id, runtime_seconds from raw.runs") == [("r1", 120.0)]
    assert rows(conn, "select record_key, reason from raw.quarantine__runs") == [("r2", "negative runtime_seconds")]


def test_jsonl_bad_lines_are_quarantined_with_line_numbers(tmp_path, conn):
    landing = tmp_path / "landing"
    write_jsonl(landing, "runs", date(2022, 10, 6), [
        "\ufeff" + '{"run_id": "r3", "created_at": "2022-10-06T10:00:00Z", "gpu_count": "2", "weird": 5}\r',
        "",
        "{bad json",
        "[1, 2]",
        '{"run_id": "r5", "created_at": "2022-10-06T11:00:00", "gpu_count": "lots"}',
    ])
    stats = load_quarter(conn, landing, "runs", Q4)
    assert stats.balanced and (stats.read, stats.loaded, stats.quarantined) == (4, 1, 3)
    assert rows(conn, "select run_id, gpu_count, extra from raw.runs") == [("r3", 2, '{"weird": 5}')]
    assert rows(conn, "select source_row, reason from raw.quarantine__runs order by source_row") == [
        (3, "not JSON (Expecting property name enclosed in double quotes)"),
        (4, "a JSON list, not an object"),
        (5, "wrong type: gpu_count"),
    ]


def test_unreadable_file_is_reported_and_others_still_load(tmp_path, conn):
    landing = tmp_path / "landing"
    write_records(landing, "runs", [dict(run_id="r1", created_at=ts(2022, 10, 5, 1))])
    broken = landing / "runs" / "date=2022-10-05" / "broken.parquet"
    broken.write_bytes(b"PAR1 truncated")
    stats = load_quarter(conn, landing, "runs", Q4)
    assert stats.loaded == 1 and len(stats.failed_files) == 1 and "broken.parquet" in stats.failed_files[0]
    assert rows(conn, "select count(*) from raw.quarantine__runs where reason like 'unreadable file%'") == [(1,)]


def test_rerun_replaces_the_quarter_and_leaves_others(tmp_path, conn):
    landing = tmp_path / "landing"
    write_records(landing, "runs", [
        dict(run_id="q3", created_at=ts(2022, 8, 1)),
        dict(run_id="q4", created_at=ts(2022, 11, 1)),
    ])
    load_quarter(conn, landing, "runs", Quarter(2022, 3))
    load_quarter(conn, landing, "runs", Q4)
    load_quarter(conn, landing, "runs", Q4)
    assert rows(conn, "select run_id from raw.runs order by 1") == [("q3",), ("q4",)]


def test_users_snapshot_keeps_latest_profile(tmp_path, conn):
    landing = tmp_path / "landing"
    write_records(landing, "users", [
        dict(user_id="u1", country_code="FR", updated_at=ts(2021, 1, 1)),
        dict(user_id="u1", country_code="DE", updated_at=ts(2022, 1, 1)),
    ])
    stats = load_snapshot(conn, landing, "users")
    assert (stats.loaded, stats.deduplicated) == (1, 1)
    assert rows(conn, "select country_code from raw.users") == [("DE",)]


def test_a_quarter_without_files_is_an_empty_table(tmp_path, conn):
    stats = load_quarter(conn, tmp_path / "landing", "code_blobs", Q4)
    assert (stats.files, stats.read, stats.loaded) == (0, 0, 0)
    assert rows(conn, "select count(*) from raw.code_blobs") == [(0,)]

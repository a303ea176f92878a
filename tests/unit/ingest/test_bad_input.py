"""Fault-injection cases of the landing zone: for every case, what went in, what was loaded,
what was quarantined and why, and that the accounting balances (read = loaded + quarantined +
deduplicated)."""

import gzip
import json
import shutil
from datetime import date, datetime, timezone

import duckdb
import pytest

from assets.ingest.load import load_quarter
from stateofml.quarters import Quarter
from tests.landing_builder import ts, write_jsonl, write_records

Q4 = Quarter(2022, 4)
DAY = date(2022, 10, 6)
NOW = datetime(2023, 1, 15, tzinfo=timezone.utc)


@pytest.fixture
def conn(tmp_path):
    c = duckdb.connect(str(tmp_path / "stateofml.duckdb"))
    yield c
    c.close()


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


def load(conn, landing):
    stats = load_quarter(conn, landing, "runs", Q4, now=NOW)
    assert stats.balanced, stats
    return stats


def quarantined(conn):
    return conn.execute("select source_row, reason from raw.quarantine__runs order by source_row nulls first, reason").fetchall()


def loaded(conn, cols="run_id"):
    return conn.execute(f"select {cols} from raw.runs order by run_id").fetchall()


GOOD = {"run_id": "ok", "created_at": "2022-10-06T10:00:00Z"}


@pytest.mark.parametrize("line,reason", [
    ('{"run_id": "x", "created_at": "2022-10-06T1', "not JSON (Unterminated string starting at)"),
    ("garbage", "not JSON (Expecting value)"),
    ("[1, 2]", "a JSON list, not an object"),
    ("42", "a JSON int, not an object"),
    ('"a string"', "a JSON str, not an object"),
    ("null", "a JSON NoneType, not an object"),
])
def test_lines_that_are_not_records(conn, landing, line, reason):
    write_jsonl(landing, "runs", DAY, [GOOD, line])
    stats = load(conn, landing)
    assert (stats.read, stats.loaded, stats.quarantined) == (2, 1, 1)
    assert quarantined(conn) == [(2, reason)]


def test_invalid_utf8_line(conn, landing):
    path = write_jsonl(landing, "runs", DAY, [GOOD])
    with open(path, "ab") as f:
        f.write(b'{"run_id": "bad\xff\xfe", "created_at": "2022-10-06T10:00:00Z"}\n')
    load(conn, landing)
    assert loaded(conn) == [("ok",)]
    assert quarantined(conn) == [(2, "invalid UTF-8")]


def test_bom_crlf_and_blank_lines_are_accepted(conn, landing):
    folder = landing / "runs" / "date=2022-10-06"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(b'\xef\xbb\xbf{"run_id": "a", "created_at": "2022-10-06T10:00:00Z"}\r\n\r\n   \r\n'
                                     b'{"run_id": "b", "created_at": "2022-10-06T11:00:00Z"}\r\n')
    stats = load(conn, landing)
    assert (stats.read, stats.loaded, stats.quarantined) == (2, 2, 0)


def test_empty_files_are_valid_and_empty(conn, landing):
    folder = landing / "runs" / "date=2022-10-06"
    folder.mkdir(parents=True)
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "empty.parquet").write_bytes(b"")
    write_records(landing, "runs", [], name="none.parquet")
    stats = load(conn, landing)
    assert (stats.read, stats.loaded, stats.quarantined, stats.failed_files) == (0, 0, 0, [])


@pytest.mark.parametrize("name,damage", [
    ("cut.parquet", lambda b: b[: len(b) // 2]),
    ("cut.jsonl.gz", lambda b: b[: len(b) // 2]),
    ("noise.parquet", lambda b: b"PAR1" + b"\x00" * 100 + b"PAR1"),
])
def test_truncated_files_are_a_file_level_error_and_others_load(conn, landing, name, damage):
    write_records(landing, "runs", [dict(run_id="ok", created_at=ts(2022, 10, 6, 9))], name="good.parquet")
    if name.endswith(".gz"):
        raw = gzip.compress(b"".join(json.dumps({"run_id": f"g{i}", "created_at": "2022-10-06T10:00:00Z"}).encode() + b"\n" for i in range(500)))
    else:
        src = write_records(landing, "runs", [dict(run_id=f"p{i}", created_at=ts(2022, 10, 6, 10)) for i in range(500)],
                            name="whole.parquet")[0]
        raw = src.read_bytes()
        src.unlink()
    (landing / "runs" / "date=2022-10-06" / name).write_bytes(damage(raw))
    stats = load(conn, landing)
    assert loaded(conn) == [("ok",)] or name.endswith(".gz")  # gzip may yield lines before the cut
    assert len(stats.failed_files) == 1 and name in stats.failed_files[0]
    reasons = [r for _, r in quarantined(conn)]
    assert any(r.startswith("unreadable file:") for r in reasons)


def test_a_damaged_page_behind_a_good_footer_is_the_files_error_and_others_load(conn, landing):
    """Parquet files are read together in one statement; a file whose footer reads but whose data
    does not fails that statement, and then each file is read alone: the damage is its own."""
    for day in (6, 7):
        write_records(landing, "runs", [dict(run_id=f"ok{day}", created_at=ts(2022, 10, day, 9))], name="good.parquet")
    src = write_records(landing, "runs", [dict(run_id=f"p{i}", created_at=ts(2022, 10, 8, 10), project="x" * 50)
                                          for i in range(2000)], name="damaged.parquet")[0]
    raw = bytearray(src.read_bytes())
    footer_len = int.from_bytes(raw[-8:-4], "little")
    raw[4:len(raw) - footer_len - 8] = b"\xff" * (len(raw) - footer_len - 12)  # pages garbled, footer intact
    src.write_bytes(bytes(raw))
    stats = load(conn, landing)
    assert sorted(loaded(conn)) == [("ok6",), ("ok7",)]
    assert len(stats.failed_files) == 1 and "damaged.parquet" in stats.failed_files[0]
    assert stats.read == stats.loaded + stats.quarantined + stats.deduplicated


@pytest.mark.parametrize("record,reason", [
    ({"created_at": "2022-10-06T10:00:00Z"}, "missing run_id"),
    ({"run_id": "  ", "created_at": "2022-10-06T10:00:00Z"}, "missing run_id"),
    ({"run_id": "x"}, "missing or unparseable created_at"),
    ({"run_id": "x", "created_at": "not a time"}, "wrong type: created_at"),
    ({"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "runtime_seconds": -3}, "negative runtime_seconds"),
    ({"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "gpu_count": 100000}, "absurd gpu_count"),
    ({"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "gpu_count": -1}, "absurd gpu_count"),
    ({"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "runtime_seconds": "fast"}, "wrong type: runtime_seconds"),
    ({"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "telemetry_imports": "torch"}, "wrong type: telemetry_imports"),
    ({"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "gpu_apple": "maybe"}, "wrong type: gpu_apple"),
    ({"run_id": "x", "created_at": "2023-02-01T10:00:00Z"}, "created_at in the future"),
    ({"run_id": "x", "created_at": "2022-10-07T10:00:00Z"}, "created_at is not in its date= folder"),
])
def test_bad_records_are_quarantined_with_their_reason(conn, landing, record, reason):
    write_jsonl(landing, "runs", DAY, [GOOD, record])
    stats = load(conn, landing)
    assert (stats.loaded, stats.quarantined) == (1, 1)
    assert quarantined(conn) == [(2, reason)]
    stored = json.loads(conn.execute("select record from raw.quarantine__runs").fetchall()[0][0])
    assert stored["run_id"] == record.get("run_id")  # the record itself is kept for inspection


@pytest.mark.parametrize("value,expected", [
    ("2022-10-06T10:00:00Z", datetime(2022, 10, 6, 10)),
    ("2022-10-06T12:00:00+02:00", datetime(2022, 10, 6, 10)),
    ("2022-10-06 10:00:00", datetime(2022, 10, 6, 10)),  # naive: read as UTC
    (1665050400, datetime(2022, 10, 6, 10)),  # epoch seconds
    (1665050400000, datetime(2022, 10, 6, 10)),  # epoch milliseconds
    ("1665050400.5", datetime(2022, 10, 6, 10, 0, 0, 500000)),
])
def test_timestamp_spellings(conn, landing, value, expected):
    write_jsonl(landing, "runs", DAY, [{"run_id": "t", "created_at": value}])
    load(conn, landing)
    assert loaded(conn, "created_at") == [(expected,)]


def test_unknown_fields_are_kept_not_dropped(conn, landing):
    write_jsonl(landing, "runs", DAY, [{**GOOD, "cloud_region": "eu-west-1", "nested": {"a": [1, 2]}}])
    load(conn, landing)
    extras = dict(loaded(conn, "run_id, extra"))
    assert json.loads(extras["ok"]) == {"cloud_region": "eu-west-1", "nested": {"a": [1, 2]}}


def test_extra_parquet_columns_are_kept(conn, landing):
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder = landing / "runs" / "date=2022-10-06"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"run_id": ["pq"], "created_at": pa.array([ts(2022, 10, 6, 11)], pa.timestamp("us", tz="UTC")),
                             "team": ["vision"]}), folder / "x.parquet")
    load(conn, landing)
    assert loaded(conn, "run_id, extra, runtime_seconds") == [("pq", '{"team":"vision"}', None)]


def test_duplicates_within_and_across_files(conn, landing):
    rec = dict(run_id="d", created_at=ts(2022, 10, 6, 9), updated_at=ts(2022, 10, 6, 9))
    write_records(landing, "runs", [rec, rec], name="a.parquet")
    write_records(landing, "runs", [rec, dict(rec, run_id="e")], name="b.parquet")
    stats = load(conn, landing)
    assert (stats.read, stats.loaded, stats.deduplicated) == (4, 2, 2)


def test_same_file_delivered_twice_is_a_no_op(conn, landing):
    [first] = write_records(landing, "runs", [dict(run_id="a", created_at=ts(2022, 10, 6, 9))], name="a.parquet")
    load(conn, landing)
    before = loaded(conn, "*")
    shutil.copy(first, first.with_name("a-again.parquet"))
    stats = load(conn, landing)
    assert stats.duplicate_files == 1 and stats.deduplicated == 1
    assert loaded(conn, "*") == before
    manifest = dict(conn.execute("select regexp_extract(path, '[^/]+$'), status || coalesce(': ' || detail, '') "
                                 "from raw.landing_files__runs").fetchall())
    assert manifest["a.parquet"] == "read"
    assert manifest["a-again.parquet"] == f"duplicate: same bytes as {first}"


def test_newer_update_wins_with_a_fixed_tie_break(conn, landing):
    base = dict(run_id="r", created_at=ts(2022, 10, 6, 9))
    write_records(landing, "runs", [dict(base, state="running", updated_at=ts(2022, 10, 6, 9))], name="1.parquet")
    write_records(landing, "runs", [dict(base, state="finished", updated_at=ts(2022, 10, 7, 9))], name="2.parquet")
    load(conn, landing)
    assert loaded(conn, "state") == [("finished",)]
    # Same updated_at in two files: the file name that sorts last wins, then the last row.
    write_records(landing, "runs", [dict(base, state="crashed", updated_at=ts(2022, 10, 7, 9))], name="3.parquet")
    load(conn, landing)
    assert loaded(conn, "state") == [("crashed",)]
    write_records(landing, "runs", [dict(base, state="killed", updated_at=ts(2022, 10, 7, 9)),
                                    dict(base, state="failed", updated_at=ts(2022, 10, 7, 9))], name="4.parquet")
    load(conn, landing)
    assert loaded(conn, "state") == [("failed",)]


def test_a_bad_newer_version_does_not_hide_a_good_older_one(conn, landing):
    write_records(landing, "runs", [dict(run_id="r", created_at=ts(2022, 10, 6, 9), runtime_seconds=5.0)], name="1.parquet")
    write_records(landing, "runs", [dict(run_id="r", created_at=ts(2022, 10, 6, 9), runtime_seconds=-5.0,
                                         updated_at=ts(2022, 10, 8))], name="2.parquet")
    stats = load(conn, landing)
    assert (stats.loaded, stats.quarantined) == (1, 1) and loaded(conn, "runtime_seconds") == [(5.0,)]


def test_late_run_lands_in_its_own_quarter(conn, landing):
    write_records(landing, "runs", [dict(run_id="q3", created_at=ts(2022, 8, 1))], name="a.parquet")
    load_quarter(conn, landing, "runs", Quarter(2022, 3), now=NOW)
    write_records(landing, "runs", [dict(run_id="q4", created_at=ts(2022, 11, 1))], name="b.parquet")
    load(conn, landing)
    # The late file arrives in the Q3 folder after Q3 was loaded; reloading Q3 picks it up.
    write_records(landing, "runs", [dict(run_id="late", created_at=ts(2022, 9, 30, 23))], name="late.parquet")
    load_quarter(conn, landing, "runs", Quarter(2022, 3), now=NOW)
    assert conn.execute("select run_id from raw.runs__2022q3 order by 1").fetchall() == [("late",), ("q3",)]
    assert conn.execute("select run_id from raw.runs__2022q4").fetchall() == [("q4",)]


def test_runs_of_unknown_or_no_user_are_kept(conn, landing):
    write_jsonl(landing, "runs", DAY, [{**GOOD, "user_id": "never-seen"}, {"run_id": "anon", "created_at": "2022-10-06T10:00:00Z"}])
    load(conn, landing)
    assert loaded(conn, "run_id, user_id") == [("anon", None), ("ok", "never-seen")]

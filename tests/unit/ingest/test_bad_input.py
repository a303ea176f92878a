"""Fault-injection cases of the landing zone: for every case, what went in, what was loaded,
what was quarantined and why, and that the accounting balances (read = loaded + quarantined +
deduplicated)."""

import gzip
import json
import os
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


# -- second pass (issue 19): one bad line costs one line, nothing is lost silently ------------------

def test_non_finite_numbers_are_quarantined_never_loaded(conn, landing):
    import pyarrow as pa
    write_jsonl(landing, "runs", DAY, [
        GOOD,
        '{"run_id": "nan", "created_at": "2022-10-06T10:00:00Z", "runtime_seconds": NaN}',
        '{"run_id": "inf", "created_at": "2022-10-06T10:00:00Z", "runtime_seconds": -Infinity}',
        '{"run_id": "big", "created_at": "2022-10-06T10:00:00Z", "runtime_seconds": 1e400}',
        {"run_id": "text", "created_at": "2022-10-06T10:00:00Z", "runtime_seconds": "Infinity"},
    ])
    folder = landing / "runs" / "date=2022-10-06"
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"run_id": ["pq-nan", "pq-ok"],
                             "created_at": pa.array([ts(2022, 10, 6, 11)] * 2, pa.timestamp("us", tz="UTC")),
                             "runtime_seconds": [float("nan"), 1.0], "memory_total_gb": [16.0, float("inf")]}),
                   folder / "x.parquet")
    stats = load(conn, landing)
    assert (stats.read, stats.loaded, stats.quarantined) == (7, 1, 6)
    assert sorted(r for _, r in quarantined(conn)) == sorted([
        "not JSON (NaN is not a JSON number)", "not JSON (-Infinity is not a JSON number)",
        "a number out of range (1e400)", "non-finite runtime_seconds", "non-finite runtime_seconds",
        "non-finite memory_total_gb"])
    assert conn.execute("select count(*) from raw.runs where not isfinite(runtime_seconds)").fetchall() == [(0,)]


def test_a_line_nested_10000_deep_or_a_5000_digit_integer_costs_one_line(conn, landing):
    deep = '{"run_id": "deep", "created_at": "2022-10-06T10:00:00Z", "x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    digits = '{"run_id": "digits", "created_at": "2022-10-06T10:00:00Z", "cpu_count": ' + "9" * 5000 + "}"
    write_jsonl(landing, "runs", DAY, [GOOD, deep, digits, dict(GOOD, run_id="ok2")])
    stats = load(conn, landing)
    assert (stats.read, stats.loaded, stats.quarantined, stats.failed_files) == (4, 2, 2, [])
    assert quarantined(conn) == [(2, "not JSON (nested too deep)"), (3, "not JSON (an integer with too many digits)")]


def test_a_file_without_read_permission_costs_that_file(conn, landing, tmp_path):
    """The real condition. The tests run as root, whom permissions do not stop, so as root the
    load runs in a forked child that drops to `nobody` (uid 65534) first; as any other user, in
    this process. (A subprocess cannot run as `nobody`: the interpreter lives under /root.)"""
    write_jsonl(landing, "runs", DAY, [GOOD], name="good.jsonl")
    locked = write_jsonl(landing, "runs", DAY, [dict(GOOD, run_id="secret")], name="locked.jsonl")
    locked.chmod(0o000)
    if os.geteuid() == 0:
        read, loaded_n, quarantined_n, failed, reasons = _as_nobody(tmp_path, landing)
    else:
        stats = load(conn, landing)
        read, loaded_n, quarantined_n, failed = stats.read, stats.loaded, stats.quarantined, stats.failed_files
        reasons = [r for _, r in quarantined(conn)]
    assert (read, loaded_n, quarantined_n) == (2, 1, 1)
    assert len(failed) == 1 and "locked.jsonl" in failed[0] and "PermissionError" in failed[0]
    assert reasons == [f"unreadable file: PermissionError: [Errno 13] Permission denied: '{locked}'"]


def _as_nobody(tmp_path, landing):
    parents = {p: p.stat().st_mode for p in tmp_path.parents}
    try:
        for p in parents:  # let `nobody` reach the test's folder (pytest's is private), for this test only
            p.chmod(parents[p] | 0o005)
        return _load_as_nobody(tmp_path, landing)
    finally:
        for p, mode in parents.items():
            p.chmod(mode)


def _load_as_nobody(tmp_path, landing):
    tmp_path.chmod(0o777)
    for p in landing.rglob("*"):
        if p.is_dir():
            p.chmod(0o755)
        elif p.stat().st_mode & 0o777:
            p.chmod(0o644)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            c = duckdb.connect(str(tmp_path / "nobody.duckdb"))
            s = load_quarter(c, landing, "runs", Q4, now=NOW)
            out = [s.read, s.loaded, s.quarantined, s.failed_files,
                   [r for (r,) in c.execute("select reason from raw.quarantine__runs").fetchall()]]
            c.close()
            os.write(write_end, json.dumps(out).encode())
            code = 0
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            os.write(write_end, json.dumps({"error": repr(exc)}).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        result = json.loads(f.read() or b"null")
    os.waitpid(pid, 0)
    assert isinstance(result, list), result
    return result


def test_a_fifo_named_like_a_data_file_is_that_files_error_and_never_blocks(conn, landing):
    """A FIFO fails for root too (opening it would wait for a writer for ever): one file-level entry."""
    write_jsonl(landing, "runs", DAY, [GOOD])
    os.mkfifo(landing / "runs" / "date=2022-10-06" / "pipe.jsonl")
    stats = load(conn, landing)
    assert (stats.read, stats.loaded, stats.quarantined) == (2, 1, 1)
    assert len(stats.failed_files) == 1 and "pipe.jsonl" in stats.failed_files[0]
    assert [r for _, r in quarantined(conn)] == [f"unreadable file: OSError: not a regular file: {landing}/runs/date=2022-10-06/pipe.jsonl"]


def test_paths_that_are_not_data_files_are_reported_as_unrecognised(conn, landing):
    from assets.ingest.assets import _metadata
    write_jsonl(landing, "runs", DAY, [GOOD])
    runs = landing / "runs"
    write_jsonl(landing, "runs", DAY, [dict(GOOD, run_id="hidden")], name=".in-flight.jsonl")  # ignored: the contract
    strays = {
        runs / "stray.jsonl": "not in a date= folder",
        runs / "date=2022-13-45": "not a date=YYYY-MM-DD folder (or an impossible date)",
        runs / "notes": "not a date=YYYY-MM-DD folder (or an impossible date)",
        runs / "date=2022-10-06" / "part.json": "not one of .parquet, .jsonl, .jsonl.gz",
        runs / "date=2022-10-06" / "PART.JSONL": "not one of .parquet, .jsonl, .jsonl.gz",
        runs / "date=2022-10-06" / "sub": "a folder inside a date= folder",
        runs / "date=2022-10-06" / "sub.parquet": "a folder inside a date= folder",
    }
    for path in strays:
        if path.name in ("date=2022-13-45", "notes", "sub", "sub.parquet"):
            path.mkdir()
        else:
            path.write_text(json.dumps(dict(GOOD, run_id=path.name)) + "\n")
    # Another quarter's folder is that quarter's business, not unrecognised here.
    write_jsonl(landing, "runs", date(2022, 8, 1), [{"run_id": "q3", "created_at": "2022-08-01T10:00:00Z"}])
    stats = load(conn, landing)
    assert (stats.read, stats.loaded) == (1, 1)  # the dot file is not read
    assert sorted(stats.unrecognised) == sorted(f"{p}: {why}" for p, why in strays.items())
    md, total = _metadata([stats, stats])  # a backfill: each quarter's scan sees the strays once
    assert md["unrecognised_files"] == len(strays) and md["accounting_balanced"]
    assert str(runs / "stray.jsonl") in md["unrecognised"].value
    listed = conn.execute("select path, detail from raw.landing_files__runs where status = 'unrecognised'").fetchall()
    assert sorted(listed) == sorted((str(p), why) for p, why in strays.items())


def test_the_unrecognised_list_in_metadata_is_bounded(conn, landing):
    from assets.ingest.assets import _metadata
    from stateofml.contract import MAX_UNRECOGNISED_LISTED
    write_jsonl(landing, "runs", DAY, [GOOD])
    for i in range(MAX_UNRECOGNISED_LISTED + 5):
        (landing / "runs" / f"junk{i:02d}.txt").write_text("x")
    md, _ = _metadata([load(conn, landing)])
    assert md["unrecognised_files"] == MAX_UNRECOGNISED_LISTED + 5
    assert md["unrecognised"].value.count("\n- `") == MAX_UNRECOGNISED_LISTED - 1
    assert "and 5 more" in md["unrecognised"].value


def test_a_symlink_never_leads_reading_out_of_the_landing_zone(conn, landing, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_text(json.dumps(dict(GOOD, run_id="outside")) + "\n")
    write_jsonl(landing, "runs", DAY, [GOOD])
    folder = landing / "runs" / "date=2022-10-06"
    (folder / "passwd.jsonl").symlink_to("/etc/passwd")
    (folder / "secret.jsonl").symlink_to(outside / "secret.jsonl")
    (landing / "runs" / "date=2022-10-07").symlink_to(outside)
    # A link that stays inside the landing zone is followed (the same bytes: a duplicate delivery).
    (folder / "again.jsonl").symlink_to(folder / "part.jsonl")
    stats = load(conn, landing)
    assert loaded(conn) == [("ok",)] and stats.quarantined == 0 and stats.duplicate_files == 1
    why = "a symlink leading outside the landing zone (not followed)"
    assert sorted(stats.unrecognised) == sorted(f"{p}: {why}" for p in (
        folder / "passwd.jsonl", folder / "secret.jsonl", landing / "runs" / "date=2022-10-07"))


def test_timestamps_beyond_the_horizon_are_quarantined_in_every_column(conn, landing):
    base = dict(run_id="r", created_at=ts(2022, 10, 6, 9))
    write_records(landing, "runs", [dict(base, state="forever", updated_at=datetime(9999, 1, 1, tzinfo=timezone.utc))],
                  name="1.parquet")
    write_records(landing, "runs", [dict(base, state="finished", updated_at=ts(2022, 10, 8))], name="2.parquet")
    write_records(landing, "runs", [dict(run_id="s", created_at=ts(2022, 10, 6, 9),
                                         started_at=datetime(9999, 12, 31, tzinfo=timezone.utc))], name="3.parquet")
    stats = load(conn, landing)
    assert loaded(conn, "run_id, state") == [("r", "finished")]
    assert (stats.read, stats.loaded, stats.quarantined, stats.deduplicated) == (3, 1, 2, 0)
    assert sorted(r for _, r in quarantined(conn)) == ["started_at in the future", "updated_at in the future"]


def test_the_partition_comes_from_the_path_below_the_landing_zone(tmp_path, conn):
    landing = tmp_path / "date=2021-01-01" / "landing"  # an absolute path with its own date=
    write_records(landing, "runs", [dict(run_id="a", created_at=ts(2022, 10, 6, 9))])
    write_jsonl(landing, "runs", DAY, [GOOD])
    stats = load(conn, landing)
    assert (stats.loaded, stats.quarantined) == (2, 0)


@pytest.mark.parametrize("line,reason", [
    ('{"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "gpu_count": 1, "gpu_count": 8}',
     "duplicate key 'gpu_count' in one object"),
    ('{"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "gpu_count": 2.5}', "wrong type: gpu_count"),
    ('{"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "gpu_count": "2.5"}', "wrong type: gpu_count"),
    ('{"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "gpu": true}', "wrong type: gpu"),
    ('{"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "project": {"name": "p"}}', "wrong type: project"),
    ('{"run_id": "x", "created_at": "2022-10-06T10:00:00Z", "python_version": 3.10}', "wrong type: python_version"),
])
def test_values_of_the_wrong_kind_are_quarantined_not_changed(conn, landing, line, reason):
    write_jsonl(landing, "runs", DAY, [GOOD, line])
    stats = load(conn, landing)
    assert (stats.loaded, stats.quarantined) == (1, 1)
    assert quarantined(conn) == [(2, reason)]


def test_integral_numbers_are_integers(conn, landing):
    write_jsonl(landing, "runs", DAY, [dict(GOOD, gpu_count=2.0, cpu_count="8")])
    load(conn, landing)
    assert loaded(conn, "gpu_count, cpu_count") == [(2, 8)]


def test_parquet_columns_of_the_wrong_kind_are_quarantined_not_changed(conn, landing):
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder = landing / "runs" / "date=2022-10-06"
    folder.mkdir(parents=True)
    when = pa.array([ts(2022, 10, 6, 11)] * 2, pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"run_id": ["b", "c"], "created_at": when, "gpu": [True, None],
                             "gpu_count": [None, 2.5]}), folder / "x.parquet")
    pq.write_table(pa.table({"run_id": ["ok"], "created_at": when[:1]}), folder / "y.parquet")
    stats = load(conn, landing)
    assert loaded(conn) == [("ok",)] and stats.quarantined == 2
    assert sorted(r for _, r in quarantined(conn)) == ["wrong type: gpu", "wrong type: gpu_count"]


@pytest.mark.parametrize("column", ["filename", "file_row_number", "_file", "_extra_json"])
def test_user_columns_named_like_the_loaders_are_kept(conn, landing, column):
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder = landing / "runs" / "date=2022-10-06"
    folder.mkdir(parents=True)
    when = pa.array([ts(2022, 10, 6, 11)] * 2, pa.timestamp("us", tz="UTC"))
    for name in ("a.parquet", "b.parquet"):  # two files of one schema: the many-files statement
        pq.write_table(pa.table({"run_id": [f"{name}1", f"{name}2"], "created_at": when, column: ["mine", "yours"]}),
                       folder / name)
    write_jsonl(landing, "runs", DAY, [dict(GOOD, **{column: "theirs"})])
    stats = load(conn, landing)
    assert (stats.loaded, stats.quarantined, stats.failed_files) == (5, 0, [])
    extras = dict(loaded(conn, "run_id, extra"))
    assert json.loads(extras["a.parquet2"]) == {column: "yours"}
    assert json.loads(extras["ok"]) == {column: "theirs"}
    rows = conn.execute("select source_row from raw.runs where run_id like 'b.parquet%' order by 1").fetchall()
    assert rows == [(1,), (2,)]


def test_a_run_id_in_two_quarters_keeps_the_newest_version_whatever_the_order(tmp_path):
    """The same run id with two created_at (two quarters): the newest updated_at wins across
    quarters as within one, whichever quarter is loaded first; the warehouse holds it once."""
    landing = tmp_path / "landing"
    write_records(landing, "runs", [dict(run_id="r", created_at=ts(2022, 9, 30, 9), state="old", updated_at=ts(2022, 9, 30, 9)),
                                    dict(run_id="q3only", created_at=ts(2022, 8, 1))], name="a.parquet")
    write_records(landing, "runs", [dict(run_id="r", created_at=ts(2022, 10, 6, 9), state="new", updated_at=ts(2022, 10, 6, 9))],
                  name="b.parquet")
    for order in ([Quarter(2022, 3), Q4], [Q4, Quarter(2022, 3)]):
        c = duckdb.connect(str(tmp_path / f"{order[0].compact}.duckdb"))
        first = load_quarter(c, landing, "runs", order[0], now=NOW)
        second = load_quarter(c, landing, "runs", order[1], now=NOW)
        assert first.balanced and second.balanced
        assert c.execute("select run_id, state from raw.runs order by 1").fetchall() == [("q3only", None), ("r", "new")]
        if order[0] == Q4:  # Q3's older copy arrives second: deduplicated there
            assert (second.read, second.loaded, second.deduplicated) == (2, 1, 1)
        else:  # Q4's newer copy arrives second: Q3's older copy leaves Q3's table
            assert second.superseded_elsewhere == {"2022Q3": 1} and second.loaded == 1
        # Rerunning either quarter changes nothing.
        for q in order:
            load_quarter(c, landing, "runs", q, now=NOW)
        assert c.execute("select run_id, state from raw.runs order by 1").fetchall() == [("q3only", None), ("r", "new")]
        c.close()

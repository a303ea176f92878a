"""Faults lose nothing: a crash mid-load keeps the previous quarter, two launches serialize,
a held lock is waited for, bad data is not retried."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from assets.ingest.load import load_quarter
from stateofml.platform.resources import Warehouse
from stateofml.quarters import Quarter
from tests.landing_builder import tiny_world, ts, write_records

ROOT = Path(__file__).resolve().parents[2]

CRASHING_LOAD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import duckdb
    import assets.ingest.load as load
    from stateofml.quarters import Quarter

    original = load._refresh_union_view
    def stall(conn, view, like=None):
        original(conn, view, like)
        Path(sys.argv[3]).touch()  # inside the transaction, the new table already written
        time.sleep(120)
    load._refresh_union_view = stall
    load.load_quarter(duckdb.connect(sys.argv[1]), Path(sys.argv[2]), "runs", Quarter(2022, 4))
""")


def test_a_load_killed_half_way_leaves_the_previous_quarter_intact(tmp_path):
    db, landing, marker = tmp_path / "stateofml.duckdb", tmp_path / "landing", tmp_path / "inside"
    write_records(landing, "runs", [dict(run_id="v1", created_at=ts(2022, 10, 5))], name="a.parquet")
    with duckdb.connect(str(db)) as conn:
        load_quarter(conn, landing, "runs", Quarter(2022, 4))
    write_records(landing, "runs", [dict(run_id="v2", created_at=ts(2022, 10, 6))], name="b.parquet")

    proc = subprocess.Popen([sys.executable, "-c", CRASHING_LOAD, str(db), str(landing), str(marker)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the load ended before reaching its transaction"
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select run_id from raw.runs").fetchall() == [("v1",)]
    # ... and the next run completes the job.
    with duckdb.connect(str(db)) as conn:
        load_quarter(conn, landing, "runs", Quarter(2022, 4))
        assert conn.execute("select run_id from raw.runs order by 1").fetchall() == [("v1",), ("v2",)]


def test_connection_waits_for_a_foreign_lock_then_proceeds(tmp_path):
    wh = Warehouse(database=str(tmp_path / "stateofml.duckdb"), lock_timeout_seconds=30)
    with wh.get_connection() as conn:
        conn.execute("create table t as select 1 as x")
    # Another process (not using our lock) holds DuckDB's own lock for ~2 s.
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb, time; c = duckdb.connect({str(wh.path)!r}); print('held', flush=True); time.sleep(2)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    t0 = time.monotonic()
    with wh.get_connection() as conn:
        assert conn.execute("select x from t").fetchall() == [(1,)]
    assert time.monotonic() - t0 > 0.5  # it waited instead of failing
    holder.wait()


def test_bad_data_is_not_retried(tmp_path):
    bad = tmp_path / "stateofml.duckdb"
    bad.write_bytes(b"this is not a database")
    wh = Warehouse(database=str(bad), lock_timeout_seconds=30)
    t0 = time.monotonic()
    with pytest.raises(duckdb.Error):
        with wh.get_connection():
            pass
    assert time.monotonic() - t0 < 5


def test_connection_is_closed_when_the_body_raises(tmp_path):
    wh = Warehouse(database=str(tmp_path / "stateofml.duckdb"))
    with pytest.raises(RuntimeError):
        with wh.get_connection() as conn:
            conn.execute("create table t (x int)")
            raise RuntimeError("boom")
    # Another process can open the file at once: nothing leaked the DuckDB lock.
    out = subprocess.run([sys.executable, "-c", f"import duckdb; print(duckdb.connect({str(wh.path)!r}).execute('select count(*) from t').fetchall())"],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[(0,)]", out.stderr


@pytest.mark.slow
def test_two_launches_at_once_serialize(tmp_path):
    data = tmp_path / "data"
    tiny_world(data / "landing")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    cmd = [str(Path(sys.executable).with_name("stateofml")), "--data-dir", str(data), "materialize", "2022Q4"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        assert conn.execute("select sum(active_users) from marts.active_users_by_country_by_quarter").fetchall() == [(5,)]
        assert conn.execute("select count(*) from raw.runs").fetchall() == [(6,)]

"""The production instance (deploy/dagster.yaml) keeps runs and events in a real PostgreSQL.

A throwaway PostgreSQL server (Debian's package, installed by `scripts/setup.sh --test`) runs on
loopback on a free port with its data in a temporary folder; as root its programs run as the
`postgres` user, which owns that folder. One partition of the tiny world is materialized with
the instance built from the template, then Postgres itself is asked what it holds.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from stateofml.platform.project import PROJECT_ROOT
from tests.integration.test_walking_skeleton import run_partition
from tests.landing_builder import tiny_world

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

Q4 = "2022-10-01"


@dataclass
class Server:
    port: int
    user: str
    password: str

    def connect(self, db: str):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname=db)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    assert initdb, "PostgreSQL is not installed: run `bash scripts/setup.sh --test` (installs Debian's postgresql)"
    return Path(initdb).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres() -> Iterator[Server]:
    bindir = postgres_bin()
    # Not under tmp_path: as root, the server runs as `postgres`, which cannot enter pytest's
    # root-only folders; this folder is its own and is removed at the end.
    base = Path(tempfile.mkdtemp(prefix="stateofml-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    server = Server(port=free_port(), user="dagster", password=secrets.token_hex(12))
    (base / "pwfile").write_text(server.password + "\n")
    if as_root:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(base / "pwfile", "postgres", "postgres")
    base.chmod(0o700)

    def run(*args: str) -> None:
        result = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}"

    data = base / "data"
    run(str(bindir / "initdb"), "-D", str(data), "-U", server.user, f"--pwfile={base / 'pwfile'}",
        "--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
    started = False
    try:
        # Loopback only, our own socket folder, no fsync (a test server: speed over durability).
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
            "-o", f"-c listen_addresses=127.0.0.1 -p {server.port} -k {base} -c fsync=off", "start")
        started = True
        yield server
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def test_materialize_a_partition_with_postgres_storage(postgres, tmp_path, monkeypatch):
    import dagster as dg

    conn = postgres.connect("postgres")
    conn.autocommit = True  # CREATE DATABASE refuses to run inside a transaction
    conn.cursor().execute("create database stateofml_dagster")
    conn.close()

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    for key, value in {"DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(postgres.port),
                       "DAGSTER_PG_USERNAME": postgres.user, "DAGSTER_PG_PASSWORD": postgres.password,
                       "DAGSTER_PG_DB": "stateofml_dagster"}.items():
        monkeypatch.setenv(key, value)

    data = tmp_path / "data"
    tiny_world(data / "landing")
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        run_partition(data, instance, Q4)
        # The template's pool limit reached the instance: one warehouse step at a time.
        assert instance.event_log_storage.get_concurrency_info("duckdb_warehouse").slot_count == 1

    # Ask Postgres, not Dagster: the runs and their events are rows of this server.
    with postgres.connect("stateofml_dagster") as conn, conn.cursor() as cur:
        cur.execute("select pipeline_name, status from runs order by create_timestamp")
        assert cur.fetchall() == [("reference_data", "SUCCESS"), ("state_of_ml_quarterly", "SUCCESS")]
        cur.execute("select distinct asset_key, partition from event_logs "
                    "where dagster_event_type = 'ASSET_MATERIALIZATION' and partition is not null")
        materialized = {(key, partition) for key, partition in cur.fetchall()}
        # Every event of both runs is in the event log (step starts, outputs, run start and end).
        cur.execute("select r.pipeline_name, count(e.id) from runs r join event_logs e on e.run_id = r.run_id "
                    "group by r.pipeline_name order by 1")
        events = dict(cur.fetchall())
    conn.close()
    assert ('["marts", "active_users_by_country_by_quarter"]', Q4) in materialized
    assert ('["raw", "runs"]', Q4) in materialized
    assert set(events) == {"reference_data", "state_of_ml_quarterly"} and min(events.values()) > 10

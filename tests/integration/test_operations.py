"""The operators' paths, for real: the CLI commands, the UI, and real run folders dropped into the
drop folder flowing through the sensors into the marts."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.sources.assets import KEY as IMPORT_KEY
from stateofml.cli import main
from orchestration.definitions import build_definitions
from stateofml.platform.project import PROJECT_ROOT
from stateofml.platform.resources import build_resources
from orchestration.sensors import landing_zone_sensor, wandb_run_folders_sensor
from tests.integration.test_wandb_import import CONFIG_2022, MD_2022, TRAIN, make_run
from tests.landing_builder import tiny_world


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(list(argv))
        except SystemExit as exc:  # argparse's usage errors
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


def mart(data, sql: str):
    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def hand_built_tree(root):
    """Two readable 2022 runs of alice (Q1 and Q3) and one folder with nothing in it."""
    make_run(root, "run-20220214_090000-fin2022", metadata=MD_2022, config=CONFIG_2022, code={"train.py": TRAIN},
             summary={"_wandb": {"runtime": 3600}})
    make_run(root, "run-20220801_100000-aug2022", metadata=dict(MD_2022, startedAt="2022-08-01T10:00:00"),
             summary={"_wandb": {"runtime": 60}})
    return root


# -- import-runs -----------------------------------------------------------------------------------


def test_import_runs_prints_every_folder_and_the_quarters(tmp_path):
    tree = hand_built_tree(tmp_path / "tree")
    (tree / "wandb" / "run-20220301_000000-empty").mkdir()
    users = tmp_path / "users.csv"
    users.write_text("user_id,username,country_code\nalice-id,alice,NZ\n")
    data = tmp_path / "data"

    rc, out, _ = cli("--data-dir", str(data), "import-runs", str(tree), "--users-file", str(users))
    assert rc == 1  # one folder failed
    lines = {line.split()[2]: line for line in out.splitlines()[1:] if line.startswith(("imported", "failed"))}
    assert lines["fin2022"].split()[:4] == ["imported", "wandb/run-20220214_090000-fin2022", "fin2022", "2022Q1"]
    assert lines["aug2022"].split()[3] == "2022Q3"
    assert lines["empty"].startswith("failed") and "no run data" in lines["empty"]
    assert "3 run folders: 2 imported, 0 updated, 0 partial, 0 skipped, 1 failed; wrote 2 runs, 1 code blobs, 1 users" in out
    assert "quarters touched: 2022Q1, 2022Q3\n" in out
    assert f"next: stateofml --data-dir {data} materialize 2022Q1:2022Q3\n" in out
    assert sorted(p.parent.name for p in (data / "landing" / "runs").rglob("*.parquet")) == [
        "date=2022-02-14", "date=2022-08-01"]

    (tree / "wandb" / "run-20220301_000000-empty").rmdir()
    rc, out, _ = cli("--data-dir", str(data), "import-runs", str(tree), "--users-file", str(users))
    assert rc == 0 and "2 run folders: 0 imported, 0 updated, 0 partial, 2 skipped, 0 failed; wrote 0 runs" in out

    # --user attributes the whole folder: both runs change owner and are written again.
    rc, out, _ = cli("--data-dir", str(data), "import-runs", str(tree), "--user", "owner-id")
    assert rc == 0 and "2 run folders: 0 imported, 2 updated, 0 partial, 0 skipped, 0 failed; wrote 2 runs" in out


def test_import_runs_usage_errors(tmp_path):
    rc, _, err = cli("--data-dir", str(tmp_path), "import-runs", str(tmp_path / "nowhere"))
    assert rc == 2 and err.strip() == f"stateofml: error: no such folder: {tmp_path / 'nowhere'}"
    rc, _, err = cli("--data-dir", str(tmp_path), "import-runs", str(tmp_path), "--users-file", str(tmp_path / "u.csv"))
    assert rc == 2 and "no such users file" in err
    rc, _, err = cli("--data-dir", str(tmp_path), "import-runs", str(tmp_path), "--user", " ")
    assert rc == 2 and "--user needs a user id" in err
    rc, _, err = cli("import-runs")
    assert rc == 2 and "the following arguments are required: path" in err
    assert not (tmp_path / "landing").exists()


# -- materialize -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def materialized(tmp_path_factory):
    root = tmp_path_factory.mktemp("materialize")
    data = root / "data"
    tiny_world(data / "landing")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        # A small DuckDB memory limit, as an operator would give on a shared machine: the run still succeeds.
        rc, out, err = cli("--data-dir", str(data), "materialize", "2022Q3:2022Q4", "--quiet", "--memory-limit", "1GB")
    return data, root / "dagster_home", rc, out, err


def test_materialize_a_range_as_one_run(materialized):
    data, home, rc, out, err = materialized
    assert rc == 0, out + err
    assert "[1/2] reference data" in out and "[2/2] quarters 2022Q3..2022Q4 as one run" in out
    counts = dict(re.findall(r"^  (\S+): (\d+/\d+) assets materialized \(ok\)", out, re.M))
    defs = build_definitions(build_resources(data))
    assert build_resources(data, memory_limit="1GB")["warehouse"].memory_limit == "1GB"

    def job_assets(name):
        return len(defs.resolve_job_def(name).asset_layer.executable_asset_keys)

    assert counts["reference_data"] == f"{job_assets('reference_data')}/{job_assets('reference_data')}"
    done, total = map(int, counts["state_of_ml_quarterly"].split("/"))
    assert done == total == 2 * job_assets("state_of_ml_quarterly")  # every quarterly asset, for both quarters
    assert "done in" in out and "success" in out
    assert (data / "reports" / "report" / "state_of_ml_2022.html").is_file()

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert sorted(r.job_name for r in runs) == ["reference_data", "state_of_ml_quarterly"]
        records = instance.fetch_materializations(dg.AssetKey(["marts", "active_users_by_country_by_quarter"]), limit=10).records
        assert sorted(r.partition_key for r in records) == ["2022-07-01", "2022-10-01"]
        quarterly = next(r for r in runs if r.job_name == "state_of_ml_quarterly")
        assert {r.run_id for r in records} == {quarterly.run_id}  # the range is one run
    assert mart(data, "select quarter_start::varchar, country_code, active_users from marts.active_users_by_country_by_quarter "
                      "where country_code = 'US' order by 1") == [("2022-07-01", "US", 1), ("2022-10-01", "US", 2)]
    # dbt's own output went to the run's log file, not over the progress lines.
    assert "Completed successfully" not in out
    assert any("Completed successfully" in p.read_text() for p in (data / "logs").glob("state_of_ml_quarterly-*.log"))


def test_materialize_names_the_quarter_a_run_moved_out_of(tmp_path, monkeypatch):
    """2022 Q3's r0 comes again, a newer version created in 2022 Q4: materializing 2022 Q4 takes it out
    of 2022 Q3's raw table, and the command says Q3 is stale and how to rebuild it (with the data
    folder quoted: its path has a space)."""
    from tests.landing_builder import ts, write_records

    data = tmp_path / "state of ml"
    tiny_world(data / "landing")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    rc, out, err = cli("--data-dir", str(data), "materialize", "2022Q3", "--quiet")
    assert rc == 0 and "next:" not in out, out + err
    moved = ts(2022, 10, 4, 9)
    write_records(data / "landing", "runs", [dict(run_id="r0", user_id="u1", created_at=moved, started_at=moved,
                                                  runtime_seconds=3600.0, state="finished", updated_at=moved)],
                  name="corrected.parquet")
    rc, out, err = cli("--data-dir", str(data), "materialize", "2022Q4", "--quiet")
    assert rc == 0, out + err
    assert "stale: 2022Q3 lost records to a newer version loaded here" in out
    assert out.splitlines()[-1] == f"next: stateofml --data-dir '{data}' materialize 2022Q3"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["materialize", "2019Q4"], "quarters must be within 2020Q1.."),
        (["materialize", "2099Q1"], "(closed quarters)"),
        (["materialize", "2022Q5"], "argument quarters: not a quarter"),
        (["materialize", "2022Q4:2022Q1"], "empty quarter range"),
        (["materialize", "2022Q4", "--memory-limit", "3 gigs"], "a size such as 3GB"),
    ],
)
def test_materialize_usage_errors(tmp_path, argv, message):
    rc, out, err = cli("--data-dir", str(tmp_path), *argv)
    assert rc == 2 and message in err and out == ""


# -- ui --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ui_refuses_a_busy_port_and_a_bad_one(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        rc, _, err = cli("--data-dir", str(tmp_path), "ui", "--port", str(port))
    assert rc == 2 and f"cannot listen on 127.0.0.1:{port}" in err
    rc, _, err = cli("ui", "--port", "70000")
    assert rc == 2 and "port must be in 1..65535" in err


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (Linux /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    # The kernel writes each 32-bit word in host (little-endian) order.
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                    found.add(socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, words))
    return found


GRAPHQL = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  schedules { name scheduleState { status } } sensors { name sensorState { status } } } } } }"""


def test_ui_serves_the_definitions_on_loopback(tmp_path):
    data, port = tmp_path / "data", free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "STATEOFML_DATA_DIR")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "stateofml.cli", "--data-dir", str(data), "ui", "--port", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the UI did not come up in 240 s"
                time.sleep(1)
        states = {}
        for _ in range(120):  # the code location loads after the webserver answers
            request = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": GRAPHQL}).encode(),
                                             headers={"Content-Type": "application/json"})
            body = json.loads(urllib.request.urlopen(request, timeout=30).read())
            nodes = body["data"]["repositoriesOrError"].get("nodes") or []
            for repo in nodes:
                states |= {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]}
                states |= {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
            if states:
                break
            time.sleep(1)
        assert states == {
            "quarter_close_schedule": "RUNNING",
            "landing_zone_sensor": "RUNNING",
            "wandb_run_folders_sensor": "RUNNING",
            "state_of_ml_automation": "RUNNING",
        }
        assert (data / "dagster_home" / "dagster.yaml").exists()  # DAGSTER_HOME under --data-dir
        assert listening_addresses(port) == {"127.0.0.1"}  # loopback only
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # the group this test started: the CLI and dagster dev
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    first_line = proc.stdout.readline().decode()
    assert first_line.startswith(f"Dagster UI: http://127.0.0.1:{port}")


def test_dg_loads_the_definitions_in_dev_mode_without_the_environment_activated():
    """`dg dev` / `dagster dev` re-parse the dbt project on load (dev mode); they must find this
    environment's dbt even when `.venv/bin` is not on PATH (`.venv/bin/dg dev`)."""
    env = {"HOME": os.environ.get("HOME", "/tmp"), "PATH": "/usr/bin:/bin", "DAGSTER_IS_DEV_CLI": "1"}
    result = subprocess.run([str(Path(sys.executable).with_name("dg")), "list", "defs", "--json"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    listed = json.loads(result.stdout)
    assert {"quarter_close_schedule", "landing_zone_sensor"} <= {s["name"] for s in listed["schedules"] + listed["sensors"]}
    assert "marts/active_users_by_country_by_quarter" in {a["asset_key"] for a in listed["assets"]}


# -- real runs through the drop folder, into the marts ---------------------------------------------


def tick(sensor, cursor, defs, resources):
    result = sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor, definitions=defs, resources=resources))
    return result.run_requests or [], result.cursor or cursor


def test_dropped_run_folder_reaches_the_marts(data_dir, instance):
    box = data_dir / "dropbox" / "wandb"
    make_run(box, "run-20220214_090000-fin2022", metadata=MD_2022, config=CONFIG_2022, code={"train.py": TRAIN},
             summary={"_wandb": {"runtime": 3600}})
    (box / "users.csv").write_text("user_id,username,country_code,profession\nalice-id,alice,NZ,academic\n")
    resources = build_resources(data_dir)
    defs = build_definitions(resources)

    _, landing_cursor = tick(landing_zone_sensor, None, defs, resources)  # empty landing zone: baseline
    _, box_cursor = tick(wandb_run_folders_sensor, None, defs, resources)
    (request,), box_cursor = tick(wandb_run_folders_sensor, box_cursor, defs, resources)
    result = defs.resolve_job_def(request.job_name).execute_in_process(instance=instance, tags=request.tags)
    assert result.success
    md = instance.fetch_materializations(IMPORT_KEY, limit=1).records[0].asset_materialization.metadata
    assert (md["imported"].value, md["failed"].value, md["quarters_touched"].value) == (1, 0, "2022Q1")
    assert [(r.data["run_id"], r.data["status"]) for r in md["folders"].value.records] == [("fin2022", "imported")]

    _, landing_cursor = tick(landing_zone_sensor, landing_cursor, defs, resources)
    requests, landing_cursor = tick(landing_zone_sensor, landing_cursor, defs, resources)
    assert [(r.job_name, r.partition_key) for r in requests] == [("state_of_ml_quarter_and_reference", "2022-01-01")]
    run = defs.resolve_job_def(requests[0].job_name).execute_in_process(
        instance=instance, partition_key=requests[0].partition_key, tags=requests[0].tags)
    assert run.success

    # alice's run, mapped to her profile by the users file, counts her in New Zealand.
    assert mart(data_dir, "select quarter_start::varchar, country_code, active_users, runs "
                          "from marts.active_users_by_country_by_quarter") == [("2022-01-01", "NZ", 1, 1)]
    assert tick(landing_zone_sensor, landing_cursor, defs, resources)[0] == []
    assert tick(wandb_run_folders_sensor, box_cursor, defs, resources)[0] == []

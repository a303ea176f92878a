"""Import run folders written by the real wandb client (offline) and hand-built ones.

The real client runs once per session (module fixture): three scripts in parallel -- a finished
run with saved code and a table, a run that fails with an exception after logging enough to span
two log blocks, a process killed right after ``init`` -- then a fourth that resumes the first run.
The client only ever runs offline, with every directory it writes pointed into ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import struct
import subprocess
import time
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from assets.sources.wandb_runs import import_runs
from assets.sources.wandb_runs.record_log import BLOCK_LEN
from stateofml.contract import landing_files

SCRIPT_A = """\
import json, math, sys, time
import numpy as np
import pandas as pd
import sklearn  # a stub on PYTHONPATH: telemetry sees it at init
import wandb

t0 = time.time()
run = wandb.init(project="sotml-real", config={"lr": 0.01, "epochs": 5}, save_code=True)
import xgboost  # imported after init: telemetry sees it at finish
for epoch in range(5):
    wandb.log({"loss": math.exp(-epoch), "acc": float(np.tanh(epoch))})
wandb.log({"preds": wandb.Table(dataframe=pd.DataFrame({"y": [0, 1], "p": [0.2, 0.9]}))})
time.sleep(1.1)  # so the whole-second runtime is at least 1
run.finish()
json.dump({"id": run.id, "t0": t0, "elapsed": time.time() - t0}, open(sys.argv[1], "w"))
"""

SCRIPT_B = """\
import json, sys
import wandb

run = wandb.init(project="sotml-real", save_code=True)
json.dump({"id": run.id}, open(sys.argv[1], "w"))
for step in range(400):
    wandb.log({"step_loss": 1.0 / (step + 1), "note": "padding " * 8})
raise RuntimeError("diverged")
"""

SCRIPT_C = """\
import json, os, sys
import wandb

run = wandb.init(project="sotml-real")
json.dump({"id": run.id}, open(sys.argv[1], "w"))
wandb.log({"x": 1})
os._exit(0)  # killed: no finish, nothing flushed
"""

SCRIPT_D = """\
import json, sys
import wandb

run = wandb.init(project="sotml-real", id=json.load(open(sys.argv[2]))["id"], resume="allow", save_code=True)
wandb.log({"loss": 0.001})
run.finish()
json.dump({"id": run.id}, open(sys.argv[1], "w"))
"""


def _client_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    home = tmp / "home"
    env.update(
        WANDB_MODE="offline",
        WANDB_SILENT="true",
        WANDB_DISABLE_GIT="true",
        WANDB_DIR=str(tmp / "out"),
        WANDB_CACHE_DIR=str(home / "cache"),
        WANDB_CONFIG_DIR=str(home / "config"),
        WANDB_DATA_DIR=str(home / "data"),
        WANDB_ARTIFACT_DIR=str(home / "artifacts"),
        WANDB_USERNAME="alice",
        HOME=str(home),
        PYTHONPATH=str(tmp / "stubs"),
    )
    return env


def _run_scripts(tmp: Path, env: dict[str, str], names: list[str], *extra: str) -> None:
    procs = {
        n: subprocess.Popen(
            [sys.executable, f"{n}.py", str(tmp / f"{n}.json"), *extra],
            cwd=tmp / "proj",
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for n in names
    }
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        assert (tmp / f"{name}.json").exists(), f"{name} did not start a run:\n{out.decode()[-2000:]}"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wandb_real")
    for stub in ("sklearn", "xgboost"):
        (tmp / "stubs" / stub).mkdir(parents=True)
        (tmp / "stubs" / stub / "__init__.py").write_text("")
    (tmp / "proj").mkdir()
    for name, text in {"train_a": SCRIPT_A, "train_b": SCRIPT_B, "train_c": SCRIPT_C, "train_d": SCRIPT_D}.items():
        (tmp / "proj" / f"{name}.py").write_text(text)
    (tmp / "home").mkdir()
    env = _client_env(tmp)
    _run_scripts(tmp, env, ["train_a", "train_b", "train_c"])
    shutil.copytree(tmp / "out", tmp / "before_resume", symlinks=True)
    _run_scripts(tmp, env, ["train_d"], str(tmp / "train_a.json"))
    info = {n: json.loads((tmp / f"train_{n}.json").read_text()) for n in "abcd"}
    return tmp, info


def rows(landing: Path, entity: str) -> list[dict]:
    out = []
    for f in landing_files(landing, entity):
        out += [dict(r, _file=f) for r in pq.read_table(f).to_pylist()]
    return out


def latest(landing: Path, entity: str, key: str) -> dict[str, dict]:
    """The contract's rule: the newest ``updated_at`` of a key wins."""
    best: dict[str, dict] = {}
    for r in rows(landing, entity):
        if r[key] not in best or r["updated_at"] >= best[r[key]]["updated_at"]:
            best[r[key]] = r
    return best


def run_folder(tree: Path, run_id: str) -> Path:
    (folder,) = [p for p in (tree / "wandb").iterdir() if p.name.endswith(f"-{run_id}") and not p.is_symlink()]
    return folder


# -- the real client -------------------------------------------------------------------------------


def test_what_the_offline_client_writes(real):
    tmp, info = real
    folder = run_folder(tmp / "before_resume", info["a"]["id"])
    assert folder.name.startswith("offline-run-")
    files = {p.relative_to(folder / "files").as_posix() for p in (folder / "files").rglob("*") if p.is_file()}
    # wandb 0.31 offline: no metadata/summary/config files; everything else is in the binary log.
    assert {"wandb-metadata.json", "wandb-summary.json", "config.yaml"}.isdisjoint(files)
    assert {"requirements.txt", "code/train_a.py"} <= files
    log = (folder / f"run-{info['a']['id']}.wandb").read_bytes()
    assert log[:7] == b":W&B\xe1\xbe\x00"
    # The chunk checksum is a plain, unmasked IEEE CRC-32 of type byte + payload (not CRC-32C).
    crc, length, kind = struct.unpack("<IHB", log[7:14])
    assert crc == zlib.crc32(bytes([kind]) + log[14 : 14 + length])
    assert (
        run_folder(tmp / "before_resume", info["b"]["id"]) / f"run-{info['b']['id']}.wandb"
    ).stat().st_size > BLOCK_LEN


def test_real_runs_are_parsed(real, tmp_path):
    tmp, info = real
    landing = tmp_path / "landing"
    report = import_runs(tmp / "before_resume", landing)
    by_id = {f.run_id: f for f in report.folders}
    a, b, c = (by_id[info[k]["id"]] for k in "abc")
    assert (a.status, b.status) == ("imported", "imported"), (a.reasons, b.reasons)
    assert c.status == "partial" and "holds no records" in c.reasons[0]
    assert report.summary()["folders"] == 3 and report.runs_written == 3

    runs = latest(landing, "runs", "run_id")
    ra = runs[info["a"]["id"]]
    t0 = datetime.fromtimestamp(info["a"]["t0"], tz=UTC)
    assert abs((ra["created_at"] - t0).total_seconds()) < 10
    assert ra["started_at"] <= ra["created_at"]
    assert ra["state"] == "finished"
    assert 1 <= ra["runtime_seconds"] <= info["a"]["elapsed"] + 1
    assert ra["project"] == "sotml-real" and ra["user_id"] == "alice"
    assert ra["python_version"] == platform.python_version() and ra["client_version"] == "0.31.0"
    assert {5, 6} <= set(ra["telemetry_imports"])  # sklearn at init, xgboost at finish
    assert ra["media_types"] == ["table"]
    assert ra["program"].endswith("train_a.py") and ra["os"] and ra["host"]
    assert ra["cpu_count"] >= 1 and ra["memory_total_gb"] > 0.5
    assert (ra["gpu"], ra["gpu_apple"]) == (None, False)
    # The event date folder is the run's creation date.
    (day,) = {r["_file"].parent.name for r in rows(landing, "runs") if r["run_id"] == ra["run_id"]}
    assert day == f"date={ra['created_at'].date().isoformat()}"

    code = (tmp / "proj" / "train_a.py").read_bytes()
    assert ra["code_hash"] == hashlib.sha256(code).hexdigest()
    blob = latest(landing, "code_blobs", "code_hash")[ra["code_hash"]]
    assert (blob["path"], blob["source"]) == ("train_a.py", code.decode())

    rb, rc = runs[info["b"]["id"]], runs[info["c"]["id"]]
    assert rb["state"] == "failed" and rb["runtime_seconds"] is not None  # exit code 1
    assert rb["code_hash"] == hashlib.sha256((tmp / "proj" / "train_b.py").read_bytes()).hexdigest()
    assert (rc["state"], rc["runtime_seconds"], rc["project"]) == ("running", None, None)
    assert rc["created_at"].strftime("%Y%m%d_%H%M%S") in run_folder(tmp / "before_resume", info["c"]["id"]).name


def test_importing_twice_adds_nothing(real, tmp_path):
    tmp, _ = real
    landing = tmp_path / "landing"
    import_runs(tmp / "before_resume", landing)
    before = sorted(p for p in landing.rglob("*.parquet"))
    again = import_runs(tmp / "before_resume", landing)
    assert again.summary()["skipped"] == 3 and again.runs_written == again.code_blobs_written == 0
    assert sorted(landing.rglob("*.parquet")) == before
    partial = next(f for f in again.folders if f.reasons)
    assert "holds no records" in partial.reasons[0]  # a skipped damaged folder still says why


def test_resumed_run_is_updated(real, tmp_path):
    tmp, info = real
    landing = tmp_path / "landing"
    import_runs(tmp / "before_resume", landing)
    first = latest(landing, "runs", "run_id")[info["a"]["id"]]
    report = import_runs(tmp / "out", landing)  # the resume wrote a second folder for the same id
    a_rows = [f for f in report.folders if f.run_id == info["a"]["id"]]
    assert [f.status for f in a_rows] == ["updated", "updated"]
    assert report.summary()["skipped"] == 2 and report.runs_written == 1
    now = latest(landing, "runs", "run_id")[info["a"]["id"]]
    assert now["updated_at"] > first["updated_at"]
    assert now["created_at"] == first["created_at"]  # the first segment's start
    assert now["runtime_seconds"] >= first["runtime_seconds"]  # offline segments add up
    assert now["state"] == "finished"
    assert report.code_blobs_written == 1  # train_d.py is new code; train_a.py was written once


def test_damaged_real_logs(real, tmp_path):
    tmp, info = real
    src = run_folder(tmp / "before_resume", info["b"]["id"])
    tree = tmp_path / "tree"
    truncated = tree / "t" / src.name
    flipped = tree / "f" / src.name.replace(info["b"]["id"], info["b"]["id"] + "x")
    shutil.copytree(src, truncated, symlinks=True)
    shutil.copytree(src, flipped, symlinks=True)
    log = truncated / f"run-{info['b']['id']}.wandb"
    log.write_bytes(log.read_bytes()[: BLOCK_LEN + 1000])
    (flipped / f"run-{info['b']['id']}.wandb").rename(flipped / f"run-{info['b']['id']}x.wandb")
    flog = flipped / f"run-{info['b']['id']}x.wandb"
    data = bytearray(flog.read_bytes())
    data[BLOCK_LEN + 500] ^= 0x04  # block 1: the run and environment records in block 0 survive
    flog.write_bytes(bytes(data))

    landing = tmp_path / "landing"
    report = import_runs(tree, landing)
    by_id = {f.run_id: f for f in report.folders}
    t, f = by_id[info["b"]["id"]], by_id[info["b"]["id"] + "x"]
    assert t.status == "partial" and any(r.startswith(f"run-{info['b']['id']}.wandb: truncated") for r in t.reasons)
    assert f.status == "partial" and any("checksum mismatch" in r for r in f.reasons)
    assert any("the log names run" in r for r in f.reasons)  # the copy's folder name lies
    runs = latest(landing, "runs", "run_id")
    # Truncated before the exit record: what was read is kept, the run counts as still running.
    rt = runs[info["b"]["id"]]
    assert (rt["project"], rt["state"], rt["runtime_seconds"]) == ("sotml-real", "running", None)
    assert rt["os"] and rt["python_version"] == platform.python_version()
    # Bit flip: the rest of that block is lost, reading resumes at the next one and finds the exit.
    rf = runs[info["b"]["id"] + "x"]
    assert (rf["project"], rf["state"]) == ("sotml-real", "failed") and rf["os"]


# -- hand-built folders ----------------------------------------------------------------------------


def make_run(tree: Path, name: str, *, metadata=None, summary=None, config=None, code=None, requirements=None) -> Path:
    folder = tree / "wandb" / name
    files = folder / "files"
    files.mkdir(parents=True)
    for fname, content in (("wandb-metadata.json", metadata), ("wandb-summary.json", summary)):
        if content is not None:
            (files / fname).write_text(content if isinstance(content, str) else json.dumps(content))
    if config is not None:
        (files / "config.yaml").write_text(config)
    if requirements is not None:
        (files / "requirements.txt").write_text(requirements)
    for rel, text in (code or {}).items():
        (files / "code" / rel).parent.mkdir(parents=True, exist_ok=True)
        (files / "code" / rel).write_text(text)
    return folder


MD_2022 = {
    "os": "Linux-5.4.0-x86_64-with-glibc2.27",
    "python": "3.8.10",
    "startedAt": "2022-02-14T09:00:00.000001",
    "heartbeatAt": "2022-02-14T10:00:00",
    "program": "train.py",
    "codePath": "train.py",
    "host": "lab-box",
    "username": "alice",
    "email": "alice@example.com",
    "cpu_count": 8,
    "cpu_count_logical": 16,
    "memory": {"total": 62.8},
    "gpu": "NVIDIA GeForce RTX 3080",
    "gpu_count": 1,
    "gpu_devices": [{"name": "NVIDIA GeForce RTX 3080", "memory_total": 10504634368}],
    "cuda": "11.3.1",
    "docker": None,
}
CONFIG_2022 = """\
wandb_version: 1
_wandb:
  desc: null
  value:
    cli_version: 0.12.10
    code_path: code/train.py
    python_version: 3.8.10
    start_time: 1644829200
    t:
      1: [1, 41]
      2: [1, 41, 55]
      4: 3.8.10
      5: 0.12.10
      8: [5]
"""
TRAIN = "import torch\nimport torchvision\nprint('train')\n"


@pytest.fixture
def tree(tmp_path):
    t = tmp_path / "tree"
    make_run(
        t,
        "run-20220214_090000-fin2022",
        metadata=MD_2022,
        config=CONFIG_2022,
        code={"train.py": TRAIN},
        summary={"loss": 0.2, "_runtime": 3598.2, "_wandb": {"runtime": 3600}, "ex": {"_type": "image-file"}},
        requirements="torch==1.10.2\ntorchvision==0.11.3\n",
    )
    md_new = {
        "os": "macOS-14.1-arm64-arm-64bit",
        "python": "CPython 3.11.6",
        "startedAt": "2024-12-31T23:59:59Z",
        "program": "/Users/bob/notebook.py",
        "codePath": "nb/explore.py",
        "codePathLocal": "explore.py",
        "username": "bob",
        "cpu_count": "10",
        "memory": {"total": "34359738368"},
        "apple": {"name": "Apple M1 Pro", "gpuCores": 16},
        "tpu": {"name": "v5e"},
        "brand_new_key": [1],
    }
    make_run(
        t,
        "run-20241231_235959-new2024",
        metadata=md_new,
        code={"nb/explore.py": "import jax\n"},
        summary={"_runtime": "12.5", "t": {"_type": "table-file"}, "m": {"_type": "molecule-file"}},
    )
    md_nv = {
        "startedAt": "2024-05-01T08:00:00Z",
        "gpu_nvidia": [
            {
                "name": "NVIDIA H100 80GB HBM3",
                "memoryTotal": "85520809984",
                "cudaCores": 16896,
                "architecture": "Hopper",
            }
        ]
        * 8,
        "gpu_count": "8",
        "cpu_count": 96,
        "memory": {"total": "2164182372352"},
        "cudaVersion": "12.4",
    }
    make_run(t, "run-20240501_080000-h100node", metadata=md_nv, summary={"_wandb": {"runtime": "7200"}})
    # No exit, no summary, silent since 2022: crashed. No username, e-mail or entity: anonymous.
    make_run(
        t,
        "run-20220301_100000-stillrun",
        metadata=dict(MD_2022, username=None, email=None, startedAt="2022-03-01T10:00:00", heartbeatAt="2022-03-01T10:20:00"),
    )
    return t


def test_hand_built_folders(tree, tmp_path):
    landing = tmp_path / "landing"
    report = import_runs(tree, landing)
    assert {f.run_id: f.status for f in report.folders} == dict.fromkeys(
        ["fin2022", "new2024", "h100node", "stillrun"], "imported"
    )
    runs = latest(landing, "runs", "run_id")

    r = runs["fin2022"]
    assert r["created_at"] == datetime(2022, 2, 14, 9, tzinfo=UTC)  # config start_time
    assert r["started_at"] == datetime(2022, 2, 14, 9, 0, 0, 1, tzinfo=UTC)
    assert (r["state"], r["runtime_seconds"], r["user_id"]) == ("finished", 3600, "alice")
    assert (r["gpu"], r["gpu_count"], r["gpu_apple"], r["memory_total_gb"]) == (
        "NVIDIA GeForce RTX 3080",
        1,
        False,
        62.8,
    )
    assert (r["telemetry_imports"], r["telemetry_env"], r["client_version"]) == ([1, 41, 55], [5], "0.12.10")
    assert r["media_types"] == ["image"] and r["code_hash"] == hashlib.sha256(TRAIN.encode()).hexdigest()
    assert next(f for f in report.folders if f.run_id == "fin2022").facts.requirements == {
        "torch": "1.10.2",
        "torchvision": "0.11.3",
    }

    r = runs["new2024"]
    assert r["created_at"] == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert (r["gpu"], r["gpu_apple"], r["tpu"], r["cpu_count"], r["memory_total_gb"]) == (
        "Apple M1 Pro",
        True,
        "v5e",
        10,
        32.0,
    )
    assert (r["python_version"], r["runtime_seconds"], r["media_types"]) == ("3.11.6", 12.5, ["molecule", "table"])
    assert r["code_hash"] == hashlib.sha256(b"import jax\n").hexdigest()
    assert [b["path"] for b in rows(landing, "code_blobs")].count("nb/explore.py") == 1

    r = runs["h100node"]
    assert (r["gpu"], r["gpu_count"], r["gpu_architecture"], r["runtime_seconds"]) == (
        "NVIDIA H100 80GB HBM3",
        8,
        "Hopper",
        7200,
    )
    assert (r["created_at"].date().isoformat(), r["project"]) == ("2024-05-01", None)

    r = runs["stillrun"]
    # Runtime up to the last heartbeat; anonymous.
    assert (r["state"], r["runtime_seconds"], r["user_id"]) == ("crashed", 1200.0, None)
    assert {f.run_id: f.user_source for f in report.folders}["stillrun"] == "anonymous"
    assert {f.parent.name for f in landing_files(landing, "runs")} == {
        "date=2022-02-14",
        "date=2024-12-31",
        "date=2024-05-01",
        "date=2022-03-01",
    }


def test_folder_that_grew_is_updated(tree, tmp_path):
    landing = tmp_path / "landing"
    import_runs(tree, landing)
    summary = tree / "wandb" / "run-20220301_100000-stillrun" / "files" / "wandb-summary.json"
    summary.write_text(json.dumps({"_wandb": {"runtime": 50}, "_runtime": 49}))
    report = import_runs(tree, landing)
    assert {f.run_id: f.status for f in report.folders}["stillrun"] == "updated"
    assert report.summary()["skipped"] == 3 and report.runs_written == 1 and report.code_blobs_written == 0
    versions = sorted((r for r in rows(landing, "runs") if r["run_id"] == "stillrun"), key=lambda r: r["updated_at"])
    assert [(v["state"], v["runtime_seconds"]) for v in versions] == [("crashed", 1200.0), ("finished", 50)]
    assert versions[1]["updated_at"] > versions[0]["updated_at"]
    assert import_runs(tree, landing).summary()["skipped"] == 4


def test_bad_input_is_reported_never_dropped(tmp_path):
    tree = tmp_path / "tree"
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    make_run(tree, "run-20230101_000000-badjson", metadata='{"os": "Linux", "python": "3.10.1', summary={"_runtime": 5})
    make_run(tree, "run-20230101_000000-badyaml", metadata={"os": "Linux"}, config="_wandb:\n  value: {t: [1, 2\n")
    make_run(tree, "run-20230101_000000-onlyreqs", requirements="numpy==1.0\n")
    (tree / "wandb" / "run-20230101_000000-empty").mkdir()
    make_run(tree, "run-20230101_000000-escape", metadata={"codePath": "../../../secret.txt", "os": "Linux"})
    make_run(tree, "run-20230101_000000-absolute", metadata={"codePath": str(secret), "os": "Linux"})
    linked = make_run(tree, "run-20230101_000000-linkcode", metadata={"codePath": "train.py", "os": "Linux"})
    (linked / "files" / "code").mkdir()
    (linked / "files" / "code" / "train.py").symlink_to(secret)
    linkmd = make_run(tree, "run-20230101_000000-linkmeta", summary={"_runtime": 1})
    (linkmd / "files" / "wandb-metadata.json").symlink_to(secret)
    (tree / "wandb" / "run-20230101_000000-linkdir").symlink_to(linked)
    garbage = make_run(tree, "run-20230101_000000-garbage", summary={"_runtime": 1})
    (garbage / "run-garbage.wandb").write_bytes(b"not a wandb log at all")
    make_run(tree, "run-20231301_000000-baddate", requirements="x==1\n")  # month 13, nothing else

    landing = tmp_path / "landing"
    report = import_runs(tree, landing)
    got = {f.run_id: (f.status, " | ".join(f.reasons)) for f in report.folders}
    assert len(got) == len(report.rows()) == 11  # every folder is in the report
    assert got["badjson"][0] == "partial" and "wandb-metadata.json: invalid JSON" in got["badjson"][1]
    assert got["badyaml"][0] == "partial" and "config.yaml: invalid YAML" in got["badyaml"][1]
    assert got["onlyreqs"][0] == "failed" and "no run data" in got["onlyreqs"][1]
    assert got["empty"][0] == "failed" and "no run data" in got["empty"][1]
    assert got["baddate"][0] == "failed"
    for rid in ("escape", "absolute"):
        assert got[rid][0] == "partial" and "points outside files/code/: not followed" in got[rid][1]
    assert got["linkcode"][0] == "partial" and "not followed" in got["linkcode"][1]
    assert got["linkmeta"][0] == "partial" and "wandb-metadata.json points outside the run folder" in got["linkmeta"][1]
    assert got["linkdir"] == ("skipped", "a symlink: not followed")
    assert got["garbage"][0] == "partial" and "not a W&B record log" in got["garbage"][1]

    runs = latest(landing, "runs", "run_id")
    assert set(runs) == {"badjson", "badyaml", "escape", "absolute", "linkcode", "linkmeta", "garbage"}
    assert runs["badjson"]["runtime_seconds"] == 5 and runs["badjson"]["state"] == "finished"
    assert runs["badyaml"]["os"] == "Linux"
    assert all(r["code_hash"] is None for r in runs.values())
    assert not landing_files(landing, "code_blobs")
    assert all("password" not in p.read_bytes().decode("latin-1") for p in landing.rglob("*") if p.is_file())
    # Failed folders are not remembered: the next import reports them again.
    again = {f.run_id: f.status for f in import_runs(tree, landing).folders}
    assert again["empty"] == "failed" and again["badjson"] == "skipped"


def test_users_file(tree, tmp_path):
    users = tmp_path / "users.csv"
    users.write_text(
        "user_id,username,email,country_code,profession,industry,signup_at\n"
        "u-1,alice,,de,Academic,,2021-05-01\n"
        "u-2,bob,,US,corporate,High tech,\n"
        ",nobody,,FR,personal,,\n"
        "u-3,,carol@example.com,JP,astronaut,,\n"
    )
    landing = tmp_path / "landing"
    report = import_runs(tree, landing, users_file=users)
    assert report.users_written == 3 and len(report.problems) == 2  # no user_id; unknown profession
    got = latest(landing, "users", "user_id")
    assert (got["u-1"]["country_code"], got["u-1"]["profession"]) == ("DE", "academic")
    assert got["u-1"]["signup_at"] == datetime(2021, 5, 1, tzinfo=UTC)
    assert (got["u-2"]["industry"], got["u-3"]["profession"]) == ("High tech", None)
    runs = latest(landing, "runs", "run_id")
    assert (runs["fin2022"]["user_id"], runs["new2024"]["user_id"], runs["stillrun"]["user_id"]) == ("u-1", "u-2", None)

    again = import_runs(tree, landing, users_file=users)
    assert again.users_written == 0 and again.runs_written == 0
    # A new mapping changes who owns a run: those runs are written again.
    users.write_text("user_id,username\nu-9,alice\n")
    third = import_runs(tree, landing, users_file=users)
    assert third.users_written == 1 and third.runs_written == 2  # alice -> u-9; bob unmapped again
    runs = latest(landing, "runs", "run_id")
    assert (runs["fin2022"]["user_id"], runs["new2024"]["user_id"]) == ("u-9", "bob")


def test_report_rows_and_corrupt_manifest(tree, tmp_path):
    landing = tmp_path / "landing"
    report = import_runs(tree, landing)
    assert set(report.rows()[0]) >= {"folder", "run_id", "status", "reason", "state", "created_at"}
    assert report.summary()["imported"] == 4
    (landing / "_imports" / "wandb_runs.json").write_text("{not json")
    with pytest.raises(ValueError, match="corrupt"):
        import_runs(tree, landing)
    with pytest.raises(FileNotFoundError):
        import_runs(tmp_path / "nowhere", landing)


# -- the real client: identity, crashes, artifacts, sweeps -----------------------------------------

SCRIPT_ENTITY = """\
import json, sys
import wandb

run = wandb.init(project="sotml-real", entity="acme-lab")
wandb.log({"x": 1})
run.finish()
json.dump({"id": run.id}, open(sys.argv[1], "w"))
"""

SCRIPT_ARTIFACTS = """\
import json, os, sys
import datasets  # the sibling datasets.py, not Hugging Face's
import wandb

run = wandb.init(project="sotml-real", save_code=True)
with open("train.csv", "w") as f:
    f.write("x,y\\n" + "1,2\\n" * 100)
data = wandb.Artifact("mnist-small", type="dataset")
data.add_file("train.csv")
run.log_artifact(data)
with open("weights.bin", "wb") as f:
    f.write(bytes(5000))
model = wandb.Artifact("resnet", type="model")
model.add_file("weights.bin")
run.log_artifact(model, aliases=["best"])
run.log_code(".")
run.finish()
json.dump({"id": run.id, "sweep": os.environ.get("WANDB_SWEEP_ID")}, open(sys.argv[1], "w"))
"""

# Killed with SIGKILL by the fixture once it has logged enough to flush a few log blocks.
SCRIPT_KILLED = """\
import json, sys, time
import wandb

run = wandb.init(project="sotml-real")
for step in range(600):
    wandb.log({"step_loss": 1.0 / (step + 1), "note": "padding " * 8})
json.dump({"id": run.id, "t_logged": time.time()}, open(sys.argv[1], "w"))
time.sleep(600)
"""

SCRIPT_RESUME_KILLED = """\
import json, sys
import wandb

run = wandb.init(project="sotml-real", id=json.load(open(sys.argv[2]))["id"], resume="allow")
wandb.log({"step_loss": 0.001})
run.finish()
json.dump({"id": run.id}, open(sys.argv[1], "w"))
"""


@pytest.fixture(scope="module")
def real_more(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wandb_real_more")
    (tmp / "proj").mkdir()
    (tmp / "home").mkdir()
    scripts = {
        "train_entity": SCRIPT_ENTITY,
        "train_artifacts": SCRIPT_ARTIFACTS,
        "train_killed": SCRIPT_KILLED,
        "train_resume": SCRIPT_RESUME_KILLED,
    }
    for name, text in scripts.items():
        (tmp / "proj" / f"{name}.py").write_text(text)
    (tmp / "proj" / "datasets.py").write_text("ROOT = 'data'\n")
    env = {k: v for k, v in _client_env(tmp).items() if k != "WANDB_USERNAME"}  # no identity but the entity
    _run_scripts(tmp, env, ["train_entity"])
    _run_scripts(tmp, {**env, "WANDB_SWEEP_ID": "swp-real-1"}, ["train_artifacts"])
    killed = subprocess.Popen(
        [sys.executable, "train_killed.py", str(tmp / "train_killed.json")],
        cwd=tmp / "proj", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):
            if (tmp / "train_killed.json").exists() or killed.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(1.0)  # let the client's service write what it has
    finally:
        killed.kill()  # SIGKILL: no finish, no exit record
        killed.wait(timeout=60)
    assert (tmp / "train_killed.json").exists(), "the killed script never started its run"
    shutil.copytree(tmp / "out", tmp / "before_resume", symlinks=True)
    _run_scripts(tmp, env, ["train_resume"], str(tmp / "train_killed.json"))
    info = {n: json.loads((tmp / f"train_{n}.json").read_text()) for n in ("entity", "artifacts", "killed", "resume")}
    return tmp, info


def test_entity_only_run_is_attributed(real_more, tmp_path):
    tmp, info = real_more
    landing = tmp_path / "landing"
    report = import_runs(tmp / "before_resume", landing)
    by_id = {f.run_id: f for f in report.folders}
    run_id = info["entity"]["id"]
    assert (by_id[run_id].facts.username, by_id[run_id].facts.entity) == (None, "acme-lab")
    assert (by_id[run_id].record["user_id"], by_id[run_id].user_source) == ("acme-lab", "entity")
    # Runs that recorded no identity at all stay anonymous, and are still written (counted).
    assert by_id[info["artifacts"]["id"]].record["user_id"] is None
    assert by_id[info["artifacts"]["id"]].user_source == "anonymous"

    # The users file maps the entity to an account.
    users = tmp_path / "users.csv"
    users.write_text("user_id,entity,country_code\nu-acme,acme-lab,DE\n")
    again = import_runs(tmp / "before_resume", landing, users_file=users)
    assert {f.run_id: f.status for f in again.folders}[run_id] == "updated"
    assert latest(landing, "runs", "run_id")[run_id]["user_id"] == "u-acme"

    # --user attributes the whole import, whatever the runs recorded (surrounding blanks dropped).
    third = import_runs(tmp / "before_resume", landing, users_file=users, user=" u-owner ")
    assert {f.user_source for f in third.folders} == {"--user"}
    assert {r["user_id"] for r in latest(landing, "runs", "run_id").values()} == {"u-owner"}


def test_folder_attribution_conventions(real_more, tmp_path):
    tmp, info = real_more
    # The drop-box convention: runs under a folder named user=<id> belong to <id>.
    drop = tmp_path / "dropbox"
    shutil.copytree(tmp / "before_resume" / "wandb", drop / "user=u-drop" / "wandb", symlinks=True)
    report = import_runs(drop, tmp_path / "landing1")
    assert {(f.record["user_id"], f.user_source) for f in report.folders} == {("u-drop", "user= folder")}

    # A users-file row with a folder attributes every run below it; other runs keep their own identity.
    tree = tmp_path / "tree"
    shutil.copytree(tmp / "before_resume" / "wandb", tree / "lab" / "bob" / "wandb", symlinks=True)
    entity_folder = run_folder(tree / "lab" / "bob", info["entity"]["id"])
    shutil.move(entity_folder, tree / entity_folder.name)
    users = tmp_path / "users.json"
    users.write_text(json.dumps([{"user_id": "u-bob", "folder": "lab/bob"}]))
    report = import_runs(tree, tmp_path / "landing2", users_file=users)
    got = {f.run_id: (f.record["user_id"], f.user_source) for f in report.folders}
    assert got.pop(info["entity"]["id"]) == ("acme-lab", "entity")
    assert set(got.values()) == {("u-bob", "users file folder")}


def test_killed_run_becomes_crashed(real_more, tmp_path):
    tmp, info = real_more
    run_id = info["killed"]["id"]
    landing = tmp_path / "landing"
    report = import_runs(tmp / "before_resume", landing)
    row = {f.run_id: f for f in report.folders}[run_id]
    assert row.facts.exit_code is None and row.facts.last_seen_at is not None
    # Just killed: silent for less than the threshold, so it may still be running.
    assert (row.record["state"], row.record["runtime_seconds"]) == ("running", None)

    # Silent longer than the threshold: crashed, with the runtime up to its last sign of life.
    later = import_runs(tmp / "before_resume", landing, crashed_after=timedelta(0))
    row = {f.run_id: f for f in later.folders}[run_id]
    # The state changed with time alone: written again (partial: SIGKILL cut the log's last record).
    assert row.status in ("updated", "partial") and later.runs_written == 1, row.reasons
    rec = latest(landing, "runs", "run_id")[run_id]
    assert rec["state"] == "crashed"
    logged = datetime.fromtimestamp(info["killed"]["t_logged"], tz=UTC)
    expected = (row.facts.last_seen_at - rec["started_at"]).total_seconds()
    assert rec["runtime_seconds"] == pytest.approx(expected)
    assert 0 < rec["runtime_seconds"] <= (logged - rec["started_at"]).total_seconds() + 1
    assert import_runs(tmp / "before_resume", landing, crashed_after=timedelta(0)).runs_written == 0


def test_resumed_crashed_run_finishes(real_more, tmp_path):
    tmp, info = real_more
    run_id = info["killed"]["id"]
    landing = tmp_path / "landing"
    import_runs(tmp / "before_resume", landing, crashed_after=timedelta(0))
    crashed = latest(landing, "runs", "run_id")[run_id]
    assert crashed["state"] == "crashed"
    report = import_runs(tmp / "out", landing, crashed_after=timedelta(0))
    assert report.runs_written == 1 and {f.status for f in report.folders if f.run_id == run_id} <= {"updated", "partial"}
    now = latest(landing, "runs", "run_id")[run_id]
    assert now["state"] == "finished" and now["updated_at"] > crashed["updated_at"]  # newest wins
    assert now["runtime_seconds"] >= crashed["runtime_seconds"]  # the crashed segment's time counts


def test_artifacts_and_sweep_are_imported(real_more, tmp_path):
    tmp, info = real_more
    run_id = info["artifacts"]["id"]
    landing = tmp_path / "landing"
    report = import_runs(tmp / "before_resume", landing)
    run = latest(landing, "runs", "run_id")[run_id]
    assert run["sweep_id"] == info["artifacts"]["sweep"] == "swp-real-1"

    arts = {a["name"]: a for a in latest(landing, "artifacts", "artifact_id").values() if a["run_id"] == run_id}
    assert {"mnist-small", "resnet"} <= set(arts)
    assert (arts["mnist-small"]["type"], arts["mnist-small"]["size_bytes"]) == ("dataset", 4 + 4 * 100)
    assert (arts["resnet"]["type"], arts["resnet"]["size_bytes"]) == ("model", 5000)
    assert all(len(a["digest"]) == 32 for a in arts.values())  # the manifest digest (MD5 hex)
    # Under a sweep the client ignores init's project ("uncategorized" without WANDB_PROJECT).
    assert run["created_at"] <= arts["resnet"]["created_at"] and arts["resnet"]["project"] == run["project"]
    code = [a for a in arts.values() if a["type"] == "code"]
    assert len(code) == 1  # run.log_code(".")
    assert report.artifacts_written == len(arts)

    (sweep,) = [s for s in rows(landing, "sweeps") if s["sweep_id"] == "swp-real-1"]
    assert (sweep["created_at"], sweep["project"], sweep["method"]) == (run["created_at"], run["project"], None)
    # The sibling datasets.py is the project's own module: recorded with the code blob.
    (blob,) = [b for b in rows(landing, "code_blobs") if b["code_hash"] == run["code_hash"]]
    assert "datasets" in blob["local_modules"]

    again = import_runs(tmp / "before_resume", landing)
    assert again.artifacts_written == again.sweeps_written == 0


def _alias_bomb() -> str:
    """Nine levels of nine aliases under the client's telemetry: 387 M values once expanded."""
    lines = ["_wandb:", "  value:", "    t:", "      a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"      {name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    lines.append("      4: *i")
    return "\n".join(lines) + "\n"


def test_hostile_folders_fail_alone_and_good_ones_import(tmp_path):
    tree = tmp_path / "tree"
    make_run(tree, "run-20220214_090000-good", metadata=MD_2022, summary={"_runtime": 5}, config=CONFIG_2022)
    make_run(tree, "run-20220214_090000-deep", metadata='{"os": ' + "[" * 10_000 + "]" * 10_000 + "}",
             summary={"_runtime": 5})
    make_run(tree, "run-20220214_090000-digits", metadata='{"cpu_count": ' + "9" * 5000 + "}", summary={"_runtime": 5})
    make_run(tree, "run-20220214_090000-bigint", metadata=dict(MD_2022, cpu_count=10**30), summary={"_runtime": 5})
    make_run(tree, "run-20220214_090000-int64", metadata=dict(MD_2022, gpu_count=2**40), summary={"_runtime": 5})
    make_run(tree, "run-20220214_090000-year1", metadata=dict(MD_2022, startedAt="0001-01-01T00:00:00"),
             summary={"_runtime": 5}, config=CONFIG_2022.replace("start_time: 1644829200", "start_time: '0001-01-01T00:00:00'"))
    make_run(tree, "run-20220214_090000-bomb", metadata=MD_2022, summary={"_runtime": 5}, config=_alias_bomb())
    report = import_runs(tree, tmp_path / "landing")
    got = {f.run_id: (f.status, " | ".join(f.reasons)) for f in report.folders}
    assert got["good"] == ("imported", "")
    assert got["deep"] == ("partial", "wandb-metadata.json: invalid JSON (nested too deep)")
    assert got["digits"][0] == "partial" and "wandb-metadata.json: invalid JSON (Exceeds the limit" in got["digits"][1]
    for rid in ("bigint", "int64"):
        assert got[rid][0] == "failed" and "a value the contract cannot hold" in got[rid][1]
    assert got["year1"] == ("failed", "created_at 0001-01-01T00:00:00+00:00 is outside 2000-01-01 .. now")
    assert got["bomb"] == ("partial", "config.yaml: aliases expand to more than 1000000 values (an alias bomb?): not read")
    runs = latest(tmp_path / "landing", "runs", "run_id")
    assert set(runs) == {"good", "deep", "digits", "bomb"}
    assert runs["bomb"]["telemetry_imports"] == [] and runs["bomb"]["os"] == MD_2022["os"]


def test_yaml_is_read_with_bounds(tmp_path):
    from assets.sources.wandb_runs.files import MAX_YAML_BYTES, FileProblem, safe_yaml
    assert safe_yaml(CONFIG_2022.encode(), "config.yaml")["_wandb"]["value"]["t"][1] == [1, 41]
    shared = "base: &b {lr: 0.1}\nrun1: *b\nrun2: *b\n"  # a few aliases, as yaml.dump writes shared objects
    assert safe_yaml(shared.encode(), "config.yaml")["run2"] == {"lr": 0.1}
    with pytest.raises(FileProblem, match="more than"):
        safe_yaml(b"x: " + b"a" * MAX_YAML_BYTES, "config.yaml")
    with pytest.raises(FileProblem, match="invalid YAML"):
        safe_yaml(b"!!python/object/apply:os.system ['echo hacked']", "config.yaml")

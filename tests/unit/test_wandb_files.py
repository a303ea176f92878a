"""The JSON/YAML/text parsers and folder discovery of the wandb run importer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from assets.sources.wandb_runs.discover import discover
from assets.sources.wandb_runs.facts import media_type, summary_facts
from assets.sources.wandb_runs.files import (
    FileProblem,
    parse_config,
    parse_metadata,
    parse_requirements,
    parse_summary,
)

METADATA_2022 = {
    "os": "Linux-5.4.0-1063-aws-x86_64-with-glibc2.27",
    "python": "3.8.10",
    "heartbeatAt": "2022-03-01T12:10:05.123456",
    "startedAt": "2022-03-01T12:00:00.500000",
    "docker": None,
    "cuda": "11.3.1",
    "args": ["--lr", "0.1"],
    "state": "running",
    "program": "train.py",
    "codePath": "train.py",
    "git": {"remote": "https://example.invalid/repo.git", "commit": "abc"},
    "email": "alice@example.com",
    "root": "/home/alice/proj",
    "host": "gpu-box",
    "username": "alice",
    "executable": "/usr/bin/python3",
    "cpu_count": 8,
    "cpu_count_logical": 16,
    "gpu": "Tesla V100-SXM2-16GB",
    "gpu_count": 4,
    "gpu_devices": [{"name": "Tesla V100-SXM2-16GB", "memory_total": 16945512448}] * 4,
    "disk": {"total": 484.8, "used": 101.2},
    "memory": {"total": 186.7},
    "some_future_key": {"whatever": [1, 2]},
}

METADATA_NEW = {
    "os": "Linux-6.8.0-x86_64-with-glibc2.39",
    "python": "CPython 3.11.9",
    "startedAt": "2024-11-05T09:30:00.250000Z",
    "program": "/home/bob/proj/train.py",
    "codePath": "src/train.py",
    "codePathLocal": "train.py",
    "host": "h100-node",
    "username": "bob",
    "cpu_count": 96,
    "cpu_count_logical": 192,
    "memory": {"total": "2164182372352"},
    "disk": {"/": {"total": "1000000000000", "used": "1000"}},
    "gpu": "NVIDIA H100 80GB HBM3",
    "gpu_count": 8,
    "gpu_nvidia": [
        {"name": "NVIDIA H100 80GB HBM3", "memoryTotal": "85520809984", "cudaCores": 16896, "architecture": "Hopper"}
    ]
    * 8,
    "cudaVersion": "12.4",
}


def raw(obj) -> bytes:
    return json.dumps(obj).encode()


def test_metadata_2022_shape():
    f = parse_metadata(raw(METADATA_2022))
    assert f.os.startswith("Linux-5.4.0")
    assert f.python_version == "3.8.10"
    assert f.started_at == datetime(2022, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)  # naive = UTC
    assert (f.program, f.host, f.username, f.email) == ("train.py", "gpu-box", "alice", "alice@example.com")
    assert (f.cpu_count, f.memory_total_gb) == (8, 186.7)  # 2022 memory is already GiB
    assert (f.gpu, f.gpu_count, f.gpu_architecture) == ("Tesla V100-SXM2-16GB", 4, None)
    assert f.gpu_apple is None and f.tpu is None and f.ipu_count is None
    assert f.code_paths == ["train.py"]


def test_metadata_2022_apple_tpu_ipu_blocks():
    md = {"os": "macOS-12.3-arm64-arm-64bit", "python": "3.9.12", "gpuapple": {"type": "arm", "vendor": "Apple"}}
    f = parse_metadata(raw(md))
    assert f.gpu_apple is True and f.gpu is None  # 2022 clients wrote no chip name
    assert parse_metadata(raw({"tpu": {"hostname": "tpu-vm"}})).tpu == ""  # present, no version
    assert parse_metadata(raw({"ipu": {"device_count": 16, "devices": [], "vendor": "Graphcore"}})).ipu_count == 16


def test_metadata_newer_shape_strings_as_integers():
    f = parse_metadata(raw(METADATA_NEW))
    assert f.python_version == "3.11.9"
    assert f.started_at == datetime(2024, 11, 5, 9, 30, 0, 250000, tzinfo=UTC)
    assert f.memory_total_gb == round(2164182372352 / 2**30, 3)  # bytes, written as a string
    assert (f.gpu, f.gpu_count, f.gpu_architecture) == ("NVIDIA H100 80GB HBM3", 8, "Hopper")
    assert f.code_paths == ["src/train.py", "train.py"]


def test_metadata_newer_apple_and_tpu_names():
    apple = {
        "apple": {
            "name": "Apple M1 Pro",
            "ecpuCores": 2,
            "pcpuCores": 8,
            "gpuCores": 16,
            "ramTotalBytes": "34359738368",
        }
    }
    f = parse_metadata(raw({**apple, "memory": {"total": "34359738368"}, "cpu_count": "8"}))
    assert (f.gpu, f.gpu_apple, f.memory_total_gb, f.cpu_count) == ("Apple M1 Pro", True, 32.0, 8)
    assert parse_metadata(raw({"tpu": {"name": "v6e", "hbmGib": 32, "count": "4"}})).tpu == "v6e"
    # gpu_count missing: counted from the device list.
    f = parse_metadata(raw({"gpu_nvidia": [{"name": "NVIDIA A100-SXM4-40GB", "architecture": "Ampere"}] * 2}))
    assert (f.gpu, f.gpu_count, f.gpu_architecture) == ("NVIDIA A100-SXM4-40GB", 2, "Ampere")


def test_metadata_wrong_types_are_tolerated():
    f = parse_metadata(raw({"gpu_nvidia": "oops", "memory": [1], "cpu_count": "many", "tpu": None, "python": 3}))
    assert (f.gpu, f.memory_total_gb, f.cpu_count, f.tpu, f.python_version) == (None, None, None, None, None)


@pytest.mark.parametrize(
    "text, reason",
    [('{"os": "Linux", "python": ', "invalid JSON"), ("[1, 2]", "expected a JSON object"), ("\xff\xfe", "not UTF-8")],
)
def test_corrupt_metadata_is_a_problem(text, reason):
    with pytest.raises(FileProblem, match=reason):
        parse_metadata(text.encode("latin-1"))


def test_summary_runtime_precedence_and_media():
    s = {
        "loss": 0.1,
        "_runtime": 118.4,
        "_wandb": {"runtime": 120},
        "examples": {"_type": "images/separated", "count": 8},
        "preds": {"_type": "table-file", "path": "media/table/preds.table.json"},
        "val": {"clip": {"_type": "video-file"}, "sound": {"_type": "audio-file"}, "page": {"_type": "html-file"}},
        "weights": {"_type": "histogram", "bins": [0, 1]},
        "cloud": {"_type": "object3D-file"},
        "mol": {"_type": "molecule-file"},
    }
    f = parse_summary(raw(s))
    assert f.runtime_seconds == 120  # `_wandb.runtime` is authoritative
    assert f.media_types == ["audio", "histogram", "html", "image", "molecule", "object3D", "table", "video"]
    assert summary_facts({"_runtime": "118.4"}).runtime_seconds == 118.4  # fallback
    assert summary_facts({"acc": 1}).runtime_seconds is None


def test_media_type_normalisation():
    assert [media_type(t) for t in ("image-file", "joined-table", "plotly-file", "")] == [
        "image",
        "table",
        "plotly",
        None,
    ]


CONFIG_2022 = """\
wandb_version: 1

_wandb:
  desc: null
  value:
    cli_version: 0.12.11
    code_path: code/train.py
    framework: torch
    is_jupyter_run: false
    m: []
    python_version: 3.8.10
    start_time: 1646136000
    t:
      1: [1, 41, 55]
      2: [1, 5, 41, 55]
      3: [16, 23]
      4: 3.8.10
      5: 0.12.11
      8: [5]
lr:
  desc: null
  value: 0.001
"""


def test_config_telemetry():
    f = parse_config(CONFIG_2022.encode())
    assert f.telemetry_imports == [1, 5, 41, 55]  # init and finish, unioned
    assert f.telemetry_env == [5]
    assert (f.python_version, f.client_version) == ("3.8.10", "0.12.11")
    assert f.created_at == datetime(2022, 3, 1, 12, 0, tzinfo=UTC)
    assert f.code_paths == ["train.py"]
    # A re-serialised config with string keys reads the same.
    f = parse_config(b'_wandb: {value: {t: {"1": [3], "2": [2], "8": [4, 12]}}}')
    assert (f.telemetry_imports, f.telemetry_env) == ([2, 3], [4, 12])
    assert parse_config(b"").telemetry_imports == []
    assert parse_config(b"lr: {value: 1}").telemetry_imports == []


@pytest.mark.parametrize("text, reason", [("_wandb: {value: [", "invalid YAML"), ("- a\n- b\n", "expected a mapping")])
def test_corrupt_config_is_a_problem(text, reason):
    with pytest.raises(FileProblem, match=reason):
        parse_config(text.encode())


def test_requirements():
    text = "numpy==2.1.0\n# comment\npandas == 2.2.3\n-e git+https://x#egg=y\nweird-line\n\nwandb==0.31.0  # pinned\n"
    assert parse_requirements(text.encode()).requirements == {"numpy": "2.1.0", "pandas": "2.2.3", "wandb": "0.31.0"}


def test_discover_any_depth_and_no_symlinks(tmp_path):
    a = tmp_path / "team" / "proj" / "wandb" / "run-20220301_120000-abc123"
    b = tmp_path / "other" / "wandb" / "offline-run-20240102_030405-my-run_1"
    nested_inside_run = a / "files" / "run-20220301_120000-zzz"  # a run folder holds no runs
    for d in (a, b, nested_inside_run):
        d.mkdir(parents=True)
    outside = tmp_path.parent / f"{tmp_path.name}-outside" / "run-20200101_000000-evil"
    outside.mkdir(parents=True)
    (tmp_path / "other" / "wandb" / "latest-run").symlink_to(b)
    (tmp_path / "link-out").symlink_to(outside.parent)  # a linked folder holding a run
    (tmp_path / "run-20200101_000000-linked").symlink_to(outside)  # a link named like a run

    found = {r.path.relative_to(tmp_path).as_posix(): r for r in discover(tmp_path)}
    assert set(found) == {
        "team/proj/wandb/run-20220301_120000-abc123",
        "other/wandb/offline-run-20240102_030405-my-run_1",
        "run-20200101_000000-linked",
    }
    assert found["other/wandb/offline-run-20240102_030405-my-run_1"].run_id == "my-run_1"
    assert found["other/wandb/offline-run-20240102_030405-my-run_1"].offline
    assert found["team/proj/wandb/run-20220301_120000-abc123"].folder_time == datetime(
        2022, 3, 1, 12, tzinfo=UTC
    )
    assert found["run-20200101_000000-linked"].symlink
    assert [r.run_id for r in discover(a)] == ["abc123"]  # the source may itself be a run folder
    assert [r.run_id for r in discover(tmp_path / "link-out")] == ["evil"]  # a linked source is the tree

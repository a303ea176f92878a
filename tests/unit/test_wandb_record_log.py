"""The binary record log reader: framing, checksums, damage and resynchronisation.

Logs here are written by a minimal writer of the same framing so that multi-block records and
damage at a chosen place can be built; the integration tests read the real client's logs.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from wandb.proto import wandb_internal_pb2 as pb

from assets.sources.wandb_runs.log_facts import facts_from_records
from assets.sources.wandb_runs.record_log import BLOCK_LEN, LogRead, NotARecordLog

HEADER = b":W&B\xe1\xbe\x00"


def write_log(path: Path, records: list[pb.Record]) -> list[int]:
    """Write a log; returns the byte offset of each record's first chunk."""
    out = bytearray(HEADER)
    starts = []
    for rec in records:
        data = rec.SerializeToString()
        first = True
        starts.append(len(out))
        while True:
            left = BLOCK_LEN - len(out) % BLOCK_LEN
            if left < 7:
                out += b"\0" * left
                if first:
                    starts[-1] = len(out)
                continue
            room = left - 7
            piece, data = data[:room], data[room:]
            kind = (1 if not data else 2) if first else (4 if not data else 3)
            out += struct.pack("<IHB", zlib.crc32(bytes([kind]) + piece), len(piece), kind) + piece
            first = False
            if not data:
                break
    path.write_bytes(bytes(out))
    return starts


def run_record() -> pb.Record:
    r = pb.Record()
    r.run.run_id = "abc123"
    r.run.project = "proj"
    r.run.start_time.seconds = 1700000000
    r.run.telemetry.imports_init.torch = True
    r.run.telemetry.python_version = "3.11.7"
    r.run.telemetry.cli_version = "0.31.0"
    return r


def summary_record(step: int, pad: int = 0) -> pb.Record:
    r = pb.Record()
    item = r.summary.update.add()
    item.nested_key.extend(["_wandb", "runtime"])
    item.value_json = str(step)
    item = r.summary.update.add()
    item.key = "blob"
    item.value_json = '"' + "x" * pad + '"'
    return r


def exit_record(code: int = 0, runtime: int = 0) -> pb.Record:
    r = pb.Record()
    r.exit.exit_code = code
    r.exit.runtime = runtime
    return r


def kinds(log: LogRead) -> list[str]:
    return [r.WhichOneof("record_type") for r in log.records()]


def test_roundtrip_across_blocks(tmp_path):
    # Small records up to a block edge, one record longer than two blocks (first/middle/last).
    records = [run_record()] + [summary_record(i, pad=300) for i in range(120)] + [summary_record(999, pad=70000)]
    records.append(exit_record(0, 42))
    path = tmp_path / "run-abc123.wandb"
    write_log(path, records)
    assert path.stat().st_size > 3 * BLOCK_LEN
    log = LogRead(path)
    got = list(log.records())
    assert log.damage == []
    assert [r.SerializeToString() for r in got] == [r.SerializeToString() for r in records]
    facts = facts_from_records(got)
    assert (facts.run_id, facts.project, facts.exit_code, facts.runtime_seconds) == ("abc123", "proj", 0, 999)
    assert facts.telemetry_imports == [1] and facts.python_version == "3.11.7"


def test_truncated_log_keeps_what_came_before(tmp_path):
    path = tmp_path / "run-abc123.wandb"
    starts = write_log(path, [run_record(), summary_record(5), exit_record()])
    data = path.read_bytes()
    path.write_bytes(data[: starts[2] + 9])  # cut inside the exit record
    log = LogRead(path)
    assert kinds(log) == ["run", "summary"]
    assert len(log.damage) == 1 and log.damage[0].startswith("truncated")
    path.write_bytes(data[: starts[2] + 3])  # cut inside a chunk header
    log = LogRead(path)
    assert kinds(log) == ["run", "summary"] and "chunk header" in log.damage[0]


def test_truncated_inside_a_multi_block_record(tmp_path):
    path = tmp_path / "run-abc123.wandb"
    write_log(path, [run_record(), summary_record(1, pad=40000)])
    path.write_bytes(path.read_bytes()[: BLOCK_LEN + 100])  # the record's last chunk is cut
    log = LogRead(path)
    assert kinds(log) == ["run"]
    assert log.damage and log.damage[-1].startswith("truncated")


def test_bit_flip_is_reported_and_reading_resumes_at_the_next_block(tmp_path):
    records = [run_record()] + [summary_record(i, pad=1000) for i in range(60)] + [exit_record(3, 61)]
    path = tmp_path / "run-abc123.wandb"
    starts = write_log(path, records)
    data = bytearray(path.read_bytes())
    data[starts[5] + 20] ^= 0x10  # one bit in the payload of record 5, in the first block
    path.write_bytes(bytes(data))
    log = LogRead(path)
    got = list(log.records())
    assert log.damage == [f"chunk at byte {starts[5]}: checksum mismatch"]
    assert [r.SerializeToString() for r in got[:5]] == [r.SerializeToString() for r in records[:5]]
    # The rest of block 0 is lost; everything from block 1 on is read, the exit record included.
    assert got[-1].WhichOneof("record_type") == "exit"
    assert len(got) < len(records)
    facts = facts_from_records(got)
    assert facts.exit_code == 3 and facts.runtime_seconds == 59  # last summary that survived


def test_impossible_chunk_header(tmp_path):
    path = tmp_path / "run-abc123.wandb"
    starts = write_log(path, [run_record(), summary_record(1), exit_record()])
    data = bytearray(path.read_bytes())
    data[starts[1] + 6] = 9  # chunk type 9 does not exist
    path.write_bytes(bytes(data))
    log = LogRead(path)
    assert kinds(log) == ["run"] and "impossible header" in log.damage[0]


def test_valid_checksum_but_not_a_record(tmp_path):
    path = tmp_path / "run-abc123.wandb"
    junk = b"\xff\xff\xff"
    path.write_bytes(HEADER + struct.pack("<IHB", zlib.crc32(b"\x01" + junk), len(junk), 1) + junk)
    log = LogRead(path)
    assert kinds(log) == [] and "not a Record" in log.damage[0]


@pytest.mark.parametrize("head", [b"", b":W&B", b"PK\x03\x04\x00\x00\x00", b":W&B\xe1\xbe\x07"])
def test_not_a_record_log(tmp_path, head):
    path = tmp_path / "run-abc123.wandb"
    path.write_bytes(head + b"\0" * 20)
    with pytest.raises(NotARecordLog):
        list(LogRead(path).records())


def test_environment_record_fields(tmp_path):
    r = pb.Record()
    e = r.environment
    e.os, e.python, e.program, e.host, e.username = "Linux", "CPython 3.12.1", "/abs/train.py", "node1", "carol"
    e.started_at.seconds = 1700000000
    e.cpu_count = 64
    e.memory.total = 512 * 2**30
    g = e.gpu_nvidia.add()
    g.name, g.architecture, g.memory_total = "NVIDIA A100-SXM4-80GB", "Ampere", 85899345920
    e.gpu_nvidia.add().name = "NVIDIA A100-SXM4-80GB"
    e.tpu.name = "v4"
    t = pb.Record()
    t.telemetry.imports_finish.sklearn = True
    t.telemetry.imports_finish.lightning = True
    t.telemetry.env.m1_gpu = True
    t.telemetry.env.colab = True
    f = facts_from_records([r, t])
    assert (f.os, f.python_version, f.program, f.host, f.username) == (
        "Linux",
        "3.12.1",
        "/abs/train.py",
        "node1",
        "carol",
    )
    assert (f.cpu_count, f.memory_total_gb) == (64, 512.0)
    assert (f.gpu, f.gpu_count, f.gpu_architecture, f.tpu, f.gpu_apple) == (
        "NVIDIA A100-SXM4-80GB",
        2,
        "Ampere",
        "v4",
        None,
    )
    assert (f.telemetry_imports, f.telemetry_env) == ([5, 106], [4, 12])
    assert f.exit_code is None  # no exit record: the run has not ended
    a = pb.Record()
    a.environment.apple.name = "Apple M2 Max"
    assert (facts_from_records([a]).gpu, facts_from_records([a]).gpu_apple) == ("Apple M2 Max", True)

"""The raw activity contract: what the landing zone holds and how it is laid out.

The landing zone is the platform's only input. Anything that writes it (the simulator, the
importer of real run folders, a production export) depends on this module and on
``docs/raw_activity.md``, never on the pipeline.

Layout::

    <landing>/<entity>/date=YYYY-MM-DD/<any-name>.parquet     (main format)
    <landing>/<entity>/date=YYYY-MM-DD/<any-name>.jsonl[.gz]  (same fields, one JSON object a line)

``date`` is the record's event date in UTC (see ``EVENT_TIME``). A file is immutable once
written; a corrected or newer version of a record is a new file (the newest ``updated_at`` wins).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TS = pa.timestamp("us", tz="UTC")

USERS = pa.schema(
    [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("signup_at", TS),
        # ISO 3166-1 alpha-2 from the account profile; null when the user never said.
        pa.field("country_code", pa.string()),
        # academic | corporate | personal (hobbyist); null when unknown.
        pa.field("profession", pa.string()),
        # Only for corporate users: e.g. "High tech", "Healthcare & life sciences".
        pa.field("industry", pa.string()),
        pa.field("updated_at", TS, nullable=False),
    ]
)

RUNS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string()),  # null for anonymous runs
        pa.field("project", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("started_at", TS),
        # Wall-clock seconds (the client's `_wandb.runtime`, else `_runtime`); null while running.
        pa.field("runtime_seconds", pa.float64()),
        # finished | failed | crashed | killed | running
        pa.field("state", pa.string()),
        pa.field("sweep_id", pa.string()),
        # Environment, as the client's wandb-metadata.json records it.
        pa.field("os", pa.string()),
        pa.field("python_version", pa.string()),
        pa.field("program", pa.string()),
        pa.field("host", pa.string()),
        pa.field("cpu_count", pa.int32()),
        pa.field("memory_total_gb", pa.float64()),
        # NVML name of GPU 0 as written ("Tesla V100-SXM2-16GB", "NVIDIA A100-SXM4-40GB"),
        # or the chip name newer clients write for Apple silicon ("Apple M1 Pro").
        pa.field("gpu", pa.string()),
        pa.field("gpu_count", pa.int32()),
        # Newer clients: gpu_nvidia[0].architecture ("Ampere", "Hopper").
        pa.field("gpu_architecture", pa.string()),
        # 2022 clients wrote a `gpuapple` block without a chip name.
        pa.field("gpu_apple", pa.bool_()),
        # `tpu` block: its name ("v4") where the client wrote one, "" when present without a name.
        pa.field("tpu", pa.string()),
        pa.field("ipu_count", pa.int32()),
        pa.field("code_hash", pa.string()),  # -> code_blobs.code_hash
        pa.field("client_version", pa.string()),
        # Client telemetry `Imports` field numbers seen at init or finish (config `_wandb.t` keys 1, 2).
        pa.field("telemetry_imports", pa.list_(pa.int32())),
        # Client telemetry environment flags (`_wandb.t` key 8: 2 Kaggle, 4 Apple M1 GPU, 12 Colab).
        pa.field("telemetry_env", pa.list_(pa.int32())),
        # Media types the run logged (summary `_type` values: image, table, audio, video, ...).
        pa.field("media_types", pa.list_(pa.string())),
        pa.field("updated_at", TS),
    ]
)

SWEEPS = pa.schema(
    [
        pa.field("sweep_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("project", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("method", pa.string()),  # grid | random | bayes
        pa.field("updated_at", TS),
    ]
)

ARTIFACTS = pa.schema(
    [
        pa.field("artifact_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("run_id", pa.string()),
        pa.field("project", pa.string()),
        pa.field("type", pa.string()),  # dataset | model | code | run_table | ...
        pa.field("created_at", TS, nullable=False),
        pa.field("size_bytes", pa.int64()),
        pa.field("updated_at", TS),
    ]
)

CODE_BLOBS = pa.schema(
    [
        # sha256 hex of the source bytes: the same text is stored once, whoever ran it.
        pa.field("code_hash", pa.string(), nullable=False),
        pa.field("first_seen_at", TS, nullable=False),
        pa.field("path", pa.string()),  # train.py, notebooks/explore.ipynb
        pa.field("source", pa.string()),  # the file's text (a notebook's JSON for .ipynb)
    ]
)


@dataclass(frozen=True)
class Entity:
    name: str
    schema: pa.Schema
    key: str  # the record's identity
    event_time: str  # the column whose UTC date names the file's `date=` folder
    quarterly: bool  # loaded one quarter at a time (users are a profile snapshot)


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("users", USERS, "user_id", "updated_at", quarterly=False),
        Entity("runs", RUNS, "run_id", "created_at", quarterly=True),
        Entity("sweeps", SWEEPS, "sweep_id", "created_at", quarterly=True),
        Entity("artifacts", ARTIFACTS, "artifact_id", "created_at", quarterly=True),
        Entity("code_blobs", CODE_BLOBS, "code_hash", "first_seen_at", quarterly=True),
    )
}

FORMATS = (".parquet", ".jsonl", ".jsonl.gz")


def partition_dir(landing: Path | str, entity: str, day: date) -> Path:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; expected one of {sorted(ENTITIES)}")
    return Path(landing) / entity / f"date={day.isoformat()}"


def file_date(path: Path) -> date | None:
    """The event date a landing file belongs to, from its ``date=`` folder (None if absent)."""
    for part in reversed(path.parts):
        if part.startswith("date="):
            try:
                return date.fromisoformat(part[5:])
            except ValueError:
                return None
    return None


def landing_files(landing: Path | str, entity: str, first: date | None = None, end: date | None = None) -> list[Path]:
    """Files of ``entity`` whose event date is in [first, end), sorted for a stable order."""
    root = Path(landing) / entity
    if not root.is_dir():
        return []
    out = []
    for day_dir in root.iterdir():
        day = file_date(day_dir)
        if day is None or (first and day < first) or (end and day >= end):
            continue
        out.extend(p for p in day_dir.iterdir() if p.is_file() and p.name.endswith(FORMATS))
    return sorted(out)


def write_parquet(landing: Path | str, entity: str, day: date, table: pa.Table, name: str | None = None) -> Path:
    """Write one immutable landing file atomically (temp file + rename, so readers never see half a file)."""
    schema = ENTITIES[entity].schema
    # Fields beyond the contract's are allowed and kept (the raw tables' `extra`), after its own.
    extras = [name for name in table.column_names if name not in schema.names]
    contract_part = table.select(schema.names).cast(schema)
    table = pa.Table.from_arrays(
        [*contract_part.columns, *(table.column(n) for n in extras)],
        schema=pa.schema([*schema, *(table.schema.field(n) for n in extras)]),
    )
    folder = partition_dir(landing, entity, day)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / (name or f"part-{uuid.uuid4().hex[:12]}.parquet")
    tmp = folder / f".{final.name}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, final)
    return final

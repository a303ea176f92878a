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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# The simulator's own record in the landing zone (docs/raw_activity.md: `_` folders are never
# ingested): the report says it shows a simulated sample, and at which scale.
SIMULATIONS_FILE = Path("_simulator") / "simulations.json"

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


# Where one entity's scan lists what it could not use ("unrecognised"): enough to act on, bounded so
# that a landing zone full of junk does not flood the run's metadata.
MAX_UNRECOGNISED_LISTED = 20


def folder_date(name: str) -> date | None:
    """The date of a ``date=YYYY-MM-DD`` folder name; None for any other name or an impossible date."""
    if not name.startswith("date="):
        return None
    try:
        return date.fromisoformat(name[5:])
    except ValueError:
        return None


@dataclass
class LandingScan:
    """What one entity's folder holds for a date range: the data files to read, and everything
    else that is not ignored by the contract (with why), so that nothing is passed over silently."""

    files: list[Path] = field(default_factory=list)
    unrecognised: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def scan_entity(landing: Path | str, entity: str, first: date | None = None, end: date | None = None) -> LandingScan:
    """Files of ``entity`` whose folder date is in [first, end), sorted for a stable order.

    Only ``<entity>/date=YYYY-MM-DD/<name>.<format>`` is data (the date comes from the path below
    the landing zone, never from the folders above it). Names starting with ``.`` are ignored
    (in-flight writes). Anything else under ``<entity>/`` that is not in a folder of another date
    is unrecognised: a file outside a ``date=`` folder, an impossible date, another suffix
    (suffixes are case-sensitive), a subfolder, a symlink leading outside the landing zone.
    A data name that is not a regular file (a FIFO, a device) is returned as a file: reading it
    fails, and the failure is that file's quarantine entry.
    """
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; expected one of {sorted(ENTITIES)}")
    scan = LandingScan()
    home = Path(landing).resolve()
    root = Path(landing) / entity
    if not _inside(root, home, scan) or not root.is_dir():
        return scan
    for folder in _listing(root, scan):
        if folder.name.startswith(".") or not _inside(folder, home, scan):
            continue
        if not folder.is_dir():
            scan.unrecognised.append((str(folder), "not in a date= folder"))
            continue
        day = folder_date(folder.name)
        if day is None:
            scan.unrecognised.append((str(folder), "not a date=YYYY-MM-DD folder (or an impossible date)"))
            continue
        if (first and day < first) or (end and day >= end):
            continue  # another quarter's folder
        for path in _listing(folder, scan):
            if path.name.startswith(".") or not _inside(path, home, scan):
                continue
            if not path.name.endswith(FORMATS):
                why = "a folder inside a date= folder" if path.is_dir() else f"not one of {', '.join(FORMATS)}"
                scan.unrecognised.append((str(path), why))
            elif path.is_dir():
                scan.unrecognised.append((str(path), "a folder inside a date= folder"))
            else:
                scan.files.append(path)
    return scan


def _listing(folder: Path, scan: LandingScan) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as exc:  # no permission to list it: its files cannot even be named
        scan.unrecognised.append((str(folder), f"unreadable folder ({type(exc).__name__})"))
        return []


def _inside(path: Path, home: Path, scan: LandingScan) -> bool:
    """A symlink is followed only when it resolves inside the landing zone (else it is reported)."""
    if not path.is_symlink():
        return True
    try:
        path.resolve(strict=True).relative_to(home)
        return True
    except (OSError, ValueError, RuntimeError):  # dangling, outside, or a loop
        scan.unrecognised.append((str(path), "a symlink leading outside the landing zone (not followed)"))
        return False


def landing_files(landing: Path | str, entity: str, first: date | None = None, end: date | None = None) -> list[Path]:
    """Files of ``entity`` whose event date is in [first, end), sorted for a stable order."""
    return scan_entity(landing, entity, first, end).files


def write_parquet(landing: Path | str, entity: str, day: date, table: pa.Table, name: str | None = None) -> Path:
    """Write one immutable landing file atomically (temp file + rename, so readers never see half a file)."""
    schema = ENTITIES[entity].schema
    # Fields beyond the contract's are allowed and kept (the raw tables' `extra`), after its own.
    extras = [column for column in table.column_names if column not in schema.names]
    contract_part = table.select(schema.names).cast(schema)
    table = pa.Table.from_arrays(
        [*contract_part.columns, *(table.column(column) for column in extras)],
        schema=pa.schema([*schema, *(table.schema.field(column) for column in extras)]),
    )
    folder = partition_dir(landing, entity, day)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / (name or f"part-{uuid.uuid4().hex[:12]}.parquet")
    tmp = folder / f".{final.name}.tmp"
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed write (disk full) leaves no half file behind
        raise
    return final

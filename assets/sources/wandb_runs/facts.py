"""What one run folder (or one of its sources) says about a run, in contract terms.

Both readers -- the JSON/YAML files (``files.py``) and the binary record log (``log_facts.py``) --
produce a :class:`RunFacts`; ``merge`` combines them. The helpers here are shared so that a
value means the same thing whichever file it came from.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Above this, a memory size is in bytes (newer clients), below it in GiB (2022 clients).
_BYTES_THRESHOLD = 1 << 20
_PY_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")

# Summary `_type`s that do not read as their media type once "-file" is stripped.
_MEDIA_ALIASES = {
    "images/separated": "image",
    "joined-table": "table",
    "partitioned-table": "table",
    "object3d": "object3D",
}


@dataclass
class RunFacts:
    """Contract ``runs`` fields plus what the importer needs to finish the record.

    ``None`` means "this source did not say"; lists are observations and are unioned on merge.
    """

    project: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    runtime_seconds: float | None = None
    # A resumed run's log starts from the runtime it already had (RunRecord.runtime).
    runtime_offset: float | None = None
    exit_code: int | None = None  # set only when an exit record was read
    summary_seen: bool = False
    sweep_id: str | None = None
    os: str | None = None
    python_version: str | None = None
    program: str | None = None
    host: str | None = None
    username: str | None = None
    email: str | None = None
    entity: str | None = None  # wandb.init(entity=...) / WANDB_ENTITY: an account or a team
    # The latest time the run was seen alive (record timestamps, heartbeat): decides a crash.
    last_seen_at: datetime | None = None
    cpu_count: int | None = None
    memory_total_gb: float | None = None
    gpu: str | None = None
    gpu_count: int | None = None
    gpu_architecture: str | None = None
    gpu_apple: bool | None = None  # True when an Apple GPU block was seen; never False here
    tpu: str | None = None
    ipu_count: int | None = None
    client_version: str | None = None
    telemetry_imports: list[int] = field(default_factory=list)
    telemetry_env: list[int] = field(default_factory=list)
    media_types: list[str] = field(default_factory=list)
    # Where the saved code may be, relative to files/code/ (candidates, most specific first).
    code_paths: list[str] = field(default_factory=list)
    requirements: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None  # as the log says, to check against the folder name
    artifacts: list[ArtifactFacts] = field(default_factory=list)
    # Top-level names of the project's own code the run shows (saved code files, code artifacts).
    local_modules: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ArtifactFacts:
    """One artifact version a run logged (an ``artifact`` record: ``wandb.log_artifact``, tables)."""

    name: str
    type: str
    digest: str
    size_bytes: int  # the sum of its manifest entries
    logged_at: datetime | None  # the run's last sign of life before the record (records carry no time)
    paths: tuple[str, ...] = ()  # manifest paths (a code artifact lists the project's files)


_EARLIEST = {"created_at", "started_at"}
_LATEST = {"last_seen_at"}
_UNION = {"telemetry_imports", "telemetry_env", "media_types", "code_paths", "artifacts", "local_modules"}


def merge(base: RunFacts, over: RunFacts) -> RunFacts:
    """``over`` wins where it says something; times take the earliest; lists are unioned."""
    out = {}
    for f in dataclasses.fields(RunFacts):
        a, b = getattr(base, f.name), getattr(over, f.name)
        if f.name in _EARLIEST:
            out[f.name] = min((t for t in (a, b) if t is not None), default=None)
        elif f.name in _LATEST:
            out[f.name] = max((t for t in (a, b) if t is not None), default=None)
        elif f.name in _UNION:
            out[f.name] = list(dict.fromkeys([*a, *b]))
        elif f.name == "summary_seen":
            out[f.name] = a or b
        elif f.name == "requirements":
            out[f.name] = b or a
        else:
            out[f.name] = b if b is not None else a
    return RunFacts(**out)


# -- value conversions (newer clients write 64-bit integers as strings) ---------------------------


def as_int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and math.isfinite(v):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            f = as_float(v)
            return int(f) if f is not None else None
    return None


def as_float(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, str):
        try:
            f = float(v.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def as_str(v: Any) -> str | None:
    return v if isinstance(v, str) and v != "" else None


def memory_gb(v: Any) -> float | None:
    """``memory.total``: GiB in 2022 files, bytes (often as a string) in newer ones."""
    f = as_float(v)
    if f is None or f <= 0:
        return None
    return round(f / (1 << 30), 3) if f >= _BYTES_THRESHOLD else f


def python_version(v: Any) -> str | None:
    """ "3.8.10" (2022 files, telemetry) and "CPython 3.11.7" (newer) both become "3.11.7"."""
    if not isinstance(v, str):
        return None
    m = _PY_VERSION.search(v)
    return m.group(0) if m else None


def timestamp(v: Any) -> datetime | None:
    """ISO 8601 (naive = UTC, as the 2022 client wrote ``utcnow()``) or epoch seconds."""
    if isinstance(v, str):
        try:
            t = datetime.fromisoformat(v.strip())
        except ValueError:
            f = as_float(v)
            return timestamp(f) if f is not None else None
        return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    f = as_float(v)
    if f is None or f <= 0:
        return None
    if f > 1e11:  # milliseconds
        f /= 1000
    try:
        return datetime.fromtimestamp(f, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def code_path_candidate(v: Any, *, relative_to_files: bool = False) -> str | None:
    """A saved-code path relative to files/code/ (config's ``_wandb.code_path`` is "code/x.py")."""
    if not isinstance(v, str) or not v.strip():
        return None
    v = v.strip()
    if relative_to_files:
        if not v.startswith("code/"):
            return None
        v = v[len("code/") :]
    return v


# -- summary and telemetry, whichever file they come from ----------------------------------------


def media_type(t: str) -> str | None:
    t = t.strip()
    low = t.lower()
    if not t:
        return None
    if low in _MEDIA_ALIASES:
        return _MEDIA_ALIASES[low]
    base = t[: -len("-file")] if low.endswith("-file") else t
    return _MEDIA_ALIASES.get(base.lower(), base)


def summary_facts(summary: dict[str, Any]) -> RunFacts:
    """Runtime and media types from a run's summary (a nested dict, as in wandb-summary.json)."""
    wb = summary.get("_wandb")
    runtime = as_float(wb.get("runtime")) if isinstance(wb, dict) else None
    if runtime is None:  # `_wandb.runtime` is authoritative; `_runtime` is only the last step's
        runtime = as_float(summary.get("_runtime"))
    media: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            t = v.get("_type")
            if isinstance(t, str) and (m := media_type(t)) is not None:
                media.append(m)
            for k, child in v.items():
                if k != "_type":
                    walk(child)
        elif isinstance(v, list):
            for child in v:
                walk(child)

    for key, value in summary.items():
        if key != "_wandb":
            walk(value)
    return RunFacts(
        runtime_seconds=runtime,
        media_types=sorted(set(media)),
        summary_seen=True,
        last_seen_at=timestamp(summary.get("_timestamp")),
    )


def json_value(raw: str) -> Any:
    """A summary/config value as the log stores it (JSON text); undecodable text stays a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw

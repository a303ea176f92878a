"""Turn the records of a ``.wandb`` log into :class:`RunFacts`.

What wandb 0.31 writes in offline mode (observed): ``header`` (client version), ``run`` (id,
project, entity, host, start time, initial config and telemetry), ``environment`` twice (software:
os, python, started_at, program, code paths, host, username when known; then hardware: cpu
counts, disk, memory, cpu model, GPU/Apple/TPU blocks when present), ``telemetry`` (cumulative
snapshots), ``summary`` (many partial updates, keys as ``key`` or ``nested_key``), ``history``,
``stats``, ``files``, ``output_raw``, ``artifact`` and, once the run ended, ``exit``.

Read here: the run's identity (``run.entity``, ``environment.username`` / ``email``), its last sign
of life (the latest of the run's start, ``environment.started_at``, history ``_timestamp``, ``stats`` and
``output_raw`` timestamps, summary ``_timestamp``), and each ``artifact`` record (name, type, digest,
size as the sum of its manifest entries; records carry no time, so the last sign of life before it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .facts import (
    ArtifactFacts,
    RunFacts,
    as_str,
    code_path_candidate,
    json_value,
    memory_gb,
    merge,
    python_version,
    summary_facts,
    timestamp,
)

if TYPE_CHECKING:
    from google.protobuf.message import Message
    from google.protobuf.timestamp_pb2 import Timestamp
    from wandb.proto.wandb_internal_pb2 import ArtifactRecord, EnvironmentRecord, Record, RunRecord
    from wandb.proto.wandb_telemetry_pb2 import TelemetryRecord


def _time(ts: Timestamp) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if ts.seconds or ts.nanos else None


def _set_fields(msg: Message) -> list[int]:
    """Field numbers of the bool flags that are set (the ``Imports`` and ``Env`` messages)."""
    return sorted(f.number for f, v in msg.ListFields() if v is True)


def _telemetry(t: TelemetryRecord) -> RunFacts:
    return RunFacts(
        telemetry_imports=sorted(set(_set_fields(t.imports_init)) | set(_set_fields(t.imports_finish))),
        telemetry_env=_set_fields(t.env),
        python_version=python_version(t.python_version),
        client_version=as_str(t.cli_version),
    )


def _config_code_path(items: Iterable[Any]) -> list[str]:
    """The saved-code path from a config update of ``_wandb`` (``{"code_path": "code/x.py"}``)."""
    out = []
    for item in items:
        path = [item.key] if item.key else list(item.nested_key)
        value = json_value(item.value_json)
        if path == ["_wandb"] and isinstance(value, dict):
            value = value.get("code_path")
        elif path != ["_wandb", "code_path"]:
            continue
        if (p := code_path_candidate(value, relative_to_files=True)) is not None:
            out.append(p)
    return out


def _run(r: RunRecord) -> RunFacts:
    facts = RunFacts(
        run_id=as_str(r.run_id),
        project=as_str(r.project),
        entity=as_str(r.entity),
        created_at=_time(r.start_time) if r.HasField("start_time") else None,
        host=as_str(r.host),
        sweep_id=as_str(r.sweep_id),
        runtime_offset=float(r.runtime) if r.runtime else None,
        code_paths=_config_code_path(r.config.update),
    )
    return merge(facts, _telemetry(r.telemetry)) if r.HasField("telemetry") else facts


def _environment(e: EnvironmentRecord) -> RunFacts:
    nvidia = e.gpu_nvidia[0] if e.gpu_nvidia else None
    amd = e.gpu_amd[0] if e.gpu_amd else None
    apple = e.apple if e.HasField("apple") else None
    gpu = (
        (nvidia and as_str(nvidia.name))
        or as_str(e.gpu_type)
        or (apple and as_str(apple.name))
        or (amd and (as_str(amd.series) or as_str(amd.model)))
    )
    return RunFacts(
        started_at=_time(e.started_at) if e.HasField("started_at") else None,
        os=as_str(e.os),
        python_version=python_version(e.python),
        program=as_str(e.program),
        host=as_str(e.host),
        username=as_str(e.username),
        email=as_str(e.email),
        cpu_count=e.cpu_count or (e.cpu.count if e.HasField("cpu") else 0) or None,
        memory_total_gb=memory_gb(e.memory.total) if e.HasField("memory") else None,
        gpu=gpu or None,
        gpu_count=e.gpu_count or len(e.gpu_nvidia) or len(e.gpu_amd) or None,
        gpu_architecture=(nvidia and as_str(nvidia.architecture)) or None,
        gpu_apple=True if apple is not None else None,
        tpu=(as_str(e.tpu.name) or "") if e.HasField("tpu") else None,
        code_paths=[p for p in (code_path_candidate(e.code_path), code_path_candidate(e.code_path_local)) if p],
    )


def _artifact(a: ArtifactRecord, logged_at: datetime | None) -> ArtifactFacts | None:
    if not (a.name and a.type):
        return None
    contents = a.manifest.contents
    return ArtifactFacts(
        name=a.name,
        type=a.type,
        digest=a.digest,
        size_bytes=sum(max(c.size, 0) for c in contents),
        logged_at=logged_at,
        paths=tuple(sorted(c.path for c in contents if c.path)),
    )


def _history_time(items: Iterable[Any]) -> datetime | None:
    """``_timestamp`` of a history row (epoch seconds, the client's wall clock at ``log``)."""
    for item in items:
        if (item.key or ".".join(item.nested_key)) == "_timestamp":
            return timestamp(json_value(item.value_json))
    return None


def _apply_summary(summary: dict[str, Any], items: Iterable[Any], *, remove: bool) -> None:
    """Apply one summary record's updates or removals to the nested summary dict."""
    for item in items:
        path = [item.key] if item.key else list(item.nested_key)
        if not path:
            continue
        node = summary
        for k in path[:-1]:
            child = node.get(k)
            if not isinstance(child, dict):
                if remove:
                    break
                child = node[k] = {}
            node = child
        else:
            if remove:
                node.pop(path[-1], None)
            else:
                node[path[-1]] = json_value(item.value_json)


def facts_from_records(records: Iterable[Record]) -> RunFacts:
    facts = RunFacts()
    summary: dict[str, Any] = {}
    producer: str | None = None
    exit_record = None
    # The latest time a record shows the run alive; records of a killed run end without an exit.
    last_seen: datetime | None = None
    artifacts: list[ArtifactFacts] = []
    for rec in records:
        kind = rec.WhichOneof("record_type")
        seen = None
        if kind == "run":
            facts = merge(facts, _run(rec.run))
            seen = facts.created_at
        elif kind == "environment":
            facts = merge(facts, _environment(rec.environment))
            seen = facts.started_at
        elif kind == "history":
            seen = _history_time(rec.history.item)
        elif kind in ("stats", "output_raw"):
            seen = _time(getattr(rec, kind).timestamp) if getattr(rec, kind).HasField("timestamp") else None
        elif kind == "artifact":
            if (art := _artifact(rec.artifact, last_seen or facts.created_at)) is not None:
                artifacts.append(art)
        elif kind == "telemetry":
            facts = merge(facts, _telemetry(rec.telemetry))
        elif kind == "config":
            facts = merge(facts, RunFacts(code_paths=_config_code_path(rec.config.update)))
        elif kind == "summary":
            _apply_summary(summary, rec.summary.update, remove=False)
            _apply_summary(summary, rec.summary.remove, remove=True)
        elif kind == "files":
            # The client lists the saved code as a file "code/<path>".
            paths = [code_path_candidate(f.path, relative_to_files=True) for f in rec.files.files]
            facts = merge(facts, RunFacts(code_paths=[p for p in paths if p]))
        elif kind == "header":
            producer = as_str(rec.header.version_info.producer)
        elif kind == "exit":
            exit_record = rec.exit
        if seen is not None and (last_seen is None or seen > last_seen):
            last_seen = seen
    facts = merge(facts, RunFacts(last_seen_at=last_seen, artifacts=artifacts))
    if summary:
        facts = merge(facts, summary_facts(summary))
    if exit_record is not None:
        facts.exit_code = exit_record.exit_code
        if facts.runtime_seconds is None and exit_record.runtime:
            facts.runtime_seconds = float(exit_record.runtime)
    if facts.client_version is None and producer:
        facts.client_version = producer.split("+", 1)[0]  # "0.31.0+<commit>"
    return facts

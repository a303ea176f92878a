"""Import a tree of wandb run folders into the landing zone (``stateofml.contract``).

Idempotent through a manifest, ``<landing>/_imports/wandb_runs.json``: run id -> fingerprint of
the run's inputs (the content of every file read, per folder, plus the resolved user id). An
unchanged run is skipped; a changed one (a resumed run whose log or summary grew, a new folder
of the same run, a new user mapping) is written again whole with a newer ``updated_at``, which
the contract's "newest wins" rule turns into an update. Code blobs and users are written once
per content. Landing files are written before the manifest: a crash in between only re-writes
records that the newest-wins rule deduplicates.

A run id seen in several folders is one run in several segments: the client starts a new folder
``run-<time>-<same id>`` when a run is resumed. Segments merge in folder-time order (later wins,
earliest creation time). Runtime adds up across offline segments; a segment whose log says it
resumed with a carried-over runtime (online resume) already holds the total. Files-only segments
carry no such marker and are added (an online resume imported from 2022 files double counts).

Run state: with a log, ``exit`` decides (exit code 0 finished, else failed, as the client's
``finish`` documents) and no exit record means running; without a log, a summary file means the
run got as far as finishing (finished), none means running. A running run has no runtime.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from stateofml.contract import CODE_BLOBS, RUNS, USERS, write_parquet

from .discover import RunFolder, discover
from .facts import RunFacts, merge
from .folder import CodeBlob, FolderRead, read_folder
from .users import UsersFile, read_users

MANIFEST = Path("_imports") / "wandb_runs.json"
STATUSES = ("imported", "updated", "partial", "skipped", "failed")
_MICROSECOND = timedelta(microseconds=1)
# Timestamps a run can have: not before the tracking client existed, not after now (plus clock drift).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_DRIFT = timedelta(days=1)


@dataclass
class FolderStatus:
    folder: str  # relative to the imported source
    run_id: str
    status: str  # one of STATUSES; partial = written, but something could not be read
    reasons: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None  # the contract row (as written, or as it stands if skipped)
    facts: RunFacts | None = None  # everything read, incl. what the contract has no column for


@dataclass
class ImportReport:
    source: Path
    landing: Path
    folders: list[FolderStatus] = field(default_factory=list)
    runs_written: int = 0
    code_blobs_written: int = 0
    users_written: int = 0
    problems: list[str] = field(default_factory=list)  # not tied to a folder (the users file)
    files: list[Path] = field(default_factory=list)  # landing files written

    def summary(self) -> dict[str, int]:
        counts = Counter(f.status for f in self.folders)
        return {
            "folders": len(self.folders),
            **{s: counts.get(s, 0) for s in STATUSES},
            "runs_written": self.runs_written,
            "code_blobs_written": self.code_blobs_written,
            "users_written": self.users_written,
            "problems": len(self.problems),
        }

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for f in self.folders:
            rec = f.record or {}
            out.append(
                {
                    "folder": f.folder,
                    "run_id": f.run_id,
                    "status": f.status,
                    "reason": "; ".join(f.reasons),
                    "state": rec.get("state"),
                    "created_at": rec.get("created_at"),
                    "runtime_seconds": rec.get("runtime_seconds"),
                    "user_id": rec.get("user_id"),
                    "code_hash": rec.get("code_hash"),
                }
            )
        return out


def import_runs(source: Path, landing: Path, users_file: Path | None = None) -> ImportReport:
    """Import every run folder under ``source`` into ``landing``; see the module docstring."""
    source, landing = Path(source), Path(landing)
    if not source.exists():
        raise FileNotFoundError(f"no such source folder: {source}")
    report = ImportReport(source, landing)
    users = read_users(Path(users_file)) if users_file is not None else UsersFile()
    report.problems.extend(users.problems)
    with _locked(landing):
        manifest = _load_manifest(landing)
        now = datetime.now(UTC)
        groups: dict[str, list[RunFolder]] = defaultdict(list)
        for folder in discover(source):
            if folder.symlink:
                report.folders.append(
                    FolderStatus(folder.rel(source), folder.run_id, "skipped", ["a symlink: not followed"])
                )
            else:
                groups[folder.run_id].append(folder)

        runs: list[dict[str, Any]] = []
        blobs: dict[str, tuple[CodeBlob, datetime]] = {}
        for run_id, folders in sorted(groups.items()):
            try:
                statuses, record, code, fingerprint = _import_run(run_id, folders, source, users, manifest, now)
            except Exception as exc:  # noqa: BLE001 - one hostile folder fails alone, the others import
                reason = f"cannot be imported ({type(exc).__name__}: {str(exc)[:200]})"
                report.folders.extend(FolderStatus(f.rel(source), run_id, "failed", [reason]) for f in folders)
                continue
            report.folders.extend(statuses)
            if record is None:  # failed, or unchanged since the last import
                continue
            runs.append(record)
            manifest["runs"][run_id] = {
                "fingerprint": fingerprint,
                "updated_at": record["updated_at"].isoformat(),
                "folders": [s.folder for s in statuses],
            }
            if code is not None and code.code_hash not in manifest["code_hashes"]:
                seen = blobs.get(code.code_hash)
                if seen is None or record["created_at"] < seen[1]:
                    blobs[code.code_hash] = (code, record["created_at"])

        report.files += _write(landing, "runs", RUNS, runs, "created_at", now)
        blob_rows = [
            {"code_hash": h, "first_seen_at": t, "path": c.path, "source": c.source} for h, (c, t) in blobs.items()
        ]
        report.files += _write(landing, "code_blobs", CODE_BLOBS, blob_rows, "first_seen_at", now)
        user_rows = _changed_users(users, manifest, now)
        report.files += _write(landing, "users", USERS, user_rows, "updated_at", now)

        manifest["code_hashes"] = sorted(set(manifest["code_hashes"]) | set(blobs))
        _save_manifest(landing, manifest)
    report.folders.sort(key=lambda f: f.folder)
    report.runs_written, report.code_blobs_written, report.users_written = len(runs), len(blob_rows), len(user_rows)
    return report


def _import_run(
    run_id: str,
    folders: list[RunFolder],
    source: Path,
    users: UsersFile,
    manifest: dict[str, Any],
    now: datetime,
) -> tuple[list[FolderStatus], dict[str, Any] | None, CodeBlob | None, str]:
    """The folders' statuses and, if the run is to be written, its record, code and fingerprint."""
    far_future = datetime.max.replace(tzinfo=UTC)
    reads = [read_folder(f) for f in sorted(folders, key=lambda f: (f.folder_time or far_future, f.path))]
    reasons = {r.folder.path: list(r.problems) for r in reads}
    for r in reads:
        if not r.has_run_data:
            reasons[r.folder.path].append(
                f"no run data: neither run-{run_id}.wandb nor wandb-metadata.json, wandb-summary.json or config.yaml"
            )
    segments = [r for r in reads if r.has_run_data]

    def statuses(
        status: str, record: dict[str, Any] | None = None, facts: RunFacts | None = None
    ) -> list[FolderStatus]:
        return [
            FolderStatus(r.folder.rel(source), run_id, status, reasons[r.folder.path], record, facts) for r in reads
        ]

    if not segments:
        return statuses("failed"), None, None, ""
    facts, state, runtime = _combine(segments)
    created_at = facts.created_at or facts.started_at or segments[0].folder.folder_time
    if created_at is None:
        reasons[segments[0].folder.path].append("no creation time: no start time recorded, folder name has no date")
        return statuses("failed", facts=facts), None, None, ""
    code = next((r.code for r in reversed(segments) if r.code is not None), None)
    user_id = users.user_id(facts.username, facts.email)
    fingerprint = _fingerprint(reads, user_id)

    previous = manifest["runs"].get(run_id)
    updated_at = now
    if previous is not None:
        prev_at = datetime.fromisoformat(previous["updated_at"])
        updated_at = max(now, prev_at + _MICROSECOND)  # a clock step back must not hide the update
    record = _record(run_id, facts, state, runtime, created_at, user_id, code, updated_at)
    if problem := _unfit(record, now):
        reasons[segments[-1].folder.path].append(problem)
        return statuses("failed", facts=facts), None, None, ""
    if previous is not None and previous["fingerprint"] == fingerprint:
        record["updated_at"] = datetime.fromisoformat(previous["updated_at"])  # as it stands
        return statuses("skipped", record, facts), None, None, fingerprint
    if any(reasons.values()):
        status = "partial"
    else:
        status = "updated" if previous is not None else "imported"
    return statuses(status, record, facts), record, code, fingerprint


def _segment_state(r: FolderRead) -> str:
    if r.has_log:
        if r.facts.exit_code is None:
            return "running"
        return "finished" if r.facts.exit_code == 0 else "failed"
    return "finished" if r.facts.summary_seen else "running"


def _combine(segments: list[FolderRead]) -> tuple[RunFacts, str, float | None]:
    """One run from its segments (oldest first): facts, state and total runtime."""
    facts = RunFacts()
    total = 0.0
    for r in segments:
        facts = merge(facts, r.facts)
        raw = r.facts.runtime_seconds
        if raw is not None:
            total = raw if r.facts.runtime_offset else total + raw
    state = _segment_state(segments[-1])
    return facts, state, (None if state == "running" else total)


def _record(
    run_id: str,
    f: RunFacts,
    state: str,
    runtime: float | None,
    created_at: datetime,
    user_id: str | None,
    code: CodeBlob | None,
    updated_at: datetime,
) -> dict[str, Any]:
    env_known = f.os is not None or f.cpu_count is not None
    return {
        "run_id": run_id,
        "user_id": user_id,
        "project": f.project,
        "created_at": created_at,
        "started_at": f.started_at,
        "runtime_seconds": runtime,
        "state": state,
        "sweep_id": f.sweep_id,
        "os": f.os,
        "python_version": f.python_version,
        "program": f.program,
        "host": f.host,
        "cpu_count": f.cpu_count,
        "memory_total_gb": f.memory_total_gb,
        "gpu": f.gpu,
        "gpu_count": f.gpu_count,
        "gpu_architecture": f.gpu_architecture,
        # Readers only ever see a block, never its absence: False once the environment was read.
        "gpu_apple": True if f.gpu_apple else (False if env_known else None),
        "tpu": f.tpu,
        "ipu_count": f.ipu_count,
        "code_hash": code.code_hash if code else None,
        "client_version": f.client_version,
        "telemetry_imports": sorted(f.telemetry_imports),
        "telemetry_env": sorted(f.telemetry_env),
        "media_types": sorted(f.media_types),
        "updated_at": updated_at,
    }


def _unfit(record: dict[str, Any], now: datetime) -> str | None:
    """Why the landing zone cannot hold this record (checked per run: one bad value must not fail
    the whole file of the import), or None."""
    for col in ("created_at", "started_at"):
        t = record[col]
        if t is not None and not EARLIEST <= t <= now + CLOCK_DRIFT:
            return f"{col} {t.isoformat()} is outside {EARLIEST.date()} .. now"
    try:
        pa.Table.from_pylist([record], schema=RUNS)
    except (pa.ArrowException, OverflowError, ValueError, TypeError) as exc:  # e.g. an integer beyond int32
        return f"a value the contract cannot hold ({type(exc).__name__}: {str(exc)[:200]})"
    return None


def _fingerprint(reads: list[FolderRead], user_id: str | None) -> str:
    """Content, not paths above the run folder: moving the tree must not re-import it."""
    h = hashlib.sha256()
    for r in sorted(reads, key=lambda r: r.folder.path.name):
        for rel, digest in sorted(r.inputs):
            h.update(f"{r.folder.path.name}/{rel}\0{digest}\n".encode())
    h.update(f"user_id\0{user_id}".encode())
    return h.hexdigest()


def _changed_users(users: UsersFile, manifest: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for uid, row in sorted(users.users.items()):
        digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
        if manifest["users"].get(uid) != digest:
            manifest["users"][uid] = digest
            rows.append({**row, "updated_at": now})
    return rows


def _write(
    landing: Path, entity: str, schema: pa.Schema, rows: list[dict[str, Any]], event: str, now: datetime
) -> list[Path]:
    """One file per event date; the name sorts by import time (the contract's tie-breaker)."""
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_day[row[event].astimezone(UTC).date()].append(row)
    name = f"wandb-{now:%Y%m%dT%H%M%S%f}.parquet"
    return [
        write_parquet(landing, entity, day, pa.Table.from_pylist(day_rows, schema=schema), name=name)
        for day, day_rows in sorted(by_day.items())
    ]


@contextmanager
def _locked(landing: Path) -> Iterator[None]:
    """One import at a time per landing zone (a sensor and a CLI may race on the manifest)."""
    lock_path = landing / MANIFEST.with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load_manifest(landing: Path) -> dict[str, Any]:
    path = landing / MANIFEST
    if not path.exists():
        return {"version": 1, "runs": {}, "code_hashes": [], "users": {}}
    try:
        manifest = json.loads(path.read_text())
    except ValueError as e:
        # Refuse rather than re-import everything: that would duplicate every record.
        raise ValueError(f"import manifest {path} is corrupt ({e}); repair or remove it deliberately") from None
    for key, empty in (("runs", {}), ("code_hashes", []), ("users", {})):
        manifest.setdefault(key, empty)
    return manifest


def _save_manifest(landing: Path, manifest: dict[str, Any]) -> None:
    path = landing / MANIFEST
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, path)

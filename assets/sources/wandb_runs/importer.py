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
``finish`` documents); without a log, a summary file means the run got as far as finishing
(finished). Otherwise the run did not say how it ended: it is ``running`` while its last sign of
life (``RunFacts.last_seen_at``: the latest record timestamp, or the 2022 files' ``heartbeatAt``;
the log's modification time when no record carries a time) is at most ``crashed_after`` old
(:data:`CRASHED_AFTER`, 24 hours: a live offline run writes stats every 15 s, flushed at least
every block of 32 KiB), and ``crashed`` after that, with the runtime up to that last sign of life.
A running run has no runtime. The state is part of the run's fingerprint, so the next import after
the threshold writes the crashed version; a resumed or finished later segment updates it again.

Who ran it: :meth:`UsersFile.attribute` (users.py) -- ``--user``, then folder attribution (users
file ``folder`` rows, ``user=ID`` folders), then the username, e-mail and entity the run recorded.

Also written, with the run: its artifacts (entity ``artifacts``: one per logged version, id
``<run_id>:<name>:<digest>`` hashed, with the extra fields ``name`` and ``digest``) and its sweep
(entity ``sweeps``: the earliest creation time of the sweep's runs seen, ``method`` unknown in a
run folder). A code blob carries the extra field ``local_modules``: the project's own modules the
run folder shows (folder.py), which import detection does not count as libraries.
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

from stateofml.contract import ARTIFACTS, CODE_BLOBS, RUNS, SWEEPS, USERS, write_parquet

from .discover import RunFolder, discover
from .facts import RunFacts, merge
from .folder import CodeBlob, FolderRead, read_folder
from .users import UsersFile, read_users

MANIFEST = Path("_imports") / "wandb_runs.json"
# A run with no exit record silent for longer than this is crashed (module docstring).
CRASHED_AFTER = timedelta(hours=24)
# Extra fields (the contract keeps them in the raw tables' `extra`).
ARTIFACT_ROWS = pa.schema([*ARTIFACTS, pa.field("name", pa.string()), pa.field("digest", pa.string())])
CODE_BLOB_ROWS = pa.schema([*CODE_BLOBS, pa.field("local_modules", pa.list_(pa.string()))])
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
    user_source: str | None = None  # which rule attributed the run (users.py)


@dataclass
class ImportReport:
    source: Path
    landing: Path
    folders: list[FolderStatus] = field(default_factory=list)
    runs_written: int = 0
    code_blobs_written: int = 0
    users_written: int = 0
    artifacts_written: int = 0
    sweeps_written: int = 0
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
            "artifacts_written": self.artifacts_written,
            "sweeps_written": self.sweeps_written,
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
                    "user_source": f.user_source,
                    "code_hash": rec.get("code_hash"),
                }
            )
        return out


def import_runs(
    source: Path,
    landing: Path,
    users_file: Path | None = None,
    *,
    user: str | None = None,
    crashed_after: timedelta = CRASHED_AFTER,
) -> ImportReport:
    """Import every run folder under ``source`` into ``landing``; see the module docstring.

    ``user``: attribute every run of this import to that user id (``import-runs --user``).
    """
    if user is not None:
        user = user.strip()  # as the users file's ids are: " alice" from a shell quote is alice
        if not user:
            raise ValueError("--user needs a user id")
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
        artifacts: list[dict[str, Any]] = []
        sweeps: dict[str, dict[str, Any]] = {}
        blobs: dict[str, tuple[CodeBlob, datetime, list[str]]] = {}
        for run_id, folders in sorted(groups.items()):
            try:
                statuses, record, code, fingerprint = _import_run(
                    run_id, folders, source, users, manifest, now, user=user, crashed_after=crashed_after
                )
            except Exception as exc:  # noqa: BLE001 - one hostile folder fails alone, the others import
                reason = f"cannot be imported ({type(exc).__name__}: {str(exc)[:200]})"
                report.folders.extend(FolderStatus(f.rel(source), run_id, "failed", [reason]) for f in folders)
                continue
            report.folders.extend(statuses)
            if record is None:  # failed, or unchanged since the last import
                continue
            runs.append(record)
            facts = statuses[0].facts
            artifacts += _artifact_rows(record, facts)
            if (sweep_id := record["sweep_id"]) is not None:
                _note_sweep(sweeps, manifest, sweep_id, record)
            manifest["runs"][run_id] = {
                "fingerprint": fingerprint,
                "updated_at": record["updated_at"].isoformat(),
                "folders": [s.folder for s in statuses],
            }
            if code is not None and code.code_hash not in manifest["code_hashes"]:
                seen = blobs.get(code.code_hash)
                if seen is None or record["created_at"] < seen[1]:
                    blobs[code.code_hash] = (code, record["created_at"], facts.local_modules)

        report.files += _write(landing, "runs", RUNS, runs, "created_at", now)
        blob_rows = [
            {"code_hash": h, "first_seen_at": t, "path": c.path, "source": c.source, "local_modules": local}
            for h, (c, t, local) in blobs.items()
        ]
        report.files += _write(landing, "code_blobs", CODE_BLOB_ROWS, blob_rows, "first_seen_at", now)
        report.files += _write(landing, "artifacts", ARTIFACT_ROWS, artifacts, "created_at", now)
        sweep_rows = [{**row, "updated_at": now} for row in sweeps.values()]
        report.files += _write(landing, "sweeps", SWEEPS, sweep_rows, "created_at", now)
        user_rows = _changed_users(users, manifest, now)
        report.files += _write(landing, "users", USERS, user_rows, "updated_at", now)

        manifest["code_hashes"] = sorted(set(manifest["code_hashes"]) | set(blobs))
        _save_manifest(landing, manifest)
    report.folders.sort(key=lambda f: f.folder)
    report.runs_written, report.code_blobs_written, report.users_written = len(runs), len(blob_rows), len(user_rows)
    report.artifacts_written, report.sweeps_written = len(artifacts), len(sweep_rows)
    return report


def _artifact_rows(record: dict[str, Any], facts: RunFacts | None) -> list[dict[str, Any]]:
    """The run's artifact versions; one per (name, digest), as the service keeps one version per content."""
    rows: dict[str, dict[str, Any]] = {}
    for a in facts.artifacts if facts else []:
        key = hashlib.sha256(f"{record['run_id']}\0{a.name}\0{a.digest}".encode()).hexdigest()[:32]
        rows.setdefault(
            key,
            {
                "artifact_id": key,
                "user_id": record["user_id"],
                "run_id": record["run_id"],
                "project": record["project"],
                "type": a.type,
                "created_at": a.logged_at or record["created_at"],
                "size_bytes": a.size_bytes,
                "updated_at": record["updated_at"],
                "name": a.name,
                "digest": a.digest,
            },
        )
    return list(rows.values())


def _note_sweep(sweeps: dict[str, dict[str, Any]], manifest: dict[str, Any], sweep_id: str, record: dict[str, Any]) -> None:
    """A sweep is written when first seen, and again when a run shows it began earlier."""
    known = manifest["sweeps"].get(sweep_id)
    first = min(
        [t for t in (record["created_at"], sweeps.get(sweep_id, {}).get("created_at")) if t is not None]
    )
    if known is not None and datetime.fromisoformat(known) <= first:
        return
    sweeps[sweep_id] = {
        "sweep_id": sweep_id,
        "user_id": record["user_id"],
        "project": record["project"],
        "created_at": first,
        "method": None,  # the sweep's configuration is not in its runs' folders
    }
    manifest["sweeps"][sweep_id] = first.isoformat()


def _import_run(
    run_id: str,
    folders: list[RunFolder],
    source: Path,
    users: UsersFile,
    manifest: dict[str, Any],
    now: datetime,
    *,
    user: str | None = None,
    crashed_after: timedelta = CRASHED_AFTER,
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
        status: str, record: dict[str, Any] | None = None, facts: RunFacts | None = None, source_rule: str | None = None
    ) -> list[FolderStatus]:
        return [
            FolderStatus(r.folder.rel(source), run_id, status, reasons[r.folder.path], record, facts, source_rule)
            for r in reads
        ]

    if not segments:
        return statuses("failed"), None, None, ""
    facts, state, runtime = _combine(segments, now, crashed_after)
    created_at = facts.created_at or facts.started_at or segments[0].folder.folder_time
    if created_at is None:
        reasons[segments[0].folder.path].append("no creation time: no start time recorded, folder name has no date")
        return statuses("failed", facts=facts), None, None, ""
    code = next((r.code for r in reversed(segments) if r.code is not None), None)
    # Attributed from the newest segment's place in the tree: all segments are one run.
    user_id, user_rule = users.attribute(facts, segments[-1].folder.rel(source), user)
    fingerprint = _fingerprint(reads, user_id, state)

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
        return statuses("skipped", record, facts, user_rule), None, None, fingerprint
    if any(reasons.values()):
        status = "partial"
    else:
        status = "updated" if previous is not None else "imported"
    return statuses(status, record, facts, user_rule), record, code, fingerprint


def _said_how_it_ended(r: FolderRead) -> bool:
    """An exit record, or (no log: 2022 files) a summary file, which the client writes at finish."""
    return r.facts.exit_code is not None if r.has_log else r.facts.summary_seen


def _segment_state(r: FolderRead, now: datetime, crashed_after: timedelta) -> str:
    if _said_how_it_ended(r):
        if r.has_log:
            return "finished" if r.facts.exit_code == 0 else "failed"
        return "finished"
    last = last_sign_of_life(r)
    return "crashed" if last is not None and now - last > crashed_after else "running"


def last_sign_of_life(r: FolderRead) -> datetime | None:
    """The latest time the folder shows the run alive: its records, else its log's last write."""
    if r.facts.last_seen_at is not None:
        return r.facts.last_seen_at
    # No record carries a time (killed before the first flush): the log's, else the folder's, mtime.
    log = r.folder.path / f"run-{r.folder.run_id}.wandb"
    try:
        mtime = (log if log.is_file() else r.folder.path).stat().st_mtime
    except OSError:
        return None
    return datetime.fromtimestamp(mtime, tz=UTC)


def _crashed_runtime(r: FolderRead) -> float:
    """Seconds from the segment's start to its last sign of life."""
    start = r.facts.started_at or r.facts.created_at or r.folder.folder_time
    last = last_sign_of_life(r)
    return max((last - start).total_seconds(), 0.0) if start is not None and last is not None else 0.0


def _combine(segments: list[FolderRead], now: datetime, crashed_after: timedelta) -> tuple[RunFacts, str, float | None]:
    """One run from its segments (oldest first): facts, state and total runtime."""
    facts = RunFacts()
    total = 0.0
    state = "running"
    for i, r in enumerate(segments):
        facts = merge(facts, r.facts)
        # An older segment's own end is superseded by the newer one: only the newest decides the state.
        state = _segment_state(r, now, crashed_after) if i == len(segments) - 1 else "superseded"
        raw = r.facts.runtime_seconds
        if state == "crashed" or (state == "superseded" and not _said_how_it_ended(r)):
            # Ended without a word (or resumed after a crash): it ran until its last sign of life.
            # The summary's `_runtime` is only the last `log` call's; later records may be newer.
            raw = max(raw or 0.0, _crashed_runtime(r) + (r.facts.runtime_offset or 0.0))
        if raw is not None:
            # A segment that resumed with a carried-over runtime (online resume) holds the total.
            total = raw if r.facts.runtime_offset else total + raw
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


def _fingerprint(reads: list[FolderRead], user_id: str | None, state: str) -> str:
    """Content, not paths above the run folder: moving the tree must not re-import it."""
    h = hashlib.sha256()
    for r in sorted(reads, key=lambda r: r.folder.path.name):
        for rel, digest in sorted(r.inputs):
            h.update(f"{r.folder.path.name}/{rel}\0{digest}\n".encode())
    h.update(f"user_id\0{user_id}".encode())
    # The state can change with time alone (running -> crashed): the next import must write it.
    h.update(f"\0state\0{state}".encode())
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
        return {"version": 1, "runs": {}, "code_hashes": [], "users": {}, "sweeps": {}}
    try:
        manifest = json.loads(path.read_text())
    except ValueError as e:
        # Refuse rather than re-import everything: that would duplicate every record.
        raise ValueError(f"import manifest {path} is corrupt ({e}); repair or remove it deliberately") from None
    for key, empty in (("runs", {}), ("code_hashes", []), ("users", {}), ("sweeps", {})):
        manifest.setdefault(key, empty)
    return manifest


def _save_manifest(landing: Path, manifest: dict[str, Any]) -> None:
    path = landing / MANIFEST
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(tmp, path)

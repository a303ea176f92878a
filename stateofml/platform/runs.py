"""Runs executed in a process of their own (the CLI's ``execute_in_process``), and the pool they share.

Such a run has no daemon watching it: killed with kill -9, its process tells nobody, the run stays
STARTED and keeps its slot in the pool ``duckdb_warehouse``, and every later run would wait for that
slot for ever (Dagster frees a dead run's slots only from the daemon's run monitoring, and only for runs
it launched). So a run records the process that executes it in its tags (``process_tags``); before a
run starts, and while it waits for the pool, runs whose process is gone are marked failed and their
slots freed (``release_dead_runs``). A run whose process lives (or lives on another host) is waited
for, and ``pool_holders`` says which run that is and since when.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

PID_TAG = "stateofml/pid"
HOST_TAG = "stateofml/host"
# The process's start time (clock ticks since boot): a pid reused by a later process is not the run's.
PROCESS_START_TAG = "stateofml/process_start"

UNFINISHED = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


def _process_start(pid: int) -> str | None:
    """Start time of a live process, or None when there is none (Linux /proc; elsewhere "" if alive)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc: existence only
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return ""
    # Field 22; the command name (field 2, in parentheses) may hold spaces.
    return stat.rpartition(")")[2].split()[19]


def process_tags() -> dict[str, str]:
    """Tags naming this process: a later command can tell whether the run's process still lives."""
    return {
        PID_TAG: str(os.getpid()),
        HOST_TAG: socket.gethostname(),
        PROCESS_START_TAG: _process_start(os.getpid()) or "",
    }


def process_alive(tags: Mapping[str, str]) -> bool | None:
    """Whether the process a run's tags name still runs; None when that cannot be told here (a run
    without these tags, such as one launched from the UI, or a process on another host)."""
    if PID_TAG not in tags or tags.get(HOST_TAG) != socket.gethostname():
        return None
    started = _process_start(int(tags[PID_TAG]))
    if started is None:
        return False
    recorded = tags.get(PROCESS_START_TAG)
    return not (recorded and started and recorded != started)


@dataclass(frozen=True)
class Holder:
    """A run that holds a slot of the pool."""

    run_id: str
    job_name: str
    step_key: str
    started: datetime | None
    where: str  # "pid 123 on host h", "no process recorded: ...", or "run deleted" (see _where)

    def describe(self) -> str:
        since = f", started {self.started:%Y-%m-%d %H:%M:%S} UTC" if self.started else ""
        return f"run {self.run_id[:8]} ({self.job_name}, step {self.step_key}, {self.where}{since})"


def _where(tags: Mapping[str, str]) -> str:
    if PID_TAG in tags:
        return f"pid {tags[PID_TAG]} on host {tags.get(HOST_TAG, '?')}"
    return "no process recorded: launched from the UI or a schedule"


def pool_holders(instance: dg.DagsterInstance, pool: str, *, other_than: str | None = None) -> list[Holder]:
    """The runs holding a slot of ``pool`` (all but ``other_than``)."""
    holders = []
    for run_id, step_key in _held(instance, pool):
        if run_id == other_than:
            continue
        record = instance.get_run_record_by_id(run_id)
        if record is None:
            holders.append(Holder(run_id, "?", step_key, None, "run deleted"))
            continue
        run = record.dagster_run
        started = datetime.fromtimestamp(record.start_time, tz=timezone.utc) if record.start_time else None
        holders.append(Holder(run.run_id, run.job_name, step_key, started, _where(run.tags)))
    return holders


def _held(instance: dg.DagsterInstance, pool: str) -> list[tuple[str, str]]:
    """(run id, step key) of the slots of ``pool`` taken: claimed, or assigned to a waiting step that
    has not claimed it yet (a freed slot goes to the next in line at once)."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    held = [(s.run_id, s.step_key) for s in info.claimed_slots]
    held += [(p.run_id, p.step_key) for p in info.pending_steps if p.assigned_timestamp is not None]
    return sorted(set(held))


def pool_is_free(instance: dg.DagsterInstance, pool: str, *, for_run: str | None = None) -> bool:
    """A slot of ``pool`` is free (no limit configured counts as free), or ``for_run`` holds one."""
    limit = instance.event_log_storage.get_concurrency_info(pool).limit
    if limit is None:
        return True
    held = _held(instance, pool)
    return any(run_id == for_run for run_id, _ in held) or len(held) < limit


def waiting_in_pool(instance: dg.DagsterInstance, pool: str, run_id: str) -> bool:
    """Whether a step of ``run_id`` waits for a slot of ``pool``."""
    info = instance.event_log_storage.get_concurrency_info(pool)
    return any(p.run_id == run_id and p.assigned_timestamp is None for p in info.pending_steps)


def release_dead_runs(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """Free the slots of ``pool`` that no live process can be using, and mark unfinished runs whose
    process is gone failed. Returns one line per run released."""
    released = []
    info = instance.event_log_storage.get_concurrency_info(pool)
    run_ids = {s.run_id for s in info.claimed_slots} | {p.run_id for p in info.pending_steps}
    # Unfinished runs of a process of this host that is gone, also those holding no slot (yet):
    # they would stay STARTED for ever.
    run_ids |= {r.run_id for r in instance.get_runs(filters=dg.RunsFilter(statuses=list(UNFINISHED),
                                                                          tags={HOST_TAG: socket.gethostname()}))}
    for run_id in sorted(run_ids):
        run = instance.get_run_by_id(run_id)
        if run is None:
            reason = "its run was deleted"
        elif run.is_finished:
            reason = f"the run had already ended ({run.status.value})"
        elif process_alive(run.tags) is False:
            reason = f"its process ({_where(run.tags)}) is gone"
            instance.report_run_failed(
                run, message=f"The process that executed this run ({_where(run.tags)}) is gone (killed?); "
                "marked failed, and its pool slots freed, by a later stateofml command.",
            )
        else:
            continue
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        released.append(f"run {run_id[:8]} ({run.job_name if run else '?'}) released: {reason}")
    return released


def abandon_run(instance: dg.DagsterInstance, run_id: str, reason: str) -> None:
    """Mark a run of this process failed and free its slots: it is being stopped from outside Dagster."""
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        instance.report_run_failed(run, message=f"Stopped: {reason}")
    instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def descendants(pid: int) -> Iterator[int]:
    """Child processes of ``pid`` and theirs, depth first (Linux /proc; none found elsewhere)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            yield from descendants(child)
            yield child


def stop_processes(pids: list[int], grace_seconds: float = 10.0) -> None:
    """Terminate ``pids``, then kill those still there after the grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace_seconds
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if _process_start(p) is not None and not _zombie(p)]
            time.sleep(0.1)
        if not pids:
            return


def stop_child_processes(grace_seconds: float = 10.0) -> None:
    """Terminate this process's children (dbt), then kill those still there after the grace period:
    the process is about to end, and an orphaned dbt would go on writing the warehouse."""
    stop_processes(list(descendants(os.getpid())), grace_seconds)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True

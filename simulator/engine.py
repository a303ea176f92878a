"""Drive the simulation over a date range: profiles, then day after day (optionally in 2 processes)."""

from __future__ import annotations

import gc
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from stateofml.contract import SIMULATIONS_FILE, write_parquet
from stateofml.quarters import Quarter

from .activity import DayGenerator, DayResult
from .world import (
    DAY_US, EPOCH_US, INDUSTRIES, KIND_REGISTERED, PROFESSIONS, COUNTRIES, Population, build_population, day_date,
    day_index, target_runs,
)

TS = pa.timestamp("us", tz="UTC")
CHUNK_DAYS = 8  # days in a row per worker (contiguous days keep its script-version cache warm)
# Two processes pay ~1-2 s to start; below this much work one process is as fast.
PARALLEL_FROM_RUNS = 3_000_000
PARALLEL_FROM_DAYS = 120


@dataclass
class SimulationSummary:
    """What ``simulate`` wrote. Row counts per entity; runs and active users also per quarter."""

    landing: Path
    start: date
    end: date
    scale: float
    seed: int
    users: int = 0  # profile rows written (all versions dated before `end`)
    profiles: int = 0  # distinct users among them
    runs: int = 0  # distinct runs created in [start, end)
    run_rows: int = 0  # rows written (a few runs also have an older version)
    sweeps: int = 0
    artifacts: int = 0
    code_blobs: int = 0
    active_users: int = 0  # distinct user_ids with a run, sweep or artifact in [start, end)
    runs_per_quarter: dict[str, int] = field(default_factory=dict)
    active_users_per_quarter: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    workers: int = 1

    @property
    def counts(self) -> dict[str, int]:
        """Rows written per entity (the contract's entity names)."""
        return {"users": self.users, "runs": self.run_rows, "sweeps": self.sweeps, "artifacts": self.artifacts,
                "code_blobs": self.code_blobs}


# -- profiles ----------------------------------------------------------------------------------------
def write_users(landing: Path, pop: Population, end_day: int) -> tuple[int, int]:
    """Every profile version written before ``end_day``, one file per ``updated_at`` date.

    Profiles are a snapshot, not quarterly: a user active in the window may have signed up years
    before it, so all versions up to ``end`` are written (identical content on every rerun).
    """
    end_us = EPOCH_US + end_day * DAY_US
    reg = np.flatnonzero((pop.kind == KIND_REGISTERED) & (pop.signup_us < end_us))
    v2 = reg[(pop.v2_us[reg] >= 0) & (pop.v2_us[reg] < end_us)]
    who = np.concatenate([reg, v2])
    is_v2 = np.concatenate([np.zeros(len(reg), bool), np.ones(len(v2), bool)])
    updated = np.where(is_v2, pop.v2_us[who], pop.signup_us[who])
    prof = np.where(is_v2, pop.v2_profession[who], pop.profession[who]).astype(np.int64)
    country = np.where(is_v2, pop.v2_country[who], pop.country[who]).astype(np.int64)
    industry = np.where(prof == PROFESSIONS.index("corporate"), pop.industry[who], -1).astype(np.int64)
    order = np.lexsort((who, updated))
    who, updated, prof, country, industry = who[order], updated[order], prof[order], country[order], industry[order]

    def names(values, vocab):
        return pa.array(np.asarray(list(vocab), dtype=object)[np.maximum(values, 0)], pa.string(), mask=values < 0)

    table = pa.table({
        "user_id": pop.user_id.take(pa.array(who)),
        "signup_at": pa.array(pop.signup_us[who]).cast(TS),
        "country_code": names(country, COUNTRIES),
        "profession": names(prof, PROFESSIONS),
        "industry": names(industry, INDUSTRIES),
        "updated_at": pa.array(updated).cast(TS),
    })
    days = (updated - EPOCH_US) // DAY_US
    uniq, first = np.unique(days, return_index=True)
    bounds = list(first) + [len(days)]
    written = set()
    for i, d in enumerate(uniq.tolist()):
        chunk = table.slice(bounds[i], bounds[i + 1] - bounds[i])
        write_parquet(landing, "users", day_date(d), chunk, name="sim-users.parquet")
        written.add(day_date(d).isoformat())
    root = Path(landing) / "users"
    for folder in root.glob("date=*"):  # our stale files (another scale/seed before)
        if folder.name[5:] not in written and folder.name[5:] < day_date(end_day).isoformat():
            stale = folder / "sim-users.parquet"
            if stale.exists():
                stale.unlink()
    return table.num_rows, len(reg)


# Memory model of one generating process (measured at scale 1: ~385k people, days of ~390k runs):
# the interpreter with numpy/pyarrow, the population, and one batch of runs being built and written.
BASE_MB, MB_PER_PERSON, BATCH_MB = 150, 0.0005, 220
MEMORY_BUDGET_MB = 1900


def auto_workers(days: list[int], scale: float, people: int) -> int:
    """2 processes when the work is big enough to pay their start-up and 3 populations fit in memory."""
    expected = sum(target_runs(d, scale) for d in days)
    if (os.cpu_count() or 1) < 2 or (expected < PARALLEL_FROM_RUNS and len(days) < PARALLEL_FROM_DAYS):
        return 1
    per_process = BASE_MB + MB_PER_PERSON * people + BATCH_MB
    parent = BASE_MB + 64  # after it dropped its population: counters only
    return 2 if parent + 2 * per_process <= MEMORY_BUDGET_MB else 1


# -- workers -----------------------------------------------------------------------------------------
# Parallel days run in plain subprocesses (`python -c ...`), not multiprocessing: nothing of the
# caller's __main__ is re-imported (no `if __name__ == "__main__"` guard needed) and no fork of a
# threaded host process (Dagster, pytest, Arrow thread pools) happens.
_WORKER_CMD = "from simulator.engine import _worker_main; _worker_main()"


def _worker_main() -> None:
    """Subprocess entry: read a job (JSON) on stdin, write one JSON line per generated day."""
    import base64
    import json
    import sys

    job = json.loads(sys.stdin.read())
    gen = DayGenerator(build_population(job["seed"], job["scale"], job["end_day"]), Path(job["landing"]))
    out = sys.stdout
    for d in job["days"]:
        r = gen.generate(d)
        rec = {k: getattr(r, k) for k in ("day", "runs", "run_rows", "sweeps", "artifacts", "code_blobs")}
        rec["active"] = base64.b64encode(r.active.astype(np.int32).tobytes()).decode()
        out.write(json.dumps(rec) + "\n")
        out.flush()


def _run_parallel(days: list[int], workers: int, seed: int, scale: float, end_day: int, landing: Path, collect) -> None:
    import selectors

    import stateofml

    paths = {str(Path(__file__).resolve().parent.parent), str(Path(stateofml.__file__).resolve().parent.parent)}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*paths, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    chunks = [days[i:i + CHUNK_DAYS] for i in range(0, len(days), CHUNK_DAYS)]
    procs = []
    sel = selectors.DefaultSelector()
    try:
        for w in range(workers):
            mine = [d for c in chunks[w::workers] for d in c]  # interleaved: every worker gets early and late days
            if not mine:
                continue
            p, err = _start_worker(env, {"seed": seed, "scale": scale, "end_day": end_day, "landing": str(landing),
                                         "days": mine})
            procs.append((p, err))
            sel.register(p.stdout, selectors.EVENT_READ, data=[b""])
        _read_day_results(sel, len(procs), collect)
        for p, err in procs:
            if p.wait() != 0:
                err.seek(0)
                tail = err.read().decode(errors="replace")[-4000:]
                raise RuntimeError(f"simulator worker failed (exit {p.returncode}):\n{tail}")
    finally:
        for p, err in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            err.close()
        sel.close()


def _start_worker(env: dict, job: dict):
    """A worker process given its job on stdin; its stderr goes to a temporary file (read if it fails)."""
    import json
    import subprocess
    import sys
    import tempfile

    err = tempfile.TemporaryFile()
    try:
        p = subprocess.Popen([sys.executable, "-c", _WORKER_CMD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=err, env=env)
    except BaseException:
        err.close()
        raise
    try:
        p.stdin.write(json.dumps(job).encode())
        p.stdin.close()
    except BaseException:  # the worker died before reading its job: not yet in the caller's list to clean up
        p.kill()
        p.wait()
        p.stdout.close()
        err.close()
        raise
    return p, err


def _read_day_results(sel, open_streams: int, collect) -> None:
    """Hand every day result the workers print (one JSON line each) to ``collect`` until every stream closes."""
    import base64
    import json

    while open_streams:
        for key, _ in sel.select():
            chunk = os.read(key.fileobj.fileno(), 1 << 20)
            if not chunk:
                sel.unregister(key.fileobj)
                open_streams -= 1
                continue
            buf = key.data[0] + chunk
            *lines, key.data[0] = buf.split(b"\n")
            for line in lines:
                rec = json.loads(line)
                active = np.frombuffer(base64.b64decode(rec.pop("active")), dtype=np.int32).astype(np.int64)
                collect(DayResult(active=active, **rec))


class _Tally:
    """Adds each day's result to the summary: counts, and who was active overall and per quarter."""

    def __init__(self, summary: SimulationSummary, n_people: int, bar) -> None:
        self.summary, self.n_people, self.bar = summary, n_people, bar
        self.seen_all = np.zeros(n_people, dtype=bool)
        self.seen_q: dict[str, np.ndarray] = {}

    def __call__(self, r: DayResult) -> None:
        summary = self.summary
        summary.runs += r.runs
        summary.run_rows += r.run_rows
        summary.sweeps += r.sweeps
        summary.artifacts += r.artifacts
        summary.code_blobs += r.code_blobs
        q = Quarter.containing(day_date(r.day)).compact
        summary.runs_per_quarter[q] = summary.runs_per_quarter.get(q, 0) + r.runs
        self.seen_all[r.active] = True
        self.seen_q.setdefault(q, np.zeros(self.n_people, dtype=bool))[r.active] = True
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(runs=f"{summary.runs:,}", refresh=False)

    def finish(self) -> None:
        summary = self.summary
        summary.active_users = int(self.seen_all.sum())
        summary.active_users_per_quarter = {q: int(v.sum()) for q, v in sorted(self.seen_q.items())}
        summary.runs_per_quarter = dict(sorted(summary.runs_per_quarter.items()))


def simulate(
    landing: Path | str,
    start: date,
    end: date,
    scale: float = 0.001,
    seed: int = 42,
    progress: bool = False,
    *,
    workers: int | None = None,
) -> SimulationSummary:
    """Write simulated activity with event dates in [start, end) into ``landing``.

    Deterministic: the same (start, end, scale, seed) writes the same rows to the same files
    (``sim-NNN.parquet``), whatever ``workers`` is. Days are independent, so simulating a range
    at once or quarter by quarter gives the same data. ``workers`` defaults to 2 processes when
    the range is large (months, or millions of runs), else 1.
    """
    t0 = time.time()
    landing = Path(landing)
    if scale <= 0:
        raise ValueError("scale must be positive")
    d0, d1 = day_index(start), day_index(end)
    if d0 < 0:
        raise ValueError(f"start {start} is before the platform existed ({day_date(0)})")
    if d1 <= d0:
        raise ValueError(f"empty range: start {start} >= end {end}")
    summary = SimulationSummary(landing=landing, start=start, end=end, scale=scale, seed=seed)
    pop = build_population(seed, scale, d1)
    summary.users, summary.profiles = write_users(landing, pop, d1)

    days = list(range(d0, d1))
    if workers is None:
        workers = auto_workers(days, scale, pop.n)
    summary.workers = workers
    n_people = pop.n
    if workers > 1:
        del pop  # the workers build their own; the parent keeps only counters (bounded memory)
        gc.collect()

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(days), unit="day", desc=f"simulate {start}..{end}")
    collect = _Tally(summary, n_people, bar)

    try:
        if workers <= 1:
            gen = DayGenerator(pop, landing)
            for d in days:
                collect(gen.generate(d))
        else:
            _run_parallel(days, workers, seed, scale, d1, landing, collect)
    finally:
        if bar is not None:
            bar.close()
    collect.finish()
    summary.seconds = round(time.time() - t0, 2)
    record_simulation(landing, summary)
    return summary


def record_simulation(landing: Path, summary: SimulationSummary) -> None:
    path = landing / SIMULATIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"start": summary.start.isoformat(), "end": summary.end.isoformat(), "scale": summary.scale,
             "seed": summary.seed}
    records = json.loads(path.read_text())["simulations"] if path.exists() else []
    records = [r for r in records if r != entry] + [entry]
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"simulations": records}, indent=1))
    tmp.replace(path)


__all__ = ["simulate", "SimulationSummary", "write_users"]

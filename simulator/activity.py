"""One day of activity: runs, sweeps, artifacts and the code blobs first seen that day.

The unit of work is a *user-day*: an active user works on one script (the "focus" script, usually
their newest) on one machine. Per user-day: the script version, the code hash, telemetry, machine,
and how many runs; per run (vectorised): ids, times, state, runtime, sweep, media, artifacts.

Code blobs are written once per content hash, on the day of the first run that saved it: a
version is first seen on day ``d`` when no earlier day of the same version had a run that saved
code. Because activity, focus script and code saving are pure functions of (seed, user, day)
(see ``world.Population``), that question is answered by looking back at most one version length
(at most 18 days) without any state, so days can be generated in any order or process. Versions also
start afresh on the first day of each quarter, so the runs of a quarter only reference blobs of
that quarter: simulating (or loading) one quarter alone leaves no dangling code hash.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from stateofml.contract import ENTITIES, partition_dir, write_parquet
from stateofml.quarters import Quarter

from . import hardware
from .code import ODD_PY2, ODD_SYNTAX, Version, file_name, project_name, render, sha256_hex
from .libraries import LIB_NAMES, presence, telemetry_numbers
from .randomness import base36, day_rng, hash64, permute40, uniform
from .world import (
    DAY_US, EPOCH_US, GROUP_SHARE, KIND_ANON, WEEKDAY_FACTOR, weekday, MAX_SCRIPTS, SWEEP_BOOST, T_AUDIO, T_GEN, T_GRAPH, T_MOL, T_NLP,
    T_RL, T_TABULAR, T_TS, T_VISION, RUNTIME_SIGMA, Population, day_date, day_index, stack_run_mult,
    stack_runtime_median, target_runs, yf_of_day,
)

TS = pa.timestamp("us", tz="UTC")
MAX_BATCH_RUNS = 250_000  # runs per file: bounds memory whatever the scale
BLOB_BATCH = 20_000  # code blobs per file
ODD_PY2_P, ODD_SYNTAX_P = 0.002, 0.001  # Python 2 prints / a syntax error: rare but real

# Run outcome (the contract's states). A few runs are left "running" (no heartbeat since).
STATES = ("finished", "failed", "crashed", "killed", "running")
STATE_P = np.array([0.862, 0.052, 0.046, 0.035, 0.005])
DUPLICATE_P = 0.001  # an older "running" version of the run was exported too (newest wins)
ARTIFACTS_PER_RUN = 0.07
ARTIFACT_TYPES = ("model", "dataset", "run_table", "code", "evaluation", "predictions", "raw_data")
ARTIFACT_TYPE_P = np.array([0.42, 0.20, 0.14, 0.10, 0.06, 0.05, 0.03])
ARTIFACT_SIZE_MEDIAN = np.array([80e6, 300e6, 200e3, 30e3, 1e6, 5e6, 1e9])  # bytes
SWEEP_METHODS = ("bayes", "random", "grid")
SWEEP_METHOD_P = np.array([0.45, 0.35, 0.20])
IN_SWEEP_P = 0.85  # share of a sweep day's runs launched by the sweep agent

# Media types logged, by task: (types, weight). Boosted trees and sklearn mostly log scalars.
MEDIA = {
    T_VISION: ((("image",), .30), (("image", "histogram"), .15), (("image", "table"), .15), (("histogram",), .05),
               (("object3D",), .02), ((), .33)),
    T_NLP: ((("table",), .30), (("html",), .08), (("html", "table"), .07), ((), .55)),
    T_TABULAR: ((("table",), .22), (("plotly",), .04), ((), .74)),
    T_AUDIO: ((("audio",), .35), (("audio", "image"), .20), ((), .45)),
    T_RL: ((("video",), .35), (("histogram",), .10), ((), .55)),
    T_GEN: ((("image",), .55), (("image", "video"), .08), (("image", "table"), .12), ((), .25)),
    T_GRAPH: ((("table",), .20), ((), .80)),
    T_MOL: ((("molecule",), .35), (("molecule", "table"), .15), (("object3D",), .08), ((), .42)),
    T_TS: ((("table",), .20), (("plotly",), .10), ((), .70)),
}
_MEDIA_CDF = {t: (np.cumsum([w for _, w in opts]) / sum(w for _, w in opts), [list(m) for m, _ in opts])
              for t, opts in MEDIA.items()}

# salts of the counter-based hashes (one per question asked)
_SWEEPDAY, _STYLE, _VSEED, _ODD, _PROGRAM, _TAG = 14, 40, 41, 42, 43, 44
_RUN_KEY, _SWEEP_KEY, _ART_KEY = 0x5EED01, 0x5EED02, 0x5EED03
_STATES = pa.array(STATES, pa.string())


@dataclass
class DayResult:
    day: int
    runs: int = 0
    run_rows: int = 0
    sweeps: int = 0
    artifacts: int = 0
    code_blobs: int = 0
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # population indices


class DayGenerator:
    """Generates and writes days; keeps a small cache of script versions between days."""

    def __init__(self, pop: Population, landing: Path):
        self.pop = pop
        self.seed = pop.seed
        self.scale = pop.scale
        self.landing = Path(landing)
        # script uid -> (version, code hash, telemetry numbers, last day used)
        self._cache: dict[int, tuple[int, str, tuple[int, ...], int]] = {}
        self.cpu: dict[str, float] = {}  # CPU seconds per section (for performance reports)
        self._mark = 0.0

    def _lap(self, section: str) -> None:
        now = time.process_time()
        if section:
            self.cpu[section] = self.cpu.get(section, 0.0) + now - self._mark
        self._mark = now

    # -- versions ------------------------------------------------------------------------------------
    def _versions(self, users, slots, version, vstart, libs) -> list[Version]:
        """Everything the text of these script versions depends on (vectorised where it counts)."""
        pop, seed = self.pop, self.seed
        uid = users * MAX_SCRIPTS + slots
        tags = base36(permute40(uid * 4096 + version % 4096, seed ^ _TAG)).to_pylist()
        style = (hash64(seed, _STYLE, uid) >> np.uint64(20)).tolist()
        vseed = (hash64(seed, _VSEED, uid, version) >> np.uint64(20)).tolist()
        odd_u = uniform(seed, _ODD, uid, version)
        odd = np.where(odd_u < ODD_PY2_P, ODD_PY2, np.where(odd_u < ODD_PY2_P + ODD_SYNTAX_P, ODD_SYNTAX, 0)).tolist()
        yfs = yf_of_day(vstart).tolist()
        task = pop.script_task[users, slots].tolist()
        stack = pop.script_stack[users, slots].tolist()
        nb = pop.script_nb[users, slots].tolist()
        proj_choice = pop.script_project[users, slots].tolist()
        name_choice = pop.script_name[users, slots].tolist()
        kind0 = pop.machine_kind[users, 0].tolist()
        lib_rows = [tuple(LIB_NAMES[j] for j in np.flatnonzero(row)) for row in libs]
        out = []
        for i, u in enumerate(users.tolist()):
            name = pop.username(u)
            k0 = hardware.MACHINE_KINDS[kind0[i]]
            home = {"colab": "/content", "kaggle": "/kaggle/working", "mac": f"/Users/{name}"}.get(k0, f"/home/{name}")
            if k0 == "laptop" and u % 3 == 0:
                home = f"C:/Users/{name}"
            project = project_name(task[i], proj_choice[i])
            out.append(Version(
                tag=tags[i], username=name, home=home, project=project,
                path=file_name(task[i], nb[i], name_choice[i], project), stack=stack[i], task=task[i], notebook=nb[i],
                libs=lib_rows[i], style=style[i], vseed=vseed[i], odd=odd[i], yf=yfs[i],
            ))
        return out

    def _first_seen(self, users, slots, vstart, saves, d) -> np.ndarray:
        """True where day ``d`` is the first day a run saved this script version."""
        pop = self.pop
        first = saves.copy()
        span = d - vstart
        for back in range(1, int(span.max(initial=0)) + 1):
            sel = np.flatnonzero(first & (span >= back))
            if len(sel) == 0:
                break
            u = users[sel]
            dd = np.full(len(sel), d - back)
            used = pop.is_active(u, dd) & (pop.focus_slot(u, dd) == slots[sel]) & pop.saves_code(u, dd)
            first[sel[used]] = False
        return first

    # -- the day -------------------------------------------------------------------------------------
    def generate(self, d: int) -> DayResult:
        """Generate and write day ``d`` (a day index); return what was written."""
        pop = self.pop
        day = day_date(d)
        res = DayResult(day=d)
        cand = pop.candidates(d)
        act = cand[pop.is_active(cand, d)]
        res.active = act[pop.kind[act] != KIND_ANON]
        self._lap("")
        ud = self._user_days(d, cand, act[pop.act_type[act] == 0])
        self._lap("user-days")
        blobs = self._code(ud)
        self._lap("code")
        cols = self._user_day_columns(ud)
        self._lap("ud-strings")
        written: dict[str, list[str]] = {"runs": []}
        art_tables = self._runs(ud, cols, res, written)
        self._lap("runs")
        sweeps = self._sweeps(ud, cols, act[pop.act_type[act] == 2])
        art_tables += self._artifact_only(ud, act[pop.act_type[act] == 1], art_base=res.artifacts)
        if len(sweeps):
            res.sweeps = sweeps.num_rows
            written["sweeps"] = [write_parquet(self.landing, "sweeps", day, sweeps, name="sim-000.parquet").name]
        if art_tables:
            t = pa.concat_tables(art_tables)
            res.artifacts = t.num_rows
            written["artifacts"] = [write_parquet(self.landing, "artifacts", day, t, name="sim-000.parquet").name]
        self._lap("sweeps+artifacts")
        written["code_blobs"] = self._write_blobs(ud, blobs)
        res.code_blobs = len(blobs)
        self._remove_stale(day, written)
        self._lap("blobs")
        return res

    def _user_days(self, d: int, cand: np.ndarray, runners: np.ndarray) -> "_UserDays":
        """Who runs today, on which script version and machine, and how many runs."""
        pop, seed = self.pop, self.seed
        n = len(runners)
        day = day_date(d)
        yf = float(yf_of_day(d))
        days = np.full(n, d)
        slots = pop.focus_slot(runners, days) if n else np.zeros(0, dtype=np.int64)
        stack = pop.script_stack[runners, slots].astype(np.int64)
        birth = pop.script_birth[runners, slots].astype(np.int64)
        elen = pop.script_epoch[runners, slots].astype(np.int64)
        # A script gets a new version every `elen` days, and always at the start of a quarter, so a
        # quarter's runs only reference code first saved in that quarter (a quarter is self-contained).
        q = Quarter.containing(day)
        base = np.maximum(birth, day_index(q.start))
        epoch = (d - base) // elen
        u = _UserDays(
            d=d, day_us=EPOCH_US + d * DAY_US, yf=yf, users=runners, slots=slots, stack=stack,
            task=pop.script_task[runners, slots].astype(np.int64), nb=pop.script_nb[runners, slots],
            vstart=base + epoch * elen, version=((q.year - 2018) * 4 + q.q - 1) * 64 + epoch,
            saves=pop.saves_code(runners, days) if n else np.zeros(0, dtype=bool),
            sweep_day=uniform(seed, _SWEEPDAY, runners, d) < pop.sweep_p[runners],
            mach=hardware.machines(pop, runners, d, stack, pop.script_nb[runners, slots]),
            rng=day_rng(seed, self.scale, d, stream=1),
        )
        u.lo = self._lower_bound(runners, u.day_us)
        weight = pop.weight[runners] * stack_run_mult(stack, yf) * np.where(u.sweep_day, SWEEP_BOOST, 1.0) * u.mach.runs_factor
        # Runs per user-day: 1 + Poisson(weight x factor). The factor spreads the day's target over the
        # *expected* weight of everyone who could be active today (not just those who are), so a
        # heavy user's busy day adds runs instead of taking them from others: daily totals wobble at
        # small scales, quarterly totals hold.
        lam = np.zeros(n)
        target = target_runs(d, self.scale)
        c_run = cand[pop.act_type[cand] == 0]
        c_p = np.minimum(pop.p_active[c_run] * WEEKDAY_FACTOR[weekday(d)] ** 2, 1.0)
        c_stack = pop.script_stack[c_run, pop.focus_slot(c_run, np.full(len(c_run), d))].astype(np.int64)
        c_w = pop.weight[c_run] * stack_run_mult(c_stack, yf) * (1.0 + pop.sweep_p[c_run] * (SWEEP_BOOST - 1.0))
        anon = pop.kind[runners] == KIND_ANON
        c_anon = pop.kind[c_run] == KIND_ANON
        for sel, c_sel, share in ((~anon, ~c_anon, GROUP_SHARE["account"]), (anon, c_anon, GROUP_SHARE["anonymous"])):
            if sel.any():
                expected_w = float((c_p[c_sel] * c_w[c_sel]).sum())
                extra = max(target * share - float(c_p[c_sel].sum()), 0.0)
                lam[sel] = weight[sel] * extra / max(expected_w, float(weight[sel].sum()) * 0.25)
        u.counts = 1 + u.rng.poisson(lam)
        return u

    def _lower_bound(self, users: np.ndarray, day_us: int) -> np.ndarray:
        """Earliest moment of the day (offset) for each user: a minute after sign-up on their first day."""
        off = self.pop.signup_us[users] - day_us + 60_000_000
        return np.clip(off, 0, DAY_US - 3_600_000_000)

    def _code(self, u: "_UserDays") -> list[tuple[int, str, str, str]]:
        """Code hash and telemetry of each user-day's script version; the blobs first saved today."""
        n = len(u.users)
        uids = u.users * MAX_SCRIPTS + u.slots
        first = self._first_seen(u.users, u.slots, u.vstart, u.saves, u.d) if n else u.saves
        libs = presence(self.seed, u.users, u.stack, u.task, u.vstart) if n else np.zeros((0, len(LIB_NAMES)), bool)
        u.hashes = [None] * n
        u.telemetry = [()] * n
        blobs: list[tuple[int, str, str, str]] = []  # (user-day, hash, path, source)
        cache = self._cache
        versions = u.version.tolist()
        uid_l = uids.tolist()
        need = [i for i in range(n) if first[i] or (cache.get(uid_l[i]) or (-1,))[0] != versions[i]]
        if need:
            nd = np.asarray(need)
            for i, v in zip(need, self._versions(u.users[nd], u.slots[nd], u.version[nd], u.vstart[nd], libs[nd])):
                source, mods = render(v)
                h = sha256_hex(source)
                cache[uid_l[i]] = (versions[i], h, tuple(telemetry_numbers(mods)), u.d)
                if first[i]:
                    blobs.append((i, h, v.path, source))
        for i in range(n):
            ver, h, tel, _ = cache[uid_l[i]]
            cache[uid_l[i]] = (ver, h, tel, u.d)
            u.telemetry[i] = tel
            if u.saves[i]:
                u.hashes[i] = h
        if u.d % 16 == 0:  # forget scripts nobody touched for 40 days
            self._cache = {k: v for k, v in cache.items() if v[3] >= u.d - 40}
        return blobs

    def _user_day_columns(self, u: "_UserDays") -> dict[str, pa.Array]:
        """Run columns that are constant within a user-day, one row per user-day."""
        pop, mach = self.pop, u.mach
        n = len(u.users)
        program, project = [], []
        prog_u = uniform(self.seed, _PROGRAM, u.users * MAX_SCRIPTS + u.slots)
        for i in range(n):
            usr, k, t = int(u.users[i]), int(u.slots[i]), int(u.task[i])
            proj = project_name(t, int(pop.script_project[usr, k]))
            project.append(proj)
            path = file_name(t, bool(u.nb[i]), int(pop.script_name[usr, k]), proj)
            program.append("<python with no main file>" if u.nb[i] and prog_u[i] < 0.35 else path)
        tel_full = [list(t) if ok else None for t, ok in zip(u.telemetry, mach.telemetry.tolist())]
        # a minority of runs report fewer imports (e.g. seen at init only): the partial variant
        tel_part = [t[:-1] if (t is not None and len(t) > 1) else t for t in tel_full]
        media_u = uniform(self.seed, 45, u.users * MAX_SCRIPTS + u.slots, u.version)
        media = []
        for i in range(n):
            cdf, opts = _MEDIA_CDF[int(u.task[i])]
            media.append(opts[min(int(np.searchsorted(cdf, media_u[i], side="right")), len(opts) - 1)])
        new_fmt = mach.new_format
        apple = mach.apple_chip >= 0
        return {
            "user_id": pop.user_id.take(pa.array(u.users)) if n else pa.array([], pa.string()),
            "project": pa.array(project, pa.string()),
            "program": pa.array(program, pa.string()),
            "os": pa.array(mach.os, pa.string()),
            "python_version": pa.array(mach.py, pa.string()),
            "host": pa.array(mach.host, pa.string()),
            "cpu_count": pa.array(mach.cpu_count, pa.int32()),
            "memory_total_gb": pa.array(mach.memory_gb, pa.float64()),
            "gpu": mach.gpu_strings(),
            "gpu_count": pa.array(mach.gpu_count.astype(np.int32), pa.int32(), mask=mach.gpu_count == 0),
            "gpu_architecture": mach.arch_strings(),
            "gpu_apple": pa.array(np.ones(n, bool), pa.bool_(), mask=~(apple & ~new_fmt)),
            "tpu": pa.array([("" if not nf else hardware.TPU_VERSIONS[t][0]) if t >= 0 else None
                             for t, nf in zip(mach.tpu.tolist(), new_fmt.tolist())], pa.string()),
            "ipu_count": pa.array(mach.ipu_count.astype(np.int32), pa.int32(), mask=mach.ipu_count == 0),
            "code_hash": pa.array(u.hashes, pa.string()),
            "client_version": pa.array([hardware.RELEASE_NAMES[c] for c in mach.client.tolist()], pa.string()),
            "telemetry_env": pa.array(hardware.env_flags(mach, u.stack, u.nb), pa.list_(pa.int32())),
            # list columns with per-run variants: rows [user-days..., variants...] / [user-days..., empty]
            "_telemetry_variants": pa.array(tel_full + tel_part, pa.list_(pa.int32())),
            "_media_variants": pa.array(media + [[]], pa.list_(pa.string())),
        }

    def _runs(self, u: "_UserDays", ud: dict[str, pa.Array], res: DayResult, written: dict) -> list[pa.Table]:
        """Write the day's runs in files of at most MAX_BATCH_RUNS rows; return their artifacts."""
        seed, d, day_us = self.seed, u.d, u.day_us
        n_ud = len(u.users)
        rt_median = stack_runtime_median(u.stack, u.yf) * u.mach.runtime_factor
        ud_noise = u.rng.lognormal(0.0, 0.5, n_ud)  # some user-days run longer jobs than others
        u.n_sweeps = np.where(u.sweep_day, 1 + u.rng.poisson(0.25, n_ud), 0)
        u.sweep_base = np.concatenate([[0], np.cumsum(u.n_sweeps)])
        n_sw = int(u.sweep_base[-1])
        u.sweep_first = np.full(n_sw, np.iinfo(np.int64).max)  # first run of each sweep
        u.first_at = np.full(n_ud, np.iinfo(np.int64).max)  # first run of each user-day (first_seen_at)
        sweep_ids = base36(permute40((np.int64(d) << 28) | np.arange(n_sw, dtype=np.int64), seed ^ _SWEEP_KEY))
        art_tables: list[pa.Table] = []
        seq_base = art_base = 0
        for b, (a, z) in enumerate(_batches(u.counts, MAX_BATCH_RUNS)):
            brng = day_rng(seed, self.scale, d, stream=2, batch=b)
            ix = np.repeat(np.arange(a, z), u.counts[a:z])
            n = len(ix)
            created = u.lo[ix] + (brng.random(n) * (DAY_US - u.lo[ix])).astype(np.int64)
            order = np.argsort(created, kind="stable")
            ix, created = ix[order], created[order]
            np.minimum.at(u.first_at, ix, created)
            seq = seq_base + np.arange(n, dtype=np.int64)
            seq_base += n
            run_id = base36(permute40((np.int64(d) << 28) | seq, seed ^ _RUN_KEY))
            started, state, runtime, updated = _run_outcomes(brng, created, rt_median[ix] * ud_noise[ix])
            running = state == 4
            runtime_us = (runtime * 1e6).astype(np.int64)
            in_sweep = u.sweep_day[ix] & (brng.random(n) < IN_SWEEP_P)
            sw_seq = u.sweep_base[ix] + (brng.random(n) * np.maximum(u.n_sweeps[ix], 1)).astype(np.int64)
            np.minimum.at(u.sweep_first, sw_seq[in_sweep], created[in_sweep])
            if n_sw:
                sweep_col = pc.if_else(pa.array(in_sweep), sweep_ids.take(pa.array(np.where(in_sweep, sw_seq, 0))),
                                       pa.nulls(n, pa.string()))
            else:
                sweep_col = pa.nulls(n, pa.string())
            tel_ix = np.where(brng.random(n) < 0.08, ix + n_ud, ix)  # partial telemetry variant
            failed_early = (state != 0) & (brng.random(n) < 0.5)  # logged no media
            take = pa.array(ix)
            cols = {
                "run_id": run_id,
                "created_at": pa.array(day_us + created).cast(TS),
                "started_at": pa.array(day_us + started).cast(TS),
                "runtime_seconds": pa.array(runtime, pa.float64(), mask=running),
                "state": _STATES.take(pa.array(state)),
                "sweep_id": sweep_col,
                "telemetry_imports": ud["_telemetry_variants"].take(pa.array(tel_ix)),
                "media_types": ud["_media_variants"].take(pa.array(np.where(failed_early, n_ud, ix))),
                "updated_at": pa.array(day_us + updated).cast(TS),
            }
            for name, col in ud.items():
                if not name.startswith("_"):
                    cols[name] = col.take(take)
            table = pa.table(cols).select(ENTITIES["runs"].schema.names)
            table = _with_older_versions(brng, table, state, started, runtime_us, day_us)
            written["runs"].append(write_parquet(self.landing, "runs", u.day, table, name=f"sim-{b:03d}.parquet").name)
            res.runs += n
            res.run_rows += table.num_rows
            del table

            # artifacts logged by these runs (models, datasets, tables...)
            arts = _run_artifacts(brng, d, seed, art_base, day_us, started, runtime_us, running, cols, run_id)
            if arts is not None:
                art_base += arts.num_rows
                art_tables.append(arts)
        res.artifacts = art_base  # provisional: artifact-only users continue the numbering
        return art_tables

    def _sweeps(self, u: "_UserDays", ud: dict[str, pa.Array], sweep_only: np.ndarray) -> pa.Table:
        """Sweeps of today's sweep days (created before their first run) and of sweep-only users."""
        pop, seed, d = self.pop, self.seed, u.d
        tables = []
        n_sw = int(u.sweep_base[-1]) if len(u.users) else 0
        if n_sw:
            owner = np.repeat(np.arange(len(u.users)), u.n_sweeps)
            srng = day_rng(seed, self.scale, d, stream=3)
            no_runs = u.sweep_first == np.iinfo(np.int64).max
            lo_o = u.lo[owner]
            first_run = np.where(no_runs, lo_o + (srng.random(n_sw) * (DAY_US - lo_o)).astype(np.int64), u.sweep_first)
            # created shortly before its first run, never before the owner's sign-up
            lead = np.minimum(srng.uniform(10, 900, n_sw) * 1e6, (first_run - lo_o) * srng.uniform(0.2, 0.9, n_sw))
            tables.append(_sweeps_table(
                base36(permute40((np.int64(d) << 28) | np.arange(n_sw, dtype=np.int64), seed ^ _SWEEP_KEY)),
                ud["user_id"].take(pa.array(owner)), ud["project"].take(pa.array(owner)),
                u.day_us + first_run - lead.astype(np.int64), srng))
        if len(sweep_only):
            srng = day_rng(seed, self.scale, d, stream=4)
            lo_s = self._lower_bound(sweep_only, u.day_us)
            created = lo_s + (srng.random(len(sweep_only)) * (DAY_US - lo_s)).astype(np.int64)
            seqs = n_sw + np.arange(len(sweep_only), dtype=np.int64)
            tables.append(_sweeps_table(
                base36(permute40((np.int64(d) << 28) | seqs, seed ^ _SWEEP_KEY)),
                pop.user_id.take(pa.array(sweep_only)), pa.array(self._first_projects(sweep_only), pa.string()),
                u.day_us + created, srng))
        return pa.concat_tables(tables) if tables else pa.table({})

    def _artifact_only(self, u: "_UserDays", art_only: np.ndarray, art_base: int) -> list[pa.Table]:
        """Datasets (mostly) uploaded without a run by users who never run anything."""
        if not len(art_only):
            return []
        arng = day_rng(self.seed, self.scale, u.d, stream=5)
        owner = np.repeat(art_only, 1 + arng.poisson(1.0, len(art_only)))
        m = len(owner)
        lo = self._lower_bound(owner, u.day_us)
        created = lo + (arng.random(m) * (DAY_US - lo)).astype(np.int64)
        a_type = np.where(arng.random(m) < 0.7, 1, np.where(arng.random(m) < 0.5, 6, 0))
        return [_artifacts_table(
            u.d, self.seed, art_base + np.arange(m, dtype=np.int64), self.pop.user_id.take(pa.array(owner)),
            pa.nulls(m, pa.string()), pa.array(self._first_projects(owner), pa.string()), a_type, u.day_us + created,
            (ARTIFACT_SIZE_MEDIAN[a_type] * arng.lognormal(0, 1.5, m)).astype(np.int64))]

    def _first_projects(self, users: np.ndarray) -> list[str]:
        pop = self.pop
        return [project_name(int(pop.script_task[x, 0]), int(pop.script_project[x, 0])) for x in users.tolist()]

    def _write_blobs(self, u: "_UserDays", blobs: list[tuple[int, str, str, str]]) -> list[str]:
        """Code first saved today, first_seen_at = the first run of its user-day."""
        names = []
        for c in range(0, len(blobs), BLOB_BATCH):
            chunk = blobs[c:c + BLOB_BATCH]
            t = pa.table({
                "code_hash": pa.array([b[1] for b in chunk], pa.string()),
                "first_seen_at": pa.array(u.day_us + u.first_at[[b[0] for b in chunk]]).cast(TS),
                "path": pa.array([b[2] for b in chunk], pa.string()),
                "source": pa.array([b[3] for b in chunk], pa.large_string()).cast(pa.string()),
            })
            names.append(write_parquet(self.landing, "code_blobs", u.day, t, name=f"sim-{c // BLOB_BATCH:03d}.parquet").name)
        return names

    def _remove_stale(self, day, written: dict[str, list[str]]) -> None:
        """Delete our own files of this day that this run did not rewrite (e.g. after a scale change)."""
        for entity in ("runs", "sweeps", "artifacts", "code_blobs"):
            folder = partition_dir(self.landing, entity, day)
            try:
                names = os.listdir(folder)
            except FileNotFoundError:
                continue
            keep = set(written.get(entity, ()))
            for name in names:
                if name.startswith("sim-") and name.endswith(".parquet") and name not in keep:
                    os.unlink(folder / name)


@dataclass
class _UserDays:
    """Parallel arrays, one row per active user-day that has runs (see DayGenerator._user_days)."""

    d: int
    day_us: int
    yf: float
    users: np.ndarray
    slots: np.ndarray
    stack: np.ndarray
    task: np.ndarray
    nb: np.ndarray
    vstart: np.ndarray
    version: np.ndarray
    saves: np.ndarray
    sweep_day: np.ndarray
    mach: hardware.Machines
    rng: np.random.Generator
    lo: np.ndarray = None
    counts: np.ndarray = None
    hashes: list = None
    telemetry: list = None
    n_sweeps: np.ndarray = None
    sweep_base: np.ndarray = None
    sweep_first: np.ndarray = None
    first_at: np.ndarray = None

    @property
    def day(self) -> date:
        return day_date(self.d)


def _batches(counts: np.ndarray, max_runs: int) -> list[tuple[int, int]]:
    """Consecutive user-day ranges holding at most ``max_runs`` runs each (at least one user-day)."""
    out, a, n = [], 0, len(counts)
    cum = np.cumsum(counts)
    while a < n:
        before = cum[a - 1] if a else 0
        z = max(int(np.searchsorted(cum, before + max_runs, side="right")), a + 1)
        out.append((a, min(z, n)))
        a = z
    return out


def _artifacts_table(d, seed, seq, user_id, run_id, project, a_type, created_us, size) -> pa.Table:
    return pa.table({
        "artifact_id": base36(permute40((np.int64(d) << 28) | seq, seed ^ _ART_KEY)),
        "user_id": user_id,
        "run_id": run_id,
        "project": project,
        "type": pa.array(np.asarray(ARTIFACT_TYPES, dtype=object)[a_type].tolist(), pa.string()),
        "created_at": pa.array(created_us).cast(TS),
        "size_bytes": pa.array(size, pa.int64()),
        "updated_at": pa.array(created_us + 1_000_000).cast(TS),
    })


def _sweeps_table(ids, user_id, project, created_us, rng) -> pa.Table:
    n = len(ids)
    method = np.searchsorted(np.cumsum(SWEEP_METHOD_P), rng.random(n), side="right").clip(0, 2)
    created = pa.array(np.asarray(created_us, dtype=np.int64)).cast(TS)
    return pa.table({
        "sweep_id": ids,
        "user_id": user_id,
        "project": project,
        "created_at": created,
        "method": pa.array(np.asarray(SWEEP_METHODS, dtype=object)[method].tolist(), pa.string()),
        "updated_at": created,
    })


def _run_outcomes(brng: np.random.Generator, created: np.ndarray, median_runtime: np.ndarray):
    """Start (after creation), final state, runtime in seconds (cut short by failures, crashes and
    kills; none yet for running runs) and last update of each run, in microseconds of the day."""
    n = len(created)
    started = created + (brng.lognormal(np.log(2.5e6), 0.8, n)).astype(np.int64)
    state = np.searchsorted(np.cumsum(STATE_P), brng.random(n), side="right").clip(0, 4)
    runtime = median_runtime * brng.lognormal(0.0, RUNTIME_SIGMA, n)
    runtime = np.where(state == 1, runtime * brng.uniform(0.002, 0.3, n), runtime)  # failed early
    runtime = np.where(state == 2, runtime * brng.uniform(0.01, 0.6, n), runtime)  # crashed
    runtime = np.where(state == 3, runtime * brng.uniform(0.05, 1.0, n), runtime)  # killed
    runtime = np.clip(runtime, 1.0, 30 * 86400.0)
    whole = brng.random(n) < 0.95  # `_wandb.runtime` is whole seconds; `_runtime` is not
    runtime = np.where(whole, np.round(runtime), np.round(runtime, 3))
    running = state == 4
    runtime_us = (runtime * 1e6).astype(np.int64)
    updated = np.where(running, started + (brng.uniform(60, 3600, n) * 1e6).astype(np.int64),
                       started + runtime_us + (brng.uniform(1, 20, n) * 1e6).astype(np.int64))
    return started, state, runtime, updated


def _with_older_versions(brng: np.random.Generator, table: pa.Table, state: np.ndarray, started: np.ndarray,
                         runtime_us: np.ndarray, day_us: int) -> pa.Table:
    """An older, still-running version of a few finished runs was exported too: newest updated_at wins."""
    dup = np.flatnonzero((state == 0) & (brng.random(len(state)) < DUPLICATE_P))
    if not len(dup):
        return table
    mid = started[dup] + (runtime_us[dup] * brng.uniform(0.1, 0.9, len(dup))).astype(np.int64)
    old = table.take(pa.array(dup))
    for name, col in (("state", pa.array(["running"] * len(dup), pa.string())),
                      ("runtime_seconds", pa.nulls(len(dup), pa.float64())),
                      ("updated_at", pa.array(day_us + mid).cast(TS))):
        old = old.set_column(old.schema.get_field_index(name), name, col)
    return pa.concat_tables([table, old])


def _run_artifacts(brng: np.random.Generator, d: int, seed: int, art_base: int, day_us: int, started: np.ndarray,
                   runtime_us: np.ndarray, running: np.ndarray, cols: dict, run_id: pa.Array) -> pa.Table | None:
    """Artifacts logged by a batch of runs during their runtime, numbered from ``art_base`` (None: no artifact)."""
    n = len(started)
    art_run = np.repeat(np.arange(n), brng.poisson(ARTIFACTS_PER_RUN, n))
    m = len(art_run)
    if not m:
        return None
    a_type = np.searchsorted(np.cumsum(ARTIFACT_TYPE_P), brng.random(m), side="right").clip(0, len(ARTIFACT_TYPES) - 1)
    frac = brng.random(m)
    rt_us = np.where(running[art_run], 600_000_000, runtime_us[art_run])
    a_created = np.minimum(started[art_run] + (frac * rt_us).astype(np.int64), DAY_US - 1)
    a_seq = art_base + np.arange(m, dtype=np.int64)
    art = pa.array(art_run)
    return _artifacts_table(
        d, seed, a_seq, cols["user_id"].take(art), run_id.take(art), cols["project"].take(art), a_type,
        day_us + a_created, (ARTIFACT_SIZE_MEDIAN[a_type] * brng.lognormal(0, 1.5, m)).astype(np.int64))

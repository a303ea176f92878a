"""Scale benchmark: the pipeline (a) against the limits (b), (b2) and the alternative (c).

On one landing zone, for one quarter, it measures wall time and peak RSS of:
  (a) the pipeline: `stateofml materialize <quarter>` (ingestion, dbt, charts) in a fresh process;
  (b) the limit of the country mart: one hand-written DuckDB SQL query over the landing Parquet files;
  (b2) the limit of the whole job: hand-written DuckDB SQL (bench/limit_core.sql) from the landing
      files to the run-level core (fct_runs, fct_run_libraries, dim_users) and from it the headline and
      country marts, with the pipeline's quarantine rules, dedupe and lookups; it reads the imports found
      by the pipeline's parser beforehand (timed apart: `b2_parse_code`);
  (c) the alternative: a pandas script over the same files.
It checks that they give the same numbers (active users, runs and training hours per country: the
mart `marts.active_users_by_country_by_quarter`), and (b2)'s core and two marts against the
pipeline's, row for row (`compare_core`); it writes bench/results.json and bench/results.md.
With --year it also measures (a) for a whole year (its four quarters as one run, as
`stateofml materialize 2022Q1:2022Q4` does) and reads the year's headline mart.
--methods measures some of them only; --landing measures an existing landing zone (only read) instead
of simulating one. A size measured again keeps the methods not run this time from the previous
results (marked as carried over). Not a test: `tests/integration/test_bench_harness.py` runs it tiny.

    .venv/bin/python bench/scale.py --sizes 0.01 0.1 1.0 --memory-limit 3GB --quarter 2022Q4 --work /tmp/stateofml-bench
    .venv/bin/python bench/scale.py --sizes --year 2022 --work /tmp/stateofml-bench   # the year only (~1 h)
    .venv/bin/python bench/scale.py --sizes 1.0 --methods b b2 --landing /data/full2022/landing --work /tmp/b2   # the limits only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stateofml.contract import landing_files  # noqa: E402
from stateofml.quarters import Quarter  # noqa: E402

COLUMNS = ["country_code", "active_users", "runs", "training_hours"]


@dataclass
class Measure:
    seconds: float
    peak_rss_mb: float


def measured(cmd: list[str], env: dict | None = None) -> Measure:
    """Run a command; its wall time and peak RSS, the process and its children together.

    The peak is polled from /proc every 50 ms: the largest sum of the RSS of the process tree, or
    the largest single process's own high-water mark (VmHWM) if that is higher. Not wait4's
    ru_maxrss: a child forked from this process starts out counting the parent's pages (in the
    test suite, pytest's), so every measure came out the same."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    peak = 0
    while proc.poll() is None:
        tree = _process_tree(proc.pid)
        peak = max(peak, sum(_memory(pid, "VmRSS") for pid in tree), *(_memory(pid, "VmHWM") for pid in tree))
        time.sleep(0.05)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed with {proc.returncode}")
    return Measure(round(time.monotonic() - t0, 2), round(peak / 2**20, 1))


def _process_tree(root: int) -> list[int]:
    """The process and its descendants (from each /proc/<pid>/stat's parent pid)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _memory(pid: int, field: str) -> int:
    """A memory figure of /proc/<pid>/status (VmRSS, VmHWM) in bytes; 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# -- (b) DuckDB SQL straight from the landing files -------------------------------------------

def duckdb_numbers(landing: Path, quarter: Quarter, out: Path) -> None:
    import duckdb

    files = {e: [str(p) for p in landing_files(landing, e, quarter.start, quarter.end) if p.suffix == ".parquet"]
             for e in ("runs", "sweeps", "artifacts")}
    users = [str(p) for p in landing_files(landing, "users") if p.suffix == ".parquet"]
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = false")

    def latest(entity: str, key: str, cols: str, event: str) -> str:
        if not files[entity]:
            return "(select null::varchar as user_id, 0.0 as runtime_seconds where false)"
        return f"""(select {cols} from read_parquet({files[entity]!r}, filename = true, file_row_number = true, hive_partitioning = false)
                    qualify row_number() over (partition by {key} order by coalesce(updated_at, {event}) desc, filename desc, file_row_number desc) = 1)"""

    sql = f"""
    with runs as {latest('runs', 'run_id', 'user_id, runtime_seconds', 'created_at')},
    sweeps as {latest('sweeps', 'sweep_id', 'user_id', 'created_at')},
    artifacts as {latest('artifacts', 'artifact_id', 'user_id', 'created_at')},
    profiles as (
        select user_id, country_code from read_parquet({users!r}, filename = true, file_row_number = true, hive_partitioning = false)
        qualify row_number() over (partition by user_id order by updated_at desc, filename desc, file_row_number desc) = 1),
    activity as (
        -- Anonymous runs (no user) count in runs and hours under 'unknown', never as users (as in the mart).
        select user_id, 1 as runs, coalesce(runtime_seconds, 0) / 3600.0 as hours from runs
        union all select user_id, 0, 0.0 from sweeps where user_id is not null
        union all select user_id, 0, 0.0 from artifacts where user_id is not null)
    select coalesce(case when regexp_full_match(upper(trim(p.country_code)), '[A-Z]{{2}}') then upper(trim(p.country_code)) end, 'unknown') as country_code,
           count(distinct a.user_id) as active_users, sum(a.runs) as runs, sum(a.hours) as training_hours
    from activity a left join profiles p using (user_id)
    group by all
    """
    con.execute(sql).df().to_parquet(out)


# -- (b2) the limit of the whole job: the core and two marts, hand-written DuckDB SQL ----------

LIMIT_SQL = Path(__file__).with_name("limit_core.sql")
SEEDS = ROOT / "dbt_project" / "seeds"


def parse_code(landing: Path, quarter: Quarter, db: Path) -> None:
    """The quarter's code blobs -> code_imports.parsed_code of ``db``, by the pipeline's own parser
    (ast; assets/code_imports/cache.py). The input of (b2), which reads it instead of parsing: import
    detection is Python, and a regex in SQL would not find the same modules. Content-addressed: a
    second call on the same files parses nothing."""
    import duckdb

    from assets.code_imports.cache import update_code_imports

    files = [str(p) for p in landing_files(landing, "code_blobs", quarter.start, quarter.end) if p.suffix == ".parquet"]
    blobs = (f"select code_hash, path, source from read_parquet({files!r}, hive_partitioning = false, union_by_name = true)"
             if files else "select null::varchar as code_hash, null::varchar as path, null::varchar as source where false")
    with duckdb.connect(str(db)) as con:
        update_code_imports(con, blobs)


def core_numbers(landing: Path, quarter: Quarter, db: Path, parsed: Path, memory_limit: str) -> None:
    """(b2): bench/limit_core.sql over the quarter's landing files into a fresh DuckDB file ``db``
    (its core.* and marts.* tables), with the pipeline's DuckDB settings (2 threads, its memory limit)."""
    from datetime import datetime, timezone

    import duckdb
    import pyarrow as pa

    from assets.ingest.load import FUTURE_TOLERANCE, MAX_GPU_COUNT
    from stateofml.contract import ENTITIES

    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config={"threads": 2, "memory_limit": memory_limit})
    try:
        for entity in ("runs", "sweeps", "artifacts", "users"):
            files = [str(p) for p in landing_files(landing, entity, *((quarter.start, quarter.end) if entity != "users" else ()))]
            if any(not f.endswith(".parquet") for f in files):
                # The pipeline would read them (JSON Lines): numbers without them would differ silently.
                raise SystemExit(f"bench (b2): reads Parquet only, and {entity} has other files, e.g. "
                                 f"{next(f for f in files if not f.endswith('.parquet'))}")
            if files:
                con.execute(f"create temp view landing_{entity} as select * from read_parquet({files!r}, filename = true, "
                            "file_row_number = true, hive_partitioning = false, union_by_name = true)")
            else:  # no file: no row, with the contract's columns
                empty = pa.schema(list(ENTITIES[entity].schema) + [pa.field("filename", pa.string()), pa.field("file_row_number", pa.int64())])
                con.register(f"landing_{entity}", empty.empty_table())
        for seed in ("countries", "gpu_models", "libraries", "telemetry_imports"):
            con.execute(f"create temp table seed_{seed} as select * from read_csv(?, header = true, all_varchar = true)",
                        [str(SEEDS / f"{seed}.csv")])
        con.execute("alter table seed_telemetry_imports alter import_id type integer")
        con.execute(f"attach '{parsed}' as parsed (read_only)")
        con.execute("create temp view parsed_code as select code_hash, modules from parsed.code_imports.parsed_code")
        con.execute("set variable quarter_start = ?::date", [quarter.start])
        con.execute("set variable quarter_end = ?::date", [quarter.end])
        # The ingestion's bounds: a timestamp beyond now + its tolerance for clock drift, an absurd GPU count.
        con.execute("set variable not_after = ?::timestamp", [(datetime.now(timezone.utc) + FUTURE_TOLERANCE).replace(tzinfo=None)])
        con.execute("set variable max_gpu_count = ?::integer", [MAX_GPU_COUNT])
        con.execute(LIMIT_SQL.read_text())
    finally:
        con.close()


# -- (c) pandas ------------------------------------------------------------------------------

def pandas_numbers(landing: Path, quarter: Quarter, out: Path) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    def latest(entity: str, key: str, cols: list[str], event: str) -> pd.DataFrame:
        parts = []
        for path in (p for p in landing_files(landing, entity, quarter.start, quarter.end) if p.suffix == ".parquet"):
            df = pq.read_table(path, columns=[key, *cols, event, "updated_at"]).to_pandas()
            parts.append(df.assign(_file=str(path), _row=range(len(df))))
        if not parts:
            return pd.DataFrame(columns=[key, *cols])
        df = pd.concat(parts, ignore_index=True)
        df["_order"] = df["updated_at"].fillna(df[event])
        df = df.sort_values(["_order", "_file", "_row"]).drop_duplicates(key, keep="last")
        return df[[key, *cols]]

    runs = latest("runs", "run_id", ["user_id", "runtime_seconds"], "created_at")
    sweeps = latest("sweeps", "sweep_id", ["user_id"], "created_at")
    artifacts = latest("artifacts", "artifact_id", ["user_id"], "created_at")
    # Anonymous runs (no user) count in runs and hours under 'unknown', never as users (as in the mart).
    activity = pd.concat([
        runs.assign(runs=1, hours=runs["runtime_seconds"].fillna(0) / 3600.0)[["user_id", "runs", "hours"]],
        sweeps.dropna(subset=["user_id"]).assign(runs=0, hours=0.0)[["user_id", "runs", "hours"]],
        artifacts.dropna(subset=["user_id"]).assign(runs=0, hours=0.0)[["user_id", "runs", "hours"]],
    ])
    users = pd.concat([pq.read_table(p, columns=["user_id", "country_code", "updated_at"]).to_pandas().assign(_file=str(p))
                       for p in landing_files(landing, "users") if p.suffix == ".parquet"], ignore_index=True)
    users["_row"] = users.groupby("_file").cumcount()
    users = users.sort_values(["updated_at", "_file", "_row"]).drop_duplicates("user_id", keep="last")
    code = users["country_code"].str.strip().str.upper()
    users["country_code"] = code.where(code.str.fullmatch("[A-Z]{2}", na=False))
    merged = activity.merge(users[["user_id", "country_code"]], on="user_id", how="left")
    merged["country_code"] = merged["country_code"].fillna("unknown")
    result = merged.groupby("country_code").agg(active_users=("user_id", "nunique"), runs=("runs", "sum"),
                                                 training_hours=("hours", "sum")).reset_index()
    result.to_parquet(out)


# -- (a) the pipeline ------------------------------------------------------------------------

def pipeline_numbers(data: Path, quarter: Quarter, out: Path) -> None:
    import duckdb

    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as con:
        con.execute(f"select {', '.join(COLUMNS)} from marts.active_users_by_country_by_quarter where quarter_start = ?",
                    [quarter.start]).df().to_parquet(out)


def pipeline_steps(dagster_home: Path) -> dict[str, float]:
    """Where the pipeline's time went: seconds per Dagster step of its runs (the profile the
    results show next to the totals), the slowest first."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        steps = {}
        for run in instance.get_runs():
            for stat in instance.get_run_step_stats(run.run_id):
                if stat.start_time and stat.end_time:
                    steps[stat.step_key] = round(stat.end_time - stat.start_time, 1)
    return dict(sorted(steps.items(), key=lambda kv: -kv[1]))


def compare(paths: dict[str, Path]) -> dict:
    import pandas as pd

    frames = {k: pd.read_parquet(p)[COLUMNS].sort_values("country_code").reset_index(drop=True) for k, p in paths.items()}
    # Against the pipeline's numbers; when it was not run (an existing full-size landing zone), (b2)'s.
    base = frames["pipeline"] if "pipeline" in frames else frames[next(iter(frames))]
    agree = {}
    for name, df in frames.items():
        same_keys = base["country_code"].tolist() == df["country_code"].tolist()
        same = same_keys and all((base[c].astype("int64") == df[c].astype("int64")).all() for c in ("active_users", "runs")) \
            and ((base["training_hours"] - df["training_hours"]).abs() < 1e-6 * (1 + base["training_hours"].abs())).all()
        agree[name] = bool(same)
    return {"agree": all(agree.values()), "by_method": agree,
            "totals": {k: {"active_users": int(f["active_users"].sum()), "runs": int(f["runs"].sum())} for k, f in frames.items()}}


def _stateofml() -> str:
    return str(Path(sys.executable).with_name("stateofml"))


def landing(data: Path, first: Quarter, last: Quarter, scale: float, seed: int, env: dict) -> dict:
    """Simulate the quarters into <data>/landing if missing (measured), and count their run rows."""
    result: dict = {}
    if not (data / "landing" / "runs").exists():
        result["simulate"] = asdict(measured([_stateofml(), "--data-dir", str(data), "simulate", "--start", first.compact,
                                              "--end", last.compact, "--scale", str(scale), "--seed", str(seed), "--quiet"], env))
    import pyarrow.parquet as pq

    runs_files = landing_files(data / "landing", "runs", first.start, last.end)
    result["landing_run_rows"] = sum(pq.ParquetFile(p).metadata.num_rows for p in runs_files)
    return result


METHODS = ("a", "b", "b2", "c")


def run_size(size: float, quarter: Quarter, work: Path, seed: int, memory_limit: str | None = None,
             methods: tuple[str, ...] = METHODS, landing_zone: Path | None = None) -> dict:
    """One quarter of one size, by each of ``methods``; ``landing_zone``: an existing one (only read,
    linked from the data dir) instead of simulating it."""
    data = work / f"size-{size:g}"
    if landing_zone is not None:
        data.mkdir(parents=True, exist_ok=True)
        if not (data / "landing").exists():
            (data / "landing").symlink_to(landing_zone.resolve(), target_is_directory=True)
        elif (data / "landing").resolve() != landing_zone.resolve():
            raise SystemExit(f"bench: {data / 'landing'} is not {landing_zone}: use another --work")
    exe, env = _stateofml(), {**os.environ, "DAGSTER_HOME": str(data / "dagster_home")}
    result: dict = {"size_of_quarter": size, "quarter": quarter.compact, "memory_limit": memory_limit or "default"}
    if landing_zone is not None:
        result["landing_zone"] = str(landing_zone)
    result |= landing(data, quarter, quarter, size, seed, env)
    outs = {k: work / f"numbers-{size:g}-{k}.parquet" for k in ("pipeline", "duckdb", "duckdb_core", "pandas")}
    me = [sys.executable, __file__, "--work", str(work), "--quarter", quarter.compact]
    limit = ["--memory-limit", memory_limit] if memory_limit else []
    if "a" in methods:
        result["a_pipeline"] = asdict(measured([exe, "--data-dir", str(data), "materialize", quarter.compact, *limit], env))
        result["a_pipeline_steps"] = pipeline_steps(data / "dagster_home")
        pipeline_numbers(data, quarter, outs["pipeline"])
    if "b" in methods:
        result["b_duckdb_sql"] = asdict(measured([*me, "--_compute", "duckdb", str(data / "landing"), str(outs["duckdb"])]))
    if "b2" in methods:
        result |= run_core_limit(data, quarter, memory_limit, outs["duckdb_core"], me)
    if "c" in methods:
        result["c_pandas"] = asdict(measured([*me, "--_compute", "pandas", str(data / "landing"), str(outs["pandas"])]))
    ran = {k: p for k, p in outs.items() if p.exists() and _ran(k, methods)}
    result["check"] = compare(ran)
    if "a" in methods and "b2" in methods:
        result["check_b2"] = compare_core(data / "warehouse" / "stateofml.duckdb", data / "b2_core.duckdb", quarter)
    return with_ratios(result)


# Each method's keys in a result: what a run without that method carries over from the previous one.
METHOD_KEYS = {"a": ("a_pipeline", "a_pipeline_steps"), "b": ("b_duckdb_sql",),
               "b2": ("b2_parse_code", "b2_duckdb_core", "b2_headline", "check_b2"), "c": ("c_pandas",)}
RATIOS = {"ratio_a_over_b": ("a_pipeline", "b_duckdb_sql"), "ratio_a_over_b2": ("a_pipeline", "b2_duckdb_core"),
          "ratio_b2_over_b": ("b2_duckdb_core", "b_duckdb_sql"), "ratio_c_over_a": ("c_pandas", "a_pipeline")}


def with_ratios(result: dict) -> dict:
    for name, (x, y) in RATIOS.items():
        result.pop(name, None)
        if x in result and y in result:
            result[name] = round(result[x]["seconds"] / result[y]["seconds"], 2)
    return result


def merge_results(previous: list[dict], measured_now: list[dict], methods: tuple[str, ...]) -> list[dict]:
    """The new results, with the other sizes' kept, and for a size measured again the methods not
    run this time carried over from before (named in ``carried_over``: e.g. (a) at full size,
    measured by another run, beside (b) and (b2) of this one)."""
    by_size = {(r["size_of_quarter"], r["quarter"]): r for r in previous}
    for r in measured_now:
        old = by_size.get((r["size_of_quarter"], r["quarter"]), {})
        carried = [m for m in METHODS if m not in methods and any(k in old for k in METHOD_KEYS[m])]
        for m in carried:
            r |= {k: old[k] for k in METHOD_KEYS[m] if k in old}
        if carried:
            r["carried_over"] = carried
        by_size[(r["size_of_quarter"], r["quarter"])] = with_ratios(r)
    return sorted(by_size.values(), key=lambda r: (r["quarter"], r["size_of_quarter"]))


def _ran(numbers: str, methods: tuple[str, ...]) -> bool:
    return {"pipeline": "a", "duckdb": "b", "duckdb_core": "b2", "pandas": "c"}[numbers] in methods


def run_core_limit(data: Path, quarter: Quarter, memory_limit: str | None, out: Path, me: list[str]) -> dict:
    """(b2), measured: bench/limit_core.sql into <data>/b2_core.duckdb; its country mart -> ``out``.
    Its input of parsed imports is made first by the pipeline's parser (timed apart, not in (b2))."""
    import duckdb

    from stateofml.platform.resources import Warehouse

    parsed = data / "b2_parsed_code.duckdb"
    result = {"b2_parse_code": asdict(measured([*me, "--_compute", "parse", str(data / "landing"), str(parsed)]))}
    # The pipeline's DuckDB memory limit: the run's --memory-limit, else the warehouse's default.
    limit = memory_limit or Warehouse.model_fields["memory_limit"].default
    db = data / "b2_core.duckdb"
    result["b2_duckdb_core"] = asdict(measured([*me, "--_compute", "core", str(data / "landing"), str(db),
                                                "--_parsed", str(parsed), "--memory-limit", limit]))
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"select {', '.join(COLUMNS)} from marts.active_users_by_country_by_quarter where quarter_start = ?",
                    [quarter.start]).df().to_parquet(out)
        result["b2_headline"] = dict(zip(HEADLINE, con.execute(
            f"select {', '.join(HEADLINE)} from marts.headline_by_quarter where quarter_start = ?", [quarter.start]).fetchone() or ()))
    return result


HEADLINE = ["active_users", "countries", "runs", "anonymous_runs", "training_hours"]

# The same questions asked of the pipeline's warehouse and of (b2)'s: its two marts whole, and the
# core summed over every column the marts cut by ({core}: marts in the warehouse, core in (b2)).
CORE_CHECKS = {
    "headline_by_quarter": "select * from marts.headline_by_quarter where quarter_start = $q",
    "active_users_by_country_by_quarter": "select * from marts.active_users_by_country_by_quarter where quarter_start = $q",
    "fct_runs_hardware": """select gpu_vendor, gpu_family, gpu_model, gpu_generation, gpu_segment, is_laptop_gpu,
        gpu_count_bucket, gpu_count_bucket_order, accelerator, compute_location, is_cloud, state,
        count(*) as runs, sum(training_hours) as hours
        from {core}.fct_runs where quarter_start = $q group by all""",
    "fct_runs_people_and_frameworks": """select country_code, country_name, region, subregion, profession, industry,
        media_types::varchar as media_types, framework_families::varchar as framework_families, has_code_imports,
        has_telemetry_imports, count(*) as runs, count(distinct user_id) as users, count(distinct sweep_id) as sweeps,
        sum(training_hours) as hours, sum(runtime_seconds) as runtime, min(created_at) as first, max(started_at) as last
        from {core}.fct_runs where quarter_start = $q group by all""",
    "fct_run_libraries": """select library, category, framework_family, is_known_library, detected_in_code,
        detected_in_telemetry, detected_by, has_code_imports, has_telemetry_imports, count(*) as rows,
        count(distinct run_id) as runs, count(distinct user_id) as users, sum(training_hours) as hours
        from {core}.fct_run_libraries where quarter_start = $q group by all""",
    "dim_users": """select quarter_label, country_code, profession, industry, is_run_active, is_sweep_active,
        is_artifact_active, count(*) as users, sum(runs) as runs, sum(sweeps) as sweeps, sum(artifacts) as artifacts,
        sum(training_hours) as hours
        from {core}.dim_users where quarter_start = $q group by all""",
}


def compare_core(warehouse: Path, core_db: Path, quarter: Quarter) -> dict:
    """Does (b2) compute what the pipeline computed? Each of CORE_CHECKS on both, row for row (sums
    of hours to 1e-9 relative); and the rows each holds."""
    import duckdb

    frames = {}
    for name, db, core in (("pipeline", warehouse, "marts"), ("b2", core_db, "core")):
        with duckdb.connect(str(db), read_only=True) as con:
            frames[name] = {check: con.execute(sql.format(core=core), {"q": quarter.start}).df() for check, sql in CORE_CHECKS.items()}
    agree = {check: _same_rows(frames["pipeline"][check], frames["b2"][check]) for check in CORE_CHECKS}
    return {"agree": all(agree.values()), "by_check": agree,
            "rows": {check: [len(frames["pipeline"][check]), len(frames["b2"][check])] for check in CORE_CHECKS}}


def _same_rows(a, b) -> bool:
    """Same columns, and the same rows in any order: exact for everything but floats (1e-9 relative).
    No row is no agreement: a check that compared nothing proves nothing."""
    import numpy as np
    import pandas as pd

    if list(a.columns) != list(b.columns) or len(a) != len(b) or len(a) == 0:
        return False
    floats = [c for c in a.columns if pd.api.types.is_float_dtype(a[c])]
    keys = [c for c in a.columns if c not in floats]
    a, b = (df.sort_values(keys, na_position="first").reset_index(drop=True) for df in (a, b))
    if not a[keys].astype(str).equals(b[keys].astype(str)):
        return False
    return all(np.isclose(a[c], b[c], rtol=1e-9, atol=1e-9, equal_nan=True).all() for c in floats)


def run_year(year: int, scale: float, work: Path, seed: int) -> dict:
    """The pipeline (a) for a whole year: simulate it if missing, then its four quarters as one run."""
    data = work / f"year-{year}-scale-{scale:g}"
    first, last = Quarter.parse(f"{year}Q1"), Quarter.parse(f"{year}Q4")
    exe, env = _stateofml(), {**os.environ, "DAGSTER_HOME": str(data / "dagster_home")}
    result: dict = {"year": year, "scale": scale}
    result |= landing(data, first, last, scale, seed, env)
    result["a_pipeline"] = asdict(measured([exe, "--data-dir", str(data), "materialize", f"{first.compact}:{last.compact}"], env))
    result["a_pipeline_steps"] = pipeline_steps(data / "dagster_home")
    result["headline"] = year_headline(data, year)
    return result


def year_headline(data: Path, year: int) -> dict:
    import duckdb

    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as con:
        row = con.execute("select quarters_covered, active_users, countries, runs, training_hours "
                          "from marts.headline_by_year where year = ?", [year]).fetchone()
    keys = ("quarters_covered", "active_users", "countries", "runs", "training_hours")
    return dict(zip(keys, row)) if row else {}


def write_results(results: list[dict], out_dir: Path, year: dict | None = None) -> None:
    meta = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "loadavg_at_end": os.getloadavg(), "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (out_dir / "results.json").write_text(json.dumps({**meta, "results": results, **({"year": year} if year else {})}, indent=2))
    lines = ["# Scale benchmark", "", f"Machine: {meta['machine']['cores']} cores, Python {meta['machine']['python']}; "
             f"load average at the end {tuple(round(x, 1) for x in meta['loadavg_at_end'])}.", "",
             "| size of a quarter | runs | (a) pipeline s / MB | (b) DuckDB SQL s / MB | (b2) DuckDB SQL, core s / MB | (c) pandas s / MB "
             "| a/b | a/b2 | c/a | same numbers |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        # "-": not measured; "*": carried over from an earlier run (results.json: carried_over).
        cell = lambda k, m: (f"{r[k]['seconds']} / {r[k]['peak_rss_mb']:.0f}" + ("*" if m in r.get("carried_over", ()) else "")
                             if k in r else "-")
        same = r["check"]["agree"] and r.get("check_b2", {}).get("agree", True)
        lines.append(f"| {r['size_of_quarter'] * 100:g}% | {r['landing_run_rows']:,} | {cell('a_pipeline', 'a')} | "
                     f"{cell('b_duckdb_sql', 'b')} | {cell('b2_duckdb_core', 'b2')} | {cell('c_pandas', 'c')} | "
                     f"{r.get('ratio_a_over_b', '-')} | {r.get('ratio_a_over_b2', '-')} | {r.get('ratio_c_over_a', '-')} | {same} |")
    limits = sorted({r.get("memory_limit", "default") for r in results})
    lines += ["", f"DuckDB memory_limit of the quarter runs: {', '.join(limits)}.",
              "Targets (one full-size quarter): pipeline within 180 s, peak RSS within 4096 MB, a/b at most 1.5.", "",
              "Where the pipeline's time goes (seconds per Dagster step, the slowest five; `quarterly_models` is the",
              "one dbt build of the quarter, models and data tests):", ""]
    for r in (r for r in results if r.get("a_pipeline_steps")):
        steps = list(r["a_pipeline_steps"].items())[:5]
        lines.append(f"* {r['size_of_quarter'] * 100:g}%: " + ", ".join(f"{k} {v}" for k, v in steps))
    if year:
        h, a = year.get("headline", {}), year["a_pipeline"]
        lines += ["", f"The whole year {year['year']} at scale {year['scale']:g} ({year['landing_run_rows']:,} runs), its four quarters "
                  f"as one run: {a['seconds']} s, peak RSS {a['peak_rss_mb']:.0f} MB (target: 720 s). Its headline: "
                  f"{h.get('active_users', 0):,} active users from {h.get('countries', 0)} countries, {h.get('runs', 0):,} runs, "
                  f"{h.get('training_hours', 0) / 1e6:.1f} M training hours. Slowest steps: "
                  + ", ".join(f"{k} {v}" for k, v in list(year.get("a_pipeline_steps", {}).items())[:5]) + "."]
    lines += b2_section(results)
    lines += ["", "Command: `.venv/bin/python bench/scale.py --sizes ...` (see the module docstring).", ""]
    (out_dir / "results.md").write_text("\n".join(lines))


def b2_section(results: list[dict]) -> list[str]:
    """results.md's section on (b2), the limit of the whole job."""
    rows = [r for r in results if "b2_duckdb_core" in r]
    if not rows:
        return []
    lines = ["", "## (b2): the limit of the whole job", "",
             "(b2) is `bench/limit_core.sql`, hand-written DuckDB SQL from the quarter's landing Parquet files to the run-level",
             "core (`fct_runs`, `fct_run_libraries`, `dim_users`) and from it the headline (`headline_by_quarter`) and country",
             "(`active_users_by_country_by_quarter`) marts: the pipeline's work without Dagster or dbt. The ingestion's",
             "quarantine rules and its dedupe (newest version of each key), the profiles with the countries seed, GPU names",
             "classified per distinct name (gpu_models seed), libraries per distinct script and per distinct telemetry list",
             "(libraries, telemetry_imports seeds), every column of the core; written to a DuckDB file with the pipeline's",
             "DuckDB settings (2 threads, the same memory limit). Import detection is Python (ast), not SQL: (b2) reads the",
             "imports that the pipeline's own parser (`assets/code_imports`) found in the quarter's code blobs beforehand",
             "(the parse column, not counted in (b2); the pipeline's step `code_imports__parsed_code` does the same work).",
             "Nor does (b2) keep the ingestion's books: the landing-file manifest with each file's SHA-256, the quarantine",
             "tables and the counts (a file delivered twice is deduplicated by key instead).",
             "Same numbers: both marts row for row and the core summed by every column the marts cut by, against the",
             "pipeline's warehouse (`compare_core`; only when (a) ran in the same benchmark run).", "",
             "| size of a quarter | runs | (b2) s / MB | parse s / MB | a/b2 (target at full size: at most 3) | b2/b | "
             "headline: active users, countries, runs | same as the pipeline's core and marts |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b2, parse, h = r["b2_duckdb_core"], r.get("b2_parse_code", {}), r.get("b2_headline", {})
        a = r.get("ratio_a_over_b2", "-")
        check = r.get("check_b2")
        same = "not compared ((a) not run)" if check is None else f"{check['agree']}" + (
            "" if check["agree"] else " (" + ", ".join(k for k, v in check["by_check"].items() if not v) + " differ)")
        lines.append(f"| {r['size_of_quarter'] * 100:g}% | {r['landing_run_rows']:,} | {b2['seconds']} / {b2['peak_rss_mb']:.0f} | "
                     f"{parse.get('seconds', '-')} / {parse.get('peak_rss_mb', 0):.0f} | {a}{'*' if 'a' in r.get('carried_over', ()) else ''} | "
                     f"{r.get('ratio_b2_over_b', '-')} | {h.get('active_users', 0):,}, {h.get('countries', 0)}, {h.get('runs', 0):,} | {same} |")
    if any("carried_over" in r for r in rows):
        lines += ["", "*: with (a) measured by an earlier run of the benchmark (results.json: `carried_over`)."]
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=float, nargs="*", default=None,
                   help="fractions of a full quarter (default 0.01 0.1 1.0); none: keep the quarter results already in --out")
    p.add_argument("--memory-limit", help="DuckDB memory_limit of the quarter runs (the results: 3GB); default: the platform's")
    p.add_argument("--year", type=int, help="also measure the pipeline for this whole year (e.g. 2022)")
    p.add_argument("--year-scale", type=float, default=1.0, help="the simulator's scale for --year (1.0 = real size)")
    p.add_argument("--quarter", default="2022Q4")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--work", default="/tmp/stateofml-bench", help="landing zones and warehouses go here")
    p.add_argument("--out", default=str(ROOT / "bench"), help="where results.json and results.md are written")
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                   help="which to measure: a pipeline, b DuckDB SQL (country mart), b2 DuckDB SQL (core, headline and "
                        "country marts), c pandas (default: all)")
    p.add_argument("--landing", type=Path,
                   help="an existing landing zone holding --quarter (only read): measured instead of simulating one; "
                        "with exactly one --sizes value, which only labels the results")
    p.add_argument("--_compute", nargs=3, metavar=("WHICH", "LANDING", "OUT"), help=argparse.SUPPRESS)
    p.add_argument("--_parsed", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    quarter = Quarter.parse(args.quarter)
    if args._compute:
        which, landing, out = args._compute
        if which == "core":
            core_numbers(Path(landing), quarter, Path(out), Path(args._parsed), args.memory_limit)
        elif which == "parse":
            parse_code(Path(landing), quarter, Path(out))
        else:
            {"duckdb": duckdb_numbers, "pandas": pandas_numbers}[which](Path(landing), quarter, Path(out))
        return 0
    if args.landing and (args.sizes is None or len(args.sizes) != 1):
        p.error("--landing measures one landing zone: give its size as one --sizes value (e.g. --sizes 1.0)")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    sizes = [0.01, 0.1, 1.0] if args.sizes is None else args.sizes
    methods = tuple(m for m in METHODS if m in args.methods)
    results = merge_results(previous.get("results", []), [run_size(size, quarter, work, args.seed, args.memory_limit, methods,
                                                                    args.landing) for size in sizes], methods)
    year = run_year(args.year, args.year_scale, work, args.seed) if args.year else previous.get("year")
    write_results(results, out, year)
    print(json.dumps({"results": results, "year": year}, indent=1))
    return 0 if all(r["check"]["agree"] and r.get("check_b2", {}).get("agree", True) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

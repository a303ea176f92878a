"""Scale benchmark: the pipeline (a) against the limit (b) and the alternative (c).

On one landing zone, for one quarter, it measures wall time and peak RSS of:
  (a) the pipeline: `stateofml materialize <quarter>` (ingestion, dbt, charts) in a fresh process;
  (b) the limit: one hand-written DuckDB SQL script over the landing Parquet files;
  (c) the alternative: a pandas script over the same files.
It checks that the three give the same numbers (active users, runs and training hours per
country: the mart `marts.active_users_by_country_by_quarter`), and writes bench/results.json and
bench/results.md. With --year it also measures (a) for a whole year (its four quarters as one
run, as `stateofml materialize 2022Q1:2022Q4` does) and reads the year's headline mart.
Not a test: `tests/integration/test_bench_harness.py` runs it tiny.

    .venv/bin/python bench/scale.py --sizes 0.01 0.1 1.0 --memory-limit 3GB --quarter 2022Q4 --work /tmp/stateofml-bench
    .venv/bin/python bench/scale.py --sizes --year 2022 --work /tmp/stateofml-bench   # the year only (~1 h)
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
            return f"(select null::varchar as user_id, 0.0 as runtime_seconds where false)"
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


# -- (c) pandas ------------------------------------------------------------------------------

def pandas_numbers(landing: Path, quarter: Quarter, out: Path) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    def latest(entity: str, key: str, cols: list[str], event: str) -> pd.DataFrame:
        parts = []
        for i, path in enumerate(p for p in landing_files(landing, entity, quarter.start, quarter.end) if p.suffix == ".parquet"):
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
    base = frames["pipeline"]
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


def run_size(size: float, quarter: Quarter, work: Path, seed: int, memory_limit: str | None = None) -> dict:
    data = work / f"size-{size:g}"
    exe, env = _stateofml(), {**os.environ, "DAGSTER_HOME": str(data / "dagster_home")}
    result: dict = {"size_of_quarter": size, "quarter": quarter.compact, "memory_limit": memory_limit or "default"}
    result |= landing(data, quarter, quarter, size, seed, env)
    outs = {k: work / f"numbers-{size:g}-{k}.parquet" for k in ("pipeline", "duckdb", "pandas")}
    me = [sys.executable, __file__, "--work", str(work), "--quarter", quarter.compact]
    limit = ["--memory-limit", memory_limit] if memory_limit else []
    result["a_pipeline"] = asdict(measured([exe, "--data-dir", str(data), "materialize", quarter.compact, *limit], env))
    result["a_pipeline_steps"] = pipeline_steps(data / "dagster_home")
    pipeline_numbers(data, quarter, outs["pipeline"])
    result["b_duckdb_sql"] = asdict(measured([*me, "--_compute", "duckdb", str(data / "landing"), str(outs["duckdb"])]))
    result["c_pandas"] = asdict(measured([*me, "--_compute", "pandas", str(data / "landing"), str(outs["pandas"])]))
    result["check"] = compare(outs)
    a, b, c = (result[k]["seconds"] for k in ("a_pipeline", "b_duckdb_sql", "c_pandas"))
    result["ratio_a_over_b"] = round(a / b, 2)
    result["ratio_c_over_a"] = round(c / a, 2)
    return result


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
             "| size of a quarter | runs | (a) pipeline s / MB | (b) DuckDB SQL s / MB | (c) pandas s / MB | a/b | c/a | same numbers |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        cell = lambda k: f"{r[k]['seconds']} / {r[k]['peak_rss_mb']:.0f}"
        lines.append(f"| {r['size_of_quarter'] * 100:g}% | {r['landing_run_rows']:,} | {cell('a_pipeline')} | {cell('b_duckdb_sql')} | "
                     f"{cell('c_pandas')} | {r['ratio_a_over_b']} | {r['ratio_c_over_a']} | {r['check']['agree']} |")
    limits = sorted({r.get("memory_limit", "default") for r in results})
    lines += ["", f"DuckDB memory_limit of the quarter runs: {', '.join(limits)}.",
              "Targets (one full-size quarter): pipeline within 180 s, peak RSS within 4096 MB, a/b at most 1.5.", "",
              "Where the pipeline's time goes (seconds per Dagster step, the slowest five; `quarterly_models` is the",
              "one dbt build of the quarter, models and data tests):", ""]
    for r in results:
        steps = list(r.get("a_pipeline_steps", {}).items())[:5]
        lines.append(f"* {r['size_of_quarter'] * 100:g}%: " + ", ".join(f"{k} {v}" for k, v in steps))
    if year:
        h, a = year.get("headline", {}), year["a_pipeline"]
        lines += ["", f"The whole year {year['year']} at scale {year['scale']:g} ({year['landing_run_rows']:,} runs), its four quarters "
                  f"as one run: {a['seconds']} s, peak RSS {a['peak_rss_mb']:.0f} MB (target: 720 s). Its headline: "
                  f"{h.get('active_users', 0):,} active users from {h.get('countries', 0)} countries, {h.get('runs', 0):,} runs, "
                  f"{h.get('training_hours', 0) / 1e6:.1f} M training hours. Slowest steps: "
                  + ", ".join(f"{k} {v}" for k, v in list(year.get("a_pipeline_steps", {}).items())[:5]) + "."]
    lines += ["", "Command: `.venv/bin/python bench/scale.py --sizes ...` (see the module docstring).", ""]
    (out_dir / "results.md").write_text("\n".join(lines))


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
    p.add_argument("--_compute", nargs=3, metavar=("WHICH", "LANDING", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    quarter = Quarter.parse(args.quarter)
    if args._compute:
        which, landing, out = args._compute
        {"duckdb": duckdb_numbers, "pandas": pandas_numbers}[which](Path(landing), quarter, Path(out))
        return 0
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    sizes = [0.01, 0.1, 1.0] if args.sizes is None else args.sizes
    results = [run_size(size, quarter, work, args.seed, args.memory_limit) for size in sizes] if sizes else previous.get("results", [])
    year = run_year(args.year, args.year_scale, work, args.seed) if args.year else previous.get("year")
    write_results(results, out, year)
    print(json.dumps({"results": results, "year": year}, indent=1))
    return 0 if all(r["check"]["agree"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the framework & library dbt models at scale (not a test).

    .venv/bin/python bench/frameworks_models.py [--runs 10000000] [--quarters 1] [--keep DIR]

Builds a synthetic warehouse in DuckDB (one raw runs table per quarter: ~3 % of runs with distinct code,
~8 modules per script of which ~1 project-local, 100 k users, and telemetry lists drawn independently of the
code: the worst case for resolving libraries, ~10 libraries per run where real runs have ~3),
then times one `dbt build` of the frameworks/libraries models and their upstream for the last quarter
(the quarterly partition's work, yearly marts included), per model, from dbt's run_results.json.
Writes bench/results_frameworks_models.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from stateofml.platform.project import dbt_executable
from stateofml.platform.resources import WAREHOUSE_FILE, Warehouse
from stateofml.quarters import Quarter, quarter_range

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results_frameworks_models.json")
SELECT = "+path:models/marts/frameworks +path:models/marts/libraries"

# Module pools: known libraries of the seed plus project-local names the seed cannot know.
CORE = ["torch", "tensorflow", "keras", "pytorch_lightning", "jax", "xgboost", "lightgbm", "catboost", "sklearn"]
AUX = ["numpy", "pandas", "matplotlib", "transformers", "hydra", "tqdm", "torchvision", "wandb", "einops", "timm",
       "datasets", "accelerate", "scipy", "PIL", "cv2", "optuna", "seaborn", "yaml", "albumentations", "diffusers"]
LOCAL = [f"project_module_{i}" for i in range(2000)]


def build_warehouse(path: Path, runs_per_quarter: int, quarters: list[Quarter], seed: int = 0) -> dict:
    t0 = time.perf_counter()
    conn = duckdb.connect(str(path), config={"threads": 2, "memory_limit": "8GB", "preserve_insertion_order": False})
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(f"select setseed({seed / 1000})")
    n_hashes = max(1000, runs_per_quarter * 3 // 100)
    n_users = 100_000
    conn.execute("create schema raw; create schema code_imports")
    conn.execute(f"""
        create table raw.users as
        select 'u' || i as user_id, timestamp '2020-01-01' as signup_at, 'US' as country_code,
               (['academic', 'corporate', 'personal', null])[1 + (i % 4)] as profession, null::varchar as industry,
               timestamp '2020-01-01' as updated_at
        from range({n_users}) t(i)
    """)
    core, aux, local = ("[" + ", ".join(f"'{m}'" for m in x) + "]" for x in (CORE, AUX, LOCAL))
    # Scripts: 1-2 core frameworks, ~6 auxiliary libraries, ~1 project module.
    conn.execute(f"""
        create table code_imports.parsed_code as
        select 'h' || q || '_' || i as code_hash,
               list_distinct([{core}[1 + (hash(i, q, 1) % 9)::int], {core}[1 + (hash(i, q, 2) % 3)::int]]
                  || list_transform(range(6), lambda x: {aux}[1 + (hash(i, q, x + 10) % 20)::int])
                  || [{local}[1 + (hash(i, q, 99) % 2000)::int]]) as modules,
               'ast' as method, null::varchar as error, 3000::bigint as source_bytes, now()::timestamp as parsed_at
        from range({n_hashes}) t(i), range({len(quarters)}) s(q)
    """)
    for qi, q in enumerate(quarters):
        start = q.start_datetime.replace(tzinfo=None).isoformat(sep=" ")
        conn.execute(f"""
            create table raw.runs__{q.table_suffix} as
            with r as (select i, hash(i, {qi}) as h from range({runs_per_quarter}) t(i))
            select 'r{qi}_' || i as run_id,
                   -- heavy users: a quadratic skew over 100 k ids; 2 % anonymous
                   case when h % 50 = 0 then null else 'u' || (((h >> 8) % 1000) * ((h >> 20) % 1000) // 10) % {n_users} end as user_id,
                   'p' as project,
                   timestamp '{start}' + to_seconds(((h >> 30) % (89 * 86400))::bigint) as created_at,
                   timestamp '{start}' + to_seconds(((h >> 30) % (89 * 86400))::bigint) as started_at,
                   exp(4 + ((h >> 12) % 1000) / 130.0) as runtime_seconds,
                   'finished' as state, null::varchar as sweep_id, null::varchar as os, null::varchar as python_version,
                   null::varchar as program, null::varchar as host, null::int as cpu_count, null::double as memory_total_gb,
                   null::varchar as gpu, null::int as gpu_count, null::varchar as gpu_architecture, null::boolean as gpu_apple,
                   null::varchar as tpu, null::int as ipu_count,
                   -- 60 % saved code (hashes of this quarter, skewed), 70 % sent telemetry
                   case when (h >> 40) % 10 < 6 then 'h' || {qi} || '_' || ((h >> 3) % {n_hashes}) * ((h >> 7) % 97) // 97 end as code_hash,
                   null::varchar as client_version,
                   case when (h >> 44) % 10 < 7 then list_sort(list_distinct([1 + (h >> 50) % 12, 1 + (h >> 54) % 12, 11, 50][1:2 + (h >> 58) % 3]))::int[] end as telemetry_imports,
                   []::int[] as telemetry_env, []::varchar[] as media_types,
                   timestamp '{start}' as updated_at, null::varchar as extra, 'bench' as source_file, i as source_row
            from r
        """)
    union = " union all by name ".join(f"select * from raw.runs__{q.table_suffix}" for q in quarters)
    conn.execute(f"create view raw.runs as {union}")
    for entity, cols in (("sweeps", "sweep_id, user_id, project, created_at, method, updated_at"),
                         ("artifacts", "artifact_id, user_id, run_id, project, type, created_at, size_bytes, updated_at")):
        typed = ", ".join(f"null::{'timestamp' if c.endswith('_at') else 'bigint' if c == 'size_bytes' else 'varchar'} as {c}"
                          for c in cols.split(", "))
        conn.execute(f"create table raw.{entity} as select {typed} limit 0")
    sizes = {
        "runs_per_quarter": runs_per_quarter,
        "quarters": len(quarters),
        "distinct_code_hashes_per_quarter": n_hashes,
        "distinct_telemetry_lists": conn.execute("select count(distinct telemetry_imports) from raw.runs").fetchone()[0],
        "file_mb_after_load": round(path.stat().st_size / 1e6, 1),
        "generate_seconds": round(time.perf_counter() - t0, 1),
    }
    conn.close()
    return sizes


def dbt_build(path: Path, quarter: Quarter, target: Path) -> dict:
    warehouse = Warehouse(database=str(path))  # profiles.yml reads its path from the environment it gives
    window = {"start_date": quarter.partition_key, "end_date": quarter.end.isoformat()}
    project = str(ROOT / "dbt_project")
    common = ["--project-dir", project, "--profiles-dir", project, "--target-path", str(target)]
    subprocess.run([dbt_executable(), *warehouse.dbt_args("seed"), *common], cwd=warehouse.dbt_cwd, check=True, capture_output=True,
                   env={**os.environ, **warehouse.dbt_env()})
    t0 = time.perf_counter()
    proc = subprocess.run([dbt_executable(), *warehouse.dbt_args("build", "--select", SELECT), *common],
                          cwd=warehouse.dbt_cwd, capture_output=True, text=True, env={**os.environ, **warehouse.dbt_env(window)})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-4000:] + proc.stderr[-2000:])
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results
              if r["unique_id"].startswith("model.")}
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith(("test.", "unit_test.")))
    return {"wall_seconds": round(wall, 1), "tests_seconds": round(tests, 1), "model_seconds": models}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000_000, help="runs per quarter")
    parser.add_argument("--quarters", type=int, default=1, help="quarters loaded (the last one is built)")
    parser.add_argument("--keep", help="build the warehouse in this folder and keep it")
    args = parser.parse_args(argv)
    quarters = quarter_range(Quarter(2022, 5 - args.quarters), Quarter(2022, 4)) if args.quarters <= 4 else None
    if quarters is None:
        raise SystemExit("--quarters: at most 4")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_frameworks_"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / WAREHOUSE_FILE
    path.unlink(missing_ok=True)
    try:
        sizes = build_warehouse(path, args.runs, quarters)
        print(f"warehouse: {sizes}")
        first = dbt_build(path, quarters[-1], folder / "target")
        print(f"first build of {quarters[-1]}: {first['wall_seconds']} s")
        rerun = dbt_build(path, quarters[-1], folder / "target")
        print(f"rerun of {quarters[-1]}: {rerun['wall_seconds']} s")
        with duckdb.connect(str(path), read_only=True) as conn:
            rows = dict(conn.execute("""
                select schema_name || '.' || table_name, estimated_size from duckdb_tables()
                where schema_name in ('intermediate', 'marts')""").fetchall())
        results = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__},
            "sizes": sizes, "first_build": first, "rerun": rerun,
            "rows": rows, "file_mb_after_rerun": round(path.stat().st_size / 1e6, 1),
        }
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        for name, seconds in sorted(first["model_seconds"].items(), key=lambda kv: -kv[1]):
            print(f"  {seconds:7.2f} s  {name}")
        print(f"tests: {first['tests_seconds']} s; file {results['file_mb_after_rerun']} MB after a rerun")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

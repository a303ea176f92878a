"""Benchmark of import extraction (not a test): files/s for full ast vs prefilter, one core vs a pool,
end to end through DuckDB, and what that means for one quarter of runs.

    .venv/bin/python bench/code_imports.py [--files 3000] [--seed 0]
        [--blobs 'PARQUET_GLOB' [--limit N]] [--reference GIT_REV] [--quarter 'PARQUET_GLOB' --work DIR]

Sources are synthesised from the unit-test corpus: whole top-level statements of its valid scripts
recombined into 50-400-line scripts (so every one parses), about 10 % turned into notebooks with magics
and 3 % given a Python 2 ``print`` statement (the full strategy's fallback path). ``--blobs`` measures
real code blobs instead (a landing zone's ``code_blobs`` Parquet files, read only; ``--limit`` of them,
spread over the hashes). ``--reference REV`` also loads ``extract.py`` as it was at that git revision
and checks, on the same sources plus the unit corpus, that both give identical modules, method and
error, and measures both on one core in the same sitting (CPU time, interleaved, best of 3).
``--quarter`` runs ``update_code_imports`` with two workers on every blob of the glob (a full quarter's
new code), from a DuckDB file built once in ``--work``. Writes ``bench/results_code_imports.json`` and
prints a table.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.util
import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from functools import cache, partial
from pathlib import Path

import duckdb
import pyarrow as pa

from assets.code_imports.cache import DDL, SCHEMA, update_code_imports
from assets.code_imports.extract import extract_imports

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "unit" / "code_imports" / "corpus"
RESULTS = Path(__file__).with_name("results_code_imports.json")

# The quarter being projected (the talk's 2022: ~125 M runs a year, so ~31 M a quarter).
RUNS_PER_QUARTER = 31_000_000
DISTINCT_CODE_RATIO = 0.03
NEW_HASH_SHARE = 0.30  # of a quarter's distinct hashes, those never seen in an earlier quarter
WORKERS = 2


# --- the synthetic mix --------------------------------------------------------------------------------


def _chunks(source: str) -> tuple[list[str], list[str]]:
    """Top-level import statements and other top-level statements of a valid script, as source text."""
    lines = source.splitlines()
    imports, others = [], []
    for node in ast.parse(source).body:
        text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
        is_import = isinstance(node, ast.Import | ast.ImportFrom) and getattr(node, "module", None) != "__future__"
        (imports if is_import else others).append(text)
    return imports, others


def _templates() -> tuple[list[list[str]], list[str]]:
    manifest = json.loads((CORPUS / "expected.json").read_text())["files"]
    import_sets, bodies = [], []
    for name, entry in sorted(manifest.items()):
        if not name.endswith(".py") or entry.get("full_method", entry["method"]) != "ast" or not entry["modules"]:
            continue
        try:
            imports, others = _chunks((CORPUS / name).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, SyntaxError):
            continue
        import_sets.append(imports)
        bodies.extend(others)
    return import_sets, bodies


def _script(rng: random.Random, import_sets: list[list[str]], bodies: list[str], index: int) -> str:
    imports = list(dict.fromkeys(stmt for s in rng.sample(import_sets, rng.randint(1, 3)) for stmt in s))
    target = rng.randint(50, 400)
    parts = [f'"""Experiment {index}: synthetic training script."""', *imports, f"RUN_SEED = {index}"]
    length = sum(p.count("\n") + 1 for p in parts)
    while length < target:
        block = rng.choice(bodies)
        parts.append(block)
        length += block.count("\n") + 2
    return "\n\n".join(parts) + "\n"


def _notebook(rng: random.Random, script: str) -> str:
    blocks = script.split("\n\n")
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Experiment\n", "We import the data and train."]}]
    cells.append(_cell(["!pip install -q wandb\n", "%matplotlib inline"]))
    for start in range(0, len(blocks), 4):
        cells.append(_cell(("\n\n".join(blocks[start : start + 4])).splitlines(keepends=True)))
    if rng.random() < 0.5:
        cells.append(_cell(["model?"]))
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def _cell(source: list[str]) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def synthesise(n: int, seed: int) -> list[tuple[str, str]]:
    """(path, source) pairs, all distinct."""
    rng = random.Random(seed)
    import_sets, bodies = _templates()
    out = []
    for index in range(n):
        script = _script(rng, import_sets, bodies, index)
        roll = rng.random()
        if roll < 0.10:
            out.append((f"nb_{index}.ipynb", _notebook(rng, script)))
        elif roll < 0.13:
            out.append((f"py2_{index}.py", script + '\nprint "done"\n'))
        else:
            out.append((f"train_{index}.py", script))
    return out


def real_blobs(glob: str, limit: int | None) -> list[tuple[str, str]]:
    """(path, source) of landing-zone code blobs; ``limit`` of them, spread over the hashes."""
    conn = duckdb.connect()
    try:
        conn.execute("set enable_progress_bar = false")
        order = f"order by hash(code_hash) limit {int(limit)}" if limit else ""
        return conn.execute(f"select path, source from read_parquet(?) {order}", [glob]).fetchall()
    finally:
        conn.close()


# --- the reference: the same sources through extract.py as it was --------------------------------------


def load_reference(rev: str):
    """``assets/code_imports/extract.py`` at git revision ``rev``, imported as a module of its own."""
    code = subprocess.run(
        ["git", "show", f"{rev}:assets/code_imports/extract.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "reference_extract.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("reference_extract", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def compare_with_reference(reference, rev: str, blobs: list[tuple[str, str]], repeat: int = 3) -> dict:
    """Identical results (modules, method, error) old vs new, and CPU us per file of each on one core."""
    corpus = []
    for file in sorted(CORPUS.rglob("*")):
        if file.is_file():
            data = file.read_bytes()
            text = data.decode("utf-8", "replace")
            corpus += [(file.name, data), (file.name, text), (None, text)]
    differences, checked = [], 0
    for prefilter, sources in ((True, blobs + corpus), (False, blobs[-4000:] + corpus)):
        for path, source in sources:
            old = reference.extract_imports(source, path, prefilter=prefilter, local_modules=("data",))
            new = extract_imports(source, path, prefilter=prefilter, local_modules=("data",))
            checked += 1
            if (old.modules, old.method, old.error) != (new.modules, new.method, new.error):
                differences.append({"path": path, "prefilter": prefilter, "old": repr(old), "new": repr(new)})
    cpu = {"old": float("inf"), "new": float("inf")}
    for _ in range(repeat):  # interleaved, so that both see the same load
        for name, fn in (("old", reference.extract_imports), ("new", extract_imports)):
            _clear_caches()
            started = time.process_time()
            for path, source in blobs:
                fn(source, path)
            cpu[name] = min(cpu[name], time.process_time() - started)
    old_us, new_us = cpu["old"] / len(blobs) * 1e6, cpu["new"] / len(blobs) * 1e6
    return {
        "reference": rev,
        "results_compared": checked,
        "differences": len(differences),
        "first_differences": differences[:5],
        "files_timed": len(blobs),
        "old_cpu_us_per_file": round(old_us, 1),
        "new_cpu_us_per_file": round(new_us, 1),
        "old_files_per_s_per_core": round(1e6 / old_us),
        "new_files_per_s_per_core": round(1e6 / new_us),
        "speed_up": round(old_us / new_us, 2),
    }


def _clear_caches() -> None:
    """A measurement starts as a fresh worker would: no import statement seen yet."""
    from assets.code_imports import extract

    extract._simple_cache.clear()
    extract._local_modules_of_path.cache_clear()


# --- a full quarter, end to end ---------------------------------------------------------------------------


def measure_quarter(glob: str, work: Path, workers: int) -> dict:
    """update_code_imports over every blob of ``glob``: the asset's step for one quarter's new code."""
    work.mkdir(parents=True, exist_ok=True)
    db = work / "quarter.duckdb"
    if not db.exists():  # built once: loading 2 GB of sources is not what is measured
        conn = duckdb.connect(str(db))
        try:
            conn.execute("set enable_progress_bar = false")
            conn.execute("create schema raw")
            conn.execute(
                "create table raw.code_blobs as select code_hash, path, source from read_parquet(?)", [glob]
            )
            conn.execute("checkpoint")
        finally:
            conn.close()
    conn = duckdb.connect(str(db))
    try:
        conn.execute(f"drop schema if exists {SCHEMA} cascade")
        conn.execute("checkpoint")
        cpu, wall = _cpu_split(), time.perf_counter()
        load = os.getloadavg()[0]
        stats = update_code_imports(conn, "select code_hash, path, source from raw.code_blobs", workers=workers)
        wall = time.perf_counter() - wall
        parent, children = (after - before for after, before in zip(_cpu_split(), cpu, strict=True))
    finally:
        conn.close()
    total_cpu = parent + children
    return {
        "workers": workers,
        "files": stats.parsed_now,
        "wall_s": round(wall, 1),
        "files_per_s_wall": round(stats.parsed_now / wall),
        "parent_cpu_s": round(parent, 1),
        "workers_cpu_s": round(children, 1),
        "cpu_us_per_file": round(total_cpu / stats.parsed_now * 1e6, 1),
        # What one quiet core does, all CPU (reading, parsing, writing back, the pool's start) counted.
        "files_per_s_per_core": round(stats.parsed_now / total_cpu),
        "pool_batches": stats.pool_batches,
        "by_method": stats.by_method,
        "errors": stats.errors,
        "loadavg_1m_before_after": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


def _cpu_split() -> tuple[float, float]:
    """(this process, its ended children): CPU seconds, all threads."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), usage.ru_utime + usage.ru_stime


# --- measurements ---------------------------------------------------------------------------------------


def _extract_all(blobs: list[tuple[str, str]], prefilter: bool) -> list:
    return [extract_imports(source, path, prefilter=prefilter) for path, source in blobs]


def measure_extract(blobs: list[tuple[str, str]], prefilter: bool, workers: int, repeat: int = 3) -> dict:
    """files/s of extract_imports alone, best of ``repeat`` (the machine is shared: the best run is the
    least disturbed one), and CPU ms per file, which other load barely changes."""
    best_wall = best_cpu = float("inf")
    startup = 0.0
    for _ in range(repeat):
        if workers == 1:
            wall, cpu, results = _timed_in_process(blobs, prefilter)
        else:
            wall, cpu, startup, results = _timed_pool(blobs, prefilter, workers)
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
    return {
        "strategy": "prefilter" if prefilter else "full_ast",
        "workers": workers,
        "files": len(blobs),
        "seconds": round(best_wall, 3),
        "files_per_s": round(len(blobs) / best_wall, 1),
        "cpu_ms_per_file": round(best_cpu / len(blobs) * 1000, 3),
        "pool_startup_s": round(startup, 3),
        "methods": dict(sorted(Counter(r.method for r in results).items())),
    }


def _timed_in_process(blobs: list[tuple[str, str]], prefilter: bool) -> tuple[float, float, list]:
    _clear_caches()  # a repetition must not find the statements of the previous one
    wall, cpu = time.perf_counter(), time.process_time()
    results = _extract_all(blobs, prefilter)
    return time.perf_counter() - wall, time.process_time() - cpu, results


def _timed_pool(blobs: list[tuple[str, str]], prefilter: bool, workers: int) -> tuple[float, float, float, list]:
    """Wall time after start-up; CPU of parent and workers together (a worker's CPU is known once it
    exits), minus what starting an idle pool costs."""
    cpu = _cpu_with_children()
    started = time.perf_counter()
    with _started_pool(workers) as pool:
        startup = time.perf_counter() - started
        fn = partial(extract_imports, prefilter=prefilter)
        wall = time.perf_counter()
        chunksize = max(1, len(blobs) // (workers * 8))
        results = list(pool.map(fn, [s for _, s in blobs], [p for p, _ in blobs], chunksize=chunksize))
        wall = time.perf_counter() - wall
    return wall, _cpu_with_children() - cpu - _idle_pool_cost(workers)[1], startup, results


def _started_pool(workers: int) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    # Every worker started and through its first (import-paying) extraction.
    list(pool.map(extract_imports, ["import torch\n"] * workers * 4, chunksize=1))
    return pool


@cache
def _idle_pool_cost(workers: int) -> tuple[float, float]:
    """(wall s, CPU s) of starting, warming and stopping a pool that parses nothing."""
    wall, cpu = time.perf_counter(), _cpu_with_children()
    _started_pool(workers).shutdown()
    return time.perf_counter() - wall, _cpu_with_children() - cpu


def _cpu_with_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + usage.ru_utime + usage.ru_stime


def per_file_latency(blobs: list[tuple[str, str]], prefilter: bool, sample: int = 500) -> dict:
    times = []
    for path, source in blobs[:sample]:
        started = time.perf_counter()
        extract_imports(source, path, prefilter=prefilter)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 3), "p99_ms": round(times[int(len(times) * 0.99) - 1], 3)}


def measure_end_to_end(blobs: list[tuple[str, str]], workers: int, repeat: int = 2) -> dict:
    """update_code_imports on a DuckDB file: the first call parses all, the second finds nothing new."""
    runs = [_end_to_end_once(blobs, workers) for _ in range(repeat)]
    best = min(runs, key=lambda run: run["first_call_s"])
    best["cpu_ms_per_file"] = min(run["cpu_ms_per_file"] for run in runs)
    return best


def _end_to_end_once(blobs: list[tuple[str, str]], workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "bench.duckdb"))
        conn.execute("create schema raw")
        conn.execute("create table raw.code_blobs (code_hash varchar, path varchar, source varchar)")
        rows = [(hashlib.sha256(s.encode()).hexdigest(), p, s) for p, s in blobs]
        conn.register("rows_table", _rows_table(rows))
        conn.execute("insert into raw.code_blobs select * from rows_table")
        conn.unregister("rows_table")
        conn.execute("checkpoint")  # else the first commit of the measured call writes the sources out
        query = "select code_hash, path, source from raw.code_blobs"
        cpu = _cpu_with_children()
        # pool_min_rows=1: measure the pool whenever workers > 1, whatever the (small) sample size.
        first = update_code_imports(conn, query, workers=workers, pool_min_rows=1)
        idle_wall, idle_cpu = _idle_pool_cost(workers) if workers > 1 else (0.0, 0.0)
        cpu = _cpu_with_children() - cpu - idle_cpu
        second = update_code_imports(conn, query, workers=workers)
        conn.close()
    return {
        "workers": workers,
        "files": first.parsed_now,
        "first_call_s": first.seconds,
        "files_per_s": round(first.parsed_now / first.seconds, 1),
        # Without the pool's start-up, which a quarter's hundreds of thousands of sources amortise.
        "steady_files_per_s": round(first.parsed_now / max(first.seconds - idle_wall, 1e-3), 1),
        "cpu_ms_per_file": round(cpu / first.parsed_now * 1000, 3),
        "pool_batches": first.pool_batches,
        "second_call_s": second.seconds,
        "second_call_parsed": second.parsed_now,
        "by_method": first.by_method,
    }


def _rows_table(rows: list[tuple[str, str, str]]) -> pa.Table:
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(("code_hash", "path", "source"))})


def measure_noop_at_scale(distinct: int, already: int) -> dict:
    """The SQL side at quarter scale: offered hashes anti-joined against those parsed before."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = duckdb.connect(str(Path(tmp) / "scale.duckdb"))
        conn.execute("create schema raw")
        conn.execute(
            f"create table raw.code_blobs as select sha256(i::varchar) as code_hash, 'train.py' as path, "
            f"'' as source from range({distinct}) t(i)"
        )
        conn.execute(DDL)
        conn.execute(
            f"insert into code_imports.parsed_code select code_hash, [], 'empty', null, 0, now()::timestamp "
            f"from raw.code_blobs limit {already}"
        )
        # Only the already-parsed hashes are offered: the cost of finding nothing to do.
        query = f"select code_hash, path, source from raw.code_blobs limit {already}"
        stats = update_code_imports(conn, query, workers=1)
        conn.close()
    return {"offered": stats.seen, "already_parsed": stats.already_parsed, "seconds": stats.seconds}


# --- projection ---------------------------------------------------------------------------------------


def project(basis: str, files_per_s: float, fixed_s: float = 0.0) -> dict:
    distinct = int(RUNS_PER_QUARTER * DISTINCT_CODE_RATIO)
    new = int(distinct * NEW_HASH_SHARE)
    return {
        "basis": basis,
        "files_per_s": round(files_per_s, 1),
        "first_run_min": round((distinct / files_per_s + fixed_s) / 60, 1),
        "incremental_run_min": round((new / files_per_s + fixed_s) / 60, 1),
        "no_dedup_h": round(RUNS_PER_QUARTER / files_per_s / 3600, 1),
    }


def projections(extract_rows: list[dict], e2e_rows: list[dict], noop_s: float) -> list[dict]:
    """One core from CPU time (what a quiet core would do), pools from their measured wall time."""
    out = []
    for row in extract_rows:
        if row["workers"] == 1:
            out.append(project(f"extract, {row['strategy']}, 1 core (CPU time)", 1000 / row["cpu_ms_per_file"]))
        else:
            out.append(project(f"extract, {row['strategy']}, {row['workers']} workers (wall)", row["files_per_s"]))
    for row in e2e_rows:
        if row["workers"] == 1:
            rate, how = 1000 / row["cpu_ms_per_file"], "1 core (CPU time)"
        else:
            rate, how = row["steady_files_per_s"], f"{row['workers']} workers (wall, after start-up)"
        out.append(project(f"update_code_imports, {how}", rate, noop_s))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--blobs", help="Parquet glob of real code blobs to measure instead of synthesised ones")
    parser.add_argument("--limit", type=int, help="at most this many of --blobs")
    parser.add_argument("--reference", help="git revision whose extract.py the results must equal")
    parser.add_argument("--quarter", help="Parquet glob of a full quarter's code blobs: end to end, 2 workers")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench_code_imports")
    args = parser.parse_args(argv)

    if args.quarter:
        quarter = measure_quarter(args.quarter, args.work, WORKERS)
        print(json.dumps(quarter, indent=2))
        _merge_results({"quarter_end_to_end": {"glob": args.quarter, **quarter}})
        return 0

    blobs = real_blobs(args.blobs, args.limit) if args.blobs else synthesise(args.files, args.seed)
    reference = None
    if args.reference:
        reference = compare_with_reference(load_reference(args.reference), args.reference, blobs)
        print(f"reference {args.reference}: {json.dumps(reference, indent=2)}", flush=True)
        if reference["differences"]:
            print("DIFFERENT RESULTS: see first_differences", file=sys.stderr)
            return 1
    line_counts = [s.count("\n") + 1 for p, s in blobs if p.endswith(".py")]
    mix = {
        "sources": args.blobs or "synthesised",
        "files": len(blobs),
        "notebooks": sum(p.endswith(".ipynb") for p, _ in blobs),
        "py2": sum(p.startswith("py2_") for p, _ in blobs),
        "mean_script_lines": round(statistics.mean(line_counts)),
        "mean_bytes": round(statistics.mean(len(s) for _, s in blobs)),
    }
    print(f"mix: {mix}", flush=True)
    load_before = os.getloadavg()
    # Warm up once: regex compilation, and pyarrow importing pandas on its first list conversion.
    _extract_all(blobs[:200], True)
    _end_to_end_once(blobs[:50], 1)

    extract_rows = [measure_extract(blobs, prefilter, workers) for prefilter in (False, True) for workers in (1, WORKERS)]
    latency = {"full_ast": per_file_latency(blobs, False), "prefilter": per_file_latency(blobs, True)}
    e2e_rows = [measure_end_to_end(blobs, workers) for workers in (1, WORKERS)]
    distinct = int(RUNS_PER_QUARTER * DISTINCT_CODE_RATIO)
    noop = measure_noop_at_scale(distinct, distinct - int(distinct * NEW_HASH_SHARE))

    results = {
        "machine": {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            # Other work on the machine during the run: wall-clock rates are only as good as this.
            "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
        "mix": mix,
        "reference": reference,
        "extract": extract_rows,
        "latency": latency,
        "end_to_end": e2e_rows,
        "noop_at_quarter_scale": noop,
        "assumptions": {
            "runs_per_quarter": RUNS_PER_QUARTER,
            "distinct_code_ratio": DISTINCT_CODE_RATIO,
            "distinct_hashes": distinct,
            "new_hash_share_incremental": NEW_HASH_SHARE,
        },
        "projection": projections(extract_rows, e2e_rows, noop["seconds"]),
    }
    _merge_results(results)
    _print_table(results)
    return 0


def _merge_results(results: dict) -> None:
    """Write the results; a --quarter run keeps the other measurements and the others keep its."""
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if "quarter_end_to_end" in previous and "quarter_end_to_end" not in results:
        results = {**results, "quarter_end_to_end": previous["quarter_end_to_end"]}
    elif "quarter_end_to_end" in results:
        results = {**previous, **results}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def _print_table(results: dict) -> None:
    m = results["machine"]
    print(f"\n{m['cpus']} CPUs, load average (1 min) before/after: {m['loadavg_1m_before_after']}")
    print(f"{'strategy':<12}{'workers':>8}{'files/s':>10}{'CPU ms/file':>13}{'pool start s':>14}")
    for row in results["extract"]:
        print(f"{row['strategy']:<12}{row['workers']:>8}{row['files_per_s']:>10}{row['cpu_ms_per_file']:>13}{row['pool_startup_s']:>14}")
    for name, lat in results["latency"].items():
        print(f"latency {name}: p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms")
    print(
        f"\n{'end to end (prefilter)':<24}{'workers':>8}{'files/s':>10}{'w/o start-up':>14}{'CPU ms/file':>13}"
        f"{'1st call s':>12}{'2nd call s':>12}"
    )
    for row in results["end_to_end"]:
        print(
            f"{'update_code_imports':<24}{row['workers']:>8}{row['files_per_s']:>10}{row['steady_files_per_s']:>14}"
            f"{row['cpu_ms_per_file']:>13}{row['first_call_s']:>12}{row['second_call_s']:>12}"
        )
    noop = results["noop_at_quarter_scale"]
    print(f"no-op call at quarter scale: {noop['offered']:,} hashes offered, all parsed before: {noop['seconds']} s")
    a = results["assumptions"]
    print(
        f"\nprojection: {a['runs_per_quarter']:,} runs x {a['distinct_code_ratio']:.0%} distinct = {a['distinct_hashes']:,} hashes;"
        f" incremental = {a['new_hash_share_incremental']:.0%} of them new"
    )
    print(f"{'basis':<60}{'files/s':>9}{'first min':>11}{'incr. min':>11}{'no dedup h':>12}")
    for row in results["projection"]:
        print(
            f"{row['basis']:<60}{row['files_per_s']:>9}{row['first_run_min']:>11}"
            f"{row['incremental_run_min']:>11}{row['no_dedup_h']:>12}"
        )


if __name__ == "__main__":
    sys.exit(main())

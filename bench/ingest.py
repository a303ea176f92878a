"""Ingestion benchmark (not a test): one quarter's load against its floor, the bare copy of the same files.

On one landing zone, for one quarter and entity, each in a fresh process with the warehouse's own
connection settings (the `Warehouse` resource: memory limit, threads, spill folder) and an empty
warehouse, it measures:
  floor: `create table t as select * from read_parquet(<the quarter's landing files>)`;
  load:  `load_quarter(conn, landing, entity, quarter)` (hashes, validation, quarantine, dedupe,
         the atomic replace; what the raw asset runs).
Seconds of the statement (wall and CPU, all threads), peak RSS of the process (bench/scale.py's
`measured`), and the load's accounting. The files are read once before each measure (warm page cache
for both). With --repeat, floor and load alternate and the best of each is kept (the machine is shared).
`--root` imports the loader from another checkout (e.g. an export of an earlier commit: before/after).
Writes bench/results_ingest.json (or --out).

    .venv/bin/python bench/ingest.py --landing /work/data/full2022/landing --quarter 2022Q4 --work /tmp/stateofml-bench-ingest
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scale import measured  # noqa: E402
from stateofml.contract import landing_files  # noqa: E402
from stateofml.quarters import Quarter  # noqa: E402

RESULTS = Path(__file__).with_name("results_ingest.json")


def _child(args: argparse.Namespace) -> None:
    """One measure, in this process: the statement's seconds and the load's figures into --result."""
    sys.path.insert(0, str(Path(args.root).resolve()))
    from assets.ingest.load import load_quarter
    from stateofml.platform.resources import Warehouse

    quarter = Quarter.parse(args.quarter)
    landing = Path(args.landing)
    out: dict = {}
    with Warehouse(database=str(Path(args.work) / "warehouse" / "stateofml.duckdb")).get_connection() as conn:
        wall, cpu = time.perf_counter(), time.process_time()
        if args.child == "floor":
            files = [str(p) for p in landing_files(landing, args.entity, quarter.start, quarter.end)]
            conn.execute("create table t as select * from read_parquet(?)", [files])
            out["rows"] = conn.execute("select count(*) from t").fetchone()[0]
        else:
            stats = load_quarter(conn, landing, args.entity, quarter)
            out.update(read=stats.read, loaded=stats.loaded, quarantined=stats.quarantined,
                       deduplicated=stats.deduplicated, balanced=stats.balanced, failed_files=len(stats.failed_files))
        out["seconds"] = round(time.perf_counter() - wall, 2)
        out["cpu_seconds"] = round(time.process_time() - cpu, 2)
    Path(args.result).write_text(json.dumps(out))


def _warm(files: list[Path]) -> None:
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def _measure(kind: str, args: argparse.Namespace, files: list[Path]) -> dict:
    work = Path(args.work) / kind
    (work / "warehouse").mkdir(parents=True, exist_ok=True)
    for old in (work / "warehouse").glob("stateofml.duckdb*"):
        old.unlink()
    _warm(files)
    result = work / "result.json"
    m = measured([sys.executable, __file__, "--child", kind, "--result", str(result), "--root", args.root,
                  "--landing", args.landing, "--quarter", args.quarter, "--entity", args.entity, "--work", str(work)])
    return {**json.loads(result.read_text()), "process_seconds": m.seconds, "peak_rss_mb": m.peak_rss_mb}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--landing", required=True)
    p.add_argument("--quarter", default="2022Q4")
    p.add_argument("--entity", default="runs")
    p.add_argument("--work", default="/tmp/stateofml-bench-ingest")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--root", default=str(ROOT), help="the checkout whose loader is measured")
    p.add_argument("--out", default=str(RESULTS))
    p.add_argument("--child", choices=("floor", "load"), help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args)
        return 0

    quarter = Quarter.parse(args.quarter)
    files = landing_files(args.landing, args.entity, quarter.start, quarter.end)
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {"floor": [], "load": []}
    for _ in range(args.repeat):
        for kind in ("floor", "load"):
            runs[kind].append(_measure(kind, args, files))
            print(f"{kind}: {runs[kind][-1]}", flush=True)
    best = {kind: min(rs, key=lambda r: r["seconds"]) for kind, rs in runs.items()}
    results = {
        "landing": args.landing, "quarter": quarter.compact, "entity": args.entity, "root": args.root,
        "files": len(files), "bytes": sum(f.stat().st_size for f in files),
        "cpus": os.cpu_count(),
        "loadavg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "floor": best["floor"], "load": best["load"],
        "ratio_seconds": round(best["load"]["seconds"] / best["floor"]["seconds"], 2),
        "ratio_cpu": round(best["load"]["cpu_seconds"] / best["floor"]["cpu_seconds"], 2),
        "all": runs,
    }
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    f, l = best["floor"], best["load"]
    print(f"\n{args.entity} {quarter.compact}: {len(files)} files, {results['bytes'] / 2**20:.0f} MB; "
          f"load average {results['loadavg_1m_before_after']}")
    print(f"{'':8}{'seconds':>9}{'CPU s':>8}{'process s':>11}{'peak RSS MB':>13}")
    for kind, r in (("floor", f), ("load", l)):
        print(f"{kind:8}{r['seconds']:>9}{r['cpu_seconds']:>8}{r['process_seconds']:>11}{r['peak_rss_mb']:>13}")
    print(f"load / floor: {results['ratio_seconds']} (seconds), {results['ratio_cpu']} (CPU); rows copied {f['rows']:,}, "
          f"read {l['read']:,} = loaded {l['loaded']:,} + quarantined {l['quarantined']:,} + deduplicated "
          f"{l['deduplicated']:,}: {l['balanced']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

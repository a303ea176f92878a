"""What the all-history uniqueness test on fct_runs.run_id costs (dbt test unique_across_history,
dbt_project/macros/generic_tests.sql): one group-by over the key, against grouping 64-bit hashes first
and comparing the keys behind repeated hashes, on a table of N run ids shaped like wandb's (8 chars),
with the pipeline's DuckDB settings (2 threads, 3 GB).

    .venv/bin/python bench/unique_across_history.py WORK_DIR [N]     # N defaults to 125 M (2022's runs)

Measured on the shared 2-core machine (2026-12-03), 125 M rows, in seconds:
  load ~1.9: scan alone (count, sum of hashes) 3.0; hashes grouped (first pass alone) 18.0; by key 25.6
  load ~1.9: hash first, whole test 33.1; by key 23.6
  load ~4-6: hash first 53.1 / 63.7 (IN) / 54.9 (materialized CTE, semi join); by key 27.6 / 62.4
Hash-first is no cheaper: the ids are inline strings to DuckDB, and the second pass is a scan more.
"""

import sys
import time
from pathlib import Path

import duckdb

QUERIES = {
    "by key (the test)": "select run_id, count(*) from fct_runs group by run_id having count(*) > 1",
    "hash first": """
        with repeated as (select hash(run_id) as h from fct_runs group by 1 having count(*) > 1)
        select run_id, count(*) from fct_runs where hash(run_id) in (select h from repeated)
        group by run_id having count(*) > 1""",
}


def main(work: Path, n: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(work / "runs.duckdb"))
    try:
        con.execute(f"set threads = 2; set memory_limit = '3GB'; set temp_directory = '{work / 'tmp'}'")
        if not con.execute("select count(*) from duckdb_tables() where table_name = 'fct_runs'").fetchone()[0]:
            # Distinct 8-character ids (a permutation of 0..2^32), like wandb's base-36 run ids in length.
            con.execute(f"create table fct_runs as select printf('%08x', (i * 2654435761) % 4294967296) as run_id "
                        f"from range({n}) t(i)")
        for name, sql in QUERIES.items():
            t = time.monotonic()
            rows = con.execute(sql).fetchall()
            print(f"{name}: {time.monotonic() - t:.1f}s, {len(rows)} duplicates", flush=True)
    finally:
        con.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 125_000_000)

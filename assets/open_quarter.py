"""A preview of the quarter in progress, to date, kept apart from the closed quarters.

The pipeline's partitions end at the last closed quarter (stateofml/platform/partitions.py, end_offset=0),
so the report, its charts and the analysts' copy only ever show closed quarters. A preview builds
the open quarter from the same landing zone into its own warehouse,
``<data>/preview/<yyyyQn>/stateofml.duckdb``, replaced whole each time: the same ingestion, import
detection and dbt models (window = the open quarter), labelled "to date" by its place and by the
``preview_info`` table it holds (quarter, as-of time, days covered). Nothing of it reaches the
pipeline's warehouse, the report pages or the analysts' copy. Its charts and page, beside it in the
same folder: ``assets/report/preview.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from assets.code_imports.cache import update_code_imports
from assets.ingest.load import load_quarter, load_snapshot, table_name
from stateofml.contract import ENTITIES
from stateofml.quarters import Quarter


@dataclass
class Preview:
    quarter: Quarter
    as_of: datetime
    warehouse: Path
    label: str  # "2026 Q4 to date (as of 2026-12-02, 63 of 92 days)"
    dbt_log: Path


def preview_label(quarter: Quarter, as_of: datetime) -> str:
    days = (quarter.end - quarter.start).days
    covered = min(max((as_of.date() - quarter.start).days + 1, 0), days)
    return f"{quarter.year} Q{quarter.q} to date (as of {as_of.date().isoformat()}, {covered} of {days} days)"


def preview_open_quarter(
    data: Path, landing: Path, quarter: Quarter, *, dbt: str, project_dir: Path, select: list[str] | None = None
) -> Preview:
    """Build ``quarter`` (the open one) into its own warehouse; raises RuntimeError if dbt fails."""
    as_of = datetime.now(UTC)
    folder = data / "preview" / quarter.compact
    if folder.exists():
        shutil.rmtree(folder)  # replaced whole: a preview is never appended to
    folder.mkdir(parents=True)
    warehouse = folder / "stateofml.duckdb"
    conn = duckdb.connect(str(warehouse))
    try:
        load_snapshot(conn, landing, "users")
        for name, entity in ENTITIES.items():
            if entity.quarterly:
                load_quarter(conn, landing, name, quarter)
        update_code_imports(conn, f"select code_hash, path, source from {table_name('code_blobs', quarter)}", workers=1)
        label = preview_label(quarter, as_of)
        conn.execute(
            "create or replace table main.preview_info as select ? as quarter, ? as quarter_start, ? as as_of, ? as label",
            [quarter.compact, quarter.start, as_of, label],
        )
    finally:
        conn.close()
    args = [
        dbt, "build", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target-path", str(folder / "dbt_target"), "--log-path", str(folder / "logs"),
        # The warehouse as dbt vars, as the Warehouse resource passes it (dbt_project/profiles.yml).
        "--vars", json.dumps({"start_date": quarter.partition_key, "end_date": quarter.end.isoformat(),
                              "stateofml_warehouse": str(warehouse),
                              "stateofml_duckdb_temp_directory": str(folder / "tmp")}),
        "--exclude", "resource_type:unit_test",
    ]
    if select:
        args += ["--select", *select, "--indirect-selection", "cautious"]  # tests of unselected models wait
    log = folder / "dbt.log"
    with open(log, "w") as out:
        result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dbt build of the {quarter.compact} preview failed (exit {result.returncode}); see {log}")
    return Preview(quarter, as_of, warehouse, label, log)

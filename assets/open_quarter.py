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
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from assets.code_imports.assets import blobs_query
from assets.code_imports.cache import update_code_imports
from assets.ingest.load import load_quarter, load_snapshot
from stateofml.contract import ENTITIES
from stateofml.platform.paths import DataDir
from stateofml.quarters import Quarter

# The preview's one dbt build is stopped after this long. Generous: a full-size quarter's build takes
# about 3 minutes on 2 cores (bench/results.md, quarterly_models) and a few times that on a busy
# machine; a build still going after an hour is stuck (a lock never released, a hung adapter), and a
# preview that never ends would keep its terminal and its folder for ever.
DBT_PREVIEW_TIMEOUT_S = 3600


@dataclass
class Preview:
    quarter: Quarter
    as_of: datetime
    warehouse: Path
    label: str  # "2026 Q4 to date (as of 2026-12-02, 63 of 92 days)"
    dbt_log: Path  # dbt's output of the build (the CLI prints where it is)


def preview_label(quarter: Quarter, as_of: datetime) -> str:
    days = (quarter.end - quarter.start).days
    covered = min(max((as_of.date() - quarter.start).days + 1, 0), days)
    return f"{quarter.year} Q{quarter.q} to date (as of {as_of.date().isoformat()}, {covered} of {days} days)"


def preview_open_quarter(
    data: DataDir, quarter: Quarter, *, dbt: str, project_dir: Path, select: list[str] | None = None,
    timeout_s: float = DBT_PREVIEW_TIMEOUT_S,
) -> Preview:
    """Build ``quarter`` (the open one) into its own warehouse under ``data.previews``; raises
    RuntimeError if dbt fails or outlasts ``timeout_s``.

    Built in a new folder beside the previous preview and renamed into its place once built: the
    previous preview stays whole until then (and whole if this build fails), and two previews at
    once never delete each other's files half-way."""
    as_of = datetime.now(UTC)
    folder = data.previews / quarter.compact
    data.previews.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{quarter.compact}-new-", dir=data.previews))
    try:
        log = _build(data.landing, quarter, as_of, build, dbt=dbt, project_dir=project_dir, select=select,
                     timeout_s=timeout_s)
        # A folder is not replaced by a rename onto it unless that one is empty: the previous preview
        # is renamed onto an empty folder of its own first, then removed.
        old = Path(tempfile.mkdtemp(prefix=f".{quarter.compact}-old-", dir=data.previews))
        if folder.exists():
            os.rename(folder, old)
        os.rename(build, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return Preview(quarter, as_of, folder / "stateofml.duckdb", preview_label(quarter, as_of), folder / log.name)


def _build(landing: Path, quarter: Quarter, as_of: datetime, folder: Path, *, dbt: str, project_dir: Path,
           select: list[str] | None, timeout_s: float) -> Path:
    """Ingestion, import detection and dbt of ``quarter`` into ``folder``; returns dbt's log."""
    warehouse = folder / "stateofml.duckdb"
    conn = duckdb.connect(str(warehouse))
    try:
        load_snapshot(conn, landing, "users")
        for name, entity in ENTITIES.items():
            if entity.quarterly:
                load_quarter(conn, landing, name, quarter)
        # The pipeline's query (with the project's own modules, local_modules), not one of its own.
        update_code_imports(conn, blobs_query(conn, [quarter]), workers=1)
        conn.execute(
            "create or replace table main.preview_info as select ? as quarter, ? as quarter_start, ? as as_of, ? as label",
            [quarter.compact, quarter.start, as_of, preview_label(quarter, as_of)],
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
    # A failed build's log outlives its folder (removed, the previous preview kept), beside the previews.
    kept = folder.parent / f"{quarter.compact}.failed-dbt.log"
    with open(log, "w") as out:
        try:
            result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, check=False, timeout=timeout_s)
        except subprocess.TimeoutExpired:  # run() has killed dbt
            shutil.copy(log, kept)
            raise RuntimeError(f"dbt build of the {quarter.compact} preview did not finish within {timeout_s:.0f}s "
                               f"(DBT_PREVIEW_TIMEOUT_S in assets/open_quarter.py) and was stopped; the previous "
                               f"preview is kept; see {kept}") from None
        except OSError as exc:
            raise RuntimeError(f"cannot run dbt ({dbt}): {exc}") from None
    if result.returncode != 0:
        shutil.copy(log, kept)
        raise RuntimeError(f"dbt build of the {quarter.compact} preview failed (exit {result.returncode}); the "
                           f"previous preview is kept; see {kept}")
    return log

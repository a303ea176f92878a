"""The import of real run folders as an asset: drop folder -> landing zone.

Why an asset rather than an import inside the sensor: a sensor evaluation must stay short and
side-effect free (it has a time limit and leaves no record but a tick), while an import hashes and
parses every log of the tree. As an asset the import runs in a run -- with logs, retries and a
per-folder status table in its metadata -- and it shows in the lineage graph, upstream of the raw
tables that read what it writes. The quarters it touches are re-materialized by the landing-zone
sensor, the one place that maps landing-zone changes to quarters, whoever wrote them.
"""

import dagster as dg

from stateofml.contract import ENTITIES
from stateofml.platform.resources import LandingZone, RunDropbox
from stateofml.watch import affected_by_files

from .wandb_runs import STATUSES, ImportReport, import_runs

KEY = dg.AssetKey(["landing", "wandb_run_folders"])
# The landing entities an import writes: the raw assets reading them are downstream in lineage.
WRITES = ("runs", "code_blobs", "users", "artifacts", "sweeps")
NO_FAILED_FOLDERS = "no_failed_folders"
# Metadata is stored with every materialization: the full list stays in the run's log.
TABLE_ROWS = 500


def landing_key(entity: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", entity])


# The landing zone's files of each entity, as external assets (Dagster observes them, never builds
# them): exports, the simulator or the run-folder import write them; the raw assets read them. Being
# external, they never make "Materialize all" on the quarterly job ask about an upstream asset
# that was "never materialized" -- which the optional import (downstream of nothing the job runs)
# did when the raw assets depended on it directly.
landing_files = [
    dg.AssetSpec(
        landing_key(entity),
        deps=[KEY] if entity in WRITES else [],
        group_name="raw_activity",
        owners=["team:data-platform"],
        kinds={"file"},
        description=(
            f"The landing zone's {entity} files, `<landing>/{entity}/date=YYYY-MM-DD/` (Parquet or JSON "
            "lines, docs/raw_activity.md), written by the service's exports, the simulator"
            + (" or the import of real run folders" if entity in WRITES else "")
            + ". External: the raw assets read them; nothing here builds them."
        ),
        metadata={"contract": "docs/raw_activity.md"},
    )
    for entity in ENTITIES
]

STATUS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("folder", "string", description="run folder, relative to the drop folder"),
        dg.TableColumn("run_id", "string"),
        dg.TableColumn("status", "string", description=" | ".join(STATUSES)),
        dg.TableColumn("reason", "string", description="why a folder is partial, skipped or failed"),
        dg.TableColumn("created_at", "string"),
        dg.TableColumn("state", "string"),
        dg.TableColumn("user", "string", description="user_id and the rule that attributed it (docs/raw_activity.md)"),
    ]
)


def status_table(report: ImportReport, limit: int = TABLE_ROWS) -> dg.TableMetadataValue:
    # Problems first: a failed folder must not be hidden below hundreds of skipped ones.
    order = {"failed": 0, "partial": 1, "updated": 2, "imported": 3, "skipped": 4}
    rows = sorted(report.rows(), key=lambda r: (order.get(r["status"], 9), r["folder"]))[:limit]
    return dg.MetadataValue.table(
        [
            dg.TableRecord(
                {
                    "folder": r["folder"],
                    "run_id": r["run_id"],
                    "status": r["status"],
                    "reason": r["reason"] or "",
                    "created_at": r["created_at"].isoformat() if r["created_at"] else "",
                    "state": r["state"] or "",
                    "user": f"{r['user_id'] or 'anonymous'} ({r['user_source']})" if r["user_source"] else "",
                }
            )
            for r in rows
        ],
        schema=STATUS_SCHEMA,
    )


@dg.asset(
    key=KEY,
    group_name="raw_activity",
    owners=["team:data-platform"],
    kinds={"python", "parquet"},
    check_specs=[
        dg.AssetCheckSpec(
            NO_FAILED_FOLDERS,
            asset=KEY,
            description="Every run folder in the drop folder could be read (failed folders wrote nothing).",
        )
    ],
    description=(
        "Real run folders written by the wandb client, imported from the drop folder (resource "
        "`dropbox`) into the landing zone as runs, code blobs, users, artifacts and sweeps (docs/raw_activity.md). "
        "Idempotent: unchanged folders are skipped, grown ones (resumed runs) updated. The metadata "
        "holds the per-folder status table and the quarters the import touched."
    ),
)
def wandb_run_folders(context: dg.AssetExecutionContext, dropbox: RunDropbox, landing: LandingZone):
    source, users = dropbox.root, dropbox.users
    if not source.is_dir():
        raise dg.Failure(f"drop folder {source} does not exist", allow_retries=False)
    report = import_runs(source, landing.root, users)
    touched = affected_by_files(report.files, landing.root)
    summary = report.summary()
    for row in report.rows():
        context.log.info(f"{row['status']:>8}  {row['folder']}  {row['reason']}".rstrip())
    for problem in report.problems:
        context.log.warning(problem)
    context.log.info(f"summary: {summary}; quarters touched: {[q.compact for q in touched.quarters]}")
    failed = [r for r in report.rows() if r["status"] == "failed"]
    yield dg.MaterializeResult(
        metadata={
            "source": dg.MetadataValue.path(str(source)),
            "users_file": dg.MetadataValue.path(str(users)) if users else "none",
            **summary,
            "landing_files_written": len(report.files),
            "quarters_touched": ", ".join(q.compact for q in touched.quarters) or "none",
            "reference_touched": touched.reference,
            "folders": status_table(report),
            **({"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in report.problems))} if report.problems else {}),
        }
    )
    yield dg.AssetCheckResult(
        check_name=NO_FAILED_FOLDERS,
        asset_key=KEY,
        passed=not failed,
        # A bad folder is reported, not fatal: the others were imported.
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "failed": len(failed),
            "failed_folders": dg.MetadataValue.md(
                "\n".join(f"- `{r['folder']}`: {r['reason']}" for r in failed[:TABLE_ROWS]) or "none"
            ),
        },
    )

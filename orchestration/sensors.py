"""Sensors: new or changed files in the landing zone, and real run folders in the drop folder.

The chain for real runs: drop folder --(wandb_run_folders_sensor)--> import run (the asset
``landing/wandb_run_folders``) --> landing files --(landing_zone_sensor)--> one run per quarter the
import touched (plus the profiles when users changed). The landing sensor is the one place that
maps landing changes to quarters, so files from the simulator or an export follow the same path.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

import dagster as dg

from stateofml.quarters import FIRST_QUARTER_START
from stateofml.watch import (
    REFERENCE_GROUP,
    Watch,
    affected,
    combined_signature,
    group_quarter,
    scan_landing,
    tree_signature,
)

from .jobs import quarter_and_reference_job, quarterly_job, reference_job, wandb_import_job
from stateofml.platform.resources import LandingZone, RunDropbox
from .schedules import close_time, closed_by

# Changes are handed on once settled (unchanged over one interval); a tree that never stops
# changing (a live run writing its log, a long export) is handed on after MAX_WAIT anyway.
LANDING_INTERVAL, LANDING_MAX_WAIT = 60, 15 * 60
DROPBOX_INTERVAL, DROPBOX_MAX_WAIT = 60, 10 * 60
DROPBOX_KEY = "dropbox"


def landing_run_requests(ready: list[str], current: Mapping[str, str]) -> list[dg.RunRequest]:
    """One run per quarter whose files changed (with the profiles first when users changed too),
    else a reference run for users alone. The run key is the changed groups' signature: the same
    change never runs twice, a later change of the same quarter does."""
    change = affected(ready)
    reference = {REFERENCE_GROUP: current.get(REFERENCE_GROUP)} if change.reference else {}
    requests = []
    for quarter in change.quarters:
        groups = {g: current.get(g) for g in ready if group_quarter(g) == quarter} | reference
        requests.append(
            dg.RunRequest(
                run_key=f"landing:{quarter.compact}:{combined_signature(groups)}",
                job_name=(quarter_and_reference_job if change.reference else quarterly_job).name,
                partition_key=quarter.partition_key,
                tags={
                    "stateofml/trigger": "landing_zone",
                    "stateofml/quarter": quarter.label,
                    "stateofml/changed": ",".join(sorted(groups)),
                },
            )
        )
    if change.reference and not change.quarters:
        requests.append(
            dg.RunRequest(
                run_key=f"landing:{REFERENCE_GROUP}:{combined_signature(reference)}",
                job_name=reference_job.name,
                tags={"stateofml/trigger": "landing_zone", "stateofml/changed": REFERENCE_GROUP},
            )
        )
    return requests


def landing_actionable(now: datetime):
    """Users: always. A quarter: once the schedule has closed it (before, the schedule covers it)."""

    def actionable(group: str) -> bool:
        quarter = group_quarter(group)
        return quarter is None or closed_by(quarter, now)

    return actionable


@dg.sensor(
    name="landing_zone_sensor",
    jobs=[quarter_and_reference_job, quarterly_job, reference_job],
    minimum_interval_seconds=LANDING_INTERVAL,
    # On: the first evaluation only records what is there, so starting it never floods the queue.
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "New or changed files under <landing>/<entity>/date=*/ -> one run per closed quarter they "
        "touch (late data re-materializes its quarter); users files -> the profiles. The first "
        "evaluation records the landing zone as it is (materialize existing data with a backfill)."
    ),
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, landing: LandingZone):
    current = scan_landing(landing.root)
    watch = Watch.load(context.cursor)
    if watch is None:
        quarters = affected(current).quarters
        return dg.SensorResult(
            skip_reason=(
                f"first evaluation: recorded {len(current)} file groups under {landing.root} "
                f"({len(quarters)} quarters with data) as handled; materialize existing data with "
                "`stateofml materialize` or a backfill"
            ),
            cursor=Watch.baseline(current).dump(),
        )
    now = time.time()
    ready, absorbed = watch.step(current, now, LANDING_MAX_WAIT, landing_actionable(datetime.fromtimestamp(now, UTC)))
    for group in absorbed:
        quarter = group_quarter(group)
        context.log.info(
            f"{group} changed; {quarter} closes on {close_time(quarter):%Y-%m-%d %H:%M} UTC (the quarterly schedule runs it)"
            if quarter is not None and quarter.start >= FIRST_QUARTER_START
            else f"{group} changed; outside the report's quarters: ignored"
        )
    requests = landing_run_requests(ready, current)
    for r in requests:
        context.log.info(f"{r.tags['stateofml/changed']} changed -> {r.job_name} {r.partition_key or ''}".rstrip())
    pending = sorted(watch.pending(current))
    skip = None if requests else (f"waiting for {', '.join(pending)} to settle" if pending else "no change")
    return dg.SensorResult(run_requests=requests, skip_reason=skip, cursor=watch.dump())


@dg.sensor(
    name="wandb_run_folders_sensor",
    jobs=[wandb_import_job],
    minimum_interval_seconds=DROPBOX_INTERVAL,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Run folders appearing or growing in the drop folder (resource `dropbox`, default "
        "<data dir>/dropbox/wandb) -> an import run; the landing-zone sensor then runs the "
        "quarters the import touched."
    ),
)
def wandb_run_folders_sensor(context: dg.SensorEvaluationContext, dropbox: RunDropbox):
    root = dropbox.root
    tree = tree_signature(root)
    if tree is None:
        return dg.SkipReason(f"drop folder {root} does not exist")
    signature, files = tree
    current = {DROPBOX_KEY: signature} if files else {}
    watch = Watch.load(context.cursor) or Watch()
    ready, _ = watch.step(current, time.time(), DROPBOX_MAX_WAIT)
    if ready and current:
        context.log.info(f"{root}: {files} files changed -> import")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"dropbox:{signature}",
                    job_name=wandb_import_job.name,
                    tags={"stateofml/trigger": "dropbox", "stateofml/dropbox": str(root)},
                )
            ],
            cursor=watch.dump(),
        )
    pending = watch.pending(current)
    return dg.SensorResult(
        skip_reason=f"{root}: " + ("waiting for the folder to settle" if pending else f"no change ({files} files)"),
        cursor=watch.dump(),
    )

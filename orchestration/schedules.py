"""The quarterly schedule: report the quarter just closed, after a grace period for late data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from stateofml.contract import ENTITIES, landing_files
from stateofml.quarters import FIRST_QUARTER_START, Quarter

from .jobs import quarter_and_reference_job
from stateofml.platform.resources import LandingZone

# 06:00 UTC on the 15th of January, April, July and October: two weeks after a quarter closes,
# late uploads (offline runs synced days later, resumed runs) have mostly arrived.
QUARTER_CLOSE_CRON = "0 6 15 1,4,7,10 *"
GRACE = timedelta(days=14, hours=6)


def quarter_to_close(moment: datetime) -> Quarter:
    """The quarter a tick at ``moment`` reports: the last one that ended before it."""
    return Quarter.containing(moment.astimezone(UTC)).previous()


def close_time(quarter: Quarter) -> datetime:
    """When the schedule closes ``quarter``; before that, its changes wait for the schedule."""
    return quarter.end_datetime + GRACE


def closed_by(quarter: Quarter, moment: datetime) -> bool:
    return quarter.start >= FIRST_QUARTER_START and moment >= close_time(quarter)


def quarter_has_data(landing, quarter: Quarter) -> bool:
    return any(landing_files(landing, e, quarter.start, quarter.end) for e, spec in ENTITIES.items() if spec.quarterly)


@dg.schedule(
    name="quarter_close_schedule",
    cron_schedule=QUARTER_CLOSE_CRON,
    execution_timezone="UTC",
    target=quarter_and_reference_job,
    # On: producing the report every quarter without anyone asking is the platform's job.
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Profiles and lookup tables, then the quarter that closed two weeks ago (grace period for "
        "late data), raw files to charts, in one run."
    ),
)
def quarter_close_schedule(context: dg.ScheduleEvaluationContext, landing: LandingZone):
    quarter = quarter_to_close(context.scheduled_execution_time or datetime.now(UTC))
    if not quarter_has_data(landing.root, quarter):
        return dg.SkipReason(f"no raw activity for {quarter} in {landing.root}: nothing to report")
    return dg.RunRequest(
        partition_key=quarter.partition_key,
        tags={"stateofml/trigger": "quarter_close", "stateofml/quarter": quarter.label},
    )

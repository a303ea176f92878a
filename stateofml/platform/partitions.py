"""Quarterly partitions and the dbt vars built from them.

Dagster has no quarterly partitions class; a time-window definition whose cron fires on the
first day of every third month is one. Keys are the quarter's first day ("2022-10-01").
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from stateofml.quarters import FIRST_QUARTER_START, Quarter, quarters_between

quarterly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 */3 *",
    start=FIRST_QUARTER_START.isoformat(),
    fmt="%Y-%m-%d",
    # UTC everywhere: landing-zone dates and the warehouse are UTC.
    timezone="UTC",
    # end_offset=0: the newest partition is the quarter that has closed, never the running one.
    end_offset=0,
)


def quarters_in_window(start: datetime, end: datetime) -> list[Quarter]:
    """The quarters of a partition time window (one, or many in a single-run backfill)."""
    quarters = quarters_between(start, end)
    if quarters[0].start_datetime != start or quarters[-1].end_datetime != end:
        raise ValueError(f"window {start} .. {end} is not made of whole quarters")
    return quarters


def dbt_vars_for_window(start: datetime, end: datetime) -> dict[str, str]:
    """dbt vars of the report window; validated here, and again by dbt's report_window()."""
    quarters = quarters_in_window(start, end)
    return {"start_date": quarters[0].partition_key, "end_date": quarters[-1].end.isoformat()}


def context_quarters(context: dg.AssetExecutionContext) -> list[Quarter]:
    window = context.partition_time_window
    return quarters_in_window(window.start, window.end)

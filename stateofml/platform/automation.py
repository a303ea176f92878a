"""Declarative automation conditions the assets attach: when dbt models and charts follow their inputs,
and how fresh the report and the marts must be (the sensor that evaluates them: orchestration/automation.py).

Jobs run a quarter whole (raw files to charts), so after the schedule, a sensor's run, the CLI or a
backfill nothing is left to follow. The conditions cover the rest -- someone re-materializes raw
data of a quarter from the UI, a lookup table changes -- and follow *per quarter*, not only in the
latest quarter as ``AutomationCondition.eager()`` does: a late correction to 2021 Q3 rebuilds 2021 Q3.

Why not plain ``any_deps_updated()``: it ignores an input's update only when the run that made it
lists this asset in its asset selection, and a run of a whole job (the schedule's, a sensor's, the
CLI's, "Materialize all" on a job) records an *empty* asset selection. Every input those runs
updated armed the trigger, which then fired as soon as the asset was not in progress: for the
quarter a run had just built (e.g. an asset the run skipped or failed, or a tick between two runs
of the CLI) and, through ``newly_missing`` and the profiles, for the newest closed quarter even
when it has no data. Runs of the quarterly jobs therefore carry ``BUILDS_QUARTERS_TAG``, and an
update made by such a run never triggers; neither does a missing quarter (new quarters are the
schedule's job).
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from .selections import REFERENCE, WANDB_IMPORT

AC = dg.AutomationCondition


# On the runs of the jobs that build quarters whole (orchestration/jobs.py) and on the CLI's reference
# run that precedes its quarters' run: what they update is followed inside the run itself.
BUILDS_QUARTERS_TAG = "stateofml/builds_quarters"


def _deps_updated_elsewhere() -> dg.AutomationCondition:
    """``any_deps_updated()`` without the updates of runs that build the quarter anyway."""
    return AC.any_deps_match(
        (
            AC.newly_updated()
            & ~AC.executed_with_root_target()
            & ~AC.executed_with_tags(tag_keys={BUILDS_QUARTERS_TAG})
        ).with_label("newly_updated_outside_a_quarter_build")
        | AC.will_be_requested()
    ).with_label("deps_updated_elsewhere")


def follows_its_quarter() -> dg.AutomationCondition:
    """Eager, quarter by quarter, for inputs updated outside a run that builds the quarter.

    * a quarter's own inputs updated (its raw partitions, its upstream models) -> that quarter;
    * profiles or lookup tables updated (unpartitioned: every quarter reads them) -> only the
      latest quarter, and only if it was built: rebuilding the whole history on every profile
      refresh would cost every quarter's dbt run each time, and earlier published quarters are
      rebuilt when they are re-run (late data, a backfill);
    * a new quarter is never started here: the quarterly schedule builds it, raw files first.
    Never while an input is missing or in progress, or the quarter itself is in progress (a run or
    a backfill that has not reached it yet). Partitions are closed quarters only (end_offset=0).
    """
    own_inputs = _deps_updated_elsewhere().ignore(REFERENCE | WANDB_IMPORT).with_label("quarter_inputs_updated")
    shared_inputs = (AC.in_latest_time_window() & ~AC.missing() & _deps_updated_elsewhere()).with_label(
        "built_latest_quarter_inputs_updated"
    )
    return (
        (own_inputs | shared_inputs).since_last_handled()
        & ~AC.any_deps_missing()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label("follows_its_quarter")


def reload_when_changed() -> dg.AutomationCondition:
    """Lookup tables (dbt seeds): reloaded when their CSV changes (dbt's checksum is the code version)."""
    return (
        (AC.code_version_changed() | AC.newly_missing()).since_last_handled() & ~AC.in_progress()
    ).with_label("reload_when_changed")


# On the report page (assets/report/assets.py) and the marts analysts read (assets/dbt/assets.py). A
# closed quarter's page is expected within a month of the quarter's end (the schedule runs on the
# 15th, leaving two weeks to fix a failed run): a deadline on the 1st of the second month of each
# quarter, for a materialization since the quarter ended.
REPORT_DEADLINE_CRON = "0 0 1 2,5,8,11 *"
# The window before each deadline is one fixed length, and the first months of the quarters have 31
# (January, July, October) or 30 days (April). 31 days reached back to 31 March before the 1 May
# deadline: a build of the day before 2023 Q1 closed passed for it. 30 days never reaches back before
# the close (in three quarters of four it starts a day after it, when the schedule has not run yet).
QUARTER_CLOSE_LOWER_BOUND = timedelta(days=30)
QUARTER_CLOSE_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron=REPORT_DEADLINE_CRON, lower_bound_delta=QUARTER_CLOSE_LOWER_BOUND, timezone="UTC"
)

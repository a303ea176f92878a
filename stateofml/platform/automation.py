"""Declarative automation conditions the assets attach: when dbt models and charts follow their inputs,
and how fresh the report must be (the sensor that evaluates them: orchestration/automation.py).

Jobs run a quarter whole (raw files to charts), so after the schedule or a sensor nothing is left
to follow: ``any_deps_updated`` ignores updates made by a run that also ran the asset. The
conditions here cover the rest -- someone re-materializes raw data of a quarter from the UI, a
lookup table changes -- and follow *per quarter*, not only in the latest quarter as
``AutomationCondition.eager()`` does: a late correction to 2021 Q3 rebuilds 2021 Q3.
"""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from .selections import REFERENCE, WANDB_IMPORT

AC = dg.AutomationCondition


def follows_its_quarter() -> dg.AutomationCondition:
    """Eager, quarter by quarter.

    * a quarter's own inputs updated (its raw partitions, its upstream models) -> that quarter;
    * profiles or lookup tables updated (unpartitioned: every quarter reads them) -> only the
      latest quarter: rebuilding the whole history on every profile refresh would cost every
      quarter's dbt run each time, and earlier published quarters are rebuilt when they are re-run
      (late data, a backfill);
    * a new quarter appears -> built once its raw data is there.
    Never while an input is missing or in progress, or the quarter itself is in progress.
    """
    latest = AC.in_latest_time_window()
    own_inputs = AC.any_deps_updated().ignore(REFERENCE | WANDB_IMPORT).with_label("quarter_inputs_updated")
    shared_inputs = (latest & (AC.newly_missing() | AC.any_deps_updated())).with_label("latest_quarter_new_or_inputs_updated")
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


# On the report page (assets/report/assets.py). A closed quarter's page is expected within a month
# of the quarter's end (the schedule runs on the 15th, leaving two weeks to fix a failed run): a
# deadline on the 1st of the second month of each quarter, for a materialization since the quarter ended.
REPORT_DEADLINE_CRON = "0 0 1 2,5,8,11 *"
REPORT_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron=REPORT_DEADLINE_CRON, lower_bound_delta=timedelta(days=31), timezone="UTC"
)


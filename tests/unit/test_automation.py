"""The automation conditions (stateofml/platform/automation.py), evaluated the way the automation
sensor evaluates them (dagster's ``evaluate_automation_conditions``, one call per tick, cursor carried)
against an instance holding the runs and the backfill an operator makes (launched through Dagster's
GraphQL API, as the UI launches it), on a small graph with the platform's keys, groups, partitions,
conditions and job tags: raw -> staging -> mart -> chart."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from assets.ingest.assets import report_quarters_left_stale
from assets.ingest.load import LoadStats
from orchestration.jobs import BUILDS_QUARTERS
from stateofml.platform.automation import follows_its_quarter, reload_when_changed
from stateofml.platform.partitions import context_quarters, quarterly_partitions
from stateofml.quarters import Quarter

Q3, Q4 = Quarter(2022, 3).partition_key, Quarter(2022, 4).partition_key
# Mid-January 2023: 2022 Q4 is the newest closed quarter (the newest partition).
JAN_2023 = datetime(2023, 1, 20, tzinfo=UTC)
RAW, USERS, SEED = dg.AssetKey(["raw", "runs"]), dg.AssetKey(["raw", "users"]), dg.AssetKey(["reference", "countries"])
STG_USERS, MART, CHART = (dg.AssetKey(["staging", "stg_users"]), dg.AssetKey(["marts", "runs_by_quarter"]),
                          dg.AssetKey(["charts", "runs_by_quarter"]))
FOLLOWERS = (STG_USERS, MART, CHART)


class Ticks:
    """The automation sensor's ticks: each evaluates every condition from the previous cursor."""

    def __init__(self, instance: dg.DagsterInstance, when: datetime = JAN_2023):
        self.instance, self.when, self.cursor, self.log = instance, when, None, []

    def __call__(self, label: str) -> dict[dg.AssetKey, set[str]]:
        result = dg.evaluate_automation_conditions(defs=DEFS, instance=self.instance, cursor=self.cursor,
                                                   evaluation_time=self.when)
        self.cursor = result.cursor
        requested = {k: p for k in FOLLOWERS if (p := set(result.get_requested_partitions(k)))}
        self.log.append((label, requested))
        return requested


TICK: list[Ticks] = []  # the test's ticker, for ticks taken inside a running step
FAIL_CHART = {"on": False}
# Quarter label -> keys the raw load of each quarter of a run takes over from that (other) quarter.
MOVED_FROM: dict[str, int] = {}


def tick_inside(label: str) -> None:
    if TICK:
        assert TICK[0](label) == {}, f"requested while the run was building it ({label})"


@dg.asset(key=USERS, group_name="raw_activity")
def users():
    return dg.MaterializeResult()


@dg.asset(key=SEED, group_name="reference", automation_condition=reload_when_changed())
def countries():
    return dg.MaterializeResult()


@dg.asset(key=RAW, group_name="raw_activity", partitions_def=quarterly_partitions,
          backfill_policy=dg.BackfillPolicy.single_run())
def raw_runs(context):
    # As the platform's raw assets do (assets/ingest/assets.py): a quarter that lost keys to this load.
    stats = {q: LoadStats("runs", q.compact, superseded_elsewhere=dict(MOVED_FROM)) for q in context_quarters(context)}
    report_quarters_left_stale(context, RAW, stats)
    return dg.MaterializeResult()


@dg.asset(key=STG_USERS, deps=[USERS, SEED], group_name="staging", partitions_def=quarterly_partitions,
          backfill_policy=dg.BackfillPolicy.single_run(), automation_condition=follows_its_quarter())
def stg_users():
    return dg.MaterializeResult()


@dg.asset(key=MART, deps=[RAW, STG_USERS], group_name="marts", partitions_def=quarterly_partitions,
          backfill_policy=dg.BackfillPolicy.single_run(), automation_condition=follows_its_quarter())
def mart():
    tick_inside("raw built, mart running")
    return dg.MaterializeResult()


@dg.asset(key=CHART, deps=[MART], group_name="charts", partitions_def=quarterly_partitions,
          backfill_policy=dg.BackfillPolicy.single_run(), automation_condition=follows_its_quarter())
def chart():
    tick_inside("mart built, chart running")
    if FAIL_CHART["on"]:
        raise RuntimeError("chart failed")
    return dg.MaterializeResult()


QUARTERLY = dg.AssetSelection.assets(RAW, STG_USERS, MART, CHART)
DEFS = dg.Definitions(
    assets=[users, countries, raw_runs, stg_users, mart, chart],
    jobs=[
        dg.define_asset_job("reference_data", selection=dg.AssetSelection.assets(USERS, SEED)),
        dg.define_asset_job("state_of_ml_quarterly", selection=QUARTERLY, run_tags=BUILDS_QUARTERS),
    ],
)


def range_tags(first: str, last: str) -> dict[str, str]:
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def run_job(instance, name: str, tags: dict | None = None, **kwargs) -> dg.ExecuteInProcessResult:
    return DEFS.resolve_job_def(name).execute_in_process(instance=instance, tags=tags, raise_on_error=False, **kwargs)


@pytest.fixture
def instance():
    # On disk, not ephemeral: the backfill test's code server (a process of its own) must reach it.
    with dg.instance_for_test() as inst:
        yield inst


class Backfills:
    """Backfills launched and canceled as the UI does: through Dagster's GraphQL API, against a
    code server holding this module's DEFS (no daemon runs here, so a backfill launches no run)."""

    LAUNCH = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
        __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
    CANCEL = """mutation($id: String!) { cancelPartitionBackfill(backfillId: $id) {
        __typename ... on PythonError { message } } }"""
    STATUS = "query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"

    def __init__(self, context):
        self.context = context

    def _call(self, query: str, variables: dict) -> dict:
        from dagster_graphql.test.utils import execute_dagster_graphql

        return execute_dagster_graphql(self.context, query, variables).data

    def launch(self, partitions: list[str], keys: list[dg.AssetKey]) -> str:
        params = {"partitionNames": partitions, "assetSelection": [{"path": k.path} for k in keys]}
        result = self._call(self.LAUNCH, {"p": params})["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def cancel(self, backfill_id: str) -> None:
        result = self._call(self.CANCEL, {"id": backfill_id})["cancelPartitionBackfill"]
        assert result["__typename"] == "CancelBackfillSuccess", result

    def status(self, backfill_id: str) -> str:
        return self._call(self.STATUS, {"id": backfill_id})["partitionBackfillOrError"]["status"]


@pytest.fixture
def backfills(instance):
    from dagster_graphql.test.utils import define_out_of_process_context

    with define_out_of_process_context(__file__, "DEFS", instance) as context:
        yield Backfills(context)


@pytest.fixture
def ticks(instance):
    t = Ticks(instance)
    assert t("first tick") == {}
    run_job(instance, "reference_data")
    TICK.append(t)
    try:
        yield t
    finally:
        TICK.clear()
        FAIL_CHART["on"] = False
        MOVED_FROM.clear()


def test_a_backfill_in_progress_and_after_it_ended_launches_nothing(instance, backfills, ticks):
    assert ticks("after the profiles") == {}  # 2022 Q4 was never built: nothing to refresh
    backfill = backfills.launch([Q3, Q4], [RAW, STG_USERS, MART, CHART])
    assert backfills.status(backfill) == "REQUESTED"
    in_backfill = {**range_tags(Q3, Q4), "dagster/backfill": backfill}
    # The backfill's first run loads the raw quarters only; its models and charts are still to come.
    assert dg.materialize([raw_runs], instance=instance, tags=in_backfill).success
    assert ticks("backfill: raw built") == {}
    assert dg.materialize([raw_runs, stg_users, mart, chart], selection=[STG_USERS, MART, CHART], instance=instance,
                          tags=in_backfill).success
    assert ticks("backfill: models and charts built") == {}
    # Ended (no daemon here to complete it): the automation no longer sees it in progress.
    backfills.cancel(backfill)
    assert backfills.status(backfill) == "CANCELING"
    for n in range(3):
        assert ticks(f"after the backfill ({n})") == {}
    # Not silent for another reason: a raw quarter reloaded alone afterwards is followed.
    assert dg.materialize([raw_runs], instance=instance, partition_key=Q3).success
    assert ticks("raw 2022 Q3 reloaded") == {MART: {Q3}, CHART: {Q3}}


def test_a_quarter_run_of_the_job_leaves_nothing_to_follow_even_when_a_step_failed(instance, ticks):
    # Ticks inside the run's steps (tick_inside) see it in progress; after it, nothing is left.
    assert run_job(instance, "state_of_ml_quarterly", tags=range_tags(Q3, Q4)).success
    assert ticks("after the range run") == {} and ticks("again") == {}
    FAIL_CHART["on"] = True
    assert not run_job(instance, "state_of_ml_quarterly", partition_key=Q4).success
    # Same inputs as the failed run: retrying it would fail the same way (the operator re-runs it).
    assert ticks("after the failed run") == {} and ticks("again") == {}


def test_profiles_refresh_rebuilds_the_latest_built_quarter_once(instance, ticks):
    assert ticks("profiles of a never-built quarter") == {}
    assert run_job(instance, "state_of_ml_quarterly", partition_key=Q4).success
    assert ticks("after the quarter") == {}
    run_job(instance, "reference_data")  # e.g. the landing sensor: users changed, no quarter
    assert ticks("profiles refreshed") == {STG_USERS: {Q4}, MART: {Q4}, CHART: {Q4}}
    assert ticks("next tick") == {}


def test_a_new_quarter_is_left_to_the_schedule(instance, ticks):
    assert run_job(instance, "state_of_ml_quarterly", partition_key=Q4).success
    assert ticks("2022 Q4 built") == {}
    ticks.when = datetime(2023, 4, 2, tzinfo=UTC)  # 2023 Q1 closed: a new partition, no raw data yet
    for n in range(2):
        assert ticks(f"2023 Q1 closed ({n})") == {}


def test_a_raw_quarter_rematerialized_alone_is_followed_in_that_quarter_only_once(instance, ticks):
    assert run_job(instance, "state_of_ml_quarterly", tags=range_tags(Quarter(2021, 1).partition_key, Q4)).success
    assert ticks("built") == {}
    late = Quarter(2021, 3).partition_key
    assert dg.materialize([raw_runs], instance=instance, partition_key=late).success  # from the asset's page
    assert ticks("raw 2021 Q3 reloaded") == {MART: {late}, CHART: {late}}
    assert ticks("next tick") == {}


def test_a_quarter_that_lost_runs_to_another_quarter_is_rebuilt(instance, ticks):
    """A newer version of a run created in another quarter: loading 2022 Q4 removes the run's older
    copy from 2022 Q3's raw table, and Q3's models, still counting it, are rebuilt; a run whose
    range holds both quarters rebuilt both itself."""
    assert run_job(instance, "state_of_ml_quarterly", tags=range_tags(Q3, Q4)).success
    assert ticks("built") == {}
    MOVED_FROM["2022Q3"] = 1
    assert run_job(instance, "state_of_ml_quarterly", tags=range_tags(Q3, Q4)).success
    assert ticks("both quarters in the run") == {}
    # A tick while Q4's run is still going may already request Q3 (not part of that run; its run
    # waits for the warehouse pool): here the ticks are taken after the run.
    TICK.clear()
    assert run_job(instance, "state_of_ml_quarterly", partition_key=Q4).success
    assert ticks("2022 Q4 took a run over from 2022 Q3") == {MART: {Q3}, CHART: {Q3}}
    assert ticks("next tick") == {}
    moved = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=RAW, asset_partitions=[Q3]),
                                            limit=1).records[0].asset_materialization
    assert moved.metadata["keys_moved_to"].value == {"2022Q4": 1}

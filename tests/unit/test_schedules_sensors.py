"""The quarterly schedule, the landing-zone and drop-folder sensors, and the automation wiring."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg
import pytest

from stateofml.platform.automation import QUARTER_CLOSE_FRESHNESS
from assets.dbt.assets import quarterly_models
from orchestration.definitions import build_definitions
from stateofml.platform.partitions import quarterly_partitions
from stateofml.platform.resources import RunDropbox, build_resources
from orchestration.schedules import close_time, closed_by, quarter_close_schedule, quarter_to_close
from orchestration.sensors import landing_run_requests, landing_zone_sensor, wandb_run_folders_sensor
from stateofml.quarters import Quarter
from stateofml.watch import REFERENCE_GROUP, Watch
from tests.landing_builder import ts, write_records

# -- the schedule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "quarter"),
    [
        (datetime(2023, 1, 15, 6, tzinfo=UTC), Quarter(2022, 4)),
        (datetime(2022, 4, 15, 6, tzinfo=UTC), Quarter(2022, 1)),
        (datetime(2022, 7, 15, 6, tzinfo=UTC), Quarter(2022, 2)),
        (datetime(2022, 10, 15, 6, tzinfo=UTC), Quarter(2022, 3)),
        # 23:30 on 31 March in New York is already April in UTC: the quarter is Q1.
        (datetime.fromisoformat("2022-03-31T23:30:00-04:00"), Quarter(2022, 1)),
    ],
)
def test_quarter_to_close(moment, quarter):
    assert quarter_to_close(moment) == quarter


def test_close_time_is_the_schedule_tick():
    assert close_time(Quarter(2022, 4)) == datetime(2023, 1, 15, 6, tzinfo=UTC)
    minute, hour, day, months, _ = quarter_close_schedule.cron_schedule.split()
    for q in (Quarter(2022, 1), Quarter(2022, 2), Quarter(2022, 3), Quarter(2022, 4)):
        t = close_time(q)
        assert (t.minute, t.hour, t.day) == (int(minute), int(hour), int(day))
        assert str(t.month) in months.split(",") and Quarter.containing(t) == q.next()
    assert not closed_by(Quarter(2022, 4), datetime(2023, 1, 15, 5, 59, tzinfo=UTC))
    assert closed_by(Quarter(2022, 4), datetime(2023, 1, 15, 6, tzinfo=UTC))
    assert not closed_by(Quarter(2019, 4), datetime(2030, 1, 1, tzinfo=UTC))  # before the report's history


@pytest.fixture
def landing(data_dir):
    return data_dir / "landing"


@pytest.fixture
def local_defs(data_dir):
    """The definitions over this test's data folder: sensors and schedules read their resources
    from it and check their run requests against its jobs and partitions."""
    resources = build_resources(data_dir)
    return build_definitions(resources), resources


def test_schedule_requests_the_closed_quarter(landing, local_defs):
    write_records(landing, "runs", [dict(run_id="r", user_id="u", created_at=ts(2022, 12, 31, 23))])
    ctx = dg.build_schedule_context(
        scheduled_execution_time=datetime(2023, 1, 15, 6, tzinfo=UTC),
        repository_def=local_defs[0].get_repository_def(),
        resources=local_defs[1],
    )
    (request,) = quarter_close_schedule.evaluate_tick(ctx).run_requests
    assert request.partition_key == "2022-10-01"
    # The key exists in the partitions at that moment (the quarter has closed).
    assert quarterly_partitions.get_partition_keys(current_time=datetime(2023, 1, 15, 6, tzinfo=UTC))[-1] == "2022-10-01"
    assert quarter_close_schedule.job_name == "state_of_ml_quarter_and_reference"


def test_schedule_skips_a_quarter_without_data(landing, local_defs):
    write_records(landing, "runs", [dict(run_id="r", user_id="u", created_at=ts(2022, 12, 31, 23))])
    ctx = dg.build_schedule_context(
        scheduled_execution_time=datetime(2023, 4, 15, 6, tzinfo=UTC),
        repository_def=local_defs[0].get_repository_def(),
        resources=local_defs[1],
    )
    result = quarter_close_schedule.evaluate_tick(ctx)
    assert not result.run_requests and "2023Q1" in result.skip_message


# -- the landing-zone sensor -----------------------------------------------------------------------


def tick(sensor, cursor, local_defs):
    defs, resources = local_defs
    ctx = dg.build_sensor_context(cursor=cursor, definitions=defs, resources=resources)
    result = sensor.evaluate_tick(ctx)
    return result.run_requests or [], result.cursor or cursor, result.skip_message


def test_landing_sensor_requests_the_changed_quarter_once(landing, local_defs):
    write_records(landing, "runs", [dict(run_id="r0", user_id="u", created_at=ts(2022, 2, 1))])
    res = local_defs

    requests, cursor, skip = tick(landing_zone_sensor, None, res)
    assert requests == [] and "first evaluation" in skip  # what is there is recorded, not re-run

    write_records(landing, "runs", [dict(run_id="r1", user_id="u", created_at=ts(2021, 8, 1))])  # late data
    requests, cursor, skip = tick(landing_zone_sensor, cursor, res)
    assert requests == [] and "runs/2021Q3" in skip  # settling
    requests, cursor, _ = tick(landing_zone_sensor, cursor, res)
    (request,) = requests
    assert (request.partition_key, request.job_name) == ("2021-07-01", "state_of_ml_quarterly")
    assert request.tags["stateofml/changed"] == "runs/2021Q3"

    requests, cursor, skip = tick(landing_zone_sensor, cursor, res)
    assert requests == [] and skip == "no change"


def test_landing_sensor_users_go_to_the_reference_job_or_with_the_quarter(landing, local_defs):
    res = local_defs
    _, cursor, _ = tick(landing_zone_sensor, None, res)

    write_records(landing, "users", [dict(user_id="u1", country_code="NZ", updated_at=ts(2022, 5, 1))])
    _, cursor, _ = tick(landing_zone_sensor, cursor, res)
    (request,), cursor, _ = tick(landing_zone_sensor, cursor, res)
    assert request.job_name == "reference_data" and request.partition_key is None

    write_records(landing, "users", [dict(user_id="u2", country_code="DE", updated_at=ts(2022, 6, 1))])
    write_records(landing, "sweeps", [dict(sweep_id="s", user_id="u2", created_at=ts(2022, 6, 2))])
    write_records(landing, "runs", [dict(run_id="r", user_id="u2", created_at=ts(2020, 3, 2))])
    _, cursor, _ = tick(landing_zone_sensor, cursor, res)
    requests, cursor, _ = tick(landing_zone_sensor, cursor, res)
    # Profiles changed too: each quarter's run refreshes them first, in the same run.
    assert [(r.partition_key, r.job_name) for r in requests] == [
        ("2020-01-01", "state_of_ml_quarter_and_reference"),
        ("2022-04-01", "state_of_ml_quarter_and_reference"),
    ]


def test_landing_sensor_leaves_open_quarters_to_the_schedule(landing, local_defs):
    res = local_defs
    _, cursor, _ = tick(landing_zone_sensor, None, res)
    now = datetime.now(UTC)
    write_records(landing, "runs", [dict(run_id="r", user_id="u", created_at=now)])  # the running quarter
    for _ in range(2):
        requests, cursor, _ = tick(landing_zone_sensor, cursor, res)
        assert requests == []
    assert Watch.load(cursor).pending(Watch.load(cursor).seen) == set()  # absorbed, not pending


def test_run_keys_follow_the_changed_signatures():
    current = {"runs/2021Q3": "a", "sweeps/2021Q3": "b", REFERENCE_GROUP: "u"}
    (r1,) = landing_run_requests(["runs/2021Q3"], current)
    (r2,) = landing_run_requests(["runs/2021Q3"], {**current, "runs/2021Q3": "a2"})
    (r3,) = landing_run_requests(["runs/2021Q3"], {**current, "sweeps/2021Q3": "b2"})
    assert r1.run_key != r2.run_key and r1.run_key == r3.run_key  # only the changed groups count
    (r4,) = landing_run_requests(["runs/2021Q3", REFERENCE_GROUP], current)
    assert r4.run_key != r1.run_key and r4.tags["stateofml/changed"] == "runs/2021Q3,users"
    assert landing_run_requests([], current) == []


# -- the drop-folder sensor ------------------------------------------------------------------------


def test_dropbox_sensor(data_dir, local_defs):
    box = data_dir / "dropbox" / "wandb"  # the default under the data folder
    res = local_defs
    requests, cursor, skip = tick(wandb_run_folders_sensor, None, res)
    assert requests == [] and "does not exist" in skip

    run = box / "wandb" / "run-20220214_090000-abc" / "files"
    run.mkdir(parents=True)
    (run / "wandb-summary.json").write_text(json.dumps({"_runtime": 1}))
    requests, cursor, _ = tick(wandb_run_folders_sensor, cursor, res)
    assert requests == []  # settling
    (request,), cursor, _ = tick(wandb_run_folders_sensor, cursor, res)
    assert request.job_name == "import_wandb_runs" and request.run_key.startswith("dropbox:")
    requests, cursor, skip = tick(wandb_run_folders_sensor, cursor, res)
    assert requests == [] and "no change" in skip

    (run / "wandb-summary.json").write_text(json.dumps({"_runtime": 120, "_wandb": {"runtime": 120}}))  # grew
    requests, cursor, _ = tick(wandb_run_folders_sensor, cursor, res)
    assert requests == []
    (again,), cursor, _ = tick(wandb_run_folders_sensor, cursor, res)
    assert again.run_key != request.run_key


def test_dropbox_users_file_default(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    assert RunDropbox(path=str(box)).users is None
    (box / "users.csv").write_text("user_id\nu\n")
    assert RunDropbox(path=str(box)).users == box / "users.csv"
    assert RunDropbox(path=str(box), users_file=str(tmp_path / "x.json")).users == tmp_path / "x.json"


# -- the wiring ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    return build_definitions(build_resources(tmp_path_factory.mktemp("data")))


def test_every_partitioned_asset_backfills_in_one_run(defs):
    specs = [s for s in defs.resolve_all_asset_specs() if s.partitions_def is not None]
    assert len(specs) > 5
    for spec in specs:
        policy = defs.resolve_assets_def(spec.key).backfill_policy
        assert policy is not None and policy.max_partitions_per_run is None, spec.key


def test_automation_and_freshness(defs):
    specs = {s.key: s for s in defs.resolve_all_asset_specs()}
    models = list(quarterly_models.keys)  # not a mart some asset names before it exists (no definition)
    charts = [k for k in specs if k.path[0] in ("charts", "report")]
    assert models and charts
    for key in models + charts:
        assert specs[key].automation_condition.get_label() == "follows_its_quarter", key
    assert specs[dg.AssetKey(["report", "state_of_ml_page"])].freshness_policy == QUARTER_CLOSE_FRESHNESS
    assert specs[dg.AssetKey(["reference", "countries"])].automation_condition.get_label() == "reload_when_changed"
    # Raw assets follow jobs (schedule, sensors), never automation: a load reads the landing zone.
    assert all(specs[k].automation_condition is None for k in specs if k.path[0] in ("raw", "landing"))


def test_jobs_schedules_and_sensors_are_registered(defs):
    assert defs.resolve_schedule_def("quarter_close_schedule").default_status == dg.DefaultScheduleStatus.RUNNING
    for name in ("landing_zone_sensor", "wandb_run_folders_sensor", "state_of_ml_automation"):
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING

    def keys(job):
        return {"/".join(k.path) for k in defs.resolve_job_def(job).asset_layer.executable_asset_keys}

    quarterly, both = keys("state_of_ml_quarterly"), keys("state_of_ml_quarter_and_reference")
    assert both == quarterly | keys("reference_data")
    assert {"raw/users", "reference/countries"} <= both and not {"raw/users", "landing/wandb_run_folders"} & quarterly
    assert keys("import_wandb_runs") == {"landing/wandb_run_folders"}
    # The import is upstream of the raw tables it writes, in lineage, through the landing files:
    # external assets, so the quarterly job has no never-materialized upstream asset to warn about.
    graph = defs.resolve_asset_graph()
    landing_runs = graph.get(dg.AssetKey(["landing", "runs"]))
    assert graph.get(dg.AssetKey(["raw", "runs"])).parent_keys == {landing_runs.key}
    assert dg.AssetKey(["landing", "wandb_run_folders"]) in landing_runs.parent_keys
    assert not landing_runs.is_materializable
    outside = {p for k in defs.resolve_job_def("state_of_ml_quarterly").asset_layer.executable_asset_keys
               for p in graph.get(k).parent_keys if "/".join(p.path) not in quarterly}
    # Upstream of the job: the reference data (its own job, run first) and external files only.
    assert {"/".join(p.path) for p in outside if graph.get(p).is_materializable} <= keys("reference_data")


def test_automation_follows_the_changed_quarter_and_profiles_only_the_latest(defs):
    """Runless materializations stand in for runs: the conditions only read the event log."""
    specs = {s.key: s for s in defs.resolve_all_asset_specs()}
    when = datetime(2021, 11, 1, tzinfo=UTC)  # the latest partition is then 2021 Q3

    def requested(result):
        return {"/".join(k.path): result.get_requested_partitions(k) for k in specs if result.get_num_requested(k)}

    with dg.DagsterInstance.ephemeral() as instance:

        def materialize(key, partition=None):
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))

        for key, spec in specs.items():  # two quarters fully built
            for partition in ("2021-04-01", "2021-07-01") if spec.partitions_def else (None,):
                materialize(key, partition)
        result = dg.evaluate_automation_conditions(defs, instance, evaluation_time=when)
        assert result.total_requested == 0  # what exists is not rebuilt

        materialize(dg.AssetKey(["raw", "runs"]), "2021-04-01")  # a late correction, loaded alone
        result = dg.evaluate_automation_conditions(defs, instance, evaluation_time=when, cursor=result.cursor)
        got = requested(result)
        assert all(v == {"2021-04-01"} for v in got.values())
        assert {"staging/stg_tracking__runs", "marts/active_users_by_country_by_quarter", "charts/active_users_by_country"} <= set(got)
        assert "staging/stg_tracking__users" not in got  # its inputs did not change
        for name in got:
            materialize(dg.AssetKey(name.split("/")), "2021-04-01")
        result = dg.evaluate_automation_conditions(defs, instance, evaluation_time=when, cursor=result.cursor)
        assert result.total_requested == 0  # handled

        materialize(dg.AssetKey(["raw", "users"]))  # profiles refreshed: only the latest quarter follows
        result = dg.evaluate_automation_conditions(defs, instance, evaluation_time=when, cursor=result.cursor)
        got = requested(result)
        assert {"staging/stg_tracking__users", "marts/active_users_by_country_by_quarter"} <= set(got)
        assert all(v == {"2021-07-01"} for v in got.values())


def test_the_freshness_window_starts_after_the_quarter_closed_and_holds_the_schedules_run():
    """Before each deadline (1 Feb, 1 May, 1 Aug, 1 Nov), the window where a materialization counts
    starts no earlier than the quarter's close and holds the quarter-close schedule's run (the 15th)."""
    from datetime import datetime, timedelta

    from orchestration.schedules import QUARTER_CLOSE_CRON
    from stateofml.platform.automation import QUARTER_CLOSE_FRESHNESS, REPORT_DEADLINE_CRON

    assert (REPORT_DEADLINE_CRON, QUARTER_CLOSE_CRON) == ("0 0 1 2,5,8,11 *", "0 6 15 1,4,7,10 *")
    for year in (2023, 2024):  # a leap year too (February is not in a window, but no matter)
        for month in (2, 5, 8, 11):
            deadline = datetime(year, month, 1)
            closed, scheduled = datetime(year, month - 1, 1), datetime(year, month - 1, 15, 6)
            starts = deadline - QUARTER_CLOSE_FRESHNESS.lower_bound_delta
            assert closed <= starts <= scheduled, (deadline, starts)
            assert starts - closed <= timedelta(days=1)

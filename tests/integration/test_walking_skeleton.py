"""One quarter of a hand-built landing zone to a chart, in a tmp_path DuckDB."""

from __future__ import annotations

import json
import os

import duckdb
import pytest

from orchestration.definitions import build_definitions
from stateofml.platform.resources import build_resources
from tests.landing_builder import tiny_world

Q3, Q4 = "2022-07-01", "2022-10-01"


def run_partition(data_dir, instance, key: str) -> None:
    defs = build_definitions(build_resources(data_dir))
    assert defs.resolve_job_def("reference_data").execute_in_process(instance=instance).success
    assert defs.resolve_job_def("state_of_ml_quarterly").execute_in_process(instance=instance, partition_key=key).success


def mart(data_dir, sql: str):
    with duckdb.connect(str(data_dir / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def world(data_dir):
    tiny_world(data_dir / "landing")
    return data_dir


def test_one_quarter_end_to_end(world, instance):
    run_partition(world, instance, Q4)

    rows = mart(world, "select country_code, active_users, runs from marts.active_users_by_country_by_quarter "
                       "where quarter_start = '2022-10-01' order by country_code")
    # u1+u2 (US), u3 (CN, run + sweep), u4 (DE, artifact only), u5 (no profile); anonymous r6 is no
    # user but its run counts under "unknown" (runs by country add up to all runs).
    assert rows == [("CN", 1, 1), ("DE", 1, 0), ("US", 2, 3), ("unknown", 1, 2)]
    assert mart(world, "select count(*) from marts.active_users_by_country_by_quarter where quarter_start <> '2022-10-01'") == [(0,)]

    charts = world / "reports" / "2022Q4" / "charts"
    spec = json.loads((charts / "active_users_by_country.vl.json").read_text())
    values = next(iter(spec["datasets"].values()))
    by_country = {v["country"]: v["active_users"] for v in values}
    assert by_country["United States"] == 2 and by_country["China"] == 1
    assert (charts / "active_users_by_country.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (charts / "active_users_by_country.html").read_text()
    assert "vegaEmbed" in html and "cdn." not in html


def test_rerun_is_idempotent_and_quarters_are_independent(world, instance):
    run_partition(world, instance, Q4)
    q4_first = mart(world, "select * from marts.active_users_by_country_by_quarter order by all")
    raw_first = mart(world, "select count(*) from raw.runs")

    run_partition(world, instance, Q4)
    assert mart(world, "select * from marts.active_users_by_country_by_quarter order by all") == q4_first
    assert mart(world, "select count(*) from raw.runs") == raw_first

    run_partition(world, instance, Q3)
    assert mart(world, "select * from marts.active_users_by_country_by_quarter where quarter_start = '2022-10-01' order by all") == q4_first
    assert mart(world, "select country_code, active_users from marts.active_users_by_country_by_quarter "
                       "where quarter_start = '2022-07-01'") == [("US", 1)]


def test_data_tests_read_the_window_being_built_and_fail_on_bad_data_in_it(world, instance, tmp_path):
    """dbt's data tests check the window of the build (macros/test_window.sql), not all history:
    bad rows of another quarter are not read; bad rows in the window still fail the test."""
    import subprocess

    from stateofml.platform.partitions import dbt_vars_for_window
    from stateofml.platform.project import PROJECT_ROOT, dbt_executable
    from stateofml.quarters import Quarter

    run_partition(world, instance, Q4)
    warehouse = build_resources(world)["warehouse"]
    q4 = Quarter(2022, 4)
    q4_vars = dbt_vars_for_window(q4.start_datetime, q4.end_datetime)

    def dbt_test() -> subprocess.CompletedProcess:
        project = str(PROJECT_ROOT / "dbt_project")
        return subprocess.run(
            [dbt_executable(), *warehouse.dbt_args("test"), "--select", "headline_by_quarter",
             "--project-dir", project, "--profiles-dir", project, "--target-path", str(tmp_path / "dbt_target")],
            cwd=warehouse.dbt_cwd, capture_output=True, text=True, env={**os.environ, **warehouse.dbt_env(q4_vars)},
        )

    def add_bad_row(quarter_start: str) -> None:
        with duckdb.connect(str(warehouse.path)) as conn:
            conn.execute("insert into marts.headline_by_quarter by name "
                         "select * replace (cast(? as date) as quarter_start, -1 as runs) "
                         "from marts.headline_by_quarter limit 1", [quarter_start])

    add_bad_row("2021-04-01")  # outside the window: not read
    outside = dbt_test()
    assert outside.returncode == 0, outside.stdout

    add_bad_row(Q4)  # inside: a negative run count and a second row for the quarter
    inside = dbt_test()
    assert inside.returncode == 1, inside.stdout
    assert "FAIL 1 not_negative_headline_by_quarter_runs" in inside.stdout
    assert "FAIL 1 unique_combination_of_columns_headline_by_quarter_quarter_start" in inside.stdout


def test_a_run_that_moved_quarter_is_flagged_then_counted_once_after_its_old_quarter_is_rebuilt(world, instance):
    """r0 (2022 Q3) comes again, a newer version created in 2022 Q4. Building Q4 moves it out of Q3's
    raw table; Q3's fct_runs still holds it: the all-history check warns, the automation requests
    Q3's models, and once Q3 is rebuilt the run is counted once, in Q4."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from tests.landing_builder import ts, write_records
    from tests.pipeline import materialize_quarters

    materialize_quarters(world, instance, "2022Q3", "2022Q3")
    defs = build_definitions(build_resources(world))
    cursor = dg.evaluate_automation_conditions(defs=defs, instance=instance).cursor
    moved = ts(2022, 10, 4, 9)
    write_records(world / "landing", "runs", [dict(run_id="r0", user_id="u1", created_at=moved, started_at=moved,
                                                   runtime_seconds=3600.0, state="finished", updated_at=moved)],
                  name="corrected.parquet")

    def r0() -> list:
        return [q for (q,) in mart(world, "select cast(quarter_start as varchar) from marts.fct_runs "
                                          "where run_id = 'r0' order by 1")]

    def history_check(result) -> list:
        return [(e.passed, e.severity) for e in result.get_asset_check_evaluations()
                if e.check_name.startswith("rows_per_period_match_source")]

    q4 = materialize_quarters(world, instance, "2022Q4", "2022Q4", reference=False)
    assert r0() == [Q3, Q4]  # counted twice
    assert mart(world, "select count(*) from raw.runs where run_id = 'r0'") == [(1,)]
    assert history_check(q4) == [(False, dg.AssetCheckSeverity.WARN)]
    requested = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    assert set(requested.get_requested_partitions(dg.AssetKey(["marts", "fct_runs"]))) == {Q3}

    q3 = materialize_quarters(world, instance, "2022Q3", "2022Q3", reference=False)
    assert r0() == [Q4]
    assert [passed for passed, _ in history_check(q3)] == [True]

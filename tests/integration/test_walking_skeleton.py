"""One quarter of a hand-built landing zone to a chart, in a tmp_path DuckDB."""

from __future__ import annotations

import json

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

"""The core (fct_runs, fct_run_libraries, dim_users) and the report's marts on a small simulated world.

One simulated year (2022 at scale 0.001, a few hundred users) materialized once, as one run. Every mart
of the report is recomputed here straight from the core with plain SQL written independently of the dbt
macros, so the core and the marts cannot drift apart; the analysts' questions of the README run, as
written there, against the analysts' copy. (Rerunning a quarter is checked on every mart and the core
in test_demographics_hardware.py.)
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from simulator import simulate
from tests.pipeline import materialize_quarters

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
CORE = {"fct_runs", "fct_run_libraries", "dim_users"}
FRAMEWORK_CATEGORIES = "('core framework', 'high-level framework', 'boosted trees')"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("core")
    data = root / "data"
    simulate(data / "landing", date(2022, 1, 1), date(2023, 1, 1), scale=0.001, seed=42, workers=2)
    with dg.DagsterInstance.ephemeral() as instance:
        materialize_quarters(data, instance, "2022Q1", "2022Q4")
    conn = duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True)
    yield root, data, conn
    conn.close()


def marts(conn) -> set[str]:
    return {t for (t,) in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}


# -- the same aggregates, straight from the core ---------------------------------------------------

def period(p: str) -> tuple[str, str]:
    """(key expression, key column) of a quarter or a year."""
    return ("quarter_start", "quarter_start") if p == "quarter" else ("cast(date_trunc('year', quarter_start) as date)",
                                                                       "year_start")


def breakdown(p: str, dims: list[str], users_from_dim_users=False, where="true", list_dim=None) -> str:
    key, col = period(p)
    d = ", ".join(dims)
    # list_dim: a run counts under each element of the list; shares stay of all runs and hours.
    value = f"unnest({list_dim[1]}) as {list_dim[0]}" if list_dim else d
    users = (f"select {key} as {col}, user_id, {d} from marts.dim_users where {where}" if users_from_dim_users
             else f"select {col}, user_id, {d} from runs where user_id is not null")
    return f"""
        with runs as (select {key} as {col}, user_id, training_hours, {value} from marts.fct_runs where {where}),
        users as ({users}),
        by_value as (select {col}, {d}, count(*) as runs, sum(training_hours) as training_hours from runs group by all),
        users_by_value as (select {col}, {d}, count(distinct user_id) as active_users from users group by all),
        all_users as (select {col}, count(distinct user_id) as all_users from users group by all),
        all_runs as (select {key} as {col}, count(*) as all_runs, sum(training_hours) as all_hours
                     from marts.fct_runs where {where} group by all)
        select {col}, {d},
               coalesce(active_users, 0) as active_users, coalesce(runs, 0) as runs,
               coalesce(training_hours, 0) as training_hours,
               coalesce(active_users, 0) / all_users as user_share, coalesce(runs, 0) / all_runs as run_share,
               coalesce(training_hours, 0) / all_hours as hour_share
        from by_value full join users_by_value using ({col}, {d})
        join all_users using ({col})
        join all_runs using ({col})
    """


def headline(p: str) -> str:
    key, col = period(p)
    return f"""
        select {col}, active_users, countries, runs, anonymous_runs, training_hours
        from (select {key} as {col}, count(distinct user_id) as active_users,
                     count(distinct country_code) filter (where country_code <> 'unknown') as countries
              from marts.dim_users group by all)
        full join (select {key} as {col}, count(*) as runs, count(*) filter (where user_id is null) as anonymous_runs,
                          sum(training_hours) as training_hours
                   from marts.fct_runs group by all) using ({col})
    """


def libraries(by_profession: bool, where: str = "true") -> str:
    key, col = period("year")
    prof = ", profession" if by_profession else ""
    return f"""
        with usage as (
            select {key.replace('quarter_start', 'libraries.quarter_start')} as {col}, libraries.user_id, library, category,
                   framework_family, is_known_library, libraries.training_hours,
                   coalesce(users.profession, 'unknown') as profession
            from marts.fct_run_libraries as libraries
            left join marts.dim_users as users using (user_id, quarter_start)
            where {where}),
        known as (
            select {key} as {col}{prof}, count(distinct user_id) as users, count(*) as runs, sum(training_hours) as hours
            from marts.fct_runs where has_code_imports or has_telemetry_imports group by all)
        select {col}{prof}, library, category, framework_family, is_known_library,
               count(distinct user_id) as active_users, count(*) as runs, sum(training_hours) as training_hours,
               count(distinct user_id) / any_value(known.users) as user_share,
               count(*) / any_value(known.runs) as run_share,
               sum(training_hours) / any_value(known.hours) as hour_share
        from usage join known using ({col}{prof})
        group by all
    """


AGREEMENT = """
    select cast(date_trunc('year', quarter_start) as date) as year_start, library,
           count(*) as runs_with_both_signals,
           count(*) filter (where detected_in_code and detected_in_telemetry) as runs_agreeing,
           count(*) filter (where detected_in_code and not detected_in_telemetry) as runs_code_only,
           count(*) filter (where detected_in_telemetry and not detected_in_code) as runs_telemetry_only
    from marts.fct_run_libraries
    where has_code_imports and has_telemetry_imports
      and library in (select l.library from reference.libraries as l join reference.telemetry_imports using (module))
    group by all
"""

GROWTH = """
    with per_quarter as (
        select quarter_start, library, count(distinct user_id) as active_users, count(*) as runs,
               sum(training_hours) as training_hours
        from marts.fct_run_libraries group by all),
    loaded as (select distinct quarter_start from marts.fct_runs),
    -- Quarters whose previous quarter is loaded; every library seen in either of the two.
    pairs as (
        select loaded.quarter_start, per_quarter.library
        from loaded join per_quarter
          on per_quarter.quarter_start in (loaded.quarter_start, loaded.quarter_start - interval 3 month)
        where loaded.quarter_start - interval 3 month in (select quarter_start from loaded)
        group by all)
    select pairs.quarter_start, pairs.library,
           coalesce(cur.active_users, 0) as active_users, coalesce(cur.runs, 0) as runs,
           coalesce(cur.training_hours, 0) as training_hours,
           coalesce(prev.active_users, 0) as previous_active_users, coalesce(prev.runs, 0) as previous_runs
    from pairs
    left join per_quarter as cur on cur.library = pairs.library and cur.quarter_start = pairs.quarter_start
    left join per_quarter as prev
      on prev.library = pairs.library and prev.quarter_start = pairs.quarter_start - interval 3 month
"""

RUN_LENGTH = f"""
    with subjects as (
        select quarter_start, 'framework_family' as grouping, unnest(framework_families) as framework, runtime_seconds
        from marts.fct_runs where runtime_seconds is not null
        union all
        select quarter_start, 'library', library, runtime_seconds
        from marts.fct_run_libraries where runtime_seconds is not null and category in {FRAMEWORK_CATEGORIES})
    select cast(date_trunc('year', quarter_start) as date) as year_start, grouping, framework,
           count(*) as runs_with_runtime, sum(runtime_seconds) / 3600 as training_hours,
           avg(runtime_seconds) / 60 as mean_runtime_minutes,
           quantile_disc(runtime_seconds, 0.5) / 60 as median_runtime_minutes,
           quantile_disc(runtime_seconds, 0.9) / 60 as p90_runtime_minutes
    from subjects group by all
"""

# Every report mart and its aggregate computed straight from the core: (sql, key columns).
EXPECTED = {
    "headline_by_quarter": (headline("quarter"), ["quarter_start"]),
    "headline_by_year": (headline("year"), ["year_start"]),
    "active_users_by_country_by_quarter": (
        breakdown("quarter", ["country_code", "country_name", "region", "subregion"], users_from_dim_users=True),
        ["quarter_start", "country_code"]),
    "active_users_by_country_by_year": (
        breakdown("year", ["country_code", "country_name", "region", "subregion"], users_from_dim_users=True),
        ["year_start", "country_code"]),
    "users_by_profession_by_year": (breakdown("year", ["profession"], users_from_dim_users=True),
                                    ["year_start", "profession"]),
    "corporate_users_by_industry_by_year": (
        breakdown("year", ["industry"], users_from_dim_users=True, where="profession = 'corporate'"),
        ["year_start", "industry"]),
    "gpu_vendors_by_year": (breakdown("year", ["gpu_vendor"]), ["year_start", "gpu_vendor"]),
    "gpu_families_by_year": (breakdown("year", ["gpu_vendor", "gpu_family"]), ["year_start", "gpu_vendor", "gpu_family"]),
    "gpu_models_by_year": (breakdown("year", ["gpu_vendor", "gpu_model", "gpu_family", "gpu_generation", "gpu_segment"]),
                           ["year_start", "gpu_vendor", "gpu_model", "gpu_family", "gpu_generation", "gpu_segment"]),
    "gpu_count_buckets_by_year": (breakdown("year", ["gpu_count_bucket", "gpu_count_bucket_order"]),
                                  ["year_start", "gpu_count_bucket"]),
    "accelerators_by_year": (breakdown("year", ["accelerator"]), ["year_start", "accelerator"]),
    "compute_locations_by_year": (breakdown("year", ["compute_location"]), ["year_start", "compute_location"]),
    "media_types_by_year": (breakdown("year", ["media_type"], list_dim=("media_type", "media_types")),
                            ["year_start", "media_type"]),
    "framework_usage_by_year": (libraries(False, f"category in {FRAMEWORK_CATEGORIES}"), ["year_start", "library"]),
    "frameworks_by_profession_by_year": (libraries(True, f"category in {FRAMEWORK_CATEGORIES}"),
                                         ["year_start", "profession", "library"]),
    "libraries_by_profession_by_year": (libraries(True), ["year_start", "profession", "library"]),
    "library_detection_agreement_by_year": (AGREEMENT, ["year_start", "library"]),
    "library_growth_by_quarter": (GROWTH, ["quarter_start", "library"]),
    "framework_run_length_by_year": (RUN_LENGTH, ["year_start", "grouping", "framework"]),
}


def test_every_report_mart_is_checked_against_the_core(world):
    _, _, conn = world
    assert marts(conn) - CORE == set(EXPECTED)


def text(values):
    """Values compared as text, nulls alike whether pandas read them as None or NaN."""
    return values.astype(object).where(values.notna(), "<null>").astype(str)


@pytest.mark.parametrize("mart", sorted(EXPECTED))
def test_mart_equals_the_aggregate_of_the_core(world, mart):
    _, _, conn = world
    sql, keys = EXPECTED[mart]
    expected = conn.execute(sql).df()
    assert len(expected) > 0, f"{mart}: the core has nothing to aggregate in this world"
    columns = [c for c in expected.columns if c in keys or c in set(conn.execute(f"select * from marts.{mart} limit 0").df())]
    got = conn.execute(f"select {', '.join(columns)} from marts.{mart}").df()
    if mart == "library_growth_by_quarter":  # growth is kept for quarters whose previous quarter is loaded
        got = got[got["previous_active_users"].notna()]
    got, expected = (df[columns].sort_values(keys).reset_index(drop=True) for df in (got, expected))
    assert len(got) == len(expected), f"{mart}: {len(got)} rows, the core gives {len(expected)}"
    assert (text(got[keys]).values == text(expected[keys]).values).all(), mart
    for column in columns:
        if column in keys:
            continue
        if column in ("median_runtime_minutes", "p90_runtime_minutes"):
            # Quantiles come from 1%-wide log buckets: within 0.5% of the exact one (or the < 1 s bucket).
            close = (got[column] - expected[column]).abs() <= 0.006 * expected[column] + 1 / 60
        else:
            g, e = got[column], expected[column]
            close = ((g.astype(float) - e.astype(float)).abs() <= 1e-9 * e.astype(float).abs().clip(lower=1)) \
                if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e) else (text(g) == text(e))
        assert close.all(), f"{mart}.{column} differs from the core:\n{pd.concat([got[keys], got[column], expected[column]], axis=1)[~close]}"


def test_the_core_is_one_row_per_run_and_per_active_user(world):
    _, data, conn = world
    raw_runs = conn.execute("select count(*) from raw.runs").fetchone()[0]
    assert conn.execute("select count(*), count(distinct run_id) from marts.fct_runs").fetchone() == (raw_runs, raw_runs)
    # Active users: anyone with a run, a sweep or an artifact, each kind said in dim_users.
    active = conn.execute("""
        select count(*) from (
            select user_id, quarter_start from staging.stg_tracking__runs where user_id is not null
            union select user_id, quarter_start from staging.stg_tracking__sweeps where user_id is not null
            union select user_id, quarter_start from staging.stg_tracking__artifacts where user_id is not null)
    """).fetchone()[0]
    assert conn.execute("select count(*) from marts.dim_users").fetchone()[0] == active
    kinds = conn.execute("select count(*) filter (where is_run_active), count(*) filter (where not is_run_active) "
                         "from marts.dim_users").fetchone()
    assert kinds[0] > 0 and kinds[1] > 0  # some users are active through sweeps or artifacts only


# -- the README's questions, as written there ------------------------------------------------------

def readme_sql_statements() -> list[str]:
    """Every SQL statement of the README's "For analysts" section, in order."""
    text = README.read_text()
    section = text[text.index("## For analysts"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    statements = []
    for block in re.findall(r"```sql\n(.*?)```", section, re.S):
        code = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("--"))
        statements += [s.strip() for s in code.split(";") if s.strip()]
    return statements


def test_readme_has_the_cross_dimensional_questions():
    text = README.read_text()
    for question in ("Which GPU models do PyTorch users train on?", "Training hours by country and framework",
                     "How long are the runs of hobbyists on A100s?"):
        assert question in text
    on_core = [s for s in readme_sql_statements() if re.search(r"marts\.(fct_runs|fct_run_libraries|dim_users)\b", s)]
    assert len(on_core) >= 5


def test_readme_analyst_queries_return_rows_from_the_analysts_copy(world):
    root, data, _ = world
    statements = readme_sql_statements()
    assert len(statements) >= 10
    copy = duckdb.connect(str(data / "analysts" / "stateofml.duckdb"), read_only=True)
    cwd = os.getcwd()
    os.chdir(root)  # the README's Parquet paths are relative: data/analysts/parquet/...
    try:
        for sql in statements:
            rows = copy.execute(sql).fetchall()
            assert rows, f"no rows from the README query:\n{sql}"
    finally:
        os.chdir(cwd)
        copy.close()

"""The talk's findings on demographics, activity and hardware, read from the marts of a small
simulated world (2020 Q1 .. 2022 Q4 at scale 0.002: ~650 users, ~400k runs) materialized as one run.

Assertions are orderings and share movements between 2020 and 2022, which hold at this sample size;
exact figures are checked on a hand-counted world in test_demographics_hardware.py.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

import dagster as dg
from simulator import simulate
from tests.pipeline import materialize_quarters

SCALE, SEED = 0.002, 42


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demographics_hardware_simulated") / "data"
    simulate(data_dir / "landing", date(2020, 1, 1), date(2023, 1, 1), scale=SCALE, seed=SEED)
    with dg.DagsterInstance.ephemeral() as instance:
        materialize_quarters(data_dir, instance, "2020Q1", "2022Q4")
    with duckdb.connect(str(data_dir / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        yield lambda sql: conn.execute(sql).fetchall()


def by_year(rows) -> dict:
    """[(year, key, value)] -> {year: {key: value}}"""
    out: dict = {}
    for year, key, value in rows:
        out.setdefault(year, {})[key] = value
    return out


def test_headline_grows_and_years_are_complete(marts):
    rows = marts("select year, quarters_covered, active_users, countries, runs, training_hours "
                 "from marts.headline_by_year order by year")
    assert [r[:2] for r in rows] == [(2020, 4), (2021, 4), (2022, 4)]
    for before, after in zip(rows, rows[1:]):
        assert all(b < a for b, a in zip(before[2:], after[2:]))  # users, countries, runs, hours all grow
    # Distinct users of a year are fewer than the sum of its quarters' (people stay active).
    quarterly = marts("select sum(active_users) from marts.headline_by_quarter where quarter_start >= '2022-01-01'")
    assert rows[-1][2] < quarterly[0][0]


def test_us_leads_every_year_and_asia_rises(marts):
    leaders = marts("""select year, arg_max(country_code, active_users) from marts.active_users_by_country_by_year
                       where country_code <> 'unknown' group by year order by year""")
    assert leaders == [(2020, "US"), (2021, "US"), (2022, "US")]
    asia = dict(marts("""select year, sum(active_users) filter (where region = 'Asia') / sum(active_users)
                         from marts.active_users_by_country_by_year where country_code <> 'unknown' group by year"""))
    assert asia[2020] < asia[2021] < asia[2022]
    assert asia[2022] - asia[2020] > 0.05


def test_personal_users_grow_fastest(marts):
    users = by_year(marts("select year, profession, active_users from marts.users_by_profession_by_year"))
    growth = {p: users[2022][p] / users[2020][p] for p in ("academic", "corporate", "personal")}
    assert max(growth, key=growth.get) == "personal"
    assert all(users[2022][p] > users[2021][p] > users[2020][p] for p in growth)  # every profession grows


def test_high_tech_dominates_and_healthcare_grows_fastest(marts):
    shares = by_year(marts("select year, industry, user_share from marts.corporate_users_by_industry_by_year"))
    for year in (2020, 2021, 2022):
        assert max(shares[year], key=shares[year].get) == "High tech"
    gain = {i: shares[2022].get(i, 0) - shares[2020].get(i, 0) for i in shares[2022] if i != "High tech"}
    assert max(gain, key=gain.get) == "Healthcare & life sciences"


def test_nvidia_dominates_with_a_sliver_of_apple_and_some_unidentified(marts):
    runs = by_year(marts("select year, gpu_vendor, run_share from marts.gpu_vendors_by_year"))
    for year in (2020, 2021, 2022):
        assert runs[year]["NVIDIA"] > 0.75
        assert 0 < runs[year]["Unidentified"] < runs[year]["NVIDIA"]
    assert 0 < runs[2022]["Apple"] < 0.1


def test_newer_geforce_and_a100_rise(marts):
    family = marts("""select year,
                          sum(run_share) filter (where gpu_family in ('GeForce RTX 30', 'GeForce RTX 40')),
                          sum(run_share) filter (where gpu_family in ('GeForce GTX 10', 'GeForce RTX 20')),
                          sum(hour_share) filter (where gpu_family = 'A100'),
                          sum(user_share) filter (where gpu_family = 'A100')
                      from marts.gpu_families_by_year group by year order by year""")
    (_, new20, old20, a100_h20, a100_u20), _, (_, new22, old22, a100_h22, a100_u22) = family
    assert new20 < old20 and new22 > old22  # 30xx/40xx supplant 10xx/20xx
    assert a100_h22 > a100_h20 and a100_u22 > a100_u20


def test_single_gpu_dominates_users_while_nine_plus_grows_in_hours(marts):
    users = by_year(marts("select year, gpu_count_bucket, user_share from marts.gpu_count_buckets_by_year"))
    hours = by_year(marts("select year, gpu_count_bucket, hour_share from marts.gpu_count_buckets_by_year"))
    for year in (2020, 2021, 2022):
        assert max(users[year], key=users[year].get) == "1"
        assert users[year]["1"] > 0.5
    assert hours[2022]["9+"] > hours[2020]["9+"]
    # Few, long runs on big set-ups: 9+ GPUs weigh more by hours than by runs.
    runs_9 = marts("select run_share from marts.gpu_count_buckets_by_year where year = 2022 and gpu_count_bucket = '9+'")
    assert hours[2022]["9+"] > runs_9[0][0]

"""The talk's framework and library findings, read from the marts of a small simulated world.

One simulated landing zone (2020 Q1 .. 2022 Q4 at scale 0.002, a few hundred users) materialized once, as
one run. The assertions are orderings and ratios that hold at any sample size the simulator is meant for,
not the exact numbers of one seed. Every library in these marts comes from the detection (parsed code
imports and client telemetry), not from the simulator's own labels.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.definitions import build_definitions
from stateofml.platform.resources import build_resources
from simulator import simulate

pytestmark = pytest.mark.slow

SMALL_GROWERS = ["Hugging Face Diffusers", "Hugging Face Accelerate", "einops", "timm", "Hugging Face Evaluate"]


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    data = tmp_path_factory.mktemp("simulated") / "data"
    simulate(data / "landing", date(2020, 1, 1), date(2023, 1, 1), scale=0.002, seed=42, workers=2)
    defs = build_definitions(build_resources(data))
    with dg.DagsterInstance.ephemeral() as instance:
        assert defs.resolve_job_def("reference_data").execute_in_process(instance=instance).success
        assert defs.resolve_job_def("state_of_ml_quarterly").execute_in_process(
            instance=instance,
            tags={"dagster/asset_partition_range_start": "2020-01-01",
                  "dagster/asset_partition_range_end": "2022-10-01"},
        ).success
    conn = duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True)
    yield lambda sql: conn.execute(sql).df()
    conn.close()


def usage(marts) -> pd.DataFrame:
    return marts("select year, library, active_users, runs, training_hours, run_share, hour_share "
                 "from marts.framework_usage_by_year").set_index(["year", "library"])


def test_pytorch_leads_tensorflow_and_the_lead_widens_most_in_runs_and_hours(marts):
    df = usage(marts)
    lead = {(year, m): df.loc[(year, "PyTorch"), m] / df.loc[(year, "TensorFlow"), m]
            for year in (2020, 2021, 2022) for m in ("active_users", "runs", "training_hours")}
    assert all(v > 1 for v in lead.values()), lead
    # The lead widens from 2020 to 2022 in all three measures, and is steeper in runs and hours than in users:
    # every year PyTorch leads by more in runs and hours than in users, and its lead in runs widens faster.
    # (Whether the lead in hours also *widens* faster than in users is not robust at this size: 2020 has a few
    # dozen users and heavy-tailed run lengths; seed 42 gives 1.4x against 1.7x for users, seed 7 2.4x against 1.4x.)
    widening = {m: lead[(2022, m)] / lead[(2020, m)] for m in ("active_users", "runs", "training_hours")}
    assert all(v > 1 for v in widening.values()), widening
    for year in (2020, 2021, 2022):
        assert lead[(year, "runs")] > lead[(year, "active_users")] < lead[(year, "training_hours")], lead
    assert widening["runs"] > widening["active_users"], widening


def test_pytorch_runs_are_longer_than_tensorflow_runs(marts):
    df = marts("select year, framework, median_runtime_minutes, mean_runtime_minutes "
               "from marts.framework_run_length_by_year where grouping = 'framework_family'").set_index(["year", "framework"])
    for year in (2020, 2021, 2022):
        assert df.loc[(year, "PyTorch"), "median_runtime_minutes"] > df.loc[(year, "TensorFlow"), "median_runtime_minutes"]
        assert df.loc[(year, "PyTorch"), "mean_runtime_minutes"] > df.loc[(year, "TensorFlow"), "mean_runtime_minutes"]


def test_keras_leads_lightning_in_users_but_lightning_leads_in_runs_and_hours(marts):
    last = usage(marts).loc[2022]
    assert last.loc["Keras", "active_users"] > last.loc["Lightning", "active_users"]
    assert last.loc["Lightning", "runs"] > last.loc["Keras", "runs"]
    assert last.loc["Lightning", "training_hours"] > last.loc["Keras", "training_hours"]


def test_boosted_tree_runs_are_many_and_short(marts):
    last = usage(marts).loc[2022]
    boosted = last.loc[last.index.isin(["XGBoost", "LightGBM", "CatBoost"])]
    assert len(boosted) == 3
    # Many runs for few hours: their share of runs far above their share of hours, unlike PyTorch's.
    assert boosted["run_share"].sum() / boosted["hour_share"].sum() > 5 * (
        last.loc["PyTorch", "run_share"] / last.loc["PyTorch", "hour_share"])
    length = marts("select framework, median_runtime_minutes from marts.framework_run_length_by_year "
                   "where year = 2022 and grouping = 'framework_family'").set_index("framework")["median_runtime_minutes"]
    assert length["boosted trees"] < length["PyTorch"] / 5


def test_pytorch_is_more_academic_and_other_frameworks_more_corporate(marts):
    df = marts("select profession, library, user_share from marts.frameworks_by_profession_by_year "
               "where year = 2022 and profession in ('academic', 'corporate')")
    share = df.pivot(index="library", columns="profession", values="user_share").fillna(0)
    assert share.loc["PyTorch", "academic"] > share.loc["PyTorch", "corporate"]
    # PyTorch is the favourite of both.
    assert share["academic"].idxmax() == "PyTorch" and share["corporate"].idxmax() == "PyTorch"
    for other in ("TensorFlow", "Keras"):
        assert share.loc[other, "corporate"] > share.loc[other, "academic"], other


def test_libraries_grow_fast_from_2022_q3_to_q4(marts):
    growth = marts("select library, active_users, previous_active_users, user_growth "
                   "from marts.library_growth_by_quarter where quarter_start = '2022-10-01'").set_index("library")
    for big in ("Hugging Face Transformers", "Hydra"):
        assert growth.loc[big, "user_growth"] > 1.5, big
    small = growth.loc[growth.index.intersection(SMALL_GROWERS)]
    assert (small["user_growth"] >= 2).sum() >= 2, small
    # The large ones are large: more users than any of the small fast growers.
    assert growth.loc["Hugging Face Transformers", "active_users"] > small["active_users"].max()


def test_code_and_telemetry_mostly_agree_and_keras_through_tensorflow_is_seen_in_the_code(marts):
    df = marts("select library, runs_with_both_signals, runs_agreeing, telemetry_only_share "
               "from marts.library_detection_agreement_by_year where year = 2022").set_index("library")
    assert df["runs_agreeing"].sum() / df["runs_with_both_signals"].sum() > 0.8
    # tf.keras / `from tensorflow import keras` count Keras in the code (issue 15): telemetry no
    # longer sees Keras alone on those runs.
    assert df.loc["Keras", "runs_with_both_signals"] > 0 and df.loc["Keras", "telemetry_only_share"] < 0.05

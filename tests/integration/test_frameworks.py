"""Frameworks and libraries from real import statements and client telemetry, through Dagster and dbt:
a hand-built landing zone (tests/landing_builder.framework_world) whose numbers are counted by hand."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import pytest

from assets.charts.libraries import ranked_growth
from assets.charts.registry import ALL_CHARTS
from assets.code_imports.assets import PARSED_CODE_KEY, parsed_code
from orchestration.definitions import build_definitions
from stateofml.platform.resources import build_resources
from stateofml.quarters import Quarter
from tests.landing_builder import FRAMEWORK_SOURCES, framework_world
from tests.pipeline import materialize_quarters

Q3, Q4 = "2022-07-01", "2022-10-01"
CHARTS = ("pytorch_vs_tensorflow", "run_length_by_framework", "keras_vs_lightning", "boosted_trees",
          "frameworks_by_profession", "fastest_growing_libraries", "libraries_by_profession", "detection_agreement")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """2022 Q3 and Q4 materialized once, as one run (a single-run backfill of two partitions)."""
    data = tmp_path_factory.mktemp("frameworks") / "data"
    framework_world(data / "landing")
    defs = build_definitions(build_resources(data))
    with dg.DagsterInstance.ephemeral() as instance:
        materialize_quarters(data, instance, "2022Q3", "2022Q4")
        first = instance.get_latest_materialization_event(PARSED_CODE_KEY).asset_materialization.metadata
        captions = {name: instance.get_latest_materialization_event(dg.AssetKey(["charts", name]))
                    .asset_materialization.metadata["caption"].value for name in CHARTS}
        yield data, defs, {k: v.value for k, v in first.items()}, captions


def rows(data, sql: str) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_each_script_is_parsed_once_and_a_rerun_parses_nothing(world):
    data, defs, first, _ = world
    distinct = len(FRAMEWORK_SOURCES)
    assert (first["seen"], first["already_parsed"], first["parsed_now"], first["errors"]) == (distinct, 0, distinct, 0)
    assert first["by_method"] == {"ast": distinct - 1, "notebook_ast": 1}

    # The asset alone, again, for both quarters: everything is in the content-addressed cache.
    again = dg.materialize([parsed_code], resources=build_resources(data),
                           tags={"dagster/asset_partition_range_start": Q3, "dagster/asset_partition_range_end": Q4})
    events = again.get_asset_materialization_events()
    assert {e.partition for e in events} == {Q3, Q4}  # one materialization per partition of the range
    for event in events:
        metadata = {k: v.value for k, v in event.materialization.metadata.items()}
        assert (metadata["seen"], metadata["already_parsed"], metadata["parsed_now"]) == (distinct, distinct, 0)
        assert metadata["by_method"] == {}
    assert rows(data, "select count(*) from code_imports.parsed_code") == [(distinct,)]


def test_a_quarter_whose_code_blobs_are_not_loaded_fails_clearly(world):
    data, *_ = world
    with pytest.raises(dg.Failure, match="raw.code_blobs__2021q1"):
        dg.materialize([parsed_code], resources=build_resources(data), partition_key="2021-01-01")


def test_parsed_code_feeds_the_dbt_lineage(world):
    _, defs, *_ = world
    graph = defs.resolve_asset_graph()
    assert PARSED_CODE_KEY in graph.get(dg.AssetKey(["staging", "stg_code_imports__parsed_code"])).parent_keys
    assert dg.AssetKey(["raw", "code_blobs"]) in graph.get(PARSED_CODE_KEY).parent_keys


def test_both_signals_are_unioned_per_run(world):
    data, *_ = world
    # A quarter's figures are a group-by over the core (the yearly mart is the report's).
    usage = rows(data, "select library, count(distinct user_id), count(*), round(sum(training_hours), 6), "
                       "round(count(*) / (select count(*) from marts.fct_runs where quarter_start = '2022-10-01' "
                       "and (has_code_imports or has_telemetry_imports)), 6) "
                       "from marts.fct_run_libraries where quarter_start = '2022-10-01' "
                       "and category in ('core framework', 'high-level framework', 'boosted trees') "
                       "group by library order by library")
    # 51 Q4 runs have known imports (all but f9). Keras only through telemetry (f2, tf.keras); Lightning from
    # telemetry (f4) and code (f5); PyTorch from code, telemetry and the anonymous f7 (a run, not a user).
    assert usage == [
        ("Keras", 1, 1, 1.0, round(1 / 51, 6)),
        ("LightGBM", 1, 1, 0.2, round(1 / 51, 6)),
        ("Lightning", 2, 2, 3.5, round(2 / 51, 6)),
        ("PyTorch", 46, 48, 53.5, round(48 / 51, 6)),
        ("TensorFlow", 2, 2, 5.0, round(2 / 51, 6)),
        ("XGBoost", 1, 1, 0.1, round(1 / 51, 6)),
    ]
    yearly = rows(data, "select quarters_covered, active_users, runs from marts.framework_usage_by_year "
                        "where year = 2022 and library = 'PyTorch'")
    assert yearly == [(2, 46, 74)]  # distinct users over both quarters; runs 26 (Q3) + 48 (Q4)


def test_agreement_of_the_signals_among_runs_with_both(world):
    data, *_ = world
    agreement = rows(data, "select library, count(*), count(*) filter (where detected_by = 'both'), "
                           "count(*) filter (where detected_by = 'code'), count(*) filter (where detected_by = 'telemetry') "
                           "from marts.fct_run_libraries where quarter_start = '2022-10-01' "
                           "and has_code_imports and has_telemetry_imports "
                           "and library in (select library from marts.library_detection_agreement_by_year) "
                           "group by library order by library")
    assert agreement == [
        ("Hugging Face Transformers", 1, 0, 1, 0),  # f1: imported, not in the telemetry
        ("Keras", 1, 1, 0, 0),  # f2: from tensorflow import keras
        ("PyTorch", 2, 1, 1, 0),  # f1 agrees; f7's telemetry names only an unknown number
        ("TensorFlow", 1, 1, 0, 0),
        ("XGBoost", 1, 1, 0, 0),
        ("joblib", 1, 0, 0, 1),  # f6: flagged by telemetry only ...
        ("scikit-learn", 1, 1, 0, 0),
    ]
    # ... which is expected: scikit-learn imports joblib, its code could not be expected to.
    assert rows(data, "select library, code_import_expected, loaded_by from marts.library_detection_agreement_by_year "
                      "where year = 2022 and not code_import_expected order by library") == [
        ("Keras", False, ["TensorFlow"]), ("joblib", False, ["scikit-learn"])]
    assert rows(data, "select library, agreement_share from marts.library_detection_agreement_by_year "
                      "where year = 2022 and library = 'Hugging Face Transformers'") == [("Hugging Face Transformers", 0.5)]


def test_unknown_modules_and_telemetry_numbers_are_kept(world):
    data, *_ = world
    kept = rows(data, "select coalesce(users.profession, 'unknown'), library, category, is_known_library, "
                      "count(distinct libraries.user_id), count(*) "
                      "from marts.fct_run_libraries as libraries left join marts.dim_users as users using (user_id, quarter_start) "
                      "where quarter_start = '2022-10-01' and not is_known_library group by all order by library")
    assert kept == [("unknown", "my_secret_lib", "other", False, 0, 1),
                    ("unknown", "telemetry import 999", "other", False, 0, 1)]
    # The standard library is not a library: os and json of torch_nlp.py are nowhere.
    assert rows(data, "select count(*) from marts.fct_run_libraries where library in ('os', 'json')") == [(0,)]


def test_growth_keeps_every_ratio_and_the_chart_ranks_above_its_threshold(world):
    data, *_ = world
    growth = dict((r[0], r[1:]) for r in rows(
        data, "select library, active_users, previous_active_users, round(user_growth, 4) "
              "from marts.library_growth_by_quarter where quarter_start = '2022-10-01'"))
    # Transformers: a1 + 40 growth users vs a1 + 24; einops 3 vs 1 keeps its ratio in the mart.
    assert growth["Hugging Face Transformers"] == (41, 25, round(41 / 25, 4))
    assert growth["einops"] == (3, 1, 3.0)
    assert growth["PyTorch"][2] is not None  # a framework: growth kept
    # The chart ranks with its own threshold (the one definition): einops (noise) and PyTorch (a
    # framework) are not ranked, Transformers is.
    spec = next(s for s in ALL_CHARTS if s.name == "fastest_growing_libraries")
    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        frame = conn.execute(spec.query, {"end": Quarter(2022, 4).end}).df()
    ranked = ranked_growth(frame)["library"].tolist()
    assert "Hugging Face Transformers" in ranked and "einops" not in ranked and "PyTorch" not in ranked
    assert rows(data, "select count(*) from marts.library_growth_by_quarter where quarter_start = '2022-07-01' "
                      "and previous_active_users is not null") == [(0,)]  # Q2 not loaded: no ratios


def test_run_length_and_profession_shares(world):
    data, *_ = world
    length = rows(data, "select count(*), avg(runtime_seconds) / 60, quantile_disc(runtime_seconds, 0.5) / 60 "
                        "from marts.fct_runs where quarter_start = '2022-10-01' and runtime_seconds is not null "
                        "and list_contains(framework_families, 'TensorFlow')")
    # f2 (1 h) and f3 (4 h, torch and tensorflow: in both families): mean 150 min, median the lower run.
    assert length == [(2, 150.0, 60.0)]
    shares = dict(((r[0], r[1]), r[2]) for r in rows(
        data, "with known as (select profession, count(distinct user_id) as users from marts.fct_runs "
              "  where quarter_start = '2022-10-01' and (has_code_imports or has_telemetry_imports) group by all) "
              "select profession, library, count(distinct libraries.user_id) / any_value(known.users) "
              "from marts.fct_run_libraries as libraries join marts.dim_users as users using (user_id, quarter_start) "
              "join known using (profession) "
              "where quarter_start = '2022-10-01' and category in ('core framework', 'high-level framework', 'boosted trees') "
              "group by all"))
    # Academics with known imports: a1, a2, 20 even growth users, t0..t2 = 25; 24 use PyTorch (not a2).
    assert shares[("academic", "PyTorch")] == pytest.approx(24 / 25)
    assert shares[("corporate", "PyTorch")] == pytest.approx(1.0)


def test_charts_are_drawn_with_captions_from_the_data(world):
    data, _, _, captions = world
    charts = data / "reports" / "2022Q4" / "charts"
    for name in CHARTS:
        assert (charts / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert captions["pytorch_vs_tensorflow"].startswith(f"PyTorch share of runs: 2022 (2 of 4 quarters) {round(74 / 77 * 100)}%")
    assert captions["fastest_growing_libraries"].startswith(
        "2022 Q4 vs the previous quarter, growth in active users of the only ranked library: "
        "fastest Hugging Face Transformers 1.6x")
    assert captions["keras_vs_lightning"].startswith("2022 (2 of 4 quarters): active users Keras 1 vs Lightning 2")
    spec = json.loads((charts / "fastest_growing_libraries.vl.json").read_text())
    values = [v for dataset in spec["datasets"].values() for v in dataset if "library" in v]
    assert {v["library"] for v in values} == {"Hugging Face Transformers"}  # einops is below the threshold

"""A range run (several quarters in one run) records each quarter's own figures on that quarter's
materialization: partition history and the row-count plot are per quarter, not the run's totals."""

from __future__ import annotations

import dagster as dg

from assets.ingest.assets import QUARANTINE_CHECK, raw_quarterly_assets
from stateofml.platform.resources import build_resources
from stateofml.quarters import Quarter
from tests.landing_builder import tiny_world, write_jsonl

RUNS = dg.AssetKey(["raw", "runs"])
Q3, Q4 = Quarter(2022, 3), Quarter(2022, 4)


def latest_metadata(instance, key: dg.AssetKey, quarter: Quarter) -> dict:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[quarter.partition_key]), limit=1
    ).records
    assert records, f"{key.to_user_string()} {quarter} not materialized"
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def test_each_quarter_of_a_range_run_carries_its_own_figures(data_dir, instance):
    tiny_world(data_dir / "landing")
    # One bad line in 2022 Q3 only: its quarantine count must not show on 2022 Q4.
    write_jsonl(data_dir / "landing", "runs", Q3.start.replace(day=2), ["{not json"], name="bad.jsonl")
    runs_asset = next(a for a in raw_quarterly_assets if RUNS in a.keys)
    result = dg.materialize(
        [runs_asset], resources=build_resources(data_dir), instance=instance,
        tags={"dagster/asset_partition_range_start": Q3.partition_key,
              "dagster/asset_partition_range_end": Q4.partition_key},
        raise_on_error=False,
    )
    q3, q4 = latest_metadata(instance, RUNS, Q3), latest_metadata(instance, RUNS, Q4)
    # tiny_world: one run in 2022 Q3, six in 2022 Q4.
    assert (q3["records_loaded"], q3["dagster/row_count"], q3["records_quarantined"], q3["quarter"]) == (1, 1, 1, "2022 Q3")
    assert (q4["records_loaded"], q4["dagster/row_count"], q4["records_quarantined"], q4["quarter"]) == (6, 6, 0, "2022 Q4")
    assert q3["records_read"] == 2 and q4["records_read"] == 6
    # One materialization per quarter, not a second one with the run's totals.
    for quarter in (Q3, Q4):
        assert len(instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=RUNS, asset_partitions=[quarter.partition_key]), limit=10).records) == 1
    # The blocking check judges each quarter: 1 bad line of 2 in 2022 Q3 is above the 5 % threshold,
    # however clean 2022 Q4 is.
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == QUARANTINE_CHECK)
    assert not check.passed
    assert check.metadata["quarantine_share/2022 Q3"].value == 0.5
    assert check.metadata["quarantine_share/2022 Q4"].value == 0.0

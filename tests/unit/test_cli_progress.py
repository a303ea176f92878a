"""The CLI's in-process runs: the progress count, failures printed as they happen, the step log."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import dagster as dg
import pytest

from stateofml.cli import run_job
from stateofml.platform.partitions import quarterly_partitions


@dg.asset(partitions_def=quarterly_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def counted() -> None:
    print("a line a step prints")  # goes to the log file, not over the bar


@dg.asset(deps=[counted], partitions_def=quarterly_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def broken() -> None:
    raise RuntimeError("the warehouse is on fire")


def run(selection, tmp_path, progress):
    defs = dg.Definitions(assets=[counted, broken], jobs=[dg.define_asset_job("job", selection=selection)])
    out = io.StringIO()
    with dg.DagsterInstance.ephemeral() as instance, redirect_stdout(out):
        ok = run_job(defs, "job", selection, instance, quarters=2, progress=progress, log_dir=tmp_path,
                     tags={"dagster/asset_partition_range_start": "2022-07-01",
                           "dagster/asset_partition_range_end": "2022-10-01"})
    return ok, out.getvalue()


def test_counts_materializations_per_quarter_and_keeps_step_output_in_the_log(tmp_path):
    ok, out = run(dg.AssetSelection.assets(counted), tmp_path, progress=False)
    assert ok and "  job: 2/2 assets materialized (ok); log: " in out
    (log,) = tmp_path.glob("job-*.log")
    assert "a line a step prints" in log.read_text() and "a line a step prints" not in out


def test_a_failure_is_printed_with_its_step_and_fails_the_run(tmp_path):
    ok, out = run(dg.AssetSelection.assets(counted, broken), tmp_path, progress=True)
    assert not ok
    assert "FAILED broken:" in out and "the warehouse is on fire" in out
    assert "  job: 2/4 assets materialized (FAILED)" in out


class GoneReader(io.StringIO):
    """A pipe whose reader went away (`stateofml materialize ... | head`)."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.timeout(120)
def test_a_reader_that_went_away_does_not_hang_the_run(tmp_path):
    # tqdm keeps its lock when writing raises: the run's end would wait on it for ever.
    defs = dg.Definitions(assets=[counted], jobs=[dg.define_asset_job("job", selection=[counted])])
    with dg.DagsterInstance.ephemeral() as instance, redirect_stdout(GoneReader()):
        assert run_job(defs, "job", dg.AssetSelection.assets(counted), instance, quarters=1, progress=True,
                       log_dir=tmp_path, tags={"dagster/partition": "2022-10-01"})

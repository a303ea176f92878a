"""`stateofml materialize`: arguments checked before anything is written; after the run, the quarters
it left stale (records moved out of them) named with the command that rebuilds them; the printed
commands quote --data-dir; one UTC notion of the quarter in progress."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import dagster as dg
import pytest

from assets.ingest.assets import SUPERSEDED_METADATA
from stateofml import cli
from stateofml.quarters import Quarter


@pytest.mark.parametrize("quarters", ["2019Q4", "2019Q1:2020Q2", "2100Q1"])
def test_a_bad_range_leaves_no_data_folder(tmp_path, capsys, quarters):
    data = tmp_path / "new data"
    assert cli.main(["--data-dir", str(data), "materialize", quarters]) == 2
    assert "quarters must be within" in capsys.readouterr().err
    assert not data.exists()


def moved(quarter: str, to: dict[str, int] | None) -> dg.AssetMaterialization:
    metadata = {SUPERSEDED_METADATA: dg.MetadataValue.json(to)} if to else {}
    return dg.AssetMaterialization(["raw", "runs"], partition=Quarter.parse(quarter).partition_key, metadata=metadata)


def test_quarters_left_stale_are_the_ones_outside_the_run():
    q3, q4 = Quarter(2022, 3), Quarter(2022, 4)
    events = [moved("2022Q4", {"2022Q3": 2, "2021Q1": 1}), moved("2022Q4", None), None]
    assert cli.quarters_left_stale(events, [q4]) == [Quarter(2021, 1), q3]
    assert cli.quarters_left_stale(events, [q3, q4]) == [Quarter(2021, 1)]  # the run rebuilt 2022 Q3 itself
    assert cli.quarters_left_stale([moved("2022Q4", None)], [q4]) == []


def test_printed_commands_quote_the_data_dir():
    option = cli.data_dir_option(argparse.Namespace(data_dir="/srv/state of ml"))
    assert option == " --data-dir '/srv/state of ml'"
    assert cli.next_commands([Quarter(2022, 3)], Quarter(2026, 4), option) == [
        "next: stateofml --data-dir '/srv/state of ml' materialize 2022Q3"]
    assert cli.data_dir_option(argparse.Namespace(data_dir=None)) == ""


def test_the_quarter_in_progress_is_by_the_utc_date(monkeypatch):
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            # 23:30 UTC on 31 December: the next quarter already, east of Greenwich.
            return datetime(2022, 12, 31, 23, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(cli, "datetime", Clock)
    assert cli.current_quarter() == Quarter(2022, 4)

"""The partition -> dbt vars function: pure, and the only way vars reach dbt."""

from datetime import datetime, timezone

import pytest

from stateofml.platform.partitions import dbt_vars_for_window, quarterly_partitions


def utc(*a):
    return datetime(*a, tzinfo=timezone.utc)


def test_partitions_are_quarters_from_2020():
    keys = quarterly_partitions.get_partition_keys(current_time=utc(2023, 1, 15))
    assert keys[:5] == ["2020-01-01", "2020-04-01", "2020-07-01", "2020-10-01", "2021-01-01"]
    # The newest partition is the quarter that has closed, not the running one.
    assert keys[-1] == "2022-10-01"


def test_time_window_of_a_partition():
    window = quarterly_partitions.time_window_for_partition_key("2022-10-01")
    assert (window.start, window.end) == (utc(2022, 10, 1), utc(2023, 1, 1))


def test_one_quarter():
    assert dbt_vars_for_window(utc(2022, 10, 1), utc(2023, 1, 1)) == {"start_date": "2022-10-01", "end_date": "2023-01-01"}


def test_a_backfill_range_is_one_window():
    assert dbt_vars_for_window(utc(2020, 1, 1), utc(2023, 1, 1)) == {"start_date": "2020-01-01", "end_date": "2023-01-01"}


@pytest.mark.parametrize("start,end", [(utc(2022, 10, 2), utc(2023, 1, 1)), (utc(2022, 10, 1), utc(2022, 12, 1))])
def test_partial_quarters_are_refused(start, end):
    with pytest.raises(ValueError):
        dbt_vars_for_window(start, end)

from datetime import date, datetime, timezone

import pytest

from stateofml.quarters import Quarter, parse_quarter_range, quarters_between


@pytest.mark.parametrize("text", ["2022Q4", "2022-Q4", "2022 q4", " 2022Q4 ", "2022-10-01"])
def test_parse_spellings(text):
    assert Quarter.parse(text) == Quarter(2022, 4)


@pytest.mark.parametrize("text", ["2022Q5", "2022-11-01", "22Q4", "2022Q4; drop table x", "", "Q4 2022"])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        Quarter.parse(text)


def test_views_round_trip():
    q = Quarter(2022, 4)
    assert (q.partition_key, q.compact, q.label, q.table_suffix) == ("2022-10-01", "2022Q4", "2022 Q4", "2022q4")
    assert q.start == date(2022, 10, 1) and q.end == date(2023, 1, 1)
    assert Quarter.parse(q.partition_key) == Quarter.parse(q.compact) == q
    assert q.next() == Quarter(2023, 1) and Quarter(2023, 1).previous() == q


def test_containing():
    assert Quarter.containing(date(2021, 3, 31)) == Quarter(2021, 1)
    assert Quarter.containing(datetime(2021, 4, 1, tzinfo=timezone.utc)) == Quarter(2021, 2)


def test_ranges():
    qs = parse_quarter_range("2020Q1:2022Q4")
    assert len(qs) == 12 and qs[0] == Quarter(2020, 1) and qs[-1] == Quarter(2022, 4)
    assert parse_quarter_range("2021Q2") == [Quarter(2021, 2)]
    with pytest.raises(ValueError):
        parse_quarter_range("2022Q4:2022Q1")


def test_quarters_between_half_open():
    utc = timezone.utc
    assert quarters_between(datetime(2022, 1, 1, tzinfo=utc), datetime(2022, 7, 1, tzinfo=utc)) == [Quarter(2022, 1), Quarter(2022, 2)]
    assert quarters_between(date(2022, 10, 1), date(2023, 1, 1)) == [Quarter(2022, 4)]

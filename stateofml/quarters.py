"""One definition of a quarter: partition key <-> time window <-> label.

Dagster partition keys are the quarter's first day (``2022-10-01``) because a quarterly
``TimeWindowPartitionsDefinition`` formats them that way; people write ``2022Q4``; charts
say ``2022 Q4``. Every stage converts through :class:`Quarter`, never by string slicing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

# The first quarter of the report's history (the talk: "a little bit of data in 2020").
FIRST_QUARTER_START = date(2020, 1, 1)

_COMPACT = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_KEY = re.compile(r"^(\d{4})-(01|04|07|10)-01$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    def __post_init__(self) -> None:
        if not (1 <= self.q <= 4) or not (1900 <= self.year <= 9999):
            raise ValueError(f"not a quarter: year={self.year!r} q={self.q!r}")

    # -- parsing -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """Accept ``2022Q4``, ``2022-Q4``, ``2022 Q4`` or a partition key ``2022-10-01``."""
        if not isinstance(text, str):
            raise ValueError(f"not a quarter: {text!r}")
        m = _COMPACT.match(text)
        if m:
            return cls(int(m.group(1)), int(m.group(2)))
        m = _KEY.match(text.strip())
        if m:
            return cls(int(m.group(1)), (int(m.group(2)) - 1) // 3 + 1)
        raise ValueError(f"not a quarter: {text!r} (expected e.g. 2022Q4 or 2022-10-01)")

    @classmethod
    def containing(cls, moment: date | datetime) -> "Quarter":
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    # -- views ---------------------------------------------------------------------------
    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.q - 1) + 1, 1)

    @property
    def end(self) -> date:
        """Exclusive end: the first day of the next quarter."""
        return self.next().start

    @property
    def start_datetime(self) -> datetime:
        return datetime(self.start.year, self.start.month, 1, tzinfo=timezone.utc)

    @property
    def end_datetime(self) -> datetime:
        return self.next().start_datetime

    @property
    def partition_key(self) -> str:
        return self.start.isoformat()

    @property
    def compact(self) -> str:
        """``2022Q4``: file names, table suffixes, CLI arguments."""
        return f"{self.year}Q{self.q}"

    @property
    def label(self) -> str:
        """``2022 Q4``: charts and reports."""
        return f"{self.year} Q{self.q}"

    @property
    def table_suffix(self) -> str:
        """``2022q4``: safe inside an SQL identifier (validated digits only)."""
        return f"{self.year:04d}q{self.q}"

    def next(self) -> "Quarter":
        return Quarter(self.year + 1, 1) if self.q == 4 else Quarter(self.year, self.q + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.q == 1 else Quarter(self.year, self.q - 1)

    def __str__(self) -> str:
        return self.compact


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Quarters from ``first`` to ``last``, both included."""
    if last < first:
        raise ValueError(f"empty quarter range: {first} is after {last}")
    out, q = [], first
    while q <= last:
        out.append(q)
        q = q.next()
    return out


def parse_quarter_range(text: str) -> list[Quarter]:
    """``2020Q1:2022Q4`` (both ends included) or a single ``2022Q4``."""
    if ":" in text:
        first, _, last = text.partition(":")
        return quarter_range(Quarter.parse(first), Quarter.parse(last))
    return [Quarter.parse(text)]


def quarters_between(start: date | datetime, end: date | datetime) -> list[Quarter]:
    """Quarters overlapping the half-open window [start, end)."""
    first = Quarter.containing(start)
    last_day = end if isinstance(end, date) and not isinstance(end, datetime) else end.date()
    last = Quarter.containing(date.fromordinal(last_day.toordinal() - 1))
    return quarter_range(first, last)

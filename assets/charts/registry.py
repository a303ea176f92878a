"""What a chart is: the marts it reads, the query, how it is drawn and captioned.

Each report section module declares its charts as ``ChartSpec``s; ``assets/charts/assets.py``
turns every spec into a Dagster asset and the report page lays them out. This is the one place
that maps marts to charts (the dbt exposures are generated from it: `assets/charts/exposures.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import altair as alt
import pandas as pd


@dataclass(frozen=True)
class ChartSpec:
    name: str  # asset name and file name
    section: str  # report section, e.g. "Demographics"
    title: str  # says what is measured
    marts: tuple[str, ...]  # marts.<name> models it reads
    # SQL over the marts; `$end` is the exclusive end of the partition's quarter, so a chart of
    # 2021 Q4 never shows 2022 data.
    query: str
    build: Callable[[pd.DataFrame], alt.TopLevelMixin]
    caption: Callable[[pd.DataFrame], str]
    key_numbers: Callable[[pd.DataFrame], dict[str, float | int | str]] = field(default=lambda df: {})
    order: int = 0  # position in the report


def fmt_share(x: float) -> str:
    return f"{100 * x:.0f}%"


def fmt_int(x: float) -> str:
    return f"{int(round(x)):,}"

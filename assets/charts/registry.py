"""What a chart is, which report sections exist and in what order, and the list of every chart.

This is the one place that declares the report's layout: ``SECTIONS`` in the talk's order, each
chart naming its section, charts in the order of ``SECTION_MODULES`` and of each module's ``CHARTS``.
``assets/charts/assets.py`` turns every spec into a Dagster asset, the report page lays them out by
section, and the dbt exposures are generated from the specs (`assets/charts/exposures.py`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import altair as alt
import pandas as pd


@dataclass(frozen=True)
class Section:
    key: str  # HTML anchor and data-kind
    title: str
    intro: str


# The talk's order; the method notes close the page.
OVERVIEW = Section("overview", "Overview", "At a glance: active users, countries, runs and training hours.")
DEMOGRAPHICS = Section("demographics", "Demographics",
                       "Who uses the platform: where active users are, what they do (academic, corporate, "
                       "personal), and the industries of corporate users.")
FRAMEWORKS = Section("frameworks", "Frameworks",
                     "The core frameworks (PyTorch, TensorFlow), the higher-level ones (Keras, Lightning) and "
                     "boosted trees, by active users, runs and training hours.")
LIBRARIES = Section("libraries", "Libraries",
                    "Libraries beyond the large frameworks: the fastest growers quarter over quarter, and "
                    "academic versus corporate use.")
HARDWARE = Section("hardware", "Hardware", "What runs train on: GPU makers and models, and how many GPUs a run uses.")
FURTHER = Section("further-analyses", "Further analyses",
                  "Analyses the first report left for later: CPUs, TPUs and IPUs; the clouds (or on-premise "
                  "machines) runs train on; media types.")
METHOD = Section("method-notes", "Method notes", "How the figures are made, and what they cannot say.")
SECTIONS: tuple[Section, ...] = (OVERVIEW, DEMOGRAPHICS, FRAMEWORKS, LIBRARIES, HARDWARE, FURTHER, METHOD)

# The modules that declare charts (each a ``CHARTS`` list), in page order within a section.
SECTION_MODULES = ("activity", "demographics", "frameworks", "libraries", "hardware")


@dataclass(frozen=True)
class ChartSpec:
    name: str  # asset name and file name
    section: Section
    title: str  # says what is measured
    marts: tuple[str, ...]  # marts.<name> models it reads
    # SQL over the marts; `$end` is the exclusive end of the partition's quarter, so a chart of
    # 2021 Q4 never shows 2022 data.
    query: str
    build: Callable[[pd.DataFrame], alt.TopLevelMixin | None]  # None: nothing to draw (the caption says why)
    caption: Callable[[pd.DataFrame], str]
    population: str  # who the chart counts, in words ("corporate users with an industry in their profile")
    key_numbers: Callable[[pd.DataFrame], dict[str, float | int | str]] = field(default=lambda df: {})
    # One sentence for the page's key findings (this period's figure and its change), or None.
    finding: Callable[[pd.DataFrame], str | None] = field(default=lambda df: None)
    # "quarter": a quarterly analysis, also drawn for each quarter's own view of the report.
    period: str = "year"
    latest_only: bool = False  # draws the latest period of its rows alone (the others feed no mark)


@cache
def all_charts() -> tuple[ChartSpec, ...]:
    """Every chart, sections in ``SECTIONS`` order (imported on first use: the section modules
    import ``ChartSpec`` from here)."""
    charts = [spec for module in SECTION_MODULES
              for spec in importlib.import_module(f"{__package__}.{module}").CHARTS]
    unknown = [c.name for c in charts if c.section not in SECTIONS]
    names = [c.name for c in charts]
    if unknown or len(set(names)) != len(names):
        raise ValueError(f"charts with a section not in SECTIONS: {unknown}; duplicate names: "
                         f"{sorted({n for n in names if names.count(n) > 1})}")
    return tuple(sorted(charts, key=lambda c: SECTIONS.index(c.section)))  # stable: module order within


def __getattr__(name: str):
    if name == "ALL_CHARTS":
        return list(all_charts())
    raise AttributeError(name)


def by_year_query(mart: str, columns: str) -> str:
    """The rows of a yearly breakdown mart (macros/period_breakdown.sql) up to the page's quarter."""
    return f"""
    select year, year_label, quarters_covered, {columns}, active_users, runs, training_hours,
           user_share, run_share, hour_share
    from marts.{mart}
    where year_start < $end
    order by year
"""


def fmt_int(x: float) -> str:
    return f"{int(round(x)):,}"

"""Report section "The year in numbers": active users, countries, runs and training hours."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .registry import OVERVIEW, ChartSpec, fmt_int
from .theme import PALETTE
from .three_ways import MEASURES, colour, melt, panels, tip

HEADLINE = {"active_users": "Active users", "countries": "Countries", "runs": "Runs", "training_hours": "Training hours"}


def fmt_big(x: float) -> str:
    """125,000,000 -> "125.0 million"; smaller numbers in full."""
    return f"{x / 1e6:.1f} million" if x >= 1e6 else fmt_int(x)


def headline_by_year_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    long = melt(df, ["year_label"], HEADLINE)
    base = alt.Chart().encode(
        x=alt.X("year_label:O", title="Year", sort=sorted(df["year_label"].unique().tolist()), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s")),
    )
    bars = base.mark_bar(color=PALETTE[0]).encode(
        tooltip=[tip("year_label", "Year"), tip("measure", "Measure"), tip("value:Q", "Value", ",.0f")])
    labels = base.mark_text(dy=-6, fontSize=11).encode(text=alt.Text("value:Q", format=".3~s"))
    return panels(alt.layer(bars, labels, data=long), "Active users, countries, runs and training hours per year",
                  "Active user: logged a run, a sweep or an artifact in the year; runs include anonymous ones; "
                  "training hours are wall-clock", HEADLINE, independent=True, cell=160, height=180)


def headline_by_year_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No activity loaded yet."
    row = df.sort_values("year").iloc[-1]
    return (f"{row['year_label']}: {fmt_int(row['active_users'])} active users from {fmt_int(row['countries'])} "
            f"countries, {fmt_big(row['runs'])} runs, {fmt_big(row['training_hours'])} training hours.")


def activity_by_quarter_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    long = melt(df.assign(year=df["quarter_start"].astype(str).str[:4]), ["quarter_label", "year"], MEASURES)
    years = sorted(long["year"].unique().tolist())
    chart = alt.Chart(long).mark_bar().encode(
        # "Q3 '22" fits under a narrow bar; the tooltip gives the quarter in full.
        x=alt.X("quarter_label:O", title="Quarter", sort=sorted(df["quarter_label"].unique().tolist()),
                axis=alt.Axis(labelAngle=-90, labelExpr="slice(datum.label, 5) + ' ' + slice(datum.label, 2, 4)")),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s")),
        color=colour("year", years, "Year"),
        tooltip=[tip("quarter_label", "Quarter"), tip("measure", "Measure"), tip("value:Q", "Value", ",.0f")],
    )
    return panels(chart, "Active users, runs and training hours per quarter",
                  "Runs include anonymous ones; training hours are wall-clock, not adjusted for processors",
                  MEASURES, independent=True, cell=220)


def _growth(new: float, old: float) -> str:
    return f"{(new / old - 1) * 100:+.0f}%" if old else "new"


def activity_by_quarter_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No activity loaded yet."
    df = df.sort_values("quarter_start")
    last = df.iloc[-1]
    if len(df) == 1:
        return (f"{last['quarter_label']}: {fmt_int(last['active_users'])} active users, "
                f"{fmt_int(last['runs'])} runs, {fmt_int(last['training_hours'])} training hours.")
    prev = df.iloc[-2]
    return (f"{last['quarter_label']} vs {prev['quarter_label']}: active users {_growth(last['active_users'], prev['active_users'])}, "
            f"runs {_growth(last['runs'], prev['runs'])}, training hours {_growth(last['training_hours'], prev['training_hours'])}.")


def headline_numbers(df: pd.DataFrame) -> dict[str, float | int | str]:
    """The latest year's figures and the year before's (``previous_*``): the page's headline."""
    years = df.sort_values("year")
    out: dict[str, float | int | str] = {}
    for prefix, row in zip(("", "previous_"), [years.iloc[-1], years.iloc[-2]] if len(years) > 1 else [years.iloc[-1]]):
        out |= {f"{prefix}year": int(row["year"]), f"{prefix}year_label": str(row["year_label"]),
                f"{prefix}quarters_covered": int(row["quarters_covered"]),
                **{f"{prefix}{k}": (round(float(row[k]), 1) if k == "training_hours" else int(row[k])) for k in HEADLINE}}
    return out


def quarter_numbers(df: pd.DataFrame) -> dict[str, float | int | str]:
    """The latest quarter's figures and the quarter before's (``previous_*``): a quarter page's headline."""
    rows = df.sort_values("quarter_start")
    out: dict[str, float | int | str] = {}
    for prefix, row in zip(("", "previous_"), [rows.iloc[-1], rows.iloc[-2]] if len(rows) > 1 else [rows.iloc[-1]]):
        out |= {f"{prefix}quarter": str(row["quarter_label"]),
                **{f"{prefix}{k}": (round(float(row[k]), 1) if k == "training_hours" else int(row[k])) for k in HEADLINE}}
    return out


CHARTS = [
    ChartSpec(
        name="headline_by_year",
        section=OVERVIEW,
        title="Active users, countries, runs and training hours per year",
        population="every active user of each year (anonymous runs count in runs and hours only)",
        marts=("headline_by_year",),
        query="""
            select year, year_label, quarters_covered, active_users, countries, runs, anonymous_runs, training_hours
            from marts.headline_by_year
            where year_start < $end
            order by year
        """,
        build=headline_by_year_chart,
        caption=headline_by_year_caption,
        key_numbers=headline_numbers,
    ),
    ChartSpec(
        name="activity_by_quarter",
        section=OVERVIEW,
        title="Active users, runs and training hours per quarter",
        population="every active user of each quarter",
        period="quarter",
        marts=("headline_by_quarter",),
        query="""
            select quarter_start, quarter_label, active_users, countries, runs, anonymous_runs, training_hours
            from marts.headline_by_quarter
            where quarter_start < $end
            order by quarter_start
        """,
        build=activity_by_quarter_chart,
        caption=activity_by_quarter_caption,
        key_numbers=quarter_numbers,
    ),
]

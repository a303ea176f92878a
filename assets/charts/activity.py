"""Report section "The year in numbers": active users, countries, runs and training hours."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .registry import ChartSpec, fmt_int
from .theme import PALETTE
from .three_ways import FACET_HEIGHT, FACET_WIDTH, MEASURES, melt

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
    bars = base.mark_bar(color=PALETTE[0]).encode(tooltip=["year_label", "measure", alt.Tooltip("value:Q", format=",.0f")])
    labels = base.mark_text(dy=-6, fontSize=11).encode(text=alt.Text("value:Q", format=".3~s"))
    return (
        alt.layer(bars, labels, data=long)
        .properties(width=170, height=FACET_HEIGHT)
        .facet(column=alt.Column("measure:N", sort=list(HEADLINE.values()), title=None,
                                 header=alt.Header(labelFontSize=13, labelFontWeight="bold")))
        .resolve_scale(y="independent")
        .properties(title=alt.Title(
            "Active users, countries, runs and training hours per year",
            subtitle="Active user: logged a run, a sweep or an artifact in the year; runs include anonymous ones; "
                     "training hours are wall-clock"))
    )


def headline_by_year_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No activity loaded yet."
    row = df.sort_values("year").iloc[-1]
    return (f"{row['year_label']}: {fmt_int(row['active_users'])} active users from {fmt_int(row['countries'])} "
            f"countries, {fmt_big(row['runs'])} runs, {fmt_big(row['training_hours'])} training hours.")


def activity_by_quarter_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    long = melt(df.assign(year=df["quarter_start"].astype(str).str[:4]), ["quarter_label", "year"], MEASURES)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("quarter_label:O", title="Quarter", sort=sorted(df["quarter_label"].unique().tolist())),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s")),
            color=alt.Color("year:O", title="Year"),
            tooltip=["quarter_label", "measure", alt.Tooltip("value:Q", format=",.0f")],
        )
        .properties(width=FACET_WIDTH, height=FACET_HEIGHT)
        .facet(column=alt.Column("measure:N", sort=list(MEASURES.values()), title=None,
                                 header=alt.Header(labelFontSize=13, labelFontWeight="bold")))
        .resolve_scale(y="independent")
        .properties(title=alt.Title(
            "Active users, runs and training hours per quarter",
            subtitle="Runs include anonymous ones; training hours are wall-clock, not adjusted for processors"))
    )


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


def _latest(df: pd.DataFrame, period: str) -> pd.Series | None:
    return None if df.empty else df.sort_values(period).iloc[-1]


CHARTS = [
    ChartSpec(
        name="headline_by_year",
        section="Activity",
        title="Active users, countries, runs and training hours per year",
        marts=("headline_by_year",),
        query="""
            select year, year_label, quarters_covered, active_users, countries, runs, anonymous_runs, training_hours
            from marts.headline_by_year
            where year_start < $end
            order by year
        """,
        build=headline_by_year_chart,
        caption=headline_by_year_caption,
        key_numbers=lambda df: {} if df.empty else {
            "year": str(_latest(df, "year")["year_label"]),
            "active_users": int(_latest(df, "year")["active_users"]),
            "countries": int(_latest(df, "year")["countries"]),
            "runs": int(_latest(df, "year")["runs"]),
            "training_hours": round(float(_latest(df, "year")["training_hours"]), 1),
        },
        order=1,
    ),
    ChartSpec(
        name="activity_by_quarter",
        section="Activity",
        title="Active users, runs and training hours per quarter",
        marts=("headline_by_quarter",),
        query="""
            select quarter_start, quarter_label, active_users, countries, runs, anonymous_runs, training_hours
            from marts.headline_by_quarter
            where quarter_start < $end
            order by quarter_start
        """,
        build=activity_by_quarter_chart,
        caption=activity_by_quarter_caption,
        key_numbers=lambda df: {} if df.empty else {
            "quarter": str(_latest(df, "quarter_start")["quarter_label"]),
            "active_users": int(_latest(df, "quarter_start")["active_users"]),
            "runs": int(_latest(df, "quarter_start")["runs"]),
        },
        order=2,
    ),
]

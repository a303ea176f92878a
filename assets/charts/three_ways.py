"""Every comparison three ways (the talk's rule): active users, runs and training hours.

Breakdown marts (macros/period_breakdown.sql) share one shape: a period (quarter or year), one or
more dimension columns, the three measures and their shares. These helpers turn such a frame into
one chart with a facet per measure, and read first/last figures for captions.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

MEASURES = {"active_users": "Active users", "runs": "Runs", "training_hours": "Training hours"}
SHARES = {"user_share": "Share of users", "run_share": "Share of runs", "hour_share": "Share of training hours"}
FACET_WIDTH, FACET_HEIGHT = 230, 230


def complete_years(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of complete years when there are at least two (growth between partial years misleads);
    otherwise every year, whose labels say they are partial."""
    if "quarters_covered" not in df or df.empty:
        return df
    full = df[df["quarters_covered"] == 4]
    return full if full["year"].nunique() >= 2 else df


def first_last(df: pd.DataFrame, period: str = "year") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first and the last period's rows (the same rows when only one period is loaded)."""
    if df.empty:
        return df, df
    return df[df[period] == df[period].min()], df[df[period] == df[period].max()]


def value(rows: pd.DataFrame, column: str, where: dict[str, object] | None = None) -> float:
    """Sum of ``column`` over the rows matching ``where`` (0 when none match)."""
    for k, v in (where or {}).items():
        rows = rows[rows[k].isin(v) if isinstance(v, (list, tuple, set)) else rows[k] == v]
    return float(rows[column].sum()) if not rows.empty else 0.0


def from_to(df: pd.DataFrame, figure, fmt, period: str = "year") -> str:
    """ "2020 12% -> 2022 30%" from the first to the last period, or "2022 30%" with one period."""
    first, last = first_last(df, period)
    label = "year_label" if period == "year" else "quarter_label"
    if first.empty:
        return "-"
    if first[period].iloc[0] == last[period].iloc[0]:
        return f"{label_of(last, label)} {fmt(figure(last))}"
    return f"{label_of(first, label)} {fmt(figure(first))} -> {label_of(last, label)} {fmt(figure(last))}"


def label_of(rows: pd.DataFrame, period_label: str = "year_label") -> str:
    return str(rows[period_label].iloc[0]) if not rows.empty else "-"


def melt(df: pd.DataFrame, ids: list[str], columns: dict[str, str]) -> pd.DataFrame:
    """Long form: one row per id and measure, with the measure's display name."""
    long = df.melt(id_vars=ids, value_vars=list(columns), var_name="measure_key", value_name="value")
    long["measure"] = long["measure_key"].map(columns)
    return long


def _facet(chart: alt.Chart, title: str, subtitle: str, columns: dict[str, str], independent: bool = False):
    faceted = chart.properties(width=FACET_WIDTH, height=FACET_HEIGHT).facet(
        column=alt.Column("measure:N", sort=list(columns.values()), title=None,
                          header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
    )
    if independent:
        faceted = faceted.resolve_scale(y="independent")
    return faceted.properties(title=alt.Title(title, subtitle=subtitle))


def share_lines(df: pd.DataFrame, *, x: str, x_title: str, category: str, category_title: str,
                title: str, subtitle: str, category_order: list[str] | None = None) -> alt.FacetChart:
    """Share of users / runs / hours of each category per period, one line per category.

    Lines, not a 100% stack: for multi-valued dimensions (a user may use two GPU models) user
    shares do not add up to 100%.
    """
    long = melt(df, [x, category], SHARES)
    sort = category_order or df.groupby(category)["hour_share"].sum().sort_values(ascending=False).index.tolist()
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X(f"{x}:O", title=x_title, sort=sorted(df[x].unique().tolist()), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title="Share", axis=alt.Axis(format="%")),
        color=alt.Color(f"{category}:N", sort=sort, title=category_title),
        tooltip=[x, category, "measure", alt.Tooltip("value:Q", format=".1%")],
    )
    return _facet(chart, title, subtitle, SHARES)


def stacked_shares(df: pd.DataFrame, *, x: str, x_title: str, category: str, category_title: str,
                   title: str, subtitle: str, category_order: list[str] | None = None) -> alt.FacetChart:
    """A 100% stacked bar per period for each measure: for single-valued dimensions (a user has
    one country, profession and industry) where every bar adds up to the whole."""
    long = melt(df, [x, category], SHARES)
    sort = category_order or df.groupby(category)["active_users"].sum().sort_values(ascending=False).index.tolist()
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{x}:O", title=x_title, sort=sorted(df[x].unique().tolist()), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title="Share", stack="normalize", axis=alt.Axis(format="%")),
        color=alt.Color(f"{category}:N", sort=sort, title=category_title),
        order=alt.Order("color_rank:Q"),
        tooltip=[x, category, "measure", alt.Tooltip("value:Q", format=".1%")],
    ).transform_calculate(color_rank=f"indexof({json.dumps(sort)}, datum[{json.dumps(category)}])")
    return _facet(chart, title, subtitle, SHARES)


def grouped_values(df: pd.DataFrame, *, x: str, x_title: str, category: str, category_title: str,
                   title: str, subtitle: str, category_order: list[str] | None = None) -> alt.FacetChart:
    """Absolute users / runs / hours per period and category, side by side (growth)."""
    long = melt(df, [x, category], MEASURES)
    sort = category_order or df.groupby(category)["active_users"].sum().sort_values(ascending=False).index.tolist()
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{x}:O", title=x_title, sort=sorted(df[x].unique().tolist()), axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset(f"{category}:N", sort=sort),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="~s")),
        color=alt.Color(f"{category}:N", sort=sort, title=category_title),
        tooltip=[x, category, "measure", alt.Tooltip("value:Q", format=",.0f")],
    )
    return _facet(chart, title, subtitle, MEASURES, independent=True)

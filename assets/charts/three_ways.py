"""Every comparison three ways (the talk's rule): active users, runs and training hours.

Breakdown marts (macros/period_breakdown.sql) share one shape: a period (quarter or year), one or
more dimension columns, the three measures and their shares. These helpers turn such a frame into
one chart with a facet per measure, and read first/last figures for captions.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from .theme import GREYS, LABEL_LIMIT, PALETTE

MEASURES = {"active_users": "Active users", "runs": "Runs", "training_hours": "Training hours"}
SHARES = {"user_share": "Share of users", "run_share": "Share of runs", "hour_share": "Share of training hours"}
FACET_WIDTH, FACET_HEIGHT = 200, 200
# Series one chart can tell apart: the palette's colours; the rest go under "Other".
MAX_NAMED = 8
OTHER = "Other"
RESIDUAL_WORDS = ("other", "unknown", "unidentified", "unnamed", "no")


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


def panels(chart: alt.TopLevelMixin, title: str, subtitle: str, columns: dict[str, str], *,
           independent: bool = False, cell: int = FACET_WIDTH, height: int = FACET_HEIGHT,
           labels: int = 60) -> alt.FacetChart:
    """One panel per measure, wrapped onto rows: the page fits as many panels in a row as its width
    allows (``usermeta.fit``, read by templates/embed.js); ``labels`` is the room of the y axis."""
    faceted = chart.properties(width=cell, height=height).facet(
        facet=alt.Facet("measure:N", sort=list(columns.values()), title=None,
                        header=alt.Header(labelFontSize=13, labelFontWeight="bold")),
        columns=len(columns),
    )
    if independent:
        faceted = faceted.resolve_scale(y="independent")
    return faceted.properties(title=alt.Title(title, subtitle=subtitle),
                              usermeta={"fit": {"cell": cell, "labels": labels, "panels": len(columns)}})


def _is_residual(category: object) -> bool:
    return str(category).split(" ")[0].lower() in RESIDUAL_WORDS


def capped(order: list[str], n: int = MAX_NAMED) -> list[str]:
    """The first ``n`` named categories of ``order`` and every residual one (greys)."""
    named = [c for c in order if not _is_residual(c)]
    return [c for c in order if _is_residual(c) or c in named[:n]]


def top_and_other(df: pd.DataFrame, category: str, order: list[str], *, n: int = MAX_NAMED,
                  other: str = OTHER) -> tuple[pd.DataFrame, list[str]]:
    """At most ``n`` named categories (the first of ``order``) and the rest summed as ``other``: for
    single-valued dimensions only (a user has one country), where the rest's shares add up."""
    keep = capped(order, n)
    if keep == order:
        return df, order
    numeric = [c for c in df.columns if c != category and pd.api.types.is_numeric_dtype(df[c])]
    ids = [c for c in df.columns if c != category and c not in numeric]
    data = df.assign(**{category: df[category].where(df[category].isin(keep), other)})
    summed = data.groupby([*ids, category], as_index=False, dropna=False)[numeric].sum()
    return summed, [*keep, other] if other not in keep else keep


def colour_scale(order: list[str]) -> alt.Scale:
    """A distinct colour per category: the palette for named ones, greys for the residual ones
    ("Other", "Unknown", "Unidentified"). More categories than colours is a bug of the chart."""
    residual = [c for c in order if _is_residual(c)]
    named = [c for c in order if c not in residual]
    if len(named) > len(PALETTE) or len(residual) > len(GREYS):
        raise ValueError(f"{len(order)} series cannot have distinct colours: show the top ones and group the rest")
    colours = dict(zip(named, PALETTE)) | dict(zip(residual, GREYS))
    return alt.Scale(domain=list(order), range=[colours[c] for c in order])


def colour(category: str, order: list[str], title: str, **kw) -> alt.Color:
    return alt.Color(f"{category}:N", sort=list(order), title=title, scale=colour_scale(order), **kw)


def tip(field: str, title: str, fmt: str | None = None) -> alt.Tooltip:
    """A tooltip line with a reader's title (never a column name) and a formatted number."""
    return alt.Tooltip(field, title=title, **({"format": fmt} if fmt else {}))


def share_lines(df: pd.DataFrame, *, x: str, x_title: str, category: str, category_title: str,
                title: str, subtitle: str, category_order: list[str] | None = None) -> alt.FacetChart:
    """Share of users / runs / hours of each category per period, one line per category.

    Lines, not a 100% stack: for multi-valued dimensions (a user may use two GPU models) user
    shares do not add up to 100%, so the categories beyond the palette are left out (never summed).
    """
    sort = category_order or df.groupby(category)["hour_share"].sum().sort_values(ascending=False).index.tolist()
    sort = [c for c in sort if c in set(df[category])]
    if capped(sort) != sort:
        sort = capped(sort)
        subtitle += f"; the {MAX_NAMED} largest"
    long = melt(df[df[category].isin(sort)], [x, category], SHARES)
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X(f"{x}:O", title=x_title, sort=sorted(df[x].unique().tolist()), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title="Share", axis=alt.Axis(format="%")),
        color=colour(category, sort, category_title),
        tooltip=[tip(x, x_title), tip(category, category_title), tip("measure", "Measure"),
                 tip("value:Q", "Share", ".1%")],
    )
    return panels(chart, title, subtitle, SHARES)


def stacked_shares(df: pd.DataFrame, *, x: str, x_title: str, category: str, category_title: str,
                   title: str, subtitle: str, category_order: list[str] | None = None) -> alt.FacetChart:
    """A 100% stacked bar per period for each measure: for single-valued dimensions (a user has
    one country, profession and industry) where every bar adds up to the whole; beyond the
    palette, the smallest categories are summed as "Other"."""
    sort = category_order or df.groupby(category)["active_users"].sum().sort_values(ascending=False).index.tolist()
    sort = [c for c in sort if c in set(df[category])]
    df, sort = top_and_other(df, category, sort)
    long = melt(df, [x, category], SHARES)
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{x}:O", title=x_title, sort=sorted(df[x].unique().tolist()), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title="Share", stack="normalize", axis=alt.Axis(format="%")),
        color=colour(category, sort, category_title),
        order=alt.Order("color_rank:Q"),
        tooltip=[tip(x, x_title), tip(category, category_title), tip("measure", "Measure"),
                 tip("value:Q", "Share", ".1%")],
    ).transform_calculate(color_rank=f"indexof({json.dumps(sort)}, datum[{json.dumps(category)}])")
    return panels(chart, title, subtitle, SHARES)


def grouped_values(df: pd.DataFrame, *, x: str, x_title: str, category: str, category_title: str,
                   title: str, subtitle: str, category_order: list[str] | None = None,
                   columns: dict[str, str] = MEASURES, x_order: list[str] | None = None,
                   value_format: str = ",.0f", axis_format: str = "~s") -> alt.FacetChart:
    """Absolute users / runs / hours (or other ``columns``: shares, run lengths) per period and
    category, side by side, one panel per measure with its own scale.

    Periods go along x; named things (``x_order``: libraries, frameworks) go down the y axis, so
    that long names stay horizontal and readable."""
    long = melt(df, [x, category], columns)
    sort = category_order or df.groupby(category)[next(iter(columns))].sum().sort_values(ascending=False).index.tolist()
    sort = [c for c in sort if c in set(df[category])] or sort
    tooltip = [tip(x, x_title), tip(category, category_title), tip("measure", "Measure"),
               tip("value:Q", "Value", value_format)]
    value_axis = alt.Axis(format=axis_format)
    if x_order is None:
        chart = alt.Chart(long).mark_bar().encode(
            x=alt.X(f"{x}:O", title=x_title, sort=sorted(df[x].unique().tolist()), axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(f"{category}:N", sort=sort),
            y=alt.Y("value:Q", title=None, axis=value_axis),
            color=colour(category, sort, category_title), tooltip=tooltip,
        )
        return panels(chart, title, subtitle, columns, independent=True)
    chart = alt.Chart(long).mark_bar().encode(
        y=alt.Y(f"{x}:N", title=None, sort=x_order),  # labels cut at the theme's axisY labelLimit
        yOffset=alt.YOffset(f"{category}:N", sort=sort),
        x=alt.X("value:Q", title=None, axis=value_axis),
        color=colour(category, sort, category_title), tooltip=tooltip,
    )
    return panels(chart, title, subtitle, columns, height=max(160, 14 * len(sort) * len(x_order)),
                  labels=LABEL_LIMIT + 20)


def last_two(df: pd.DataFrame, period: str = "year") -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """The previous and the last period's rows (None when only one period is loaded)."""
    periods = sorted(df[period].unique())
    last = df[df[period] == periods[-1]]
    return (df[df[period] == periods[-2]] if len(periods) > 1 else None), last


def fmt_share(x: float) -> str:
    """A share in whole percent; a share that rounds to 0% or 100% without being it says so ("<1%",
    ">99%"): "0% of training hours" read as none at all on the full-size year."""
    text = f"{100 * x:.0f}%"
    if text == "0%" and x > 0:
        return "<1%"
    if text == "100%" and x < 1:
        return ">99%"
    return text


def year_on_year(df: pd.DataFrame, figure, *, share: bool = True, fmt=None) -> str:
    """ "2022 (full year) 30% (+5 points on 2021)": the last year's figure and its change on the year
    before; "(no earlier year to compare)" with one year. Shares change in points, counts in %."""
    prev, last = last_two(df)
    now = figure(last)
    text = f"{label_of(last)} {(fmt or (fmt_share if share else lambda x: f'{x:,.0f}'))(now)}"
    if prev is None:
        return text + " (no earlier year to compare)"
    before = figure(prev)
    if share:
        delta = f"{100 * (now - before):+.0f} points"
    else:
        delta = f"{100 * (now / before - 1):+.0f}%" if before else "new"
    return text + f" ({delta} on {label_of(prev)})"

"""Report section "Who uses it": active users by country and region."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .registry import ChartSpec, fmt_int

TOP_COUNTRIES = 10


def _top_countries(df: pd.DataFrame) -> pd.DataFrame:
    """The top countries of the latest quarter; the rest summed as "Other"."""
    latest = df["quarter_start"].max()
    top = (
        df[df["quarter_start"] == latest]
        .query("country_code != 'unknown'")
        .nlargest(TOP_COUNTRIES, "active_users")["country_name"]
    )
    named = df["country_name"].where(df["country_name"].isin(top), "Other")
    return (
        df.assign(country=named)
        .groupby(["quarter_start", "quarter_label", "country"], as_index=False)["active_users"]
        .sum()
    )


def active_users_by_country_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    data = _top_countries(df)
    order = data.groupby("country")["active_users"].sum().sort_values(ascending=False).index.tolist()
    return (
        alt.Chart(data, title=alt.Title(
            "Active users by country, per quarter",
            subtitle=f"Top {TOP_COUNTRIES} countries of the latest quarter; an active user logged a run, a sweep or an artifact"))
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter_label:O", title="Quarter"),
            y=alt.Y("active_users:Q", title="Active users"),
            color=alt.Color("country:N", sort=order, title="Country"),
            tooltip=["quarter_label", "country", alt.Tooltip("active_users:Q", format=",")],
        )
    )


def active_users_by_country_caption(df: pd.DataFrame) -> str:
    latest = df[df["quarter_start"] == df["quarter_start"].max()]
    top = latest.query("country_code != 'unknown'").nlargest(1, "active_users")
    if top.empty:
        return "No active users with a known country yet."
    row = top.iloc[0]
    return (f"{row['country_name']} leads {row['quarter_label']} with {fmt_int(row['active_users'])} active users "
            f"of {fmt_int(latest['active_users'].sum())}.")


CHARTS = [
    ChartSpec(
        name="active_users_by_country",
        section="Demographics",
        title="Active users by country",
        marts=("active_users_by_country",),
        query="""
            select quarter_start, quarter_label, country_code, country_name, region, active_users, runs, training_hours
            from marts.active_users_by_country
            where quarter_start < $end
            order by quarter_start, active_users desc
        """,
        build=active_users_by_country_chart,
        caption=active_users_by_country_caption,
        key_numbers=lambda df: {
            "quarters": int(df["quarter_start"].nunique()),
            "countries": int(df.query("country_code != 'unknown'")["country_code"].nunique()),
            "active_users_latest_quarter": int(df[df["quarter_start"] == df["quarter_start"].max()]["active_users"].sum()),
        },
        order=10,
    ),
]

"""Report section "Who uses it": active users by country and region, profession and industry."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .registry import DEMOGRAPHICS, ChartSpec, by_year_query, fmt_int
from .three_ways import (MAX_NAMED, OTHER, colour, complete_years, first_last, fmt_share, from_to, grouped_values,
                         label_of, last_two, stacked_shares, tip, value, year_on_year)

# Countries drawn as their own line (the rest summed as "Other"): as many as the palette tells apart.
TOP_COUNTRIES = MAX_NAMED


def _top_countries(df: pd.DataFrame) -> pd.DataFrame:
    """The top countries of the latest quarter; the rest summed as "Other"."""
    latest = df["quarter_start"].max()
    top = (
        df[df["quarter_start"] == latest]
        .query("country_code != 'unknown'")
        .nlargest(TOP_COUNTRIES, "active_users")["country_name"]
    )
    named = df["country_name"].where(df["country_name"].isin(top), OTHER)
    return (
        df.assign(country=named)
        .groupby(["quarter_start", "quarter_label", "country"], as_index=False)["active_users"]
        .sum()
    )


def active_users_by_country_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    data = _top_countries(df)
    order = [c for c in data.groupby("country")["active_users"].sum().sort_values(ascending=False).index if c != OTHER]
    order += [OTHER] if OTHER in set(data["country"]) else []
    return (
        alt.Chart(data, title=alt.Title(
            "Active users by country, per quarter",
            subtitle=f"Top {TOP_COUNTRIES} countries of the latest quarter, the rest (and users without a country) "
                     "as Other; an active user logged a run, a sweep or an artifact"))
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter_label:O", title="Quarter", axis=alt.Axis(labelAngle=-90)),
            y=alt.Y("active_users:Q", title="Active users"),
            color=colour("country", order, "Country"),
            tooltip=[tip("quarter_label", "Quarter"), tip("country", "Country"), tip("active_users:Q", "Active users", ",")],
        )
        .properties(height=320)
    )


def active_users_by_country_caption(df: pd.DataFrame) -> str:
    latest = df[df["quarter_start"] == df["quarter_start"].max()]
    top = latest.query("country_code != 'unknown'").nlargest(1, "active_users")
    if top.empty:
        return "No active users with a known country yet."
    row = top.iloc[0]
    return (f"{row['country_name']} leads {row['quarter_label']} with {fmt_int(row['active_users'])} active users "
            f"of {fmt_int(latest['active_users'].sum())}.")


# Asia split in its subregions (the talk: China, South Korea, Japan "becoming ascendant").
SUBREGION_ORDER = ["East Asia", "South Asia", "Southeast Asia", "Western Asia", "Central Asia", "North America",
                   "Europe", "Latin America & Caribbean", "Africa", "Oceania", "Antarctica"]
PROFESSIONS = {"academic": "Academic", "corporate": "Corporate", "personal": "Personal / hobbyist", "unknown": "Unknown"}


def _known_country_shares(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Users / runs / hours per year and ``by`` among users with a known country, with shares
    (users have one country, so the shares of a year add up to 1)."""
    known = df[df["country_code"] != "unknown"]
    g = known.groupby(["year", "year_label", by], as_index=False)[["active_users", "runs", "training_hours"]].sum()
    totals = g.groupby("year")[["active_users", "runs", "training_hours"]].transform("sum")
    return g.assign(user_share=g["active_users"] / totals["active_users"],
                    run_share=g["runs"] / totals["runs"].where(totals["runs"] > 0),
                    hour_share=g["training_hours"] / totals["training_hours"].where(totals["training_hours"] > 0))


def active_users_by_region_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    data = _known_country_shares(df, "subregion")
    order = sorted(set(data["subregion"]), key=lambda r: (SUBREGION_ORDER.index(r) if r in SUBREGION_ORDER else 99, r))
    return stacked_shares(data, x="year_label", x_title="Year", category="subregion", category_title="Region",
                          category_order=order,
                          title="Share of active users, runs and training hours by region, per year",
                          subtitle="Users with a known country (from their profile); Asia split in its subregions")


def _asia_share(rows: pd.DataFrame) -> float:
    known = rows[rows["country_code"] != "unknown"]
    total = known["active_users"].sum()
    return float(known.loc[known["region"] == "Asia", "active_users"].sum() / total) if total else 0.0


def active_users_by_region_caption(df: pd.DataFrame) -> str:
    known = df[df["country_code"] != "unknown"]
    if known.empty:
        return "No active users with a known country yet."
    leaders = known.sort_values("active_users", ascending=False).groupby("year").head(1)
    leader_names = leaders["country_name"].unique()
    every = " every year" if known["year"].nunique() > 1 else ""
    lead = (f"{leader_names[0]} leads{every}" if len(leader_names) == 1
            else "leaders: " + ", ".join(f"{r.year_label} {r.country_name}" for r in leaders.sort_values("year").itertuples()))
    return f"Share of active users in Asia: {from_to(known, _asia_share, fmt_share)}; {lead}."


def top_countries_by_year_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    data = _known_country_shares(df, "country_name")
    latest = data[data["year"] == data["year"].max()] if not data.empty else data
    top = latest.nlargest(TOP_COUNTRIES, "active_users")["country_name"].tolist()
    data = data[data["country_name"].isin(top)]
    years = sorted(data["year_label"].unique().tolist())
    return (
        alt.Chart(data, title=alt.Title(
            "Share of active users by country, per year",
            subtitle=f"Top {TOP_COUNTRIES} countries of the latest year, among users with a known country"))
        .mark_bar()
        .encode(
            y=alt.Y("country_name:N", sort=top, title=None),
            yOffset=alt.YOffset("year_label:O", sort=years),
            x=alt.X("user_share:Q", title="Share of active users", axis=alt.Axis(format="%")),
            color=colour("year_label", years, "Year"),
            tooltip=[tip("year_label", "Year"), tip("country_name", "Country"),
                     tip("active_users:Q", "Active users", ","), tip("user_share:Q", "Share of active users", ".1%")],
        )
        .properties(height=max(200, 12 * len(top) * len(years)))
    )


def top_countries_by_year_caption(df: pd.DataFrame) -> str:
    known = df[df["country_code"] != "unknown"]
    if known.empty:
        return "No active users with a known country yet."
    _, last = first_last(known)
    top = last.nlargest(5, "active_users")["country_name"].tolist()
    asian = lambda rows: int((rows.nlargest(TOP_COUNTRIES, "active_users")["region"] == "Asia").sum())
    return (f"Top countries of {label_of(last)} by active users: {', '.join(top)}. Asian countries in the top "
            f"{TOP_COUNTRIES}: {from_to(known, asian, str)}.")


def users_by_profession_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    data = df.assign(profession=df["profession"].map(PROFESSIONS).fillna(df["profession"]))
    return grouped_values(data, x="year_label", x_title="Year", category="profession", category_title="Profession",
                          category_order=list(PROFESSIONS.values()),
                          title="Active users, runs and training hours by profession, per year",
                          subtitle="Profession from the user's profile; anonymous runs under Unknown")


def _growth_by(df: pd.DataFrame, category: str, column: str) -> list[tuple[str, float]]:
    """(category, last / first) for categories present in the first period, fastest first."""
    first, last = first_last(df)
    out = []
    for cat in first[category].unique():
        old, new = value(first, column, {category: cat}), value(last, column, {category: cat})
        if old > 0:
            out.append((cat, new / old))
    return sorted(out, key=lambda t: -t[1])


def users_by_profession_caption(df: pd.DataFrame) -> str:
    years = complete_years(df[df["profession"] != "unknown"])
    if years["year"].nunique() < 2:
        return "One year loaded: growth by profession needs two."
    first, last = first_last(years)
    growth = _growth_by(years, "profession", "active_users")
    parts = ", ".join(f"{PROFESSIONS.get(p, p).lower()} {g:.1f}x" for p, g in growth)
    return f"Active users {label_of(first)} -> {label_of(last)}: {parts}."


def corporate_users_by_industry_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    return stacked_shares(df, x="year_label", x_title="Year", category="industry", category_title="Industry",
                          title="Corporate active users, runs and training hours by industry, per year (100%)",
                          subtitle="Corporate users by the industry of their profile; the shares show which industry grows fastest")


def _drawn_industries(df: pd.DataFrame) -> pd.DataFrame:
    """The named industries the chart draws (the rest is summed as Other there)."""
    order = df.groupby("industry")["active_users"].sum().sort_values(ascending=False).index.tolist()
    drawn = order if len(order) <= MAX_NAMED + 1 else order[:MAX_NAMED]
    return df[df["industry"].isin(drawn) & (df["industry"] != "Unknown")]


def corporate_users_by_industry_caption(df: pd.DataFrame) -> str:
    named = _drawn_industries(df)
    if named.empty:
        return "No corporate users with an industry yet."
    first, last = first_last(named)
    top = last.nlargest(1, "active_users").iloc[0]
    text = f"{top['industry']}: {fmt_share(top['user_share'])} of corporate users in {top['year_label']}"
    # Growth among the industries drawn, present in the first year.
    if first["year"].iloc[0] == last["year"].iloc[0]:
        return text + "."
    share_growth = _growth_by(named, "industry", "user_share")
    fastest = share_growth[0][0]
    growing = sum(1 for _, g in _growth_by(named, "industry", "active_users") if g > 1)
    industries = first["industry"].nunique()
    grew = ("all" if growing == industries else "none" if growing == 0 else f"{growing}")
    return (text + f"; fastest-growing share: {fastest} {fmt_share(value(first, 'user_share', {'industry': fastest}))} "
            f"({label_of(first)}) -> {fmt_share(value(last, 'user_share', {'industry': fastest}))} ({label_of(last)}); "
            f"of the {industries} named industries drawn in {label_of(first)}, {grew} grew in corporate users.")


def _known(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["country_code"] != "unknown"]


def _leader_finding(df: pd.DataFrame) -> str | None:
    known = _known(df)
    if known.empty:
        return None
    prev, last = last_two(known)
    top = last.nlargest(1, "active_users").iloc[0]
    share = top["active_users"] / last["active_users"].sum()
    text = f"{top['country_name']} has the most active users in {top['year_label']} ({fmt_share(share)} of those with a country"
    if prev is None:
        return text + "; no earlier year to compare)."
    before = value(prev, "active_users", {"country_name": top["country_name"]}) / prev["active_users"].sum()
    return text + f", {100 * (share - before):+.0f} points on {label_of(prev)})."


def _profession_finding(df: pd.DataFrame) -> str | None:
    years = complete_years(df[df["profession"] != "unknown"])
    if years["year"].nunique() < 2:
        return None
    prev, last = last_two(years)
    growth = _growth_by(pd.concat([prev, last]), "profession", "active_users")
    if not growth:
        return None
    fastest, g = growth[0]
    return (f"{PROFESSIONS.get(fastest, fastest)} users grew fastest from {label_of(prev)} to {label_of(last)}: "
            f"{fmt_int(value(prev, 'active_users', {'profession': fastest}))} -> "
            f"{fmt_int(value(last, 'active_users', {'profession': fastest}))} ({g:.1f}x).")


def _industry_finding(df: pd.DataFrame) -> str | None:
    named = _drawn_industries(df)
    if named.empty:
        return None
    _, last = last_two(named)
    top = last.nlargest(1, "active_users").iloc[0]["industry"]
    return (f"{top} is the largest industry of corporate users: "
            f"{year_on_year(named, lambda rows: value(rows, 'user_share', {'industry': top}))}.")


COUNTRY_BY_YEAR_QUERY = """
    select year, year_label, quarters_covered, country_code, country_name, region, subregion,
           active_users, runs, training_hours
    from marts.active_users_by_country_by_year
    where year_start < $end
    order by year, active_users desc
"""


CHARTS = [
    ChartSpec(
        name="active_users_by_country",
        section=DEMOGRAPHICS,
        title="Active users by country",
        population="every active user of each quarter; users without a country in their profile under Other",
        period="quarter",
        marts=("active_users_by_country_by_quarter",),
        query="""
            select quarter_start, quarter_label, country_code, country_name, region, active_users, runs, training_hours
            from marts.active_users_by_country_by_quarter
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
    ),
    ChartSpec(
        name="active_users_by_region",
        section=DEMOGRAPHICS,
        title="Share of active users, runs and training hours by region, per year",
        population="active users whose profile names a country",
        finding=lambda df: (f"Share of active users in Asia: {year_on_year(_known(df), _asia_share)}."
                            if not _known(df).empty else None),
        marts=("active_users_by_country_by_year",),
        query=COUNTRY_BY_YEAR_QUERY,
        build=active_users_by_region_chart,
        caption=active_users_by_region_caption,
        key_numbers=lambda df: {} if df.empty else {
            "asia_user_share_first_year": round(_asia_share(first_last(df)[0]), 4),
            "asia_user_share_last_year": round(_asia_share(first_last(df)[1]), 4),
        },
    ),
    ChartSpec(
        name="top_countries_by_year",
        section=DEMOGRAPHICS,
        title="Share of active users by country, per year",
        population="active users whose profile names a country",
        finding=lambda df: _leader_finding(df),
        marts=("active_users_by_country_by_year",),
        query=COUNTRY_BY_YEAR_QUERY,
        build=top_countries_by_year_chart,
        caption=top_countries_by_year_caption,
        key_numbers=lambda df: {} if df.empty else {
            "countries_last_year": int(first_last(df)[1].query("country_code != 'unknown'")["country_code"].nunique()),
        },
    ),
    ChartSpec(
        name="users_by_profession",
        section=DEMOGRAPHICS,
        title="Active users, runs and training hours by profession, per year",
        population="every active user of each year; runs of users without a profession (and anonymous runs) under Unknown",
        finding=lambda df: _profession_finding(df),
        marts=("users_by_profession_by_year",),
        query=by_year_query("users_by_profession_by_year", "profession"),
        build=users_by_profession_chart,
        caption=users_by_profession_caption,
        key_numbers=lambda df: {f"user_growth_{p}": round(g, 3) for p, g in _growth_by(complete_years(df), "profession", "active_users")},
    ),
    ChartSpec(
        name="corporate_users_by_industry",
        section=DEMOGRAPHICS,
        title="Corporate active users, runs and training hours by industry, per year (100%)",
        population="corporate active users (profession corporate in their profile), industry from the profile",
        finding=lambda df: _industry_finding(df),
        marts=("corporate_users_by_industry_by_year",),
        query=by_year_query("corporate_users_by_industry_by_year", "industry"),
        build=corporate_users_by_industry_chart,
        caption=corporate_users_by_industry_caption,
        key_numbers=lambda df: {} if df.empty else {
            "top_industry_last_year": str(first_last(df)[1].nlargest(1, "active_users")["industry"].iloc[0]),
        },
    ),
]

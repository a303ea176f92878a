"""Report section "Libraries": the fastest growers quarter over quarter, academic vs corporate use, and
the method note on how often the two detection signals (code imports, client telemetry) agree."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .frameworks import PROFESSIONS, SHARES, fmt_ratio, latest, side_by_side, with_year_label
from .registry import ChartSpec, fmt_int, fmt_share

GROWTH = {"user_growth": "Growth in active users", "run_growth": "Growth in runs", "hour_growth": "Growth in training hours"}
TOP_GROWERS = 10
LARGEST = 3  # the largest ranked libraries are shown whatever their growth (Transformers, Hydra)
TOP_LIBRARIES = 12
FRAMEWORK_CATEGORIES = ("core framework", "high-level framework", "boosted trees")  # shown in "Frameworks"
SIGNALS = {"runs_agreeing": "Both", "runs_code_only": "Code only", "runs_telemetry_only": "Telemetry only"}


# -- #10 fastest-growing libraries -----------------------------------------------------------------

def growth_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The latest quarter's top growers, plus its largest ranked libraries."""
    last = latest(df, "quarter_start")
    ranked = last[last["growth_rank"].notna()]
    shown = ranked[(ranked["growth_rank"] <= TOP_GROWERS) | ranked["library"].isin(ranked.nlargest(LARGEST, "active_users")["library"])]
    return shown.sort_values("user_growth", ascending=False)


def fastest_growing_chart(df: pd.DataFrame) -> alt.FacetChart:
    rows = growth_rows(df)
    label = rows["quarter_label"].iloc[0] if not rows.empty else ""
    long = rows.melt(id_vars=["library", "active_users", "previous_active_users"], value_vars=list(GROWTH),
                     var_name="measure_key", value_name="growth")
    long["measure"] = long["measure_key"].map(GROWTH)
    order = rows["library"].tolist()
    # The bars take the facet's data (one measure per facet); the parity line at 1x has its own.
    bars = alt.Chart().mark_bar().encode(
        y=alt.Y("library:N", sort=order, title=None),
        x=alt.X("growth:Q", title="This quarter / previous quarter", axis=alt.Axis(format=".1f")),
        color=alt.condition(alt.datum.growth >= 1, alt.value("#0072B2"), alt.value("#D55E00")),
        tooltip=["library", "measure", alt.Tooltip("growth:Q", format=".2f"),
                 alt.Tooltip("active_users:Q", format=","), alt.Tooltip("previous_active_users:Q", format=",")],
    )
    parity = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color="#555").encode(x="x:Q")
    return (
        alt.layer(bars, parity, data=long).properties(width=200, height=max(120, 18 * len(order)))
        .facet(column=alt.Column("measure:N", sort=list(GROWTH.values()), title=None,
                                 header=alt.Header(labelFontSize=13, labelFontWeight="bold")))
        .properties(title=alt.Title(
            f"Fastest-growing libraries, {label} vs the previous quarter: growth in users, runs and training hours",
            subtitle=f"Top {TOP_GROWERS} by user growth and the {LARGEST} largest, among libraries other than the "
                     "frameworks with enough users in both quarters (dbt var min_library_users_for_growth)"))
    )


def fastest_growing_caption(df: pd.DataFrame) -> str:
    rows = growth_rows(df)
    if rows.empty:
        return "No quarter-over-quarter growth yet (two loaded quarters with enough users are needed)."
    top = ", ".join(f"{r.library} {fmt_ratio(r.user_growth)}" for r in rows.head(3).itertuples())
    large = rows.nlargest(LARGEST, "active_users").sort_values("active_users", ascending=False)
    big = ", ".join(f"{r.library} {fmt_ratio(r.user_growth)} ({fmt_int(r.active_users)} users)" for r in large.itertuples())
    return f"{rows['quarter_label'].iloc[0]} vs the previous quarter, growth in active users: fastest {top}; largest {big}."


# -- #11 libraries by profession -------------------------------------------------------------------

def _top_libraries(last: pd.DataFrame) -> list[str]:
    known = last[last["is_known_library"] & ~last["category"].isin(FRAMEWORK_CATEGORIES)]
    return known.groupby("library")["active_users"].sum().nlargest(TOP_LIBRARIES).index.tolist()


def libraries_by_profession_chart(df: pd.DataFrame) -> alt.FacetChart:
    last = latest(df)
    top = _top_libraries(last)
    data = last[last["profession"].isin(PROFESSIONS) & last["library"].isin(top)]
    data = data.assign(profession=data["profession"].map(PROFESSIONS))
    label = with_year_label(last)["year_label"].iloc[0] if not last.empty else ""
    return side_by_side(
        data, x="library", x_title="Library", category="profession", category_title="Profession", x_order=top,
        columns=SHARES, category_order=list(PROFESSIONS.values()), value_format=".1%", axis_format="%",
        title=f"Libraries by profession, {label}: share of academic and of corporate users, runs and hours using each",
        subtitle=f"The {TOP_LIBRARIES} libraries (frameworks aside) with most users; shares of each profession's "
                 "users (runs, hours) whose imports are known",
    )


def libraries_by_profession_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No library usage loaded yet."
    last = with_year_label(latest(df))
    top = _top_libraries(last)
    shares = (last[last["library"].isin(top) & last["profession"].isin(PROFESSIONS)]
              .pivot_table(index="library", columns="profession", values="user_share", aggfunc="sum")
              .reindex(columns=list(PROFESSIONS)).fillna(0))
    if shares.empty:
        return f"{last['year_label'].iloc[0]}: no academic or corporate users with known imports."
    gap = (shares["academic"] - shares["corporate"]).abs()
    return (f"{last['year_label'].iloc[0]}: among the {len(shares)} most used libraries, academic and corporate user "
            f"shares differ by {fmt_share(gap.median())} points at the median; the largest gap is "
            f"{gap.idxmax()} ({fmt_share(shares.loc[gap.idxmax(), 'academic'])} of academics vs "
            f"{fmt_share(shares.loc[gap.idxmax(), 'corporate'])} of corporates).")


# -- method note: agreement of the two signals -----------------------------------------------------

def _agreement_rows(df: pd.DataFrame) -> pd.DataFrame:
    last = latest(df)
    return last.nlargest(TOP_LIBRARIES, "runs_with_both_signals")


def detection_agreement_chart(df: pd.DataFrame) -> alt.Chart:
    rows = _agreement_rows(df)
    long = rows.melt(id_vars=["library", "runs_with_both_signals"], value_vars=list(SIGNALS),
                     var_name="signal_key", value_name="runs")
    long["detected by"] = long["signal_key"].map(SIGNALS)
    long["share"] = long["runs"] / long["runs_with_both_signals"]
    year = str(rows["year"].iloc[0]) if not rows.empty else ""
    return alt.Chart(long, title=alt.Title(
        f"Method note, {year}: which signal detects each library, among runs with both code and telemetry",
        subtitle="Both = the saved code imports it and the client's telemetry reports it; "
                 "Keras through tf.keras is visible to the telemetry only")).mark_bar().encode(
        y=alt.Y("library:N", sort=rows["library"].tolist(), title=None),
        x=alt.X("share:Q", stack="normalize", title="Share of runs where either signal detects the library",
                axis=alt.Axis(format="%")),
        color=alt.Color("detected by:N", sort=list(SIGNALS.values()), title="Detected by"),
        order=alt.Order("signal_key:N"),
        tooltip=["library", "detected by", alt.Tooltip("runs:Q", format=","), alt.Tooltip("share:Q", format=".1%")],
    )


def detection_agreement_caption(df: pd.DataFrame) -> str:
    last = latest(df)
    if last.empty:
        return "No runs with both code and telemetry imports yet."
    total = last["runs_with_both_signals"].sum()
    agree = last["runs_agreeing"].sum() / total
    tel = last.assign(share=last["runs_telemetry_only"] / last["runs_with_both_signals"]).nlargest(1, "share").iloc[0]
    return (f"{int(last['year'].iloc[0])}: on runs with both signals, code and telemetry agree on "
            f"{fmt_share(agree)} of library detections; the telemetry alone sees {tel.library} in "
            f"{fmt_share(tel.share)} of its runs.")


CHARTS = [
    ChartSpec(
        name="fastest_growing_libraries",
        section="Libraries",
        title="Fastest-growing libraries quarter over quarter: growth in users, runs and training hours",
        marts=("library_growth_by_quarter",),
        query="""
            select quarter_start, quarter_label, library, category, active_users, previous_active_users,
                   runs, previous_runs, training_hours, previous_training_hours,
                   user_growth, run_growth, hour_growth, growth_rank
            from marts.library_growth_by_quarter
            where quarter_start < $end and growth_rank is not null
            order by quarter_start, growth_rank
        """,
        build=fastest_growing_chart,
        caption=fastest_growing_caption,
        key_numbers=lambda df: {
            f"user_growth_{r.library}": round(float(r.user_growth), 3) for r in growth_rows(df).itertuples()
        },
        order=30,
    ),
    ChartSpec(
        name="libraries_by_profession",
        section="Libraries",
        title="Libraries by profession: share of academic and corporate users, runs and hours",
        marts=("libraries_by_profession_by_year",),
        query="""
            select year_start, year, quarters_covered, profession, library, category, is_known_library,
                   active_users, runs, training_hours, user_share, run_share, hour_share
            from marts.libraries_by_profession_by_year
            where year_start < $end and is_known_library
            order by year_start, profession, active_users desc
        """,
        build=libraries_by_profession_chart,
        caption=libraries_by_profession_caption,
        order=31,
    ),
    ChartSpec(
        name="detection_agreement",
        section="Method notes",
        title="Method note: agreement of code imports and client telemetry, per library",
        marts=("library_detection_agreement_by_year",),
        query="""
            select year_start, year, library, runs_with_both_signals, runs_agreeing, runs_code_only,
                   runs_telemetry_only, agreement_share
            from marts.library_detection_agreement_by_year
            where year_start < $end
            order by year_start, runs_with_both_signals desc
        """,
        build=detection_agreement_chart,
        caption=detection_agreement_caption,
        key_numbers=lambda df: {
            "agreement_share": round(float(latest(df)["runs_agreeing"].sum() / latest(df)["runs_with_both_signals"].sum()), 4)
        } if not df.empty else {},
        order=90,
    ),
]

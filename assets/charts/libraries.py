"""Report section "Libraries": the fastest growers quarter over quarter, academic vs corporate use, and
the method note on how often the two detection signals (code imports, client telemetry) agree."""

from __future__ import annotations

import altair as alt
import pandas as pd

import math

from .frameworks import PROFESSIONS, by_profession, fmt_ratio, latest
from .registry import LIBRARIES, METHOD, ChartSpec, fmt_int
from .theme import LABEL_LIMIT, PALETTE
from .three_ways import SHARES, colour, fmt_share, grouped_values, label_of, panels, tip

GROWTH = {"user_growth": "Growth in active users", "run_growth": "Growth in runs", "hour_growth": "Growth in training hours"}
TOP_GROWERS = 10
LARGEST = 3  # the largest ranked libraries are shown whatever their growth
# Ranked: at least this many users in both quarters, and at least this share of the quarter's users.
MIN_GROWTH_USERS, MIN_GROWTH_SHARE = 5, 0.01
TOP_LIBRARIES = 12
FRAMEWORK_CATEGORIES = ("core framework", "high-level framework", "boosted trees")  # shown in "Frameworks"
SIGNALS = {"runs_agreeing": "Both", "runs_code_only": "Code only", "runs_telemetry_only": "Telemetry only"}


# -- #10 fastest-growing libraries -----------------------------------------------------------------

def growth_threshold(df: pd.DataFrame) -> int:
    """Users a library needs in both quarters to be ranked: a ratio of a handful of users is noise
    (2 -> 10 users is "5x"), and a fixed count means little at another size, so the larger of a
    floor and a share of the quarter's active users."""
    quarter_users = int(df["quarter_active_users"].max()) if not df.empty else 0
    return max(MIN_GROWTH_USERS, math.ceil(MIN_GROWTH_SHARE * quarter_users))


def growth_threshold_words(df: pd.DataFrame) -> str:
    quarter_users = int(df["quarter_active_users"].max()) if not df.empty else 0
    return (f"at least {growth_threshold(df):,} active users in both quarters (the larger of {MIN_GROWTH_USERS} users "
            f"and {fmt_share(MIN_GROWTH_SHARE)} of the quarter's {quarter_users:,} active users)")


def ranked_growth(df: pd.DataFrame) -> pd.DataFrame:
    """Libraries other than the frameworks above the threshold, fastest user growth first."""
    last = latest(df, "quarter_start")
    need = growth_threshold(last)
    ranked = last[last["is_known_library"] & ~last["category"].isin(FRAMEWORK_CATEGORIES)
                  & (last["active_users"] >= need) & (last["previous_active_users"] >= need)]
    return ranked.sort_values(["user_growth", "active_users", "library"], ascending=[False, False, True])


def growth_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The top growers, plus the largest ranked libraries whatever their growth."""
    ranked = ranked_growth(df)
    shown = ranked.head(TOP_GROWERS)
    largest = ranked.nlargest(LARGEST, "active_users")
    return pd.concat([shown, largest[~largest["library"].isin(shown["library"])]])


def _shown_words(df: pd.DataFrame) -> str:
    ranked, rows = ranked_growth(df), growth_rows(df)
    fastest = min(TOP_GROWERS, len(ranked))
    extra = len(rows) - fastest
    if len(ranked) == 1:
        return "the only ranked library"
    if len(ranked) <= TOP_GROWERS:
        return f"all {len(ranked)} ranked libraries"
    head = f"the {fastest} fastest-growing of the {len(ranked)} ranked libraries"
    if extra == LARGEST:
        return head + f" and the {LARGEST} largest"
    if extra:
        return head + f" and the {LARGEST} largest ({LARGEST - extra} of them among the fastest)"
    return head + f", the {LARGEST} largest among them"


def fastest_growing_chart(df: pd.DataFrame) -> alt.FacetChart | None:
    rows = growth_rows(df)
    if rows.empty:
        return None  # nothing above the threshold: the caption says so, no empty frame is drawn
    last = latest(df, "quarter_start")
    label = label_of(last, "quarter_label")
    long = rows.melt(id_vars=["library", "active_users", "previous_active_users"], value_vars=list(GROWTH),
                     var_name="measure_key", value_name="growth")
    long["measure"] = long["measure_key"].map(GROWTH)
    long["change"] = long["growth"].map(lambda g: "Grew" if g >= 1 else "Shrank")
    order = rows["library"].tolist()
    # The bars take the facet's data (one measure per facet); the parity line at 1x has its own.
    bars = alt.Chart().mark_bar().encode(
        y=alt.Y("library:N", sort=order, title=None),
        x=alt.X("growth:Q", title=None, axis=alt.Axis(labelExpr="format(datum.value, '.1~f') + '×'")),
        color=alt.Color("change:N", title="Users, runs or hours",
                        scale=alt.Scale(domain=["Grew", "Shrank"], range=[PALETTE[0], PALETTE[5]])),
        tooltip=[tip("library", "Library"), tip("measure", "Measure"), tip("growth:Q", "This / previous quarter", ".2f"),
                 tip("active_users:Q", "Active users this quarter", ","),
                 tip("previous_active_users:Q", "Active users previous quarter", ",")],
    )
    parity = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color="#555").encode(x="x:Q")
    return panels(alt.layer(bars, parity, data=long),
                  f"Fastest-growing libraries, {label} vs the previous quarter: growth in users, runs and training hours",
                  f"This quarter's figure as a multiple of the previous quarter's (1× = no change). Shown: "
                  f"{_shown_words(df)}; ranked: libraries other than the frameworks with "
                  f"{growth_threshold_words(last)}", GROWTH, cell=180, height=max(120, 18 * len(order)),
                  labels=LABEL_LIMIT + 20)


def fastest_growing_caption(df: pd.DataFrame) -> str:
    rows = growth_rows(df)
    last = latest(df, "quarter_start")
    if rows.empty:
        if last.empty:
            return "No quarter-over-quarter growth yet."
        if last["previous_active_users"].isna().all():  # the mart's null: the quarter before is not loaded
            return (f"{label_of(last, 'quarter_label')}: the quarter before is not loaded, so there is no "
                    "growth to compare yet.")
        return f"No library other than the frameworks has {growth_threshold_words(last)}: no growth to rank yet."
    top = ", ".join(f"{r.library} {fmt_ratio(r.user_growth)}" for r in rows.head(min(3, TOP_GROWERS)).itertuples())
    large = rows.nlargest(LARGEST, "active_users")
    big = ", ".join(f"{r.library} {fmt_ratio(r.user_growth)} ({fmt_int(r.active_users)} users)" for r in large.itertuples())
    return (f"{label_of(last, 'quarter_label')} vs the previous quarter, growth in active users of {_shown_words(df)}: "
            f"fastest {top}; largest {big}. Ranked: {growth_threshold_words(last)}.")


def fastest_growing_finding(df: pd.DataFrame) -> str | None:
    rows = ranked_growth(df)
    if rows.empty:
        return None
    r = rows.iloc[0]
    return (f"Fastest-growing library of {r.quarter_label}: {r.library}, {fmt_ratio(r.user_growth)} the active users "
            f"of the previous quarter ({fmt_int(r.previous_active_users)} -> {fmt_int(r.active_users)}).")


# -- #11 libraries by profession -------------------------------------------------------------------

def _top_libraries(last: pd.DataFrame) -> list[str]:
    known = last[last["is_known_library"] & ~last["category"].isin(FRAMEWORK_CATEGORIES)]
    return known.groupby("library")["active_users"].sum().nlargest(TOP_LIBRARIES).index.tolist()


def libraries_by_profession_chart(df: pd.DataFrame) -> alt.FacetChart:
    last = latest(df)
    top = _top_libraries(last)
    return grouped_values(
        by_profession(last, top), x="library", x_title="Library", category="profession", category_title="Profession",
        category_order=list(PROFESSIONS.values()), columns=SHARES, x_order=top, value_format=".1%", axis_format="%",
        title=f"Libraries by profession, {label_of(last)}: share of academic and of corporate users, runs and hours "
              "using each",
        subtitle=f"The {TOP_LIBRARIES} libraries (frameworks aside) with most users; shares of each profession's "
                 "users (runs, hours) whose imports are known",
    )


def libraries_by_profession_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No library usage loaded yet."
    last = latest(df)
    top = _top_libraries(last)
    shares = (last[last["library"].isin(top) & last["profession"].isin(PROFESSIONS)]
              .pivot_table(index="library", columns="profession", values="user_share", aggfunc="sum")
              .reindex(columns=list(PROFESSIONS)).fillna(0))
    if shares.empty:
        return f"{label_of(last)}: no academic or corporate users with known imports."
    gap = (shares["academic"] - shares["corporate"]).abs()
    widest = gap.idxmax()
    return (f"{label_of(last)}: among the {len(shares)} most used libraries, academic and corporate user shares "
            f"differ by {100 * gap.median():.0f} points at the median; the widest gap is {widest} "
            f"({fmt_share(shares.loc[widest, 'academic'])} of academics vs "
            f"{fmt_share(shares.loc[widest, 'corporate'])} of corporates).")


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
    return alt.Chart(long, title=alt.Title(
        f"Method note, {label_of(rows)}: which signal detects each library, among runs with both code and telemetry",
        subtitle=f"The {len(rows)} libraries detected on most such runs; shares of the runs where either signal "
                 "detects the library; Both = the saved code imports it and the client's telemetry reports it")).mark_bar().encode(
        y=alt.Y("library:N", sort=rows["library"].tolist(), title=None),
        x=alt.X("share:Q", stack="normalize", title="Share of the library's runs",  # short: fits a phone
                axis=alt.Axis(format="%")),
        color=colour("detected by", list(SIGNALS.values()), "Detected by"),
        order=alt.Order("signal_key:N"),
        tooltip=[tip("library", "Library"), tip("detected by", "Detected by"), tip("runs:Q", "Runs", ","),
                 tip("share:Q", "Share of runs", ".1%")],
    ).properties(height=max(120, 20 * len(rows)))


def detection_agreement_caption(df: pd.DataFrame) -> str:
    last = _agreement_rows(df)  # the libraries drawn
    if last.empty:
        return "No runs with both code and telemetry imports yet."
    total = last["runs_with_both_signals"].sum()
    agree = last["runs_agreeing"].sum() / total
    tel = last.assign(share=last["runs_telemetry_only"] / last["runs_with_both_signals"]).nlargest(1, "share").iloc[0]
    alone = (f"the telemetry alone sees {tel.library} in {fmt_share(tel.share)} of its runs" if tel.share > 0
             else "the telemetry sees nothing the code does not import")
    return (f"{label_of(last)}: on runs with both signals, code and telemetry agree on {fmt_share(agree)} of the "
            f"detections of the {len(last)} libraries drawn; {alone}.")


CHARTS = [
    ChartSpec(
        name="fastest_growing_libraries",
        section=LIBRARIES,
        title="Fastest-growing libraries quarter over quarter: growth in users, runs and training hours",
        population="active users whose imports are known, in the quarter and the one before",
        latest_only=True,
        finding=fastest_growing_finding,
        period="quarter",
        marts=("library_growth_by_quarter", "headline_by_quarter"),
        query="""
            select growth.quarter_start, growth.quarter_label, growth.library, growth.category,
                   growth.is_known_library, growth.active_users, growth.previous_active_users,
                   growth.runs, growth.previous_runs, growth.training_hours, growth.previous_training_hours,
                   growth.user_growth, growth.run_growth, growth.hour_growth,
                   quarter.active_users as quarter_active_users
            from marts.library_growth_by_quarter as growth
            join marts.headline_by_quarter as quarter on quarter.quarter_start = growth.quarter_start
            -- The latest quarter, every library: the chart ranks those above its threshold; with
            -- none, the caption says so.
            where growth.quarter_start = (select max(quarter_start) from marts.library_growth_by_quarter
                                          where quarter_start < $end)
            order by growth.active_users desc, growth.library
        """,
        build=fastest_growing_chart,
        caption=fastest_growing_caption,
        key_numbers=lambda df: {
            f"user_growth_{r.library}": round(float(r.user_growth), 3) for r in growth_rows(df).itertuples()
        },
    ),
    ChartSpec(
        name="libraries_by_profession",
        section=LIBRARIES,
        title="Libraries by profession: share of academic and corporate users, runs and hours",
        population="academic and corporate users (from their profile) whose imports are known",
        latest_only=True,
        marts=("libraries_by_profession_by_year",),
        query="""
            select year_start, year, year_label, quarters_covered, profession, library, category, is_known_library,
                   active_users, runs, training_hours, user_share, run_share, hour_share
            from marts.libraries_by_profession_by_year
            where year_start < $end and is_known_library
            order by year_start, profession, active_users desc
        """,
        build=libraries_by_profession_chart,
        caption=libraries_by_profession_caption,
    ),
    ChartSpec(
        name="detection_agreement",
        section=METHOD,
        title="Method note: agreement of code imports and client telemetry, per library",
        population="runs of the year that saved code and sent telemetry",
        latest_only=True,
        marts=("library_detection_agreement_by_year",),
        query="""
            select year_start, year, year_label, library, runs_with_both_signals, runs_agreeing, runs_code_only,
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
    ),
]

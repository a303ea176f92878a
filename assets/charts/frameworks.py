"""Report section "Frameworks": PyTorch vs TensorFlow, run length, Keras vs Lightning, boosted trees,
frameworks by profession. Every usage comparison is drawn three ways, side by side: active users, runs,
training hours (the talk's rule); captions are computed from the data."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .registry import ChartSpec, fmt_int, fmt_share

MEASURES = {"active_users": "Active users", "runs": "Runs", "training_hours": "Training hours"}
SHARES = {"user_share": "Share of users", "run_share": "Share of runs", "hour_share": "Share of training hours"}
RUN_LENGTH = {"median_runtime_minutes": "Median run (minutes)", "mean_runtime_minutes": "Mean run (minutes)",
              "p90_runtime_minutes": "90th percentile run (minutes)"}
FACET_WIDTH, FACET_HEIGHT = 200, 220
CORE = ["PyTorch", "TensorFlow"]
HIGH_LEVEL = ["Keras", "Lightning"]
BOOSTED = ["XGBoost", "LightGBM", "CatBoost"]
FAMILIES = ["PyTorch", "TensorFlow", "JAX", "scikit-learn", "boosted trees"]
PROFESSIONS = {"academic": "Academic", "corporate": "Corporate"}
TOP_FRAMEWORKS = 8


# -- shared by the framework and library charts ----------------------------------------------------

def with_year_label(df: pd.DataFrame) -> pd.DataFrame:
    """ "2022", or "2023 (2 of 4 quarters)" while a year is partial."""
    if df.empty:
        return df.assign(year_label=pd.Series(dtype=str))
    partial = df["quarters_covered"] < 4
    label = df["year"].astype(str)
    return df.assign(year_label=label.where(~partial, label + " (" + df["quarters_covered"].astype(str) + " of 4 quarters)"))


def latest(df: pd.DataFrame, period: str = "year") -> pd.DataFrame:
    return df[df[period] == df[period].max()] if not df.empty else df


def figure(rows: pd.DataFrame, column: str, **where) -> float:
    """``column`` of the row matching ``where`` (0 when none does)."""
    for key, wanted in where.items():
        rows = rows[rows[key] == wanted]
    return float(rows[column].iloc[0]) if not rows.empty else 0.0


def fmt_ratio(x: float) -> str:
    return f"{x:.1f}x" if x == x and x not in (float("inf"),) else "-"


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def side_by_side(df: pd.DataFrame, *, x: str, x_title: str, category: str, category_title: str,
                 columns: dict[str, str], title: str, subtitle: str, category_order: list[str],
                 value_format: str = ",.0f", axis_format: str = "~s", x_order: list | None = None) -> alt.FacetChart:
    """One facet per measure (independent scales), grouped bars per period (or ``x_order``) and category."""
    long = df.melt(id_vars=[x, category], value_vars=list(columns), var_name="measure_key", value_name="value")
    long["measure"] = long["measure_key"].map(columns)
    bars = alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{x}:O", title=x_title, sort=x_order or sorted(df[x].unique().tolist()),
                axis=alt.Axis(labelAngle=0 if x_order is None else -30)),
        xOffset=alt.XOffset(f"{category}:N", sort=category_order),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format=axis_format)),
        color=alt.Color(f"{category}:N", sort=category_order, title=category_title),
        tooltip=[x, category, "measure", alt.Tooltip("value:Q", format=value_format)],
    )
    return (
        bars.properties(width=FACET_WIDTH, height=FACET_HEIGHT)
        .facet(column=alt.Column("measure:N", sort=list(columns.values()), title=None,
                                 header=alt.Header(labelFontSize=13, labelFontWeight="bold")))
        .resolve_scale(y="independent")
        .properties(title=alt.Title(title, subtitle=subtitle))
    )


def _usage_query(libraries: list[str]) -> str:
    names = ", ".join(f"'{name}'" for name in libraries)
    return f"""
        select year_start, year, quarters_covered, library, active_users, runs, training_hours,
               user_share, run_share, hour_share
        from marts.framework_usage_by_year
        where year_start < $end and library in ({names})
        order by year_start, library
    """


def _lead_caption(df: pd.DataFrame, leader: str, other: str) -> str:
    """Leader's share of runs first -> last year, and leader : other per measure."""
    if df.empty:
        return "No framework usage loaded yet."
    df = with_year_label(df)
    first, last = df[df["year"] == df["year"].min()], latest(df)
    periods = [first, last] if first["year"].iloc[0] != last["year"].iloc[0] else [last]

    share = " -> ".join(f"{p['year_label'].iloc[0]} {fmt_share(figure(p, 'run_share', library=leader))}" for p in periods)
    ratios = "; ".join(
        f"{name.lower()} " + " -> ".join(
            fmt_ratio(ratio(figure(p, col, library=leader), figure(p, col, library=other))) for p in periods)
        for col, name in MEASURES.items()
    )
    return f"{leader} share of runs: {share}. {leader} : {other} by {ratios}."


def _ratio_key_numbers(leader: str, other: str):
    def numbers(df: pd.DataFrame) -> dict[str, float]:
        last = latest(df)
        return {f"{leader}_to_{other}_{col}": round(ratio(figure(last, col, library=leader),
                                                          figure(last, col, library=other)), 3)
                for col in MEASURES}
    return numbers


# -- #5 PyTorch vs TensorFlow, #7 Keras vs Lightning ------------------------------------------------

def pytorch_vs_tensorflow_chart(df: pd.DataFrame) -> alt.FacetChart:
    return side_by_side(
        with_year_label(df), x="year_label", x_title="Year", category="library", category_title="Framework",
        columns=MEASURES, category_order=CORE,
        title="PyTorch vs TensorFlow: active users, runs and training hours per year",
        subtitle="A run uses a framework when its training code imports it or the client's telemetry reports it",
    )


def keras_vs_lightning_chart(df: pd.DataFrame) -> alt.FacetChart:
    return side_by_side(
        with_year_label(df), x="year_label", x_title="Year", category="library", category_title="Framework",
        columns=MEASURES, category_order=HIGH_LEVEL,
        title="Keras vs Lightning: active users, runs and training hours per year",
        subtitle="Keras also counts when used through tf.keras (seen by the client's telemetry)",
    )


def keras_vs_lightning_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No framework usage loaded yet."
    last = with_year_label(latest(df))
    parts = "; ".join(
        f"{name.lower()} Keras {fmt_int(figure(last, col, library='Keras'))} vs Lightning "
        f"{fmt_int(figure(last, col, library='Lightning'))}" for col, name in MEASURES.items()
    )
    return f"{last['year_label'].iloc[0]}: {parts}."


# -- #6 run length by framework ---------------------------------------------------------------------

def run_length_chart(df: pd.DataFrame) -> alt.FacetChart:
    order = [f for f in FAMILIES if f in set(df["framework"])]
    return side_by_side(
        with_year_label(df), x="year_label", x_title="Year", category="framework", category_title="Framework family",
        columns=RUN_LENGTH, category_order=order, value_format=",.1f", axis_format=",.0f",
        title="Run length by framework family: median, mean and 90th percentile wall-clock minutes per run",
        subtitle="A run importing torch and tensorflow counts in both families",
    )


def run_length_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No run lengths loaded yet."
    last = with_year_label(latest(df))
    torch, tf = (figure(last, "median_runtime_minutes", framework=f) for f in CORE)
    torch_mean, tf_mean = (figure(last, "mean_runtime_minutes", framework=f) for f in CORE)
    # Quantiles are read within 0.5%: closer than 2% is "about as long".
    longer = "about as long" if abs(torch - tf) <= 0.02 * max(torch, tf) else "longer" if torch > tf else "shorter"
    return (f"{last['year_label'].iloc[0]}: the median PyTorch run lasts {torch:.0f} min vs {tf:.0f} min for "
            f"TensorFlow ({longer}; mean {torch_mean:.0f} vs {tf_mean:.0f} min).")


# -- #8 boosted trees -------------------------------------------------------------------------------

BOOSTED_COLUMNS = {**MEASURES, "median_runtime_minutes": "Median run (minutes)"}


def boosted_trees_chart(df: pd.DataFrame) -> alt.FacetChart:
    return side_by_side(
        with_year_label(df[df["library"].isin(BOOSTED)]), x="year_label", x_title="Year", category="library",
        category_title="Library", columns=BOOSTED_COLUMNS, category_order=BOOSTED, value_format=",.1f",
        title="Boosted trees (XGBoost, LightGBM, CatBoost): active users, runs, training hours and median run length per year",
        subtitle="Many short runs: compare the median run with the caption's PyTorch figure",
    )


def boosted_trees_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No framework usage loaded yet."
    last = with_year_label(latest(df))
    boosted = last[last["library"].isin(BOOSTED)]
    if boosted.empty:
        return f"{last['year_label'].iloc[0]}: no boosted-tree runs."
    runs = boosted["runs"].sum()
    minutes = (boosted["median_runtime_minutes"] * boosted["runs"]).sum() / runs if runs else 0.0
    per_user = ratio(runs, boosted["active_users"].sum())
    torch_per_user = ratio(figure(last, "runs", library="PyTorch"), figure(last, "active_users", library="PyTorch"))
    leader = boosted.nlargest(1, "active_users")["library"].iloc[0]
    return (f"{last['year_label'].iloc[0]}: boosted-tree runs last {minutes:.0f} min at the median (runs-weighted) vs "
            f"{figure(last, 'median_runtime_minutes', library='PyTorch'):.0f} min for PyTorch, "
            f"{per_user:.1f} runs per user vs {torch_per_user:.1f}; most users: {leader}.")


# -- #9 frameworks by profession -------------------------------------------------------------------

def frameworks_by_profession_chart(df: pd.DataFrame) -> alt.FacetChart:
    last = latest(df)
    top = last.groupby("library")["active_users"].sum().nlargest(TOP_FRAMEWORKS).index
    data = last[last["profession"].isin(PROFESSIONS) & last["library"].isin(top)]
    data = data.assign(profession=data["profession"].map(PROFESSIONS))
    label = with_year_label(last)["year_label"].iloc[0] if not last.empty else ""
    return side_by_side(
        data, x="library", x_title="Framework", category="profession", category_title="Profession",
        x_order=top.tolist(), columns=SHARES, category_order=list(PROFESSIONS.values()), value_format=".1%", axis_format="%",
        title=f"Frameworks by profession, {label}: share of academic and of corporate users, runs and hours using each",
        subtitle=f"The {TOP_FRAMEWORKS} frameworks with most users; shares of each profession's users (runs, hours) "
                 "whose imports are known; frameworks overlap",
    )


def frameworks_by_profession_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No framework usage loaded yet."
    last = with_year_label(latest(df))
    academic, corporate = (figure(last, "user_share", library="PyTorch", profession=p) for p in PROFESSIONS)
    others = last[(last["library"] != "PyTorch") & last["profession"].isin(PROFESSIONS)]
    higher = others.pivot_table(index="library", columns="profession", values="user_share", aggfunc="sum").fillna(0)
    corporate_lead = int((higher.get("corporate", 0) > higher.get("academic", 0)).sum()) if not higher.empty else 0
    return (f"{last['year_label'].iloc[0]}: PyTorch is used by {fmt_share(academic)} of academic users vs "
            f"{fmt_share(corporate)} of corporate users; {corporate_lead} of the {len(higher)} other frameworks "
            f"have a larger share among corporates.")


CHARTS = [
    ChartSpec(
        name="pytorch_vs_tensorflow",
        section="Frameworks",
        title="PyTorch vs TensorFlow: active users, runs and training hours per year",
        marts=("framework_usage_by_year",),
        query=_usage_query(CORE),
        build=pytorch_vs_tensorflow_chart,
        caption=lambda df: _lead_caption(df, "PyTorch", "TensorFlow"),
        key_numbers=_ratio_key_numbers("PyTorch", "TensorFlow"),
        order=20,
    ),
    ChartSpec(
        name="run_length_by_framework",
        section="Frameworks",
        title="Run length by framework family: median, mean and 90th percentile minutes per run",
        marts=("framework_run_length_by_year",),
        query="""
            select year_start, year, quarters_covered, framework, runs_with_runtime, training_hours,
                   mean_runtime_minutes, median_runtime_minutes, p90_runtime_minutes
            from marts.framework_run_length_by_year
            where year_start < $end and grouping = 'framework_family'
            order by year_start, framework
        """,
        build=run_length_chart,
        caption=run_length_caption,
        key_numbers=lambda df: {
            f"median_minutes_{f}": round(figure(latest(df), "median_runtime_minutes", framework=f), 2) for f in CORE
        },
        order=21,
    ),
    ChartSpec(
        name="keras_vs_lightning",
        section="Frameworks",
        title="Keras vs Lightning: active users, runs and training hours per year",
        marts=("framework_usage_by_year",),
        query=_usage_query(HIGH_LEVEL),
        build=keras_vs_lightning_chart,
        caption=keras_vs_lightning_caption,
        key_numbers=_ratio_key_numbers("Keras", "Lightning"),
        order=22,
    ),
    ChartSpec(
        name="boosted_trees",
        section="Frameworks",
        title="Boosted trees: active users, runs, training hours and median run length per year",
        marts=("framework_usage_by_year", "framework_run_length_by_year"),
        query=f"""
            select usage.year_start, usage.year, usage.quarters_covered, usage.library, usage.active_users,
                   usage.runs, usage.training_hours, length.median_runtime_minutes
            from marts.framework_usage_by_year as usage
            left join marts.framework_run_length_by_year as length
              on length.year_start = usage.year_start and length.grouping = 'library'
             and length.framework = usage.library
            where usage.year_start < $end and usage.library in ({", ".join(f"'{x}'" for x in [*BOOSTED, "PyTorch"])})
            order by usage.year_start, usage.library
        """,
        build=boosted_trees_chart,
        caption=boosted_trees_caption,
        order=23,
    ),
    ChartSpec(
        name="frameworks_by_profession",
        section="Frameworks",
        title="Frameworks by profession: share of academic and corporate users, runs and hours",
        marts=("frameworks_by_profession_by_year",),
        query="""
            select year_start, year, quarters_covered, profession, library, active_users, runs, training_hours,
                   user_share, run_share, hour_share
            from marts.frameworks_by_profession_by_year
            where year_start < $end
            order by year_start, profession, active_users desc
        """,
        build=frameworks_by_profession_chart,
        caption=frameworks_by_profession_caption,
        key_numbers=lambda df: {
            f"pytorch_user_share_{p}": round(figure(latest(df), "user_share", library="PyTorch", profession=p), 4)
            for p in PROFESSIONS
        },
        order=24,
    ),
]

"""Report section "Frameworks": PyTorch vs TensorFlow, run length, Keras vs Lightning, boosted trees,
frameworks by profession. Every usage comparison is drawn three ways, side by side: active users, runs,
training hours (the talk's rule); captions are computed from the data."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from .registry import FRAMEWORKS, ChartSpec, fmt_int
from .three_ways import (MEASURES, SHARES, first_last, fmt_share, from_to, grouped_values, label_of, last_two, value,
                         year_on_year)

RUN_LENGTH = {"median_runtime_minutes": "Median run (minutes)", "mean_runtime_minutes": "Mean run (minutes)",
              "p90_runtime_minutes": "90th percentile run (minutes)"}
CORE = ["PyTorch", "TensorFlow"]
HIGH_LEVEL = ["Keras", "Lightning"]
BOOSTED = ["XGBoost", "LightGBM", "CatBoost"]
FAMILIES = ["PyTorch", "TensorFlow", "JAX", "scikit-learn", "boosted trees"]
PROFESSIONS = {"academic": "Academic", "corporate": "Corporate"}
TOP_FRAMEWORKS = 8


def latest(df: pd.DataFrame, period: str = "year") -> pd.DataFrame:
    return first_last(df, period)[1]


def fmt_ratio(x: float) -> str:
    return f"{x:.1f}x" if math.isfinite(x) else "-"  # NaN (0/0) or infinite (n/0): no ratio


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def by_profession(last: pd.DataFrame, top: list[str]) -> pd.DataFrame:
    """Academic and corporate rows of the ``top`` libraries, professions spelled for the legend."""
    rows = last[last["profession"].isin(PROFESSIONS) & last["library"].isin(top)]
    return rows.assign(profession=rows["profession"].map(PROFESSIONS))


def _usage_query(libraries: list[str]) -> str:
    names = ", ".join(f"'{name}'" for name in libraries)
    return f"""
        select year_start, year, year_label, quarters_covered, library, active_users, runs, training_hours,
               user_share, run_share, hour_share
        from marts.framework_usage_by_year
        where year_start < $end and library in ({names})
        order by year_start, library
    """


def _lead_caption(df: pd.DataFrame, leader: str, other: str) -> str:
    """Leader's share of runs first -> last year, and leader : other per measure."""
    if df.empty:
        return "No framework usage loaded yet."
    first, last = first_last(df)
    periods = [first, last] if first["year"].iloc[0] != last["year"].iloc[0] else [last]
    share = from_to(df, lambda rows: value(rows, "run_share", {"library": leader}), fmt_share)
    ratios = "; ".join(
        f"{name.lower()} " + " -> ".join(
            fmt_ratio(ratio(value(p, col, {"library": leader}), value(p, col, {"library": other}))) for p in periods)
        for col, name in MEASURES.items()
    )
    return f"{leader} share of runs: {share}. {leader} : {other} by {ratios}."


def _ratio_key_numbers(leader: str, other: str):
    def numbers(df: pd.DataFrame) -> dict[str, float]:
        last = latest(df)
        return {f"{leader}_to_{other}_{col}": round(ratio(value(last, col, {"library": leader}),
                                                          value(last, col, {"library": other})), 3)
                for col in MEASURES}
    return numbers


# -- #5 PyTorch vs TensorFlow, #7 Keras vs Lightning ------------------------------------------------

def pytorch_vs_tensorflow_chart(df: pd.DataFrame) -> alt.FacetChart:
    return grouped_values(
        df, x="year_label", x_title="Year", category="library", category_title="Framework", category_order=CORE,
        title="PyTorch vs TensorFlow: active users, runs and training hours per year",
        subtitle="A run uses a framework when its training code imports it or the client's telemetry reports it",
    )


def keras_vs_lightning_chart(df: pd.DataFrame) -> alt.FacetChart:
    return grouped_values(
        df, x="year_label", x_title="Year", category="library", category_title="Framework", category_order=HIGH_LEVEL,
        title="Keras vs Lightning: active users, runs and training hours per year",
        subtitle="Keras also counts when used through tf.keras (seen by the client's telemetry)",
    )


def keras_vs_lightning_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No framework usage loaded yet."
    last = latest(df)
    parts = "; ".join(
        f"{name.lower()} Keras {fmt_int(value(last, col, {'library': 'Keras'}))} vs Lightning "
        f"{fmt_int(value(last, col, {'library': 'Lightning'}))}" for col, name in MEASURES.items()
    )
    return f"{label_of(last)}: {parts}."


# -- #6 run length by framework ---------------------------------------------------------------------

def run_length_chart(df: pd.DataFrame) -> alt.FacetChart:
    order = [f for f in FAMILIES if f in set(df["framework"])]
    return grouped_values(
        df, x="year_label", x_title="Year", category="framework", category_title="Framework family",
        columns=RUN_LENGTH, category_order=order, value_format=",.1f", axis_format=",.0f",
        title="Run length by framework family: median, mean and 90th percentile wall-clock minutes per run",
        subtitle="A run importing torch and tensorflow counts in both families",
    )


def run_length_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No run lengths loaded yet."
    last = latest(df)
    torch, tf = (value(last, "median_runtime_minutes", {"framework": f}) for f in CORE)
    torch_mean, tf_mean = (value(last, "mean_runtime_minutes", {"framework": f}) for f in CORE)
    # Quantiles are read within 0.5%: closer than 2% is "about as long".
    longer = "about as long" if abs(torch - tf) <= 0.02 * max(torch, tf) else "longer" if torch > tf else "shorter"
    return (f"{label_of(last)}: the median PyTorch run lasts {torch:.0f} min vs {tf:.0f} min for "
            f"TensorFlow ({longer}; mean {torch_mean:.0f} vs {tf_mean:.0f} min).")


# -- #8 boosted trees -------------------------------------------------------------------------------

BOOSTED_COLUMNS = {**MEASURES, "median_runtime_minutes": "Median run (minutes)"}


def boosted_trees_chart(df: pd.DataFrame) -> alt.FacetChart:
    return grouped_values(
        df[df["library"].isin(BOOSTED)], x="year_label", x_title="Year", category="library",
        category_title="Library", columns=BOOSTED_COLUMNS, category_order=BOOSTED, value_format=",.1f",
        title="Boosted trees (XGBoost, LightGBM, CatBoost): active users, runs, training hours and median run length per year",
        subtitle="Many short runs: compare the median run with the caption's PyTorch figure",
    )


def boosted_trees_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No framework usage loaded yet."
    last = latest(df)
    boosted = last[last["library"].isin(BOOSTED)]
    if boosted.empty:
        return f"{label_of(last)}: no boosted-tree runs."
    runs = boosted["runs"].sum()
    minutes = (boosted["median_runtime_minutes"] * boosted["runs"]).sum() / runs if runs else 0.0
    leader = boosted.nlargest(1, "active_users")["library"].iloc[0]
    return (f"{label_of(last)}: boosted trees are {100 * boosted['run_share'].sum():.1f}% of runs but "
            f"{100 * boosted['hour_share'].sum():.1f}% of training hours; their runs last {minutes:.0f} min at the "
            f"median (runs-weighted) vs {value(last, 'median_runtime_minutes', {'library': 'PyTorch'}):.0f} min for "
            f"PyTorch; most users: {leader}.")


# -- #9 frameworks by profession -------------------------------------------------------------------

def _top_frameworks(last: pd.DataFrame) -> list[str]:
    return last.groupby("library")["active_users"].sum().nlargest(TOP_FRAMEWORKS).index.tolist()


def frameworks_by_profession_chart(df: pd.DataFrame) -> alt.FacetChart:
    last = latest(df)
    top = _top_frameworks(last)
    return grouped_values(
        by_profession(last, top), x="library", x_title="Framework", category="profession",
        category_title="Profession", category_order=list(PROFESSIONS.values()), columns=SHARES, x_order=top,
        value_format=".1%", axis_format="%",
        title=f"Frameworks by profession, {label_of(last)}: share of academic and of corporate users, runs and hours "
              "using each",
        subtitle=f"The {TOP_FRAMEWORKS} frameworks with most users; shares of each profession's users (runs, hours) "
                 "whose imports are known; frameworks overlap",
    )


def frameworks_by_profession_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No framework usage loaded yet."
    last = latest(df)
    academic, corporate = (value(last, "user_share", {"library": "PyTorch", "profession": p}) for p in PROFESSIONS)
    drawn = [f for f in _top_frameworks(last) if f != "PyTorch"]  # what the chart shows beside PyTorch
    others = last[last["library"].isin(drawn) & last["profession"].isin(PROFESSIONS)]
    shares = others.pivot_table(index="library", columns="profession", values="user_share", aggfunc="sum")
    shares = shares.reindex(index=drawn, columns=list(PROFESSIONS)).fillna(0)
    corporate_lead = int((shares["corporate"] > shares["academic"]).sum())
    return (f"{label_of(last)}: PyTorch is used by {fmt_share(academic)} of academic users vs "
            f"{fmt_share(corporate)} of corporate users; {corporate_lead} of the {len(drawn)} other frameworks "
            f"drawn have a larger share among corporates.")


def _pytorch_finding(df: pd.DataFrame) -> str | None:
    if df.empty:
        return None
    return f"PyTorch share of runs: {year_on_year(df, lambda rows: value(rows, 'run_share', {'library': 'PyTorch'}))}."


def _keras_lightning_finding(df: pd.DataFrame) -> str | None:
    if df.empty:
        return None
    ratio_of = lambda rows: ratio(value(rows, "active_users", {"library": "Lightning"}),
                                  value(rows, "active_users", {"library": "Keras"}))
    prev, last = last_two(df)
    text = f"Lightning has {fmt_ratio(ratio_of(last))} the active users of Keras in {label_of(last)}"
    return text + (f" ({fmt_ratio(ratio_of(prev))} in {label_of(prev)})." if prev is not None else
                   " (no earlier year to compare).")


def _boosted_finding(df: pd.DataFrame) -> str | None:
    boosted = df[df["library"].isin(BOOSTED)]
    if boosted.empty:
        return None
    runs = year_on_year(boosted, lambda rows: rows["run_share"].sum())
    hours = fmt_share(last_two(boosted)[1]["hour_share"].sum())
    return f"Boosted trees' share of runs: {runs}, for {hours} of training hours: many short runs."


CHARTS = [
    ChartSpec(
        name="pytorch_vs_tensorflow",
        section=FRAMEWORKS,
        title="PyTorch vs TensorFlow: active users, runs and training hours per year",
        population="active users, runs and hours whose imports are known (saved code or client telemetry)",
        finding=_pytorch_finding,
        marts=("framework_usage_by_year",),
        query=_usage_query(CORE),
        build=pytorch_vs_tensorflow_chart,
        caption=lambda df: _lead_caption(df, "PyTorch", "TensorFlow"),
        key_numbers=_ratio_key_numbers("PyTorch", "TensorFlow"),
    ),
    ChartSpec(
        name="run_length_by_framework",
        section=FRAMEWORKS,
        title="Run length by framework family: median, mean and 90th percentile minutes per run",
        population="runs with a run time whose imports are known",
        marts=("framework_run_length_by_year",),
        query="""
            select year_start, year, year_label, quarters_covered, framework, runs_with_runtime, training_hours,
                   mean_runtime_minutes, median_runtime_minutes, p90_runtime_minutes
            from marts.framework_run_length_by_year
            where year_start < $end and grouping = 'framework_family'
            order by year_start, framework
        """,
        build=run_length_chart,
        caption=run_length_caption,
        key_numbers=lambda df: {
            f"median_minutes_{f}": round(value(latest(df), "median_runtime_minutes", {"framework": f}), 2) for f in CORE
        },
    ),
    ChartSpec(
        name="keras_vs_lightning",
        section=FRAMEWORKS,
        title="Keras vs Lightning: active users, runs and training hours per year",
        population="active users, runs and hours whose imports are known (saved code or client telemetry)",
        finding=_keras_lightning_finding,
        marts=("framework_usage_by_year",),
        query=_usage_query(HIGH_LEVEL),
        build=keras_vs_lightning_chart,
        caption=keras_vs_lightning_caption,
        key_numbers=_ratio_key_numbers("Keras", "Lightning"),
    ),
    ChartSpec(
        name="boosted_trees",
        section=FRAMEWORKS,
        title="Boosted trees: active users, runs, training hours and median run length per year",
        population="active users, runs and hours whose imports are known (saved code or client telemetry)",
        finding=_boosted_finding,
        marts=("framework_usage_by_year", "framework_run_length_by_year"),
        query=f"""
            select usage.year_start, usage.year, usage.year_label, usage.quarters_covered, usage.library, usage.active_users,
                   usage.runs, usage.training_hours, usage.run_share, usage.hour_share, length.median_runtime_minutes
            from marts.framework_usage_by_year as usage
            left join marts.framework_run_length_by_year as length
              on length.year_start = usage.year_start and length.grouping = 'library'
             and length.framework = usage.library
            where usage.year_start < $end and usage.library in ({", ".join(f"'{x}'" for x in [*BOOSTED, "PyTorch"])})
            order by usage.year_start, usage.library
        """,
        build=boosted_trees_chart,
        caption=boosted_trees_caption,
    ),
    ChartSpec(
        name="frameworks_by_profession",
        section=FRAMEWORKS,
        title="Frameworks by profession: share of academic and corporate users, runs and hours",
        population="academic and corporate users (from their profile) whose imports are known",
        latest_only=True,
        marts=("frameworks_by_profession_by_year",),
        query="""
            select year_start, year, year_label, quarters_covered, profession, library, active_users, runs, training_hours,
                   user_share, run_share, hour_share
            from marts.frameworks_by_profession_by_year
            where year_start < $end
            order by year_start, profession, active_users desc
        """,
        build=frameworks_by_profession_chart,
        caption=frameworks_by_profession_caption,
        key_numbers=lambda df: {
            f"pytorch_user_share_{p}": round(value(latest(df), "user_share", {"library": "PyTorch", "profession": p}), 4)
            for p in PROFESSIONS
        },
    ),
]

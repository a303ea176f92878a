"""Report section "Hardware": GPU vendors, families and models, GPUs per run, and the talk's
future work (accelerators, clouds, media types)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .registry import FURTHER, HARDWARE, ChartSpec, by_year_query
from .theme import LABEL_LIMIT
from .three_ways import (SHARES, first_last, fmt_share, from_to, label_of, melt, panels, share_lines, tip, value,
                         year_on_year)

# Placeholders of fct_runs: runs without an identified GPU model.
NO_GPU = "No GPU (CPU only or not probed)"
PLACEHOLDERS = {NO_GPU, "Unnamed GPU"}
TOP_FAMILIES, TOP_MODELS, TOP_MEDIA = 8, 12, 8
BUCKETS = ["none", "1", "2", "3-4", "5-8", "9+"]
SHARES_NOTE = "Shares of users with runs, of runs and of wall-clock training hours; a user counts under each kind used"


def _top(df: pd.DataFrame, category: str, n: int, by: str = "hour_share", exclude=()) -> list[str]:
    """The n largest categories of the latest year."""
    if df.empty:
        return []
    latest = df[(df["year"] == df["year"].max()) & ~df[category].isin(exclude)]
    return latest.groupby(category)[by].sum().nlargest(n).index.tolist()


def _share_change(df: pd.DataFrame, column: str, where: list[str], share: str) -> str:
    return from_to(df, lambda rows: value(rows, share, {column: where}), fmt_share)


# -- vendors ------------------------------------------------------------------------------------

def gpu_vendors_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    return share_lines(df, x="year_label", x_title="Year", category="gpu_vendor", category_title="GPU vendor",
                       title="Share of users, runs and training hours by GPU vendor, per year",
                       subtitle=SHARES_NOTE + "; Unidentified = no GPU found (CPU only, TPU / IPU, or not probed)")


def gpu_vendors_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No runs loaded yet."
    _, last = first_last(df)
    return (f"{label_of(last)}: NVIDIA {fmt_share(value(last, 'run_share', {'gpu_vendor': 'NVIDIA'}))} of runs "
            f"({fmt_share(value(last, 'hour_share', {'gpu_vendor': 'NVIDIA'}))} of training hours), "
            f"Apple {fmt_share(value(last, 'run_share', {'gpu_vendor': 'Apple'}))}, "
            f"unidentified {fmt_share(value(last, 'run_share', {'gpu_vendor': 'Unidentified'}))}.")


# -- families -----------------------------------------------------------------------------------

def gpu_families_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    top = _top(df, "gpu_family", TOP_FAMILIES, exclude=PLACEHOLDERS)
    return share_lines(df[df["gpu_family"].isin(top)], x="year_label", x_title="Year", category="gpu_family",
                       category_title="GPU family", category_order=top,
                       title="Share of users, runs and training hours by GPU family, per year",
                       subtitle=f"The {TOP_FAMILIES} largest families of the latest year by training hours; "
                                "shares of all users with runs, runs and hours")


def gpu_families_caption(df: pd.DataFrame) -> str:
    """The drawn families (one legend entry each) that rose and fell most in share of runs."""
    if df.empty:
        return "No runs loaded yet."
    top = _top(df, "gpu_family", TOP_FAMILIES, exclude=PLACEHOLDERS)
    first, last = first_last(df)
    if first["year"].iloc[0] == last["year"].iloc[0]:
        return f"{label_of(last)}: the largest family by training hours is {top[0]}." if top else "No GPU family yet."
    change = {f: value(last, "run_share", {"gpu_family": f}) - value(first, "run_share", {"gpu_family": f}) for f in top}
    rise, fall = max(change, key=change.get), min(change, key=change.get)
    parts = [f"{f} share of runs: {_share_change(df, 'gpu_family', [f], 'run_share')}" for f in dict.fromkeys([rise, fall])]
    if "A100" in top:
        parts.append(f"A100 share of training hours: {_share_change(df, 'gpu_family', ['A100'], 'hour_share')}")
    return "; ".join(parts) + "."


# -- models -------------------------------------------------------------------------------------

def _model_label(df: pd.DataFrame) -> pd.Series:
    """A laptop variant is a row of its own in the mart: say so, so no user is summed twice."""
    laptop = (df["gpu_segment"] == "laptop") & (df["gpu_family"] != "GeForce MX")
    return df["gpu_model"].where(~laptop, df["gpu_model"] + " (laptop)")


def gpu_models_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    data = df.assign(model=_model_label(df))
    top = _top(data, "model", TOP_MODELS, exclude=PLACEHOLDERS)
    long = melt(data[data["model"].isin(top)], ["year_label", "model"], SHARES)
    years = sorted(data["year_label"].unique().tolist())
    base = alt.Chart(long).encode(
        x=alt.X("year_label:O", title="Year", sort=years, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("model:N", title=None, sort=top),
    )
    heat = base.mark_rect().encode(
        color=alt.Color("value:Q", title="Share", scale=alt.Scale(scheme="blues"), legend=alt.Legend(format="%")),
        tooltip=[tip("year_label", "Year"), tip("model", "GPU model"), tip("measure", "Measure"),
                 tip("value:Q", "Share", ".1%")],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("value:Q", format=".0%"),
        color=alt.condition("datum.value > 0.15", alt.value("white"), alt.value("#333")),
    )
    return panels(alt.layer(heat, text, data=long), "Share of users, runs and training hours by GPU model, per year",
                  f"The {TOP_MODELS} largest models of the latest year by training hours; shares of all users "
                  "with runs, runs and hours", SHARES, cell=160, height=18 * len(top) + 20,
                  labels=LABEL_LIMIT + 20)


def gpu_models_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No runs loaded yet."
    data = df.assign(model=_model_label(df))
    top = _top(data, "model", TOP_MODELS, exclude=PLACEHOLDERS)
    if not top:
        return "No identified GPU model yet."
    text = f"{top[0]} has the largest share of training hours: {_share_change(data, 'model', [top[0]], 'hour_share')}"
    if "A100" in top and top[0] != "A100":
        text += f"; A100: {_share_change(data, 'model', ['A100'], 'hour_share')}"
    return text + "."


# -- GPUs per run ---------------------------------------------------------------------------------

def gpu_count_buckets_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    data = df.assign(gpus=df["gpu_count_bucket"].map(lambda b: "no GPU" if b == "none" else f"{b} GPU" + ("" if b == "1" else "s")))
    order = [("no GPU" if b == "none" else f"{b} GPU" + ("" if b == "1" else "s")) for b in BUCKETS]
    return share_lines(data, x="year_label", x_title="Year", category="gpus", category_title="GPUs per run",
                       category_order=order,
                       title="Share of users, runs and training hours by GPUs per run, per year",
                       subtitle=SHARES_NOTE)


def gpu_count_buckets_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No runs loaded yet."
    _, last = first_last(df)
    return (f"{label_of(last)}: {fmt_share(value(last, 'user_share', {'gpu_count_bucket': '1'}))} of users ran on a "
            f"single GPU; share of training hours on 9+ GPUs: {_share_change(df, 'gpu_count_bucket', ['9+'], 'hour_share')}.")


# -- future work: accelerators, clouds, media ------------------------------------------------------

def accelerators_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    return share_lines(df, x="year_label", x_title="Year", category="accelerator", category_title="Accelerator",
                       category_order=["GPU", "CPU only", "TPU", "IPU"],
                       title="Share of users, runs and training hours by accelerator, per year",
                       subtitle=SHARES_NOTE + "; CPU only includes runs whose hardware was not probed")


def accelerators_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No runs loaded yet."
    _, last = first_last(df)
    parts = ", ".join(f"{a} {fmt_share(value(last, 'run_share', {'accelerator': a}))}" for a in ["GPU", "CPU only", "TPU", "IPU"])
    return f"{label_of(last)} share of runs: {parts}."


LOCATIONS = ["AWS", "Google Cloud", "Azure", "Colab", "Kaggle", "On-premises / other", "Unknown (no host)"]


def compute_locations_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    return share_lines(df, x="year_label", x_title="Year", category="compute_location", category_title="Where",
                       category_order=LOCATIONS,
                       title="Share of users, runs and training hours by cloud or on-premises, per year",
                       subtitle="From host names and telemetry flags (a heuristic: a cloud VM with a custom host name "
                                "counts as on-premises / other, so cloud shares are lower bounds)")


def compute_locations_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No runs loaded yet."
    _, last = first_last(df)
    parts = ", ".join(f"{loc} {fmt_share(value(last, 'hour_share', {'compute_location': loc}))}" for loc in LOCATIONS[:6])
    return f"{label_of(last)} share of training hours: {parts}."


def media_types_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    top = _top(df, "media_type", TOP_MEDIA, by="run_share")
    return share_lines(df[df["media_type"].isin(top)], x="year_label", x_title="Year", category="media_type",
                       category_title="Media type", category_order=top,
                       title="Share of users, runs and training hours by media type logged, per year",
                       subtitle="A run logging several types counts under each; none = scalars only")


def media_types_caption(df: pd.DataFrame) -> str:
    if df.empty:
        return "No runs loaded yet."
    _, last = first_last(df)
    logged = last[last["media_type"] != "none"].nlargest(2, "run_share")
    parts = ", ".join(f"{fmt_share(r.run_share)} of runs logged {r.media_type}" for r in logged.itertuples())
    none = fmt_share(value(last, "run_share", {"media_type": "none"}))
    return f"{label_of(last)}: {parts + '; ' if parts else ''}{none} logged scalars only."


SHARES_POPULATION = "every active user with runs, every run and its hours (a user counts under each kind used)"


def _spec(name: str, title: str, mart: str, columns: str, build, caption, key_numbers=None,
          section=HARDWARE, finding=None) -> ChartSpec:
    return ChartSpec(name=name, section=section, title=title, marts=(mart,), query=by_year_query(mart, columns),
                     build=build, caption=caption, population=SHARES_POPULATION,
                     **({"key_numbers": key_numbers} if key_numbers else {}), **({"finding": finding} if finding else {}))


def _share_finding(text: str, column: str, where: list[str], share: str):
    def finding(df: pd.DataFrame) -> str | None:
        return None if df.empty else f"{text}: {year_on_year(df, lambda rows: value(rows, share, {column: where}))}."
    return finding


def _last_share(df: pd.DataFrame, column: str, where: str, share: str) -> float:
    return round(value(first_last(df)[1], share, {column: where}), 4) if not df.empty else 0.0


CHARTS = [
    _spec("gpu_vendors", "Share of users, runs and training hours by GPU vendor, per year", "gpu_vendors_by_year",
          "gpu_vendor", gpu_vendors_chart, gpu_vendors_caption,
          finding=_share_finding("NVIDIA share of runs", "gpu_vendor", ["NVIDIA"], "run_share"),
          key_numbers=lambda df: {"nvidia_run_share": _last_share(df, "gpu_vendor", "NVIDIA", "run_share"),
                      "apple_run_share": _last_share(df, "gpu_vendor", "Apple", "run_share")}),
    _spec("gpu_families", "Share of users, runs and training hours by GPU family, per year", "gpu_families_by_year",
          "gpu_vendor, gpu_family", gpu_families_chart, gpu_families_caption),
    _spec("gpu_models", "Share of users, runs and training hours by GPU model, per year", "gpu_models_by_year",
          "gpu_vendor, gpu_model, gpu_family, gpu_generation, gpu_segment", gpu_models_chart, gpu_models_caption,
          finding=_share_finding("A100 share of training hours", "gpu_model", ["A100"], "hour_share"),
          key_numbers=lambda df: {"a100_hour_share": _last_share(df, "gpu_model", "A100", "hour_share")}),
    _spec("gpu_count_buckets", "Share of users, runs and training hours by GPUs per run, per year",
          "gpu_count_buckets_by_year", "gpu_count_bucket, gpu_count_bucket_order", gpu_count_buckets_chart,
          gpu_count_buckets_caption,
          finding=_share_finding("Share of training hours on 9 or more GPUs", "gpu_count_bucket", ["9+"], "hour_share"),
          key_numbers=lambda df: {"single_gpu_user_share": _last_share(df, "gpu_count_bucket", "1", "user_share"),
                      "nine_plus_hour_share": _last_share(df, "gpu_count_bucket", "9+", "hour_share")}),
    _spec("accelerators", "Share of users, runs and training hours by accelerator, per year", "accelerators_by_year",
          "accelerator", accelerators_chart, accelerators_caption, section=FURTHER),
    _spec("compute_locations", "Share of users, runs and training hours by cloud or on-premises, per year",
          "compute_locations_by_year", "compute_location", compute_locations_chart, compute_locations_caption,
          section=FURTHER),
    _spec("media_types", "Share of users, runs and training hours by media type logged, per year", "media_types_by_year",
          "media_type", media_types_chart, media_types_caption, section=FURTHER),
]

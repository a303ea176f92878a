"""Which views of a chart a partition window draws, where their files go, and the warning a chart
carries when its shares rest on few users."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stateofml.quarters import Quarter

from .registry import ChartSpec
from .render import ChartFiles

# Below this many users a share moves by whole percentage points with one person: said beside the chart.
FEW_USERS = 50


def pages_of_window(quarters: list[Quarter]) -> list[Quarter]:
    """One page per year the window touches, as of the window's last quarter in that year."""
    latest: dict[int, Quarter] = {}
    for q in quarters:
        latest[q.year] = max(q, latest.get(q.year, q))
    return [latest[y] for y in sorted(latest)]


def chart_views(spec: ChartSpec, quarters: list[Quarter]) -> list[Quarter]:
    """The quarters whose view of ``spec`` a run over ``quarters`` draws, oldest first."""
    views = set(pages_of_window(quarters))
    if spec.period == "quarter":
        views.update(quarters)
    return sorted(views)


def chart_folder(outputs: Path, quarter: Quarter) -> Path:
    return outputs / quarter.compact / "charts"


def chart_files(outputs: Path, quarter: Quarter, name: str) -> ChartFiles:
    return ChartFiles(chart_folder(outputs, quarter), name)


def share_population(df: pd.DataFrame, latest_only: bool = False) -> dict[str, int]:
    """Users behind each period's shares: their denominator, active_users / user_share (the
    smallest, when a frame splits users in groups, e.g. professions); {} for a frame without user
    shares (counts, ratios). ``latest_only``: the chart draws the latest period alone."""
    period = "year_label" if "year_label" in df else "quarter_label" if "quarter_label" in df else None
    if period is None or not {"active_users", "user_share"} <= set(df.columns) or df.empty:
        return {}
    rows = df[(df["user_share"] > 0) & (df["active_users"] > 0)]
    if latest_only and not rows.empty:
        order = "year" if period == "year_label" else "quarter_start"
        rows = rows[rows[order] == rows[order].max()]
    base = (rows["active_users"] / rows["user_share"]).round()
    return {str(k): int(v) for k, v in base.groupby(rows[period]).min().items()}


def few_users_note(df: pd.DataFrame, latest_only: bool = False) -> str:
    """ "Few users behind 2020 (12 users), ...: ..." or "" when every period's shares rest on enough."""
    few = {k: n for k, n in share_population(df, latest_only).items() if n < FEW_USERS}
    if not few:
        return ""
    parts = ", ".join(f"{k} ({n:,} user{'s' if n != 1 else ''})" for k, n in few.items())
    return (f"Few users behind {parts}: below {FEW_USERS} users one person moves a share by more than 2 points; "
            "read those figures as anecdotes, not findings.")

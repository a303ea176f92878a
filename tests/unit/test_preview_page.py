"""The open quarter's preview charts (assets/report/preview.py): labelled "to date" in picture,
subtitle and caption; a chart one quarter cannot make says "not enough data", never crashes."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pandas as pd

from assets.charts.registry import all_charts
from assets.charts.render import ChartFiles
from assets.open_quarter import Preview, preview_label
from assets.report.page import PageChart
from assets.report.preview import draw_preview_chart, missing_period
from stateofml.quarters import Quarter

Q = Quarter(2026, 4)
AS_OF = datetime(2026, 12, 2, 20, tzinfo=UTC)


def preview(tmp_path) -> Preview:
    return Preview(Q, AS_OF, tmp_path / "stateofml.duckdb", preview_label(Q, AS_OF), tmp_path / "dbt.log")


def spec(name: str):
    return next(s for s in all_charts() if s.name == name)


ONE_QUARTER = pd.DataFrame([dict(quarter_start=date(2026, 10, 1), quarter_label="2026 Q4", active_users=2, countries=1,
                                 runs=3, anonymous_runs=1, training_hours=1.5)])


def test_a_comparison_with_a_period_not_loaded_is_not_enough_data():
    growth = pd.DataFrame({"library": ["hydra"], "active_users": [5], "previous_active_users": [None]})
    assert missing_period(growth).startswith("Not enough data: this chart compares the quarter with the one before")
    assert missing_period(growth.assign(previous_active_users=[0])) is None  # loaded, and none then: a real figure
    assert missing_period(growth.iloc[0:0]) is None  # no rows: the caption says "no data"
    assert missing_period(ONE_QUARTER) is None


def test_a_drawn_chart_carries_the_label_in_picture_subtitle_and_caption(tmp_path):
    p, files = preview(tmp_path), ChartFiles(tmp_path / "charts", "activity_by_quarter")
    meta = draw_preview_chart(spec("activity_by_quarter"), ONE_QUARTER, p, files, tmp_path)
    assert meta["drawn"] and p.label == "2026 Q4 to date (as of 2026-12-02, 63 of 92 days)"
    title = json.loads(files.spec.read_text())["title"]
    assert title["text"] == "Active users, runs and training hours per quarter"
    assert title["subtitle"][0] == p.label and len(title["subtitle"]) == 2  # the chart's own subtitle follows
    page_chart = PageChart.from_files(files)
    assert page_chart.drawn and page_chart.subtitle == f"{p.label}. {title['subtitle'][1]}"
    assert page_chart.caption == f"{p.label}: 2026 Q4: 2 active users, 3 runs, 2 training hours."
    assert p.label in files.html.read_text()


def test_a_builder_that_fails_on_one_quarter_is_said_not_raised(tmp_path):
    def needs_two_quarters(df):
        return df["runs"].iloc[-1] / df["runs"].iloc[-2]

    broken = dataclasses.replace(spec("activity_by_quarter"), name="broken", build=needs_two_quarters)
    files = ChartFiles(tmp_path / "charts", "broken")
    meta = draw_preview_chart(broken, ONE_QUARTER, preview(tmp_path), files, tmp_path)
    page_chart = PageChart.from_files(files)
    assert not meta["drawn"] and not page_chart.drawn and not files.png.exists()
    assert page_chart.caption.startswith("2026 Q4 to date (as of 2026-12-02, 63 of 92 days): Not enough data to draw "
                                         "this chart from a quarter to date (IndexError")
    assert page_chart.subtitle == preview(tmp_path).label and page_chart.key_numbers == {}

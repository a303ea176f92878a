"""The quarter in progress: previewed to date in its own warehouse, never mixed into closed quarters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb

from assets.open_quarter import preview_label, preview_open_quarter
from stateofml.cli import next_commands
from stateofml.platform.project import PROJECT_ROOT, dbt_executable
from stateofml.quarters import Quarter
from tests.landing_builder import write_records


def test_next_commands_after_an_import():
    current = Quarter(2026, 4)
    assert next_commands([Quarter(2026, 2), Quarter(2026, 3)], current) == ["next: stateofml materialize 2026Q2:2026Q3"]
    lines = next_commands([Quarter(2026, 3), current], current, " --data-dir /srv/d")
    assert lines[0] == "next: stateofml --data-dir /srv/d materialize 2026Q3"
    assert lines[1].startswith("next: 2026Q4 is still open (closes 2027-01-01): stateofml --data-dir /srv/d preview-open-quarter")
    assert next_commands([], current) == []


def test_preview_label():
    assert preview_label(Quarter(2026, 4), datetime(2026, 12, 2, 20, tzinfo=UTC)) == "2026 Q4 to date (as of 2026-12-02, 63 of 92 days)"


def test_open_quarter_preview_is_kept_apart(tmp_path):
    data = tmp_path / "data"
    landing = data / "landing"
    now = datetime.now(UTC).replace(microsecond=0)
    open_q = Quarter.containing(date.today())
    closed_q = open_q.previous()
    in_open = max(datetime.combine(open_q.start, datetime.min.time(), UTC), now - timedelta(hours=1))
    in_closed = datetime.combine(closed_q.start, datetime.min.time(), UTC) + timedelta(days=3)
    write_records(landing, "users", [
        dict(user_id=u, signup_at=in_closed, country_code="DE", profession="academic", updated_at=in_closed)
        for u in ("u1", "u2")
    ])
    write_records(landing, "runs", [
        dict(run_id="r-open-1", user_id="u1", created_at=in_open, runtime_seconds=3600.0, state="finished"),
        dict(run_id="r-open-2", user_id=None, created_at=in_open, runtime_seconds=None, state="running"),
        dict(run_id="r-closed", user_id="u2", created_at=in_closed, runtime_seconds=7200.0, state="finished"),
    ])

    preview = preview_open_quarter(data, landing, open_q, dbt=dbt_executable(),
                                   project_dir=PROJECT_ROOT / "dbt_project", select=["+headline_by_quarter"])
    assert preview.warehouse == data / "preview" / open_q.compact / "stateofml.duckdb"
    assert "to date" in preview.label
    with duckdb.connect(str(preview.warehouse), read_only=True) as conn:
        headline = conn.execute("select quarter_start, active_users, runs from marts.headline_by_quarter").fetchall()
        info = conn.execute("select quarter, label from main.preview_info").fetchall()
    # Only the open quarter, to date: the closed quarter's run is not in the preview.
    assert headline == [(open_q.start, 1, 2)]
    assert info == [(open_q.compact, preview.label)]
    # The pipeline's own warehouse, reports and analysts' copy are untouched.
    assert not (data / "warehouse").exists() and not (data / "reports").exists() and not (data / "analysts").exists()

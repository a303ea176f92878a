"""The quarter in progress: previewed to date in its own warehouse and page, never mixed into closed quarters."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

import assets.open_quarter
from assets.open_quarter import preview_label, preview_open_quarter
from assets.report.assets import QUARTER_CHARTS
from stateofml.cli import main, next_commands
from stateofml.platform.paths import DataDir
from stateofml.quarters import Quarter
from tests.integration.test_report_page import ARTIFACTS, references
from tests.landing_builder import write_records
from tests.report_browser import WIDTHS, check_page, launch


def test_next_commands_after_an_import():
    current = Quarter(2026, 4)
    assert next_commands([Quarter(2026, 2), Quarter(2026, 3)], current) == ["next: stateofml materialize 2026Q2:2026Q3"]
    lines = next_commands([Quarter(2026, 3), current], current, " --data-dir /srv/d")
    assert lines[0] == "next: stateofml --data-dir /srv/d materialize 2026Q3"
    assert lines[1].startswith("next: 2026Q4 is still open (closes 2027-01-01): stateofml --data-dir /srv/d preview-open-quarter")
    assert next_commands([], current) == []


def test_preview_label():
    assert preview_label(Quarter(2026, 4), datetime(2026, 12, 2, 20, tzinfo=UTC)) == "2026 Q4 to date (as of 2026-12-02, 63 of 92 days)"


def closed_quarter_outputs(data: DataDir, quarter: Quarter) -> None:
    """What materializing a closed quarter leaves (pipeline warehouse, report pages, analysts' copy),
    at the paths ``DataDir`` names: a preview must leave every byte of it as it was."""
    data.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(data.warehouse)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.headline_by_quarter as select ? as quarter_start, 1 as active_users",
                     [quarter.start])
    for rel in (f"report/state_of_ml_{quarter.year}.html", f"report/state_of_ml_{quarter.compact}.html",
                "report/index.html", f"{quarter.compact}/charts/activity_by_quarter.json"):
        (data.reports / rel).parent.mkdir(parents=True, exist_ok=True)
        (data.reports / rel).write_text(f"{rel} of the closed quarter\n")
    data.analysts.mkdir(parents=True)
    (data.analysts / "stateofml.duckdb").write_bytes(data.warehouse.read_bytes())


def fingerprint(root: Path, skip: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` outside ``skip``."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and skip not in p.parents}


@pytest.fixture(scope="module")
def previewed(tmp_path_factory):
    """A closed quarter already materialized, runs of the open quarter, then `stateofml
    preview-open-quarter` (dbt limited to the quarterly charts' marts, to be quick)."""
    data = DataDir(tmp_path_factory.mktemp("open_quarter") / "data")
    now = datetime.now(UTC).replace(microsecond=0)
    open_q = Quarter.containing(date.today())
    closed_q = open_q.previous()
    in_open = max(datetime.combine(open_q.start, datetime.min.time(), UTC), now - timedelta(hours=1))
    in_closed = datetime.combine(closed_q.start, datetime.min.time(), UTC) + timedelta(days=3)
    write_records(data.landing, "users", [
        dict(user_id=u, signup_at=in_closed, country_code="DE", profession="academic", updated_at=in_closed)
        for u in ("u1", "u2")
    ])
    # Telemetry (torch=1, transformers=11): the libraries' growth mart has rows, with no quarter before.
    write_records(data.landing, "runs", [
        dict(run_id="r-open-1", user_id="u1", created_at=in_open, runtime_seconds=3600.0, state="finished",
             telemetry_imports=[1, 11]),
        dict(run_id="r-open-2", user_id=None, created_at=in_open, runtime_seconds=None, state="running"),
        dict(run_id="r-closed", user_id="u2", created_at=in_closed, runtime_seconds=7200.0, state="finished",
             telemetry_imports=[1]),
    ])
    closed_quarter_outputs(data, closed_q)
    folder = data.root / "preview" / open_q.compact
    before = fingerprint(data.root, folder)

    marts = sorted({f"+{m}" for spec in QUARTER_CHARTS for m in spec.marts})
    built = []

    def quick(*args, **kwargs):
        built.append(preview_open_quarter(*args, **kwargs, select=marts))
        return built[-1]

    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setattr(assets.open_quarter, "preview_open_quarter", quick)
        rc = main(["--data-dir", str(data.root), "preview-open-quarter"])
    assert rc == 0, out.getvalue()
    return dict(data=data, open_q=open_q, preview=built[0], before=before, out=out.getvalue(), folder=folder)


def test_open_quarter_preview_is_kept_apart(previewed):
    data, open_q, preview = previewed["data"], previewed["open_q"], previewed["preview"]
    assert preview.warehouse == data.root / "preview" / open_q.compact / "stateofml.duckdb"
    assert "to date" in preview.label
    with duckdb.connect(str(preview.warehouse), read_only=True) as conn:
        headline = conn.execute("select quarter_start, active_users, runs from marts.headline_by_quarter").fetchall()
        info = conn.execute("select quarter, label from main.preview_info").fetchall()
    # Only the open quarter, to date: the closed quarter's run is not in the preview.
    assert headline == [(open_q.start, 1, 2)]
    assert info == [(open_q.compact, preview.label)]
    # The pipeline's own warehouse, reports and analysts' copy: byte for byte as they were, nothing added.
    assert fingerprint(data.root, previewed["folder"]) == previewed["before"]


def figures(page: str) -> dict[str, str]:
    return dict(re.findall(r'<figure class="chart" id="[^"]+" data-chart="([^"]+)">(.*?)</figure>', page, re.S))


def test_the_preview_page_is_labelled_to_date_and_links_nowhere(previewed):
    folder, label, open_q = previewed["folder"], previewed["preview"].label, previewed["open_q"]
    page_path = folder / "report" / f"state_of_ml_{open_q.compact}_to_date.html"
    # The CLI ends with the page's path; the chart it cannot draw from one quarter is named, with why.
    assert previewed["out"].splitlines()[-1] == f"page (to date, not linked from the report): {page_path}"
    assert "not drawn: fastest_growing_libraries: " in previewed["out"]
    page = page_path.read_text(encoding="utf-8")
    assert re.search(r"<title>(.*?)</title>", page).group(1) == f"The State of ML, {label}"
    assert re.search(r"<h1>(.*?)</h1>", page).group(1) == f"The State of ML, {label}"
    assert f'<p class="notice" role="note">Preview of an unfinished quarter: {label}.' in page
    assert f'aria-label="{label} at a glance"' in page and f"Figures of {label}," in page
    # The quarterly analyses only, each with the label in its subtitle and its caption.
    shown = figures(page)
    assert list(shown) == [spec.name for spec in QUARTER_CHARTS]
    for name, figure in shown.items():
        assert f'<p class="subtitle">{label}' in figure, name
        assert f"<figcaption>{label}: " in figure, name
    # Growth on the quarter before: not enough data, said, no picture (not a misleading "no growth").
    growth = shown["fastest_growing_libraries"]
    assert "Not enough data: this chart compares the quarter with the one before" in growth
    assert 'class="chart-box"' not in growth
    drawn = [n for n in shown if n != "fastest_growing_libraries"]
    assert all('class="chart-box"' in shown[n] for n in drawn)
    # The picture and the standalone chart say "to date" too (the spec's subtitle, first line).
    for name in drawn:
        spec = json.loads((folder / "charts" / f"{name}.vl.json").read_text(encoding="utf-8"))
        assert spec["title"]["subtitle"][0] == label, name
    # Self-contained, and no link to the report's pages or index: only anchors and data: URIs.
    markup = re.sub(r"(<script\b[^>]*>).*?(</script>)", r"\1\2", page, flags=re.S)  # tags, not contents
    refs = references(markup)
    assert refs and all(r.startswith(("#", "data:")) for r in refs), refs
    assert "<link" not in markup.lower() and "All years and quarters" not in page


@pytest.mark.browser
def test_the_preview_page_fits_draws_and_stays_offline(previewed):
    from playwright.sync_api import sync_playwright

    page_path = previewed["folder"] / "report" / f"state_of_ml_{previewed['open_q'].compact}_to_date.html"
    url = page_path.as_uri()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            for width in WIDTHS:
                check = check_page(browser, url, width, screenshots=ARTIFACTS)
                where = f"{page_path.name} at {width} px"
                assert check.charts == len(QUARTER_CHARTS) - 1, where  # growth: not enough data in a preview
                assert check.problems == [], where  # fits, draws, links resolve, no error, stays offline
                assert all(r.startswith("file://") for r in check.requests), (where, check.requests)
        finally:
            browser.close()

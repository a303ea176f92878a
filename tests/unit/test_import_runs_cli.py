"""`stateofml import-runs --crashed-after HOURS`: parsed and checked, and it reaches the importer;
after the import, the next command (for a run of the quarter in progress: the preview)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from assets.sources.wandb_runs.importer import CRASHED_AFTER
from stateofml.cli import build_parser, main
from stateofml.quarters import Quarter


def test_crashed_after_is_hours_more_than_zero(capsys):
    parse = build_parser().parse_args
    assert parse(["import-runs", "x", "--crashed-after", "1.5"]).crashed_after == 1.5
    assert parse(["import-runs", "x"]).crashed_after is None  # the importer's default applies
    for bad, why in (("0", "hours must be more than 0"), ("-2", "hours must be more than 0"),
                     ("inf", "hours must be more than 0"), ("nan", "hours must be more than 0"),
                     ("1h", "not a number of hours")):
        with pytest.raises(SystemExit) as exc:
            parse(["import-runs", "x", "--crashed-after", bad])
        assert exc.value.code == 2
        assert f"argument --crashed-after: {why}" in capsys.readouterr().err, bad
    # The help names the importer's default, which lives in one place.
    assert CRASHED_AFTER == timedelta(hours=24)
    with pytest.raises(SystemExit):
        parse(["import-runs", "--help"])
    assert "default 24: CRASHED_AFTER in" in " ".join(capsys.readouterr().out.split())


def silent_run(tree: Path, started: datetime, last_heard: datetime) -> None:
    """A run folder as a 2022 client leaves it mid-run: metadata with its heartbeat, no summary, no exit."""
    files = tree / "wandb" / f"run-{started:%Y%m%d_%H%M%S}-silent2h" / "files"
    files.mkdir(parents=True)
    naive = lambda t: t.astimezone(UTC).replace(tzinfo=None).isoformat()  # noqa: E731 - as the client writes them
    (files / "wandb-metadata.json").write_text(json.dumps({
        "os": "Linux-5.4.0-x86_64-with-glibc2.27", "python": "3.8.10", "program": "train.py", "host": "lab-box",
        "username": "alice", "startedAt": naive(started), "heartbeatAt": naive(last_heard)}))


def imported_run(landing: Path) -> dict:
    [row] = [r for f in sorted((landing / "runs").rglob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    return row


@pytest.mark.parametrize("option, state, runtime", [(["--crashed-after", "1"], "crashed", 3600.0), ([], "running", None)])
def test_crashed_after_reaches_the_importer(tmp_path, capsys, option, state, runtime):
    now = datetime.now(UTC).replace(microsecond=0)
    started = now - timedelta(hours=3)
    silent_run(tmp_path / "tree", started, last_heard=now - timedelta(hours=2))  # silent for 2 h
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "import-runs", str(tmp_path / "tree"), *option]) == 0
    row = imported_run(data / "landing")
    assert (row["state"], row["runtime_seconds"]) == (state, runtime)
    # The next command: the run's quarter is still open (a preview), or closed (materialize it).
    out, quarter = capsys.readouterr().out, Quarter.containing(started)
    if quarter == Quarter.containing(date.today()):
        assert f"next: {quarter.compact} is still open (closes {quarter.end.isoformat()}): stateofml --data-dir {data} " \
               "preview-open-quarter" in out
    else:
        assert f"next: stateofml --data-dir {data} materialize {quarter.compact}" in out

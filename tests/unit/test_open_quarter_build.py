"""The open quarter's preview build (assets/open_quarter.py): a dbt that never ends is stopped with a
clear error and the previous preview kept whole; a preview folder that cannot be written is one clear
line from the CLI, before anything is built."""

from __future__ import annotations

import pytest

from assets.open_quarter import preview_open_quarter
from stateofml.cli import main
from stateofml.platform.paths import DataDir
from stateofml.quarters import Quarter

Q = Quarter(2026, 4)


def test_a_dbt_build_that_outlasts_the_timeout_is_stopped_and_the_previous_preview_kept(tmp_path):
    data = DataDir(tmp_path / "data")
    previous = data.previews / Q.compact / "stateofml.duckdb"
    previous.parent.mkdir(parents=True)
    previous.write_bytes(b"the previous preview")
    hung = tmp_path / "dbt"
    hung.write_text("#!/bin/sh\necho building\nexec sleep 60\n")
    hung.chmod(0o755)
    with pytest.raises(RuntimeError, match=r"did not finish within 1s .*DBT_PREVIEW_TIMEOUT_S.* stopped") as exc:
        preview_open_quarter(data, Q, dbt=str(hung), project_dir=tmp_path, timeout_s=1)
    assert previous.read_bytes() == b"the previous preview"
    kept = data.previews / f"{Q.compact}.failed-dbt.log"
    assert str(kept) in str(exc.value) and kept.read_text() == "building\n"
    # Nothing else left beside the previews (the build's own folder is removed).
    assert sorted(p.name for p in data.previews.iterdir()) == sorted([Q.compact, kept.name])


def test_an_unwritable_preview_folder_is_one_clear_line(tmp_path, capsys):
    data = DataDir(tmp_path / "data")
    data.root.mkdir()
    data.previews.write_text("a file where the preview folder goes")
    assert main(["--data-dir", str(data.root), "preview-open-quarter"]) == 2
    assert f"the preview folder {data.previews} is not a directory" in capsys.readouterr().err

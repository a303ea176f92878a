"""Landing-zone change detection: file -> group -> quarter, signatures, and the sensor cursor."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest

from stateofml.quarters import Quarter
from stateofml.watch import (
    REFERENCE_GROUP,
    Watch,
    affected,
    affected_by_files,
    combined_signature,
    landing_group,
    scan_landing,
    tree_signature,
)


def touch(path, text="x", mtime_ns=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


@pytest.mark.parametrize(
    ("parts", "group"),
    [
        (("runs", "date=2021-08-31", "part.parquet"), "runs/2021Q3"),
        (("runs", "date=2021-10-01", "part.jsonl.gz"), "runs/2021Q4"),
        (("code_blobs", "date=2020-01-01", "a.jsonl"), "code_blobs/2020Q1"),
        (("users", "date=2022-03-01", "u.parquet"), REFERENCE_GROUP),
        (("runs", "date=2021-08-31", ".part.parquet.tmp"), None),  # a write in flight
        (("runs", "date=2021-08-31", "notes.txt"), None),
        (("runs", "date=2021-13-01", "part.parquet"), None),
        (("runs", "2021-08-31", "part.parquet"), None),
        (("_imports", "date=2021-08-31", "wandb_runs.parquet"), None),
        (("runs", "part.parquet"), None),
    ],
)
def test_landing_group(parts, group):
    assert landing_group(parts) == group


def test_affected_quarters_sorted_and_reference():
    got = affected(["sweeps/2022Q1", "runs/2021Q3", "runs/2022Q1", REFERENCE_GROUP])
    assert got.quarters == (Quarter(2021, 3), Quarter(2022, 1)) and got.reference
    assert not affected([]) and affected([REFERENCE_GROUP]).quarters == ()


def test_affected_by_files_ignores_files_outside_the_landing_zone(tmp_path):
    landing = tmp_path / "landing"
    files = [
        landing / "runs" / "date=2022-02-14" / "wandb-1.parquet",
        landing / "code_blobs" / "date=2021-12-31" / "wandb-1.parquet",
        tmp_path / "elsewhere" / "runs" / "date=2020-01-01" / "x.parquet",
    ]
    got = affected_by_files(files, landing)
    assert got.quarters == (Quarter(2021, 4), Quarter(2022, 1)) and not got.reference


def test_scan_landing_changes_only_the_touched_group(tmp_path):
    landing = tmp_path / "landing"
    touch(landing / "runs" / "date=2021-07-01" / "a.parquet", mtime_ns=1_000)
    touch(landing / "runs" / "date=2021-10-05" / "a.parquet", mtime_ns=1_000)
    touch(landing / "users" / "date=2021-01-01" / "u.parquet", mtime_ns=1_000)
    touch(landing / "runs" / "date=2021-07-02" / ".b.parquet.tmp")  # ignored
    before = scan_landing(landing)
    assert set(before) == {"runs/2021Q3", "runs/2021Q4", REFERENCE_GROUP}
    assert scan_landing(landing) == before  # deterministic

    touch(landing / "runs" / "date=2021-09-30" / "late.parquet", mtime_ns=2_000)
    after = scan_landing(landing)
    assert after["runs/2021Q3"] != before["runs/2021Q3"]
    assert {k: v for k, v in after.items() if k != "runs/2021Q3"} == {k: v for k, v in before.items() if k != "runs/2021Q3"}

    # A rewrite in place with the same size is seen through its modification time.
    touch(landing / "runs" / "date=2021-10-05" / "a.parquet", mtime_ns=3_000)
    assert scan_landing(landing)["runs/2021Q4"] != after["runs/2021Q4"]
    assert scan_landing(tmp_path / "missing") == {}


def test_tree_signature(tmp_path):
    root = tmp_path / "dropbox"
    assert tree_signature(root) is None
    root.mkdir()
    assert tree_signature(root)[1] == 0
    log = touch(root / "wandb" / "run-20220214_090000-abc" / "run-abc.wandb", "a", mtime_ns=5)
    first = tree_signature(root)
    assert first[1] == 1
    (root / "wandb" / "latest-run").symlink_to(log.parent)  # listed, never followed
    linked = tree_signature(root)
    assert linked[1] == 2 and linked[0] != first[0]
    touch(log, "ab", mtime_ns=5)  # the log grew
    assert tree_signature(root)[0] != linked[0]


def test_combined_signature_depends_on_every_member():
    a = combined_signature({"runs/2021Q3": "1", "users": "2"})
    assert a == combined_signature({"users": "2", "runs/2021Q3": "1"})
    assert a != combined_signature({"runs/2021Q3": "1", "users": "3"})
    assert a != combined_signature({"runs/2021Q3": "1"})


# -- the cursor ------------------------------------------------------------------------------------


def test_cursor_round_trip_and_unreadable_cursors():
    w = Watch({"a": "1"}, {"a": "0"}, {"a": 5.0})
    assert Watch.load(w.dump()) == w
    assert Watch.load(None) is None and Watch.load("") is None
    assert Watch.load("not json") is None and Watch.load('{"v": 99}') is None


def test_a_change_is_handed_on_once_it_settles():
    w = Watch.baseline({"runs/2021Q3": "s1"})
    assert w.step({"runs/2021Q3": "s1"}, now=0, max_wait=600) == ([], [])
    assert w.step({"runs/2021Q3": "s2"}, now=60, max_wait=600) == ([], [])  # still being written?
    assert w.step({"runs/2021Q3": "s3"}, now=120, max_wait=600) == ([], [])  # yes
    assert w.step({"runs/2021Q3": "s3"}, now=180, max_wait=600) == (["runs/2021Q3"], [])
    assert w.step({"runs/2021Q3": "s3"}, now=240, max_wait=600) == ([], [])  # the same state: nothing
    assert w.pending({"runs/2021Q3": "s3"}) == set()


def test_a_tree_that_never_settles_is_handed_on_after_max_wait():
    w = Watch()
    ready = [w.step({"dropbox": f"s{i}"}, now=60.0 * i, max_wait=600)[0] for i in range(12)]
    assert [i for i, r in enumerate(ready) if r] == [10]  # first seen at 0, handed on at 600 s


def test_removal_is_a_change_and_reverting_clears_it():
    w = Watch.baseline({"runs/2021Q3": "s1", "runs/2021Q4": "t1"})
    assert w.step({"runs/2021Q4": "t1"}, now=0, max_wait=600) == ([], [])
    assert w.step({"runs/2021Q4": "t1"}, now=60, max_wait=600) == (["runs/2021Q3"], [])
    assert "runs/2021Q3" not in w.handled

    w.step({"runs/2021Q4": "t2"}, now=120, max_wait=600)
    assert w.pending_since == {"runs/2021Q4": 120}
    assert w.step({"runs/2021Q4": "t1"}, now=180, max_wait=600) == ([], [])  # back as it was
    assert w.pending_since == {}


def test_changes_that_are_not_actionable_are_absorbed():
    w = Watch.baseline({})
    assert w.step({"runs/2026Q4": "x"}, now=0, max_wait=600, actionable=lambda key: key != "runs/2026Q4") == ([], ["runs/2026Q4"])
    assert w.step({"runs/2026Q4": "x"}, now=60, max_wait=600) == ([], [])  # absorbed: not requested later


def test_cursor_stays_small_at_full_size(tmp_path):
    """Three years of daily folders for every entity: the cursor holds one entry per group."""
    landing = tmp_path / "landing"
    day = date(2020, 1, 1)
    while day < date(2023, 1, 1):
        for entity in ("users", "runs", "sweeps", "artifacts", "code_blobs"):
            folder = landing / entity / f"date={day.isoformat()}"
            folder.mkdir(parents=True)
            (folder / "part-0.parquet").write_bytes(b"")
        day += timedelta(days=1)
    current = scan_landing(landing)
    assert len(current) == 4 * 12 + 1
    w = Watch.baseline(current)
    w.step({**current, "runs/2022Q4": "changed"}, now=0, max_wait=600)
    assert len(w.dump()) < 5_000

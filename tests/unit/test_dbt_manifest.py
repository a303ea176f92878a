"""The dbt manifest every data directory shares is replaced by a rename, never rewritten in place."""

import json

from stateofml.platform.project import parse_manifest


def test_the_manifest_is_replaced_whole_so_a_reader_never_sees_half_of_it(tmp_path):
    target = tmp_path / "target"
    first = parse_manifest(target)
    with open(first, "rb") as reader:  # a run that opened the manifest just before a re-parse
        parse_manifest(target)
        # Rewritten in place, this handle would see a truncated or different file; renamed over,
        # it still reads the whole file it opened.
        old = json.loads(reader.read())
    new = json.loads(first.read_bytes())
    assert old["metadata"]["invocation_id"] != new["metadata"]["invocation_id"]
    assert "model.stateofml.stg_tracking__runs" in new["nodes"]
    assert sorted(p.name for p in target.iterdir() if p.name.startswith(".")) == []  # no scratch left behind


def test_a_deleted_model_makes_the_manifest_stale(tmp_path):
    """The newest file's mtime does not change when a model is deleted; the set of files does."""
    import os

    from stateofml.platform.project import SOURCES_KEY_FILE, dbt_sources_key, manifest_is_stale

    root, target = tmp_path / "dbt_project", tmp_path / "target"
    (root / "models").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: x\n")
    old, new = root / "models" / "old.sql", root / "models" / "new.sql"
    old.write_text("select 1")
    new.write_text("select 2")
    os.utime(old, (1_000, 1_000))  # older than new.sql: deleting it leaves the newest mtime as it was
    target.mkdir()
    (target / "manifest.json").write_text("{}")
    assert manifest_is_stale(target, root)  # never parsed from these files
    (target / SOURCES_KEY_FILE).write_text(dbt_sources_key(root))
    assert not manifest_is_stale(target, root)
    old.unlink()
    assert manifest_is_stale(target, root)


def test_dbt_parse_that_cannot_start_or_hangs_is_a_manifest_error(tmp_path, monkeypatch):
    import pytest

    from stateofml.platform import project

    monkeypatch.setattr(project, "dbt_executable", lambda: str(tmp_path / "no-such-dbt"))
    with pytest.raises(project.ManifestError, match="cannot run dbt"):
        project.parse_manifest(tmp_path / "target")
    hung = tmp_path / "dbt"
    hung.write_text("#!/bin/sh\nexec sleep 60\n")
    hung.chmod(0o755)
    monkeypatch.setattr(project, "dbt_executable", lambda: str(hung))
    monkeypatch.setattr(project, "DBT_PARSE_TIMEOUT_S", 1)
    with pytest.raises(project.ManifestError, match="did not finish within 1s"):
        project.parse_manifest(tmp_path / "target")
    assert not (tmp_path / "target" / "manifest.json").exists()

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

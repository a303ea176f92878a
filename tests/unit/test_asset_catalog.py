"""What the Dagster UI shows about every asset, and what the dbt docs say about every mart:
checked here so that neither rots as assets and models are added."""

from __future__ import annotations

import json
import re

import dagster as dg
import pytest

from orchestration.definitions import defs
from stateofml.platform.project import dbt_project

GRAPH = defs.resolve_asset_graph()
KEYS = sorted(GRAPH.get_all_asset_keys(), key=lambda k: k.to_user_string())
MANIFEST = json.loads(dbt_project.manifest_path.read_text())
MART_NODES = [n for n in MANIFEST["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.to_user_string())
def test_every_asset_has_group_owner_kind_and_description(key):
    node = GRAPH.get(key)
    # Groups mirror the folders: the first part of the key names the layer (the import into the
    # landing zone and the raw tables are both "raw activity").
    assert node.group_name == {"raw": "raw_activity", "landing": "raw_activity"}.get(key.path[0], key.path[0])
    assert node.owners, "owners"
    assert node.kinds, "kinds"
    assert node.description and len(node.description.strip()) > 20, "description"


def test_layers_are_all_present():
    groups = {GRAPH.get(k).group_name for k in KEYS}
    assert {"raw_activity", "reference", "staging", "intermediate", "marts", "charts", "report", "analysts"} <= groups


def test_every_dbt_test_of_a_mart_or_seed_is_an_asset_check_and_of_a_view_is_not():
    """Checks where they carry meaning (what analysts and charts read); a staging or intermediate
    test runs in the build without costing Dagster events (assets/dbt/assets.py)."""
    checks = {(c.asset_key, c.name) for c in GRAPH.asset_check_keys}
    tests = [n for n in MANIFEST["nodes"].values() if n["resource_type"] == "test" and n.get("attached_node")]
    layers = set()
    for test in tests:
        parent = MANIFEST["nodes"][test["attached_node"]]
        layer = "reference" if parent["resource_type"] == "seed" else parent["fqn"][1]
        layers.add(layer)
        is_check = (dg.AssetKey([layer, parent["name"]]), test["name"]) in checks
        assert is_check == (layer in ("marts", "reference")), test["unique_id"]
    assert {"marts", "reference", "staging", "intermediate"} <= layers


def test_every_mart_and_every_column_is_described():
    assert MART_NODES
    for node in MART_NODES:
        assert node["description"].strip(), f"{node['name']}: no description"
        assert node["columns"], f"{node['name']}: no columns documented"
        for name, column in node["columns"].items():
            assert column["description"].strip(), f"{node['name']}.{name}: no description"


def test_marts_copy_depends_on_every_mart_and_lookup_table():
    marts_copy = GRAPH.get(dg.AssetKey(["analysts", "marts_copy"]))
    expected = {k for k in KEYS if GRAPH.get(k).group_name in ("marts", "reference")}
    assert expected and set(marts_copy.parent_keys) == expected


def test_quarterly_job_publishes_for_analysts_but_leaves_the_docs_alone():
    job_keys = set(defs.resolve_job_def("state_of_ml_quarterly").asset_layer.executable_asset_keys)
    assert dg.AssetKey(["analysts", "marts_copy"]) in job_keys
    assert dg.AssetKey(["analysts", "dbt_docs"]) not in job_keys


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.to_user_string())
def test_descriptions_keep_their_placeholders_out_of_markdown(key):
    # The UI renders descriptions as Markdown, which drops a bare <placeholder> as an HTML tag
    # ("Writes //report/state_of_ml_.html"); inside a code span it is shown as written.
    prose = re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", GRAPH.get(key).description or "", flags=re.S))
    assert not re.search(r"<[A-Za-z_][\w-]*>", prose), prose


SPECS = {s.key: s for s in defs.resolve_all_asset_specs()}


@pytest.mark.parametrize("key", [k for k in KEYS if GRAPH.get(k).is_materializable], ids=lambda k: k.to_user_string())
def test_every_asset_links_its_code_and_has_a_code_version(key):
    spec = SPECS[key]
    assert spec.code_version, "code version"
    refs = spec.metadata["dagster/code_references"].code_references
    assert refs and all(getattr(r, "file_path", None) or getattr(r, "url", None) for r in refs)


def test_every_asset_check_is_described_dbt_tests_included():
    assert len(GRAPH.asset_check_keys) > 100
    undescribed = [c for c in GRAPH.asset_check_keys if not (GRAPH.get(c).description or "").strip()]
    assert undescribed == []


def test_the_marts_analysts_read_carry_the_report_deadline():
    marts = [k for k in KEYS if k.path[0] == "marts"]
    assert marts and all(SPECS[k].freshness_policy is not None for k in marts)
    assert SPECS[dg.AssetKey(["report", "state_of_ml_page"])].freshness_policy == SPECS[marts[0]].freshness_policy

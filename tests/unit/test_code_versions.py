"""Code versions of the Python assets: a chart's covers the module that builds it, not only the one
asset module that draws every chart."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.charts import assets as chart_module
from orchestration.definitions import CHARTS_BY_KEY, code_files, code_version, defs


def test_a_charts_code_version_covers_its_builder_module():
    by_key = {a.key: a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and len(a.keys) == 1}
    country = by_key[dg.AssetKey(["charts", "active_users_by_country"])]
    files = code_files(country)
    builder = Path(CHARTS_BY_KEY[country.key].build.__code__.co_filename)
    assert builder.name == "demographics.py" and builder in files and Path(chart_module.__file__) in files
    graph = defs.resolve_asset_graph()
    version = lambda name: graph.get(dg.AssetKey(["charts", name])).code_version  # noqa: E731
    # Two sections, two builder modules: two versions (both were the digest of assets.py alone).
    assert version("active_users_by_country") == code_version(files)
    assert version("active_users_by_country") != version("gpu_vendors")


def test_the_version_changes_with_any_of_its_files(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("def build(df): ...\n")
    before = code_version([a, b])
    b.write_text("def build(df): return None\n")
    assert code_version([a, b]) != before

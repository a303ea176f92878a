"""dbt's run artifacts (compiled SQL, run results, manifest, dbt.log: ~23 MB a build) go under the
data directory, a bounded number of runs kept, never into the source tree."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from assets.dbt.assets import reference_seeds
from stateofml.platform.paths import DataDir
from stateofml.platform.project import PROJECT_ROOT
from stateofml.platform.resources import Warehouse, build_resources

SKIP = {".venv", ".git", "test-artifacts", "__pycache__", ".pytest_cache", "data"}


def source_tree() -> set[Path]:
    files = set()
    for folder, dirs, names in os.walk(PROJECT_ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP]
        files |= {Path(folder, n).relative_to(PROJECT_ROOT) for n in names}
    return files


def test_dbt_runs_leave_the_source_tree_alone_and_keep_a_bounded_history(data_dir, instance):
    data = DataDir.resolve(data_dir)
    resources = build_resources(data)
    resources["warehouse"] = Warehouse(database=str(data.warehouse), dbt_runs=str(data.dbt_runs), dbt_runs_kept=1)
    before = source_tree()
    for _ in range(2):
        result = dg.materialize([reference_seeds], resources=resources, instance=instance)
        assert result.success
    assert source_tree() - before == set()
    runs = [p for p in data.dbt_runs.iterdir() if p.is_dir()]
    assert len(runs) == 1  # the older run's folder was removed
    assert (runs[0] / "run_results.json").is_file() and (runs[0] / "dbt.log").is_file()
    # Each seed links its page of the dbt docs site (a file:// URL under the analysts' folder).
    countries = result.asset_materializations_for_node("reference_seeds")
    url = next(m for m in countries if m.asset_key == dg.AssetKey(["reference", "countries"])).metadata["dbt_docs"]
    assert url.value == f"{(data.analysts / 'dbt_docs' / 'index.html').as_uri()}#!/seed/seed.stateofml.countries"

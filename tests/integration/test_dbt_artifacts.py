"""dbt's run artifacts (compiled SQL, run results, manifest, dbt.log: ~23 MB a build) go under the
data directory, a bounded number of runs kept, never into the source tree."""

from __future__ import annotations

import os
from pathlib import Path

import shutil

import dagster as dg
import duckdb

from assets.dbt.assets import SEEDS_LOADED, reference_seeds, seeds_fingerprint
from stateofml.platform.partitions import dbt_vars_for_window
from stateofml.platform.paths import DataDir
from stateofml.platform.project import PROJECT_ROOT, dbt_project
from stateofml.quarters import Quarter
from stateofml.platform.resources import Warehouse, build_resources

RELOAD = {"ops": {"reference_seeds": {"config": {"reload": True}}}}
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
    for _ in range(2):  # reloaded although unchanged: the second run makes a dbt folder too
        result = dg.materialize([reference_seeds], resources=resources, instance=instance, run_config=RELOAD)
        assert result.success
    assert source_tree() - before == set()
    runs = [p for p in data.dbt_runs.iterdir() if p.is_dir()]
    assert len(runs) == 1  # the older run's folder was removed
    assert (runs[0] / "run_results.json").is_file() and (runs[0] / "dbt.log").is_file()
    # Each seed links its page of the dbt docs site (a file:// URL under the analysts' folder).
    countries = result.asset_materializations_for_node("reference_seeds")
    url = next(m for m in countries if m.asset_key == dg.AssetKey(["reference", "countries"])).metadata["dbt_docs"]
    assert url.value == f"{(data.analysts / 'dbt_docs' / 'index.html').as_uri()}#!/seed/seed.stateofml.countries"


def dbt_runs(data: DataDir) -> list[Path]:
    return sorted(p for p in data.dbt_runs.iterdir() if p.is_dir()) if data.dbt_runs.exists() else []


def test_lookup_tables_are_reloaded_only_when_their_files_changed(data_dir, instance):
    data = DataDir.resolve(data_dir)
    resources = build_resources(data)
    seeds = dg.AssetKey(["reference", "countries"])
    assert dg.materialize([reference_seeds], resources=resources, instance=instance).success
    loaded = instance.get_latest_materialization_event(seeds)
    assert len(dbt_runs(data)) == 1

    # Unchanged: no dbt call, no new materialization in this instance (the last one stands)...
    assert dg.materialize([reference_seeds], resources=resources, instance=instance).success
    assert len(dbt_runs(data)) == 1
    assert instance.get_latest_materialization_event(seeds).run_id == loaded.run_id
    # ... and one in an instance that never recorded the tables, saying they were not reloaded.
    with dg.DagsterInstance.ephemeral() as fresh:
        result = dg.materialize([reference_seeds], resources=resources, instance=fresh)
        recorded = fresh.get_latest_materialization_event(seeds).asset_materialization.metadata
        assert recorded["reloaded"].value is False and recorded["dagster/row_count"].value > 190
    assert len(dbt_runs(data)) == 1

    # Loaded from other files (the fingerprint differs): reloaded, and the new fingerprint recorded.
    with duckdb.connect(str(data.warehouse)) as conn:
        conn.execute(f"update {SEEDS_LOADED} set fingerprint = 'older files'")
    result = dg.materialize([reference_seeds], resources=resources, instance=instance)
    assert result.success and len(dbt_runs(data)) == 2
    assert instance.get_latest_materialization_event(seeds).run_id != loaded.run_id
    with duckdb.connect(str(data.warehouse)) as conn:
        assert conn.execute(f"select fingerprint from {SEEDS_LOADED}").fetchone()[0] == seeds_fingerprint(dbt_project.project_dir)
        conn.execute("drop table reference.countries")  # a table lost: reloaded as well
    assert dg.materialize([reference_seeds], resources=resources, instance=instance).success
    assert len(dbt_runs(data)) == 3
    with duckdb.connect(str(data.warehouse)) as conn:
        assert conn.execute("select count(*) from reference.countries").fetchone()[0] > 100


def test_seed_fingerprint_follows_the_seed_files(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(dbt_project.project_dir / "seeds", project / "seeds")
    shutil.copy(dbt_project.project_dir / "dbt_project.yml", project)
    before = seeds_fingerprint(project)
    assert seeds_fingerprint(project) == before
    with open(project / "seeds" / "countries.csv", "a") as f:
        f.write("ZZ,Nowhere,Nowhere,Nowhere\n")
    assert seeds_fingerprint(project) != before


def test_dbt_reuses_the_prepared_parse_across_windows_and_warehouses(tmp_path):
    """Every run used to re-parse the whole project (its --vars held the window and the warehouse);
    the prepared parse now serves runs of any window in any data directory."""
    dbt = build_resources(tmp_path)["dbt"]
    for name, quarter in (("a", Quarter(2022, 4)), ("b", Quarter(2021, 2))):
        warehouse = Warehouse(database=str(DataDir.resolve(tmp_path / name).warehouse))
        target = tmp_path / f"target-{name}"
        window = dbt_vars_for_window(quarter.start_datetime, quarter.end_datetime)
        invocation = dbt.cli(warehouse.dbt_args("compile", "--select", "int_gpu_names", target=target),
                             env=warehouse.dbt_env(window), cwd=warehouse.dbt_cwd,
                             manifest=dbt_project.manifest_path, target_path=target).wait()
        log = (target / "dbt.log").read_text()
        assert "Unable to do partial parsing" not in log
        assert "Partial parsing enabled, no changes found, skipping parsing" in log
        compiled = (target / "compiled" / "stateofml" / "models" / "intermediate" / "int_gpu_names.sql").read_text()
        assert f"created_at >= cast('{window['start_date']}' as date)" in compiled
        assert f"created_at < cast('{window['end_date']}' as date)" in compiled
        assert warehouse.path.is_file()  # dbt connected to this data directory's warehouse
        assert invocation.is_successful()

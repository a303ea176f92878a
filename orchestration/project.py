"""The dbt project, described once and cached (as Dagster's own platform does)."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

PROJECT_ROOT = Path(__file__).resolve().parent.parent

dbt_project = DbtProject(
    project_dir=PROJECT_ROOT / "dbt_project",
    profiles_dir=PROJECT_ROOT / "dbt_project",
    target="duckdb",
)
# Under `dagster dev` / `dg dev`, re-parse the project when it changed; elsewhere the manifest
# must already exist (`stateofml prepare`, run by the set-up and by CI).
dbt_project.prepare_if_dev()

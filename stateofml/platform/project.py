"""The dbt project, described once and cached (as Dagster's own platform does)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtCliResource, DbtProject

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def dbt_executable() -> str:
    """The dbt of this environment, also when it is not activated (`.venv/bin/python`, `dg dev`)."""
    for candidate in (Path(sys.prefix) / "bin" / "dbt", PROJECT_ROOT / ".venv" / "bin" / "dbt"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


class EnvironmentDbtPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's development preparer (re-parse under `dagster dev` / `dg dev`), calling this
    environment's dbt: the default looks `dbt` up on PATH, so `.venv/bin/dg dev` failed when the
    environment was not activated."""

    def prepare(self, project: DbtProject) -> None:
        DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path
        ).wait()


dbt_project = DbtProject(
    project_dir=PROJECT_ROOT / "dbt_project",
    profiles_dir=PROJECT_ROOT / "dbt_project",
    target="duckdb",
)
# Under `dagster dev` / `dg dev`, re-parse the project when it changed; elsewhere the manifest
# must already exist (`stateofml prepare`, run by the set-up and by CI).
EnvironmentDbtPreparer().prepare_if_dev(dbt_project)

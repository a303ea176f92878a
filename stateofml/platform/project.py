"""The dbt project, described once and cached (as Dagster's own platform does), and its manifest,
prepared here only (the CLI, `dg dev` / `dagster dev` and the tests all call ``prepare_manifest``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtProject

from .paths import PROJECT_ROOT


def dbt_executable() -> str:
    """The dbt of this environment, also when it is not activated (`.venv/bin/python`, `dg dev`)."""
    for candidate in (Path(sys.prefix) / "bin" / "dbt", PROJECT_ROOT / ".venv" / "bin" / "dbt"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


class ManifestError(RuntimeError):
    """dbt could not parse the project (its output is the message)."""


def _dbt_sources_mtime() -> float:
    root = PROJECT_ROOT / "dbt_project"
    files = [root / "dbt_project.yml", root / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += [p for p in (root / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


def prepare_manifest(force: bool = False) -> Path:
    """dbt's manifest must exist, and be newer than the dbt files, before the definitions import
    (@dbt_assets reads it); a stale one would name models that no longer exist."""
    manifest = PROJECT_ROOT / "dbt_project" / "target" / "manifest.json"
    if force or not manifest.exists() or manifest.stat().st_mtime < _dbt_sources_mtime():
        result = subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project"],
            cwd=PROJECT_ROOT, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise ManifestError(f"dbt parse failed:\n{result.stdout}{result.stderr}")
    return manifest


class EnvironmentDbtPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's development preparer (re-parse under `dagster dev` / `dg dev`), calling this
    environment's dbt through ``prepare_manifest``: the default looks `dbt` up on PATH, so
    `.venv/bin/dg dev` failed when the environment was not activated."""

    def prepare(self, project: DbtProject) -> None:
        prepare_manifest(force=True)


dbt_project = DbtProject(
    project_dir=PROJECT_ROOT / "dbt_project",
    profiles_dir=PROJECT_ROOT / "dbt_project",
    target="duckdb",
)
# Under `dagster dev` / `dg dev`, re-parse the project when it changed; elsewhere the manifest
# must already exist (`stateofml prepare`, run by the set-up and by CI).
EnvironmentDbtPreparer().prepare_if_dev(dbt_project)

"""The dbt project, described once and cached (as Dagster's own platform does), and its manifest,
prepared here only (the CLI, `dg dev` / `dagster dev` and the tests all call ``prepare_manifest``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtProject

from .paths import PROJECT_ROOT, WAREHOUSE_FILE


# The profile target of every dbt call of the pipeline (profiles.yml; Spark is docs/spark.md's).
DBT_TARGET = "duckdb"
# The warehouse file and DuckDB's spill folder as dbt_project/profiles.yml gets them, relative to
# dbt's working directory (the warehouse's folder: resources.py, Warehouse.dbt_env): the same
# profile for every data directory, so one saved parse serves them all.
DBT_PROFILE_ENV = {"STATEOFML_WAREHOUSE": WAREHOUSE_FILE, "STATEOFML_DUCKDB_TEMP_DIRECTORY": "tmp"}


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
        parse_manifest(manifest.parent)
    return manifest


def parse_manifest(target: Path) -> Path:
    """`dbt parse` into a private folder, then its manifest renamed into ``target``: every data
    directory and every run shares this manifest, and a run starting while it was rewritten in
    place died reading truncated JSON. A rename is atomic: readers see the old file or the new."""
    target.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
    try:
        if (partial := target / "partial_parse.msgpack").exists():  # keep parsing incremental
            shutil.copy2(partial, scratch / partial.name)
        project = PROJECT_ROOT / "dbt_project"
        # The runs copy this parse (dagster-dbt does) and reuse it only if their dbt parses to the
        # same state: no --vars, the same --target and profile (resources.py, Warehouse.dbt_env).
        result = subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(project), "--profiles-dir", str(project),
             "--target", DBT_TARGET, "--target-path", str(scratch)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, env={**os.environ, **DBT_PROFILE_ENV},
        )
        if result.returncode != 0:
            raise ManifestError(f"dbt parse failed:\n{result.stdout}{result.stderr}")
        for name in ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json"):  # the manifest last
            if (scratch / name).exists():
                os.replace(scratch / name, target / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target / "manifest.json"


class EnvironmentDbtPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's development preparer (re-parse under `dagster dev` / `dg dev`), calling this
    environment's dbt through ``prepare_manifest``: the default looks `dbt` up on PATH, so
    `.venv/bin/dg dev` failed when the environment was not activated."""

    def prepare(self, project: DbtProject) -> None:
        prepare_manifest(force=True)


dbt_project = DbtProject(
    project_dir=PROJECT_ROOT / "dbt_project",
    profiles_dir=PROJECT_ROOT / "dbt_project",
    target=DBT_TARGET,
)
# Under `dagster dev` / `dg dev`, re-parse the project when it changed; elsewhere the manifest
# must already exist (`stateofml prepare`, run by the set-up and by CI).
EnvironmentDbtPreparer().prepare_if_dev(dbt_project)

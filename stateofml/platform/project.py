"""The dbt project, described once and cached (as Dagster's own platform does), and its manifest,
prepared here only (the CLI, `dg dev` / `dagster dev` and the tests all call ``prepare_manifest``)."""

from __future__ import annotations

import hashlib
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


# `dbt parse` of this project takes seconds (a full parse ~20 s on a busy 2-core machine); one still
# going after 10 minutes is hung, and every command and definitions load waits on it.
DBT_PARSE_TIMEOUT_S = 600


class ManifestError(RuntimeError):
    """dbt could not parse the project (its output is the message)."""


# Beside the manifest: the key of the dbt files it was parsed from (dbt_sources_key).
SOURCES_KEY_FILE = "stateofml_sources.key"


def dbt_sources_key(root: Path | None = None) -> str:
    """A digest of which dbt files there are and when each last changed. The newest mtime alone
    missed a deleted model (nothing newer appears), leaving a manifest that named it."""
    root = root or PROJECT_ROOT / "dbt_project"
    files = [root / "dbt_project.yml", root / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += [p for p in (root / folder).rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for path in sorted(p for p in files if p.exists()):
        digest.update(f"{path.relative_to(root).as_posix()}\0{path.stat().st_mtime_ns}\0".encode())
    return digest.hexdigest()


def manifest_is_stale(target: Path, root: Path | None = None) -> bool:
    """No manifest, or one parsed from other dbt files than there are now (added, changed, deleted)."""
    key = target / SOURCES_KEY_FILE
    if not (target / "manifest.json").exists() or not key.exists():
        return True
    return key.read_text().strip() != dbt_sources_key(root)


def prepare_manifest(force: bool = False) -> Path:
    """dbt's manifest must exist, and be parsed from the dbt files as they are, before the
    definitions import (@dbt_assets reads it); a stale one would name models that no longer exist."""
    target = PROJECT_ROOT / "dbt_project" / "target"
    if force or manifest_is_stale(target):
        parse_manifest(target)
    return target / "manifest.json"


def parse_manifest(target: Path) -> Path:
    """`dbt parse` into a private folder, then its manifest renamed into ``target``: every data
    directory and every run shares this manifest, and a run starting while it was rewritten in
    place died reading truncated JSON. A rename is atomic: readers see the old file or the new."""
    target.mkdir(parents=True, exist_ok=True)
    key = dbt_sources_key()  # before the parse: a file changed during it makes the next call parse again
    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target))
    try:
        if (partial := target / "partial_parse.msgpack").exists():  # keep parsing incremental
            shutil.copy2(partial, scratch / partial.name)
        project = PROJECT_ROOT / "dbt_project"
        # The runs copy this parse (dagster-dbt does) and reuse it only if their dbt parses to the
        # same state: no --vars, the same --target and profile (resources.py, Warehouse.dbt_env).
        dbt = dbt_executable()
        try:
            result = subprocess.run(
                [dbt, "parse", "--quiet", "--project-dir", str(project), "--profiles-dir", str(project),
                 "--target", DBT_TARGET, "--target-path", str(scratch)],
                cwd=PROJECT_ROOT, capture_output=True, text=True, env={**os.environ, **DBT_PROFILE_ENV},
                timeout=DBT_PARSE_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise ManifestError(f"dbt parse did not finish within {DBT_PARSE_TIMEOUT_S}s and was stopped") from None
        except OSError as exc:  # no dbt where expected, not executable
            raise ManifestError(f"cannot run dbt ({dbt}): {exc}; run `bash scripts/setup.sh`") from None
        if result.returncode != 0:
            raise ManifestError(f"dbt parse failed:\n{result.stdout}{result.stderr}")
        for name in ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json"):  # the manifest last
            if (scratch / name).exists():
                os.replace(scratch / name, target / name)
        (scratch / SOURCES_KEY_FILE).write_text(key)
        os.replace(scratch / SOURCES_KEY_FILE, target / SOURCES_KEY_FILE)
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

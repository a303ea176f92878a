"""The one entry point: `dagster dev -w workspace.yaml`, `dg dev`, and the CLI load `defs`."""


import hashlib
import inspect
import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.analysts.assets import analyst_assets
from assets.charts.assets import chart_assets
from assets.charts.registry import ALL_CHARTS
from assets.code_imports.assets import parsed_code
from assets.dbt.assets import quarterly_models, reference_seeds
from assets.ingest.assets import raw_quarterly_assets, raw_users
from assets.report.assets import state_of_ml_page
from assets.sources.assets import landing_files, wandb_run_folders
from stateofml.platform.project import PROJECT_ROOT
from stateofml.platform.resources import build_resources

from .automation import automation_sensor
from .jobs import quarter_and_reference_job, quarterly_job, reference_job, wandb_import_job
from .schedules import quarter_close_schedule
from .sensors import landing_zone_sensor, wandb_run_folders_sensor

CHARTS_BY_KEY = {dg.AssetKey(["charts", spec.name]): spec for spec in ALL_CHARTS}


def code_files(asset: dg.AssetsDefinition) -> list[Path]:
    """The source files whose change changes what the asset makes: the module defining it and, for a
    chart, the modules of its builder, caption, key numbers and finding (one shared asset module
    draws every chart, each with its section module's code)."""
    fn = asset.op.compute_fn.decorated_fn if hasattr(asset.op.compute_fn, "decorated_fn") else None
    if fn is None:
        return []
    defining = Path(inspect.getfile(fn))
    others = set()
    for key in asset.keys:
        spec = CHARTS_BY_KEY.get(key)
        if spec is not None:
            others |= {Path(sys.modules[f.__module__].__file__)
                       for f in (spec.build, spec.caption, spec.key_numbers, spec.finding)}
    return [defining, *sorted(others - {defining})]


def code_version(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def with_code_version(asset: dg.AssetsDefinition | dg.AssetSpec):
    """Python assets: the code version is a digest of the modules that make them (``code_files``), so
    the UI marks them changed when their code changes (dbt assets carry dbt's own checksums;
    external specs run no code)."""
    if not isinstance(asset, dg.AssetsDefinition) or asset.is_external:
        return asset
    files = code_files(asset)
    if not files or files[0].parent.name == "dbt":  # @dbt_assets (defined in assets/dbt/): versioned by dbt
        return asset
    version = code_version(files)
    return asset.map_asset_specs(lambda spec: spec if spec.code_version else spec.replace_attributes(code_version=version))


def git_remote() -> str | None:
    """The repository's remote as a browsable URL (https), if there is one."""
    try:
        url = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if url.startswith("git@") and ":" in url:  # git@github.com:org/repo.git -> https://github.com/org/repo
        host, path = url[4:].split(":", 1)
        url = f"https://{host}/{path}"
    return url.removesuffix(".git") if url.startswith("https://") else None


def with_code_links(assets: list) -> list:
    """Code references on every asset: the source file and line; the repository's page when the
    checkout has a remote (branch: the one checked out)."""
    assets = dg.with_source_code_references(assets)
    remote = git_remote()
    if remote is None:
        return assets
    try:
        branch = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=PROJECT_ROOT,
                                capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # git gone since, or hung: no link, no failed load
        return assets
    if not branch:  # git failed (not a repository after all): no link rather than a guessed one
        return assets
    return dg.link_code_references_to_git(
        assets, git_url=remote, git_branch=branch,
        file_path_mapping=dg.AnchorBasedFilePathMapping(local_file_anchor=PROJECT_ROOT, file_anchor_path_in_repository=""),
    )


def build_definitions(resources: dict | None = None) -> dg.Definitions:
    """All definitions; tests and the CLI pass resources rooted in their own data folder."""
    assets = [wandb_run_folders, *landing_files, raw_users, *raw_quarterly_assets, parsed_code, reference_seeds,
              quarterly_models, *chart_assets, state_of_ml_page, *analyst_assets]
    return dg.Definitions(
        assets=with_code_links([with_code_version(a) for a in assets]),
        jobs=[reference_job, quarterly_job, quarter_and_reference_job, wandb_import_job],
        schedules=[quarter_close_schedule],
        sensors=[landing_zone_sensor, wandb_run_folders_sensor, automation_sensor],
        resources=resources or build_resources(),
        # Every step that matters holds the one DuckDB warehouse in turn (pool duckdb_warehouse), so
        # a process per step buys no parallelism and costs a definitions load per step (~5 s each).
        executor=dg.in_process_executor,
    )


defs = build_definitions()

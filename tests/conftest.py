"""Shared fixtures. dbt's manifest is prepared once per session, before definitions import."""

from __future__ import annotations

from pathlib import Path

import pytest

from stateofml.platform.project import prepare_manifest


def pytest_configure(config):
    # @dbt_assets reads the manifest when orchestration.definitions is imported: parse first,
    # always, so tests never run against a stale manifest.
    prepare_manifest(force=True)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def instance():
    import dagster as dg

    with dg.DagsterInstance.ephemeral() as inst:
        yield inst

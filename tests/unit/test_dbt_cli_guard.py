"""EnvironmentDbtCli (stateofml/platform/resources.py) overrides private methods of dagster-dbt's
DbtCliResource. An upgrade of dagster-dbt that renames, removes or reshapes them would silently turn
the overrides into dead code (the start-up costs come back) or break dbt steps: fail here, loudly,
naming what changed."""

from __future__ import annotations

import inspect
from functools import cached_property

import dagster_dbt.core.resource as dbt_resource
from dagster_dbt import DbtCliResource

from stateofml.platform.resources import EnvironmentDbtCli

# name -> (kind, parameter names) as dagster-dbt defines them and EnvironmentDbtCli overrides them.
OVERRIDDEN = {
    "_cli_version": (cached_property, ["self"]),
    "_initialize_dbt_core_adapter": ("function", ["self", "args"]),
}


def test_the_private_methods_overridden_still_exist_with_the_same_shape():
    for name, (kind, params) in OVERRIDDEN.items():
        base = inspect.getattr_static(DbtCliResource, name, None)
        assert base is not None, f"dagster-dbt's DbtCliResource has no {name} any more: review EnvironmentDbtCli"
        ours = inspect.getattr_static(EnvironmentDbtCli, name)
        if kind is cached_property:
            assert isinstance(base, cached_property), f"DbtCliResource.{name} is no longer a cached_property"
            base_fn, ours_fn = base.func, ours.func
        else:
            assert inspect.isfunction(base), f"DbtCliResource.{name} is no longer a plain method"
            base_fn, ours_fn = base, ours
        assert list(inspect.signature(base_fn).parameters) == params, (
            f"DbtCliResource.{name} now takes {inspect.signature(base_fn)}: review EnvironmentDbtCli.{name}")
        assert list(inspect.signature(ours_fn).parameters) == params
        # Still called by dagster-dbt (besides its definition): otherwise the override is dead code.
        source = inspect.getsource(dbt_resource)
        assert source.count(f"{name}") >= 2, f"dagster-dbt no longer uses {name}: the override does nothing"


def test_cli_is_extended_not_reshaped():
    """EnvironmentDbtCli.cli adds env= and cwd= and passes every other argument on; it relaunches
    through the fields dbt_executable and global_config_flags."""
    base = inspect.signature(DbtCliResource.cli).parameters
    assert list(base)[:2] == ["self", "args"]
    assert "env" not in base and "cwd" not in base, "dagster-dbt's cli() now has env/cwd of its own"
    assert {"dbt_executable", "global_config_flags"} <= set(DbtCliResource.model_fields)

"""Hatch build hook: the project installs only in editable mode, into its own virtualenv.

The top-level packages `assets` and `orchestration` (and `simulator`) carry generic names the
repository layout asks for. In an editable install they are found through a path entry pointing
at this checkout, inside the project's own `.venv` (scripts/setup.sh: `uv sync --frozen`); a
regular wheel would copy them into site-packages, where they could shadow or be shadowed by
another distribution's `assets` or `orchestration`. So a regular wheel is refused here, and the
`Private :: Do Not Upload` classifier in pyproject.toml makes PyPI refuse an upload.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class EditableOnly(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version != "editable":
            raise RuntimeError(
                "stateofml is an application installed only in editable mode into its own virtualenv "
                "(bash scripts/setup.sh, or `uv sync --frozen`): a regular wheel would install the generic "
                "top-level packages `assets` and `orchestration` into site-packages")

"""The asset selections the jobs run and the automation conditions tell apart (by asset key and group)."""

from __future__ import annotations

import dagster as dg

WANDB_IMPORT = dg.AssetSelection.assets(["landing", "wandb_run_folders"])
REFERENCE = dg.AssetSelection.groups("reference") | dg.AssetSelection.assets(["raw", "users"])
# The docs site changes with the models, not the data: not rebuilt every quarter.
DOCS = dg.AssetSelection.assets(["analysts", "dbt_docs"])
QUARTERLY = dg.AssetSelection.all() - REFERENCE - WANDB_IMPORT - DOCS

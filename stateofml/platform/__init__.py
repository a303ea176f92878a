"""The platform pieces that assets and the wiring share: where the data lives (paths), resources,
partitions, the dbt project handle and its manifest, the selections and automation conditions.
Imports nothing from assets/ or orchestration/ (tests/unit/test_import_direction.py)."""

import warnings

# dagster.BetaWarning itself, from its light home: `import dagster` here would cost every
# importer of the platform (the CLI's --help) seconds.
from dagster_shared.utils.warnings import BetaWarning

# Single-run backfills (BackfillPolicy) are what DuckDB's single writer needs; the API is
# marked beta. Silence that one warning for every module of the project, before they load.
warnings.filterwarnings("ignore", category=BetaWarning)

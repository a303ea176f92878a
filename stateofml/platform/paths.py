"""Where the data lives: one folder, resolved once, every sub-path named here.

Explicit configuration first (the CLI's --data-dir, a test's folder), then $STATEOFML_DATA_DIR,
then ./data beside the project; read when a command or run asks, never at import time. dbt's
profile falls back the same way (dbt_project/profiles.yml) when dbt is called by hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The repository (dbt_project/, orchestration/, data/ by default). Defined here, not beside the dbt
# project handle: the CLI needs it (and DataDir) without importing dagster-dbt.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The one name of the warehouse file everywhere (tests too): dbt-duckdb records the database
# by the file's stem in its manifest, and dagster-dbt looks it up by that name.
WAREHOUSE_FILE = "stateofml.duckdb"


@dataclass(frozen=True)
class DataDir:
    root: Path

    @classmethod
    def resolve(cls, configured: str | os.PathLike[str] | None = None) -> DataDir:
        return cls(Path(configured or os.environ.get("STATEOFML_DATA_DIR") or PROJECT_ROOT / "data").resolve())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        """The DuckDB file (its folder also holds the lock file and DuckDB's spill folder)."""
        return self.root / "warehouse" / WAREHOUSE_FILE

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def analysts(self) -> Path:
        return self.root / "analysts"

    @property
    def logs(self) -> Path:
        """One log per CLI run (``<job>-<run>.log``): what its steps print, dbt's output among it, and
        each failure's full trace (the terminal shows a few lines)."""
        return self.root / "logs"

    @property
    def dbt_runs(self) -> Path:
        """dbt's artifacts of each run (manifest, run results, compiled SQL, dbt.log), the latest kept."""
        return self.root / "dbt" / "runs"

    @property
    def dropbox(self) -> Path:
        """The drop folder for real run folders (the wandb client's ``wandb/`` trees)."""
        return self.root / "dropbox" / "wandb"

    @property
    def previews(self) -> Path:
        """The open quarter's previews, one warehouse per quarter (``<previews>/<yyyyQn>/``), apart
        from the closed quarters' warehouse (assets/open_quarter.py)."""
        return self.root / "preview"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance of `stateofml` commands, unless $DAGSTER_HOME says otherwise."""
        return self.root / "dagster_home"

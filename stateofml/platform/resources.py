"""Resources: where the landing zone, the warehouse and the report outputs live.

Paths are resolved when a run uses them, never at import time: explicit config first, else the
data directory (``DataDir``: STATEOFML_DATA_DIR, then ./data beside the project). The warehouse is a DuckDB file, which
allows one writer process at a time; every user of it (Python assets, dbt, charts) goes
through ``Warehouse``, which serializes them with a file lock and always closes its connection.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliInvocation, DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging.version import Version
from pydantic import Field

from .paths import WAREHOUSE_FILE, DataDir
from .project import DBT_PROFILE_ENV, dbt_executable, dbt_project

# The Dagster concurrency pool of every asset that writes (or reads) the warehouse: DuckDB
# allows one read-write process, so these steps run one at a time across all runs.
WAREHOUSE_POOL = "duckdb_warehouse"


class LandingZone(dg.ConfigurableResource):
    """The raw activity files (contract: docs/raw_activity.md)."""

    path: str = Field(default="", description="Landing-zone folder; default <data dir>/landing.")

    @property
    def root(self) -> Path:
        return Path(self.path).resolve() if self.path else DataDir.resolve().landing


class ReportOutputs(dg.ConfigurableResource):
    """Where charts (HTML, PNG, Vega-Lite JSON) and report pages are written."""

    path: str = Field(default="", description="Output folder; default <data dir>/reports.")

    @property
    def root(self) -> Path:
        return Path(self.path).resolve() if self.path else DataDir.resolve().reports


class AnalystsFolder(dg.ConfigurableResource):
    """What analysts read while the pipeline runs: a copy of the marts (a DuckDB file of its own,
    never locked by the pipeline), the marts as Parquet, and the dbt docs site."""

    path: str = Field(default="", description="Analysts' folder; default <data dir>/analysts.")

    @property
    def root(self) -> Path:
        return Path(self.path).resolve() if self.path else DataDir.resolve().analysts


class RunDropbox(dg.ConfigurableResource):
    """The drop folder for real run folders (the wandb client's ``wandb/`` trees), watched by the
    ``wandb_run_folders_sensor`` and imported into the landing zone."""

    path: str = Field(
        default="",
        description="Folder to watch; default $STATEOFML_WANDB_DROPBOX, else <data dir>/dropbox/wandb.",
    )
    users_file: str = Field(
        default="",
        description="Users file (CSV/JSON/JSONL: user_id, username, email, country_code, ...); "
        "default users.csv, users.json or users.jsonl in the drop folder, if present.",
    )

    @property
    def root(self) -> Path:
        configured = self.path or os.environ.get("STATEOFML_WANDB_DROPBOX")
        return Path(configured).resolve() if configured else DataDir.resolve().dropbox

    @property
    def users(self) -> Path | None:
        if self.users_file:
            return Path(self.users_file).resolve()
        return next((p for n in USERS_FILE_NAMES if (p := self.root / n).is_file()), None)


USERS_FILE_NAMES = ("users.csv", "users.json", "users.jsonl")


# About 23 MB per dbt run (compiled SQL, run results, the manifest, dbt.log): enough to read the
# last few runs' logs, bounded on disk.
DBT_RUNS_KEPT = 10


class LockTimeout(RuntimeError):
    """The warehouse stayed locked by another process for longer than allowed."""


@contextmanager
def file_lock(
    path: Path, timeout_seconds: float, *, waiting: Callable[[str], None] | None = None, note: str = ""
) -> Iterator[None]:
    """An exclusive lock on ``path`` across processes; the kernel drops it when its process dies (even
    by kill -9), so a dead holder never blocks. The wait is a poll with backoff (a held lock is a
    transient fault worth waiting for), interruptible by signals, given up after ``timeout_seconds``
    (``LockTimeout``). ``note`` is written into the file while held (who holds it); ``waiting`` is told
    the note of the holder once, when the wait begins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline, delay = time.monotonic() + timeout_seconds, 0.05
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waiting is not None:
                    handle.seek(0)
                    waiting(handle.read().strip())
                    waiting = None
                if time.monotonic() > deadline:
                    raise LockTimeout(f"{path} stayed locked for {timeout_seconds:.0f}s") from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        try:
            if note:
                handle.truncate(0)
                handle.write(note)
                handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Warehouse(DuckDBResource):
    """The DuckDB warehouse, one writer at a time, connections closed even on error."""

    database: str = Field(default="", description=f"Path of the DuckDB file; default <data dir>/warehouse/{WAREHOUSE_FILE}.")
    # DuckDB spills to temp_directory beyond memory_limit instead of dying, but some operators need
    # large single allocations: at 3 GB, a full-size year backfilled in one run failed (the uniqueness
    # test of 123 M run ids could not allocate 1 GiB). 8 GB leaves 16 GB of the smallest machine
    # (24 GB) to Python and dbt. One quarter fits in 3 GB (`stateofml materialize --memory-limit 3GB`:
    # 3.7 GB peak RSS at full size, bench/results.md).
    memory_limit: str = Field(default="8GB", description="DuckDB memory_limit.")
    threads: int = Field(default=2, description="DuckDB threads (one per core of the small machine).")
    lock_timeout_seconds: float = Field(
        default=1800.0, description="How long to wait for another writer (a whole quarter at full size) before failing."
    )
    dbt_runs: str = Field(default="", description="dbt's per-run artifacts; default <data dir>/dbt/runs.")
    dbt_runs_kept: int = Field(default=DBT_RUNS_KEPT, description="How many runs' dbt artifacts are kept.")

    @property
    def path(self) -> Path:
        p = Path(self.database).resolve() if self.database else DataDir.resolve().warehouse
        if p.name != WAREHOUSE_FILE:
            raise ValueError(f"the warehouse file must be named {WAREHOUSE_FILE} (dbt-duckdb keys it by stem), got {p}")
        return p

    @property
    def temp_directory(self) -> Path:
        return self.path.parent / DBT_PROFILE_ENV["STATEOFML_DUCKDB_TEMP_DIRECTORY"]

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of the warehouse file across processes (Python steps, dbt, the CLI)."""
        with file_lock(self.path.with_name(self.path.name + ".lock"), self.lock_timeout_seconds):
            yield

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.locked(), self._connect() as conn:
            yield conn

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, for a caller that already holds the lock."""
        self.temp_directory.mkdir(parents=True, exist_ok=True)
        conn = self._open()
        try:
            # After connecting: the ICU extension (built in) loads on first use, not in config.
            conn.execute("set TimeZone = 'UTC'")
            yield conn
        finally:
            conn.close()  # also when the body raised: a leaked connection locks the file

    def _open(self) -> duckdb.DuckDBPyConnection:
        """Connect, retrying with backoff while a process outside our lock (say, an analyst's
        client opened on the warehouse itself) holds DuckDB's own file lock: that is transient.
        Anything else (a corrupt file, bad config) fails at once."""
        deadline, delay = time.monotonic() + self.lock_timeout_seconds, 0.1
        while True:
            try:
                return duckdb.connect(str(self.path), config=self._config())
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _config(self) -> dict[str, str | int | bool]:
        return {
            "memory_limit": self.memory_limit,
            "threads": self.threads,
            "temp_directory": str(self.temp_directory),
            # Insertion order is never relied on; dropping it lets big loads stream.
            "preserve_insertion_order": False,
            **self.connection_config,
        }

    def dbt_args(self, *command: str, target: Path | None = None) -> list[str]:
        """A dbt command; run it with ``dbt_env``'s environment. ``target`` (from ``dbt_target``) also
        receives dbt's log, which otherwise lands in the source tree."""
        return [*command, *(["--log-path", str(target)] if target is not None else [])]

    def dbt_env(self, window: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a dbt process pointed at this warehouse and, given one, at the report
        ``window`` (``dbt_vars_for_window``; read by macros/report_window.sql). Run dbt in
        ``dbt_cwd``: the profile names the warehouse file and its spill folder relative to it.

        Why not --vars and absolute paths: dbt reuses its saved parse (the one `stateofml prepare`
        makes, which dagster-dbt copies into every run's target) only when the --vars, the
        profile's values and the env vars read while parsing are the same as then; the window
        and the warehouse differ from run to run, and each difference re-parsed the whole
        project. These values are the same for every run (the memory limit unless overridden),
        and the window is read only when executing. Passed to the one dbt process, never set in
        os.environ (runs share the process)."""
        env = {**DBT_PROFILE_ENV, "STATEOFML_DUCKDB_MEMORY_LIMIT": self.memory_limit}
        if window:
            env |= {"STATEOFML_START_DATE": window["start_date"], "STATEOFML_END_DATE": window["end_date"]}
        return env

    @property
    def dbt_cwd(self) -> Path:
        """The working directory of dbt processes (see ``dbt_env``): the warehouse's folder."""
        self.temp_directory.mkdir(parents=True, exist_ok=True)
        return self.path.parent

    def dbt_target(self, label: str) -> Path:
        """A new folder for one dbt invocation's artifacts (pass it to ``dbt.cli(target_path=...)`` and
        ``dbt_args(target=...)``), under the data directory, never the source tree; the oldest beyond
        ``dbt_runs_kept`` are removed."""
        root = Path(self.dbt_runs).resolve() if self.dbt_runs else DataDir.resolve().dbt_runs
        root.mkdir(parents=True, exist_ok=True)
        folder = root / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{label}"
        folder.mkdir()
        runs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
        for old in runs[: max(len(runs) - max(self.dbt_runs_kept, 1), 0)]:
            shutil.rmtree(old, ignore_errors=True)
        return folder

    @contextmanager
    def dbt_environment(self) -> Iterator[Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]]:
        """Hold the warehouse for a dbt call (made with ``dbt_args``).

        Yields a connection factory for use after the dbt process has exited, under the same
        lock: the file lock is per open file, so get_connection() here would wait for itself.
        """
        with self.locked():
            self.temp_directory.mkdir(parents=True, exist_ok=True)
            yield self._connect


class EnvironmentDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs of every dbt step (each seconds, a
    minute on a busy machine) that buy this project nothing:

    * the dbt version comes from this environment's dbt-core (``dbt_executable`` is that dbt), not
      from running ``dbt --version``;
    * no dbt adapter is built in the Dagster process (dagster-dbt parses every macro of the project
      for it): it serves only dagster-dbt's row-count and column fetches, which
      ``stream_with_table_metadata`` (assets/dbt/assets.py) replaces with two queries;

    * ``cli(..., env=..., cwd=...)``: extra environment variables and the working directory of the
      dbt process alone (``Warehouse.dbt_env`` / ``dbt_cwd``); dagster-dbt passes dbt a copy of
      os.environ and its project folder, with no argument for more, and changing os.environ or
      the working directory would leak into concurrent work.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None

    def cli(self, args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
            **kwargs) -> DbtCliInvocation:
        if not env and cwd is None:
            return super().cli(args, **kwargs)
        # `env -C DIR NAME=value ... dbt ...`: POSIX env(1) (GNU's -C) sets them for its child alone.
        prefix = [*(["-C", str(cwd)] if cwd is not None else []), *(f"{k}={v}" for k, v in (env or {}).items())]
        launcher = self.model_copy(update={
            "dbt_executable": ENV_COMMAND, "global_config_flags": [*prefix, self.dbt_executable, *self.global_config_flags],
        })
        return launcher.cli(args, **kwargs)


ENV_COMMAND = shutil.which("env") or "/usr/bin/env"


def dbt_cli() -> DbtCliResource:
    return EnvironmentDbtCli(project_dir=dbt_project, dbt_executable=dbt_executable())


def build_resources(
    data: DataDir | Path | None = None, memory_limit: str | None = None
) -> dict[str, dg.ConfigurableResource]:
    """All resources; ``data`` fixes every path under one folder (tests, the CLI's --data-dir),
    ``memory_limit`` overrides DuckDB's (the CLI's --memory-limit)."""
    limit = {"memory_limit": memory_limit} if memory_limit else {}
    if data is None:
        return {
            "landing": LandingZone(),
            "warehouse": Warehouse(**limit),
            "outputs": ReportOutputs(),
            "analysts": AnalystsFolder(),
            "dropbox": RunDropbox(),
            "dbt": dbt_cli(),
        }
    data = data if isinstance(data, DataDir) else DataDir.resolve(data)
    return {
        "landing": LandingZone(path=str(data.landing)),
        "warehouse": Warehouse(database=str(data.warehouse), dbt_runs=str(data.dbt_runs), **limit),
        "outputs": ReportOutputs(path=str(data.reports)),
        "analysts": AnalystsFolder(path=str(data.analysts)),
        "dropbox": RunDropbox(path=str(data.dropbox)),
        "dbt": dbt_cli(),
    }

"""`stateofml`: the command line for the long jobs (simulate, import, materialize, report, UI)."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
import webbrowser
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

# Only light imports at the top: `--help` and usage errors must answer at once. Dagster, dbt and
# DuckDB (seconds to import) are imported by the commands that use them.
from assets.report.paths import index_path, page_path
from stateofml.platform.paths import PROJECT_ROOT, DataDir
from stateofml.quarters import FIRST_QUARTER_START, Quarter, parse_quarter_range

# The first quarter of the report (the partitions start there).
FIRST_QUARTER = Quarter.containing(FIRST_QUARTER_START)

EPILOG = """\
Paths: --data-dir (default $STATEOFML_DATA_DIR or ./data) holds landing/, warehouse/, reports/,
analysts/, dagster_home/ and dropbox/wandb/ (the folder the UI's sensor watches for real run folders).

examples:
  stateofml simulate --start 2020Q1 --end 2022Q4 --scale 0.001   # a small simulated landing zone
  stateofml materialize 2020Q1:2022Q4                             # every quarter, as one run
  stateofml import-runs ~/project/wandb --users-file users.csv    # real run folders -> landing zone
  stateofml report --year 2022 --open                             # the year's report page
  stateofml ui                                                    # the Dagster UI on http://127.0.0.1:3000
Run `stateofml COMMAND --help` for a command's options."""


def _wrap(text: str) -> str:
    """Descriptions wrapped by hand: the raw formatter (kept for the examples) does not wrap."""
    return textwrap.fill(text, 92)


class CliError(Exception):
    """A user error: printed as one clear line, exit code 2."""


class GaveUp(Exception):
    """A wait beyond --wait-timeout: printed as one line, exit code 1."""


class Stopped(BaseException):
    """SIGINT (Ctrl-C) or SIGTERM: stop the command. A BaseException, as KeyboardInterrupt is."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


class RunAbandoned(Exception):
    """A run given up while its thread was still inside Dagster (Ctrl-C, SIGTERM, or a wait beyond
    --wait-timeout): it has been marked failed and its pool slots freed, its child processes stopped.
    A thread cannot be stopped, so the process ends at once, as a kill would end it (the warehouse
    keeps its last committed state)."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def _data_dir(args, *, writable: bool = False) -> DataDir:
    """The data directory, resolved once per command; every path below comes from it. A command
    that writes there checks first that it can (one clear line instead of a traceback later)."""
    data = DataDir.resolve(args.data_dir)
    if writable:
        _writable_dir(data.root, "--data-dir")
    return data


def _writable_dir(path: Path, option: str) -> Path:
    if path.exists() and not path.is_dir():
        raise CliError(f"{option} {path} is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise CliError(f"{option} {path} is not a writable directory ({exc.strerror or exc})") from None
    return path


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _quarters(text: str) -> list[Quarter]:
    try:
        return parse_quarter_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def current_quarter() -> Quarter:
    """The quarter in progress, by today's date in UTC: the partitions, the landing zone's date=
    folders and the warehouse are UTC, so a local date would disagree with them around midnight."""
    return Quarter.containing(datetime.now(timezone.utc).date())


def _memory_limit(text: str) -> str:
    """A DuckDB size (validated here: it reaches DuckDB's configuration, and a typo should be a
    usage error, not a failed run)."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip(), flags=re.IGNORECASE):
        raise argparse.ArgumentTypeError(f"a size such as 3GB or 512MB, got {text!r}")
    return text.strip()


def ensure_manifest(force: bool = False) -> Path:
    from stateofml.platform.project import ManifestError, prepare_manifest

    try:
        return prepare_manifest(force=force)
    except ManifestError as exc:
        raise CliError(str(exc)) from None


def dagster_home(data: DataDir) -> Path:
    """$DAGSTER_HOME if set, else <data>/dagster_home with the project's instance settings."""
    home = _writable_dir(Path(os.environ.get("DAGSTER_HOME") or data.dagster_home).resolve(), "DAGSTER_HOME")
    if not (home / "dagster.yaml").exists():
        shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


# -- commands -------------------------------------------------------------------------------

def cmd_prepare(args) -> int:
    print(f"dbt manifest: {ensure_manifest(force=True)}")
    return 0


def cmd_simulate(args) -> int:
    from simulator import simulate

    if args.end < args.start:
        raise CliError(f"--end {args.end} is before --start {args.start}")
    if not (0 < args.scale <= 10):
        raise CliError(f"--scale must be in (0, 10], got {args.scale}")
    landing = _writable_dir(Path(args.landing).resolve(), "--landing") if args.landing else _data_dir(args, writable=True).landing
    t0 = time.monotonic()
    summary = simulate(landing, args.start.start, args.end.end, scale=args.scale, seed=args.seed,
                       progress=not args.quiet)
    print(f"simulated {args.start}..{args.end} at scale {args.scale} (seed {args.seed}) "
          f"in {time.monotonic() - t0:.1f}s into {landing}")
    print(summary)
    return 0


def cmd_materialize(args) -> int:
    quarters: list[Quarter] = args.quarters
    last_closed = current_quarter().previous()
    if quarters[0] < FIRST_QUARTER or quarters[-1] > last_closed:
        raise CliError(f"quarters must be within {FIRST_QUARTER}..{last_closed} (closed quarters), got {quarters[0]}..{quarters[-1]}")
    # Only once the arguments are valid: a usage error leaves no data folder behind.
    data = _data_dir(args, writable=True)
    ensure_manifest()
    home = dagster_home(data)
    from dagster import DagsterInstance

    from assets.analysts.publish import COPY_FILE
    from orchestration.definitions import build_definitions
    from stateofml.platform.automation import BUILDS_QUARTERS_TAG
    from stateofml.platform.selections import QUARTERLY, REFERENCE
    from stateofml.platform.resources import build_resources

    defs = build_definitions(build_resources(data, memory_limit=args.memory_limit))
    progress = not args.quiet
    wait = args.wait_timeout
    with _stop_on_signals(), DagsterInstance.get() as instance, _one_materialize_at_a_time(home, wait):
        t0 = time.monotonic()
        print(f"[1/2] reference data (profiles, lookup tables) -> {data.warehouse.parent}", flush=True)
        logs = data.logs
        # Tagged like the quarters' run that follows it: the automation leaves that quarter to it.
        ok = run_job(defs, "reference_data", REFERENCE, instance, quarters=1, progress=progress, log_dir=logs,
                     wait_timeout=wait, tags={BUILDS_QUARTERS_TAG: "true"})
        materialized: list = []
        if ok:
            print(f"[2/2] quarters {quarters[0]}..{quarters[-1]} as one run (ingestion, dbt, charts, report page)", flush=True)
            ok = run_job(
                defs, "state_of_ml_quarterly", QUARTERLY, instance, quarters=len(quarters), progress=progress,
                log_dir=logs, wait_timeout=wait, materializations=materialized, tags={
                    "dagster/asset_partition_range_start": quarters[0].partition_key,
                    "dagster/asset_partition_range_end": quarters[-1].partition_key,
                },
            )
        print(f"done in {time.monotonic() - t0:.1f}s: {'success' if ok else 'FAILED'}")
    print(f"warehouse: {data.warehouse}")
    print(f"analysts:  {data.analysts / COPY_FILE} (query it while the pipeline runs)")
    print(f"charts:    {data.reports / quarters[-1].compact / 'charts'}")
    print(f"report:    {page_path(data.reports, quarters[-1].year)}")
    print(f"index:     {index_path(data.reports)} (every year and quarter)")
    if not ok:
        print(f"run logs:  `stateofml ui` (DAGSTER_HOME={home}), Runs tab")
    stale = quarters_left_stale(materialized, quarters)
    if stale:
        print(f"stale: {', '.join(q.compact for q in stale)} lost records to a newer version loaded here (their "
              "event time moved quarter); its marts, charts and page count them twice until it is rebuilt")
        for line in next_commands(stale, current_quarter(), data_dir_option(args)):
            print(line)
    return 0 if ok else 1


def quarters_left_stale(materializations: list, built: list[Quarter]) -> list[Quarter]:
    """The quarters outside ``built`` whose raw tables lost keys to a newer version loaded by this
    run (the raw assets' metadata ``superseded_in_other_quarters``): their dbt models, charts and
    pages still count those keys until they are rebuilt."""
    from assets.ingest.assets import SUPERSEDED_METADATA

    stale = set()
    for m in materializations:
        moved = m.metadata.get(SUPERSEDED_METADATA) if m is not None else None
        stale.update(Quarter.parse(label) for label in (moved.value if moved is not None else {}))
    return sorted(stale - set(built))


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Stopped`` in the main thread, which only waits and reads the event
    log (the run executes in a thread of its own, where Dagster's deferral of interrupts to step
    boundaries would otherwise hold them back for as long as a step waits for the pool)."""
    def stop(signum, frame):
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _utc_now() -> str:
    return f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


@contextlib.contextmanager
def _one_materialize_at_a_time(home: Path, timeout: float) -> Iterator[None]:
    """One `materialize` per Dagster instance at a time: a second waits here, asleep and
    interruptible, instead of inside Dagster's wait for the pool. A file lock: the kernel drops it
    when its holder dies, even by kill -9."""
    from stateofml.platform.resources import LockTimeout, file_lock

    def waiting(holder: str) -> None:
        print(f"waiting for another `stateofml materialize` ({holder or 'starting'}) to finish, since {_utc_now()}; "
              f"giving up after {timeout:.0f}s (--wait-timeout)", flush=True)

    held = False
    try:
        with file_lock(home / "materialize.lock", timeout, waiting=waiting,
                       note=f"pid {os.getpid()} on host {socket.gethostname()}, started {_utc_now()}"):
            held = True
            yield
    except LockTimeout:
        if held:
            raise
        raise GaveUp(f"another `stateofml materialize` held {home / 'materialize.lock'} for longer than "
                     f"--wait-timeout {timeout:.0f}s") from None


class _PoolWait:
    """Waiting for the warehouse pool, said and bounded. Runs whose process is gone are released
    (marked failed, their slots freed: ``release_dead_runs``); the live holder is named, with since when
    we wait; past ``timeout`` seconds, ``GaveUp``."""

    def __init__(self, instance, say: Callable[[str], None], timeout: float, pool: str):
        self.instance, self.say, self.timeout, self.pool = instance, say, timeout, pool
        self.since: float | None = None
        self.started = ""
        self.shown: list | None = None
        self.swept = False

    def blocked(self, run_id: str | None = None) -> bool:
        """Whether a step of ``run_id`` (None: a run about to start) has to wait for the pool."""
        from stateofml.platform.runs import pool_holders, pool_is_free, release_dead_runs, waiting_in_pool

        def waits() -> bool:
            if run_id is None:
                return not pool_is_free(self.instance, self.pool)
            return waiting_in_pool(self.instance, self.pool, run_id)

        # Once before the run starts, whatever the pool says: a run killed between two steps holds
        # no slot, so waiting would never find it, and it would say STARTED for ever.
        if not self.swept and run_id is None:
            self.swept = True
            for line in release_dead_runs(self.instance, self.pool):
                self.say(f"  {line}")
        if not waits():
            self.since = self.shown = None
            return False
        for line in release_dead_runs(self.instance, self.pool):
            self.say(f"  {line}")
        if not waits():
            self.since = self.shown = None
            return False
        if self.since is None:
            self.since = time.monotonic()
            self.started = _utc_now()
        holders = pool_holders(self.instance, self.pool, other_than=run_id)
        if holders != self.shown:
            held = "; ".join(h.describe() for h in holders) or "a run about to release it"
            self.say(f"  waiting for the pool {self.pool} (the warehouse's one writer) since {self.started}: held by "
                     f"{held}; giving up after {self.timeout:.0f}s (--wait-timeout)")
            self.shown = holders
        if time.monotonic() - self.since > self.timeout:
            raise GaveUp(f"the pool {self.pool} stayed held for longer than --wait-timeout {self.timeout:.0f}s "
                         f"(by {'; '.join(h.describe() for h in holders) or 'nobody known'}); if that run is dead, "
                         "mark it failed in `stateofml ui` (Runs, Terminate)")
        return True


class _ClosedPipeSafe:
    """The terminal for the progress bar: a reader that went away (``| head``, a killed parent)
    must not raise inside tqdm, which would keep its lock and hang the run's end."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()


def _innermost(error):
    """The innermost error (the user's exception, not Dagster's wrapper)."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def _failure_lines(error, fallback: str, limit: int = 4) -> list[str]:
    """A failure in a few lines: the innermost error's message, cut (the full trace is in the log file)."""
    inner = _innermost(error)
    text = inner.message.strip() if inner is not None else fallback.strip()
    lines = [line[:300] for line in text.splitlines() if line.strip()] or ["failed"]
    # dagster-dbt's message names the command first; what failed comes after this line.
    dbt_errors = next((i for i, line in enumerate(lines) if line.startswith("Errors parsed from dbt logs")), None)
    if dbt_errors is not None:
        lines = [lines[0], *lines[dbt_errors + 1:]]
    # A trace inside the message (dbt's own) belongs to the log file.
    traced = next((i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")), None)
    lines = lines[:traced] if traced else lines
    return lines[:limit] + ([f"... ({len(lines) - limit} more lines)"] if len(lines) > limit else [])


def run_job(defs, name: str, selection, instance, *, quarters: int, progress: bool, log_dir: Path,
            tags: dict | None = None, wait_timeout: float = 3600.0, materializations: list | None = None) -> bool:
    """Run a job with a progress bar of asset materializations (one per asset and quarter) and the
    step being run; failures are printed as they happen, in a few lines (the full trace goes to the
    log file under ``log_dir``, with what the steps print, such as dbt's log lines).

    The job executes in a thread of this process; the main thread reads the run's event log, says
    what the run waits for, and stays interruptible. Before the run starts, and while it waits for the
    warehouse pool, dead runs' slots are released; a wait beyond ``wait_timeout`` seconds gives up.
    ``materializations``, when given, receives the run's asset materializations (with their metadata)."""
    from dagster import DagsterEventType
    from tqdm import tqdm

    from stateofml.platform.resources import WAREHOUSE_POOL
    from stateofml.platform.runs import abandon_run, process_tags, stop_child_processes

    keys = selection.resolve(defs.resolve_asset_graph())
    total = sum(quarters if spec.partitions_def else 1 for spec in defs.resolve_all_asset_specs() if spec.key in keys)
    run_id = str(uuid.uuid4())
    terminal = _ClosedPipeSafe(sys.stdout)

    def say(text: str) -> None:
        tqdm.write(text, file=terminal)
        terminal.flush()

    # Wait for the pool here, not inside Dagster: Dagster's wait for a slot spins a core and holds
    # back signals until the step starts.
    pool = _PoolWait(instance, say, wait_timeout, WAREHOUSE_POOL)
    while pool.blocked():
        time.sleep(1.0)

    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{run_id[:8]}.log"
    watched = {DagsterEventType.STEP_START, DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.STEP_FAILURE,
               DagsterEventType.RUN_FAILURE}
    outcome: dict = {}
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        def execute() -> None:
            try:
                outcome["result"] = defs.resolve_job_def(name).execute_in_process(
                    instance=instance, run_id=run_id, tags={**(tags or {}), **process_tags()}, raise_on_error=False,
                    # The bar and the failure lines replace Dagster's console log; the full log stays in
                    # the instance (UI: Runs), failures' traces in the log file.
                    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                )
            except BaseException as exc:  # reported by the main thread
                outcome["error"] = exc

        bar = tqdm(total=total, unit="asset", desc=f"  {name}", disable=not progress, leave=True, file=terminal)
        worker = threading.Thread(target=execute, name=f"run {run_id[:8]}", daemon=True)
        cursor, materialized, step, failed_steps, run_failure, next_pool_check = None, 0, "start", 0, None, 0.0

        def read_events() -> None:
            nonlocal cursor, materialized, step, failed_steps, run_failure
            conn = instance.get_records_for_run(run_id, cursor=cursor, of_type=watched)  # none yet: empty
            cursor = conn.cursor
            for rec in conn.records:
                event = rec.event_log_entry.dagster_event
                if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                    materialized += 1
                    bar.update(1)
                    if materializations is not None:
                        materializations.append(rec.event_log_entry.asset_materialization)
                elif event.event_type == DagsterEventType.STEP_START:
                    step = event.step_key
                    bar.set_postfix_str(step, refresh=True)
                elif event.event_type == DagsterEventType.STEP_FAILURE:
                    failed_steps += 1
                    error = event.step_failure_data.error if event.step_failure_data else None
                    _report_failure(say, log, event.step_key, error, event.message or "", log_path)
                else:
                    run_failure = event

        try:
            worker.start()
            while worker.is_alive():
                worker.join(0.5)  # interruptible: a signal raises Stopped here
                read_events()
                if time.monotonic() >= next_pool_check:
                    next_pool_check = time.monotonic() + 2.0
                    pool.blocked(run_id)
            read_events()  # what the run wrote at its end
        except BaseException as exc:
            bar.close()
            why = f"{exc} received" if isinstance(exc, Stopped) else (
                "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc))
            abandon_run(instance, run_id, f"{why} (by the stateofml command that ran it, pid {os.getpid()})")
            stop_child_processes()
            # Once more: the run's thread may have queued its step in the pool again meanwhile (what it
            # queues after this is a finished run's, which the next command releases).
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            code = exc.exit_code if isinstance(exc, Stopped) else 130 if isinstance(exc, KeyboardInterrupt) else 1
            where = f"while waiting for the pool {pool.pool}" if pool.since is not None else f"at step {step}"
            raise RunAbandoned(f"{name}: stopped {where}: {why}; run {run_id[:8]} marked failed and its pool "
                               f"slot freed; log: {log_path}", code) from exc
        finally:
            bar.close()
        if "error" in outcome:  # Dagster itself failed (not a step): the run never reported its end
            error = outcome["error"]
            abandon_run(instance, run_id, f"{type(error).__name__}: {error}")
            _report_failure(say, log, "run", None, f"{type(error).__name__}: {error}", log_path)
            success = False
        else:
            success = outcome["result"].success
            if not success and not failed_steps and run_failure is not None:
                data = run_failure.event_specific_data
                _report_failure(say, log, "run", getattr(data, "error", None), run_failure.message or "", log_path)
    if not progress or not success:
        print(f"  {name}: {materialized}/{total} assets materialized ({'ok' if success else 'FAILED'}); log: {log_path}",
              flush=True)
    return success


def _report_failure(say, log, what: str, error, message: str, log_path: Path) -> None:
    """A failure in a few lines on the terminal, its full trace in the log file."""
    first, *more = _failure_lines(error, message)
    say("\n".join([f"  FAILED {what}: {first}", *(f"    {line}" for line in more), f"    (full trace: {log_path})"]))
    log.write(f"\n==== FAILED {what} ====\n{message}\n{error.to_string() if error is not None else ''}\n")
    log.flush()


def cmd_report(args) -> int:
    year: int = args.year
    first, last_closed = FIRST_QUARTER, current_quarter().previous()
    if not first.year <= year <= last_closed.year:
        raise CliError(f"no State of ML report for {year}: reports cover {first.year}..{last_closed.year} "
                       f"(quarters {first}..{last_closed})")
    page = page_path(_data_dir(args).reports, year)
    if not page.is_file():
        last = min(Quarter(year, 4), last_closed)
        raise CliError(f"the {year} report page has not been built yet ({page}); build it with: "
                       f"stateofml{data_dir_option(args)} materialize {Quarter(year, 1)}:{last}")
    print(page)
    if args.open:
        webbrowser.open(page.as_uri())
    return 0


def cmd_docs(args) -> int:
    data = _data_dir(args, writable=True)
    ensure_manifest()
    dagster_home(data)
    import dagster as dg

    from assets.analysts.assets import dbt_docs
    from assets.analysts.publish import DOCS_SITE

    from stateofml.platform.resources import build_resources

    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([dbt_docs], resources=build_resources(data), instance=instance)
    print(f"dbt docs: {data.analysts / DOCS_SITE} ({'success' if result.success else 'FAILED'})")
    return 0 if result.success else 1


def cmd_import_runs(args) -> int:
    from assets.sources.wandb_runs import import_runs
    from assets.sources.wandb_runs.importer import CRASHED_AFTER
    from stateofml.watch import affected_by_files

    source = Path(args.path).expanduser()
    if not source.exists():
        raise CliError(f"no such folder: {source}")
    users = Path(args.users_file).expanduser() if args.users_file else None
    if users is not None and not users.is_file():
        raise CliError(f"no such users file: {users}")
    landing = _writable_dir(Path(args.landing).resolve(), "--landing") if args.landing else _data_dir(args, writable=True).landing
    crashed_after = CRASHED_AFTER if args.crashed_after is None else timedelta(hours=args.crashed_after)
    try:
        report = import_runs(source, landing, users, user=args.user, crashed_after=crashed_after)
    except ValueError as exc:  # a corrupt import manifest, an empty --user: refused
        raise CliError(str(exc)) from None
    print(format_import_table(report.rows()))
    for problem in report.problems:
        print(f"warning: {problem}")
    summary = report.summary()
    print(
        f"{summary['folders']} run folders: "
        + ", ".join(f"{summary[s]} {s}" for s in ("imported", "updated", "partial", "skipped", "failed"))
        + f"; wrote {summary['runs_written']} runs, {summary['code_blobs_written']} code blobs, "
        f"{summary['users_written']} users, {summary['artifacts_written']} artifacts, "
        f"{summary['sweeps_written']} sweeps into {landing}"
    )
    touched = affected_by_files(report.files, landing)
    if touched:
        print(f"quarters touched: {', '.join(q.compact for q in touched.quarters) or 'none (profiles only)'}")
    for line in next_commands(touched.quarters, current_quarter(), data_dir_option(args)):
        print(line)
    return 1 if summary["failed"] else 0


def data_dir_option(args) -> str:
    """The --data-dir of this command, for the commands it prints (quoted: a path may hold spaces)."""
    return f" --data-dir {shlex.quote(args.data_dir)}" if getattr(args, "data_dir", None) else ""


def next_commands(touched: list[Quarter], current: Quarter, data_option: str = "") -> list[str]:
    """What to run after an import: the closed quarters it touched; runs of the open quarter wait for
    its close (the quarter-close schedule takes it on the 15th after), or a preview."""
    closed = sorted(q for q in touched if FIRST_QUARTER <= q < current)
    lines = []
    if closed:
        span = closed[0].compact if len(closed) == 1 else f"{closed[0].compact}:{closed[-1].compact}"
        lines.append(f"next: stateofml{data_option} materialize {span}")
    if current in touched:
        lines.append(
            f"next: {current.compact} is still open (closes {current.end.isoformat()}): "
            f"stateofml{data_option} preview-open-quarter   # to date, in its own warehouse"
        )
    return lines


def cmd_preview_open_quarter(args) -> int:
    from assets.open_quarter import preview_open_quarter
    from assets.report.preview import write_preview_page

    from stateofml.platform.project import PROJECT_ROOT, dbt_executable

    data = _data_dir(args)
    quarter = current_quarter()
    # Checked before the build: a clear line, not a traceback from DuckDB or dbt half-way.
    _writable_dir(data.previews, "the preview folder")
    ensure_manifest()
    print(f"preview of {quarter.compact}, the quarter in progress -> {data.previews / quarter.compact}")
    try:
        preview = preview_open_quarter(data, quarter, dbt=dbt_executable(), project_dir=PROJECT_ROOT / "dbt_project")
    except RuntimeError as exc:
        print(f"FAILED: {exc}")
        return 1
    print(f"{preview.label}\nwarehouse: {preview.warehouse} (table preview_info; marts where quarter_start = "
          f"'{quarter.partition_key}')\ndbt log: {preview.dbt_log}\nnot in the report, its charts or the analysts' "
          f"copy: those show closed quarters only; {quarter.compact} closes on {quarter.end.isoformat()}")
    page = write_preview_page(preview, data.landing)
    print(f"charts drawn: {', '.join(page.drawn) or 'none'}")
    for name, why in page.not_drawn.items():
        print(f"not drawn: {name}: {why}")
    print(f"page (to date, not linked from the report): {page.path}")
    return 0


def format_import_table(rows: list[dict]) -> str:
    """One line per run folder: status, folder, run id, quarter, reason."""
    header = ("STATUS", "FOLDER", "RUN", "QUARTER", "REASON")
    lines = [
        (r["status"], r["folder"], r["run_id"], Quarter.containing(r["created_at"]).compact if r["created_at"] else "-",
         r["reason"] or "")
        for r in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header[:-1])]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    return "\n".join(fmt.format(*line).rstrip() for line in [header, *lines])


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be 0 or more, got {text}")
    return seconds


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 0 < hours < float("inf"):
        raise argparse.ArgumentTypeError(f"hours must be more than 0, got {text}")
    return hours


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 1..65535, got {port}")
    return port


def _venv_bin() -> Path:
    """The bin folder of this environment (dagster, dbt), also when the venv is not activated."""
    return Path(sys.prefix) / "bin"


def cmd_ui(args) -> int:
    data = _data_dir(args, writable=True)
    try:  # a clear message instead of the webserver's traceback
        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.bind((args.host, args.port))
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port} ({exc.strerror}); choose another --port or --host") from None
    dagster = _venv_bin() / "dagster"
    if not dagster.exists():
        dagster = Path(shutil.which("dagster") or "dagster")
    ensure_manifest()
    home = dagster_home(data)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        # The definitions resolve their paths when a run starts: point them at --data-dir.
        "STATEOFML_DATA_DIR": str(data.root),
        # dagster-dbt re-parses the project under `dagster dev` by calling `dbt` from PATH.
        "PATH": f"{_venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Dagster UI: http://{host}:{args.port}  (data: {data.root}, DAGSTER_HOME: {home}; Ctrl-C stops it)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}: the UI has no login; anyone who can reach it can launch runs",
              flush=True)
    cmd = [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", args.host, "-p", str(args.port)]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env)
    local = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(args.host, host)
    stop = threading.Event()
    threading.Thread(target=_keep_automation_badge_true, args=(f"http://{local}:{args.port}", stop),
                     name="automation-badge", daemon=True).start()
    try:
        return proc.wait()
    except KeyboardInterrupt:  # dagster dev got the same Ctrl-C: let it shut its processes down
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            return proc.wait()
    finally:
        stop.set()


_BADGE_STATE = """{ instance { autoMaterializePaused useAutoMaterializeSensors }
  repositoriesOrError { ... on RepositoryConnection { nodes { sensors { name sensorState { status } } } } } }"""
_SET_PAUSED = "mutation($paused: Boolean!) { setAutoMaterializePaused(paused: $paused) }"


def _graphql(base_url: str, query: str, variables: dict | None = None) -> dict:
    import json
    import urllib.request

    request = urllib.request.Request(f"{base_url}/graphql", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"query": query, "variables": variables or {}}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def _keep_automation_badge_true(base_url: str, stop: threading.Event, every_s: float = 5.0) -> None:
    """Make the UI's "Auto-materialize on/off" badge say whether our automation sensor runs.

    The badge (job and asset pages) shows the instance's switch of the pre-sensor auto-materialize
    daemon, which a new instance starts "paused" and no dagster.yaml setting sets. With automation
    sensors (`auto_materialize: use_sensors`, Dagster's default) that switch gates nothing and the UI
    hides it, so the badge said "off" while `state_of_ml_automation` evaluated every condition. The
    webserver's GraphQL API (the UI's own toggle) sets the switch to the sensor's state, checked every
    few seconds so that stopping or starting the sensor in the Automation tab shows on the badge too.
    """
    from orchestration.automation import automation_sensor  # dagster: seconds to import, off the main thread

    while not stop.wait(every_s):
        try:
            state = _graphql(base_url, _BADGE_STATE)
            status = next((s["sensorState"]["status"] for repo in state["repositoriesOrError"].get("nodes") or []
                           for s in repo["sensors"] if s["name"] == automation_sensor.name), None)
            if status is None or not state["instance"]["useAutoMaterializeSensors"]:
                continue  # the code location is (re)loading; or the switch is the real one: leave it
            paused = status != "RUNNING"
            if state["instance"]["autoMaterializePaused"] != paused:
                _graphql(base_url, _SET_PAUSED, {"paused": paused})
        except (OSError, ValueError, KeyError, TypeError):
            continue  # the webserver is not up yet, or going down


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stateofml",
        description="State of ML platform: raw activity -> Dagster ingestion -> dbt marts -> charts -> report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", help="root of landing/, warehouse/, reports/ (default ./data)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("prepare", help="parse the dbt project (writes the manifest the definitions load)")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("simulate", help="write simulated raw activity into the landing zone",
                       description="Write a deterministic simulated landing zone (users, runs, sweeps, artifacts, code).")
    p.add_argument("--start", type=_quarter, default=FIRST_QUARTER, help="first quarter, e.g. 2020Q1 (default)")
    p.add_argument("--end", type=_quarter, default=Quarter(2022, 4), help="last quarter, included, e.g. 2022Q4 (default)")
    p.add_argument("--scale", type=float, default=0.001, help="1.0 = real size (~125M runs in 2022); default 0.001")
    p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    p.add_argument("--landing", help="landing-zone folder (default <data-dir>/landing)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("materialize", help="materialize a range of quarterly partitions (one run)",
                       description=_wrap("Load, model and chart the given quarters: e.g. 2020Q1:2022Q4 or 2022Q4. "
                       "The profiles and lookup tables are refreshed first; the quarters then run as one run."),
                       epilog="examples:\n  stateofml materialize 2022Q4\n  stateofml materialize 2020Q1:2022Q4\n"
                       "  stateofml --data-dir /srv/sotml materialize 2022Q1:2022Q4 --quiet\n"
                       "exit code: 0 success, 1 a run failed or the wait for the warehouse gave up, 2 usage error,\n"
                       "  130/143 stopped by Ctrl-C/SIGTERM (the run is marked failed, the warehouse keeps its last state)",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("quarters", type=_quarters, help="a quarter (2022Q4) or an inclusive range (2020Q1:2022Q4)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--memory-limit", type=_memory_limit, metavar="SIZE",
                   help="DuckDB's memory_limit for this run, e.g. 3GB (default 8GB): 3GB keeps one full-size quarter "
                        "within 4 GB of RSS; a year in one run needs more")
    p.add_argument("--wait-timeout", type=_seconds, default=3600.0, metavar="SECONDS",
                   help="how long to wait for another run holding the warehouse (another materialize, a run from the "
                        "UI) before giving up; default 3600. Runs whose process is gone are released at once")
    p.set_defaults(func=cmd_materialize)

    p = sub.add_parser("report", help="print (or open) the path of a year's report page",
                       description="Print the path of the State of ML page of a year, as built by "
                                   "`materialize` (one self-contained HTML file that opens offline).")
    p.add_argument("--year", type=int, required=True, help="the report's year, e.g. 2022")
    p.add_argument("--open", action="store_true", help="also open the page in the web browser")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("docs", help="build the dbt docs site into <data-dir>/analysts/dbt_docs/index.html",
                       description="dbt docs generate --static against the warehouse; one page that opens from disk.")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("import-runs", help="import real wandb run folders into the landing zone",
                       description=_wrap("Find every run-*/offline-run-* folder under PATH (a wandb/ folder, a project, "
                       "a single run) and write its runs, code and users into the landing zone. Re-importing "
                       "skips unchanged folders and updates grown ones (resumed runs). Prints one line per folder."),
                       epilog="examples:\n  stateofml import-runs ~/project/wandb\n"
                       "  stateofml import-runs /mnt/runs --users-file users.csv   # username/email -> country, profession\n"
                       "  stateofml import-runs ~/alice/wandb --user alice          # all of it is alice's\n"
                       "  stateofml import-runs /scratch/wandb --crashed-after 2    # silent 2 h without an exit record: crashed\n"
                       "then: the next command it prints (materialize <closed quarters>, or preview-open-quarter)\n"
                       "exit code: 0 every folder read, 1 some folders failed (listed), 2 usage error",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="folder holding wandb run folders (searched at any depth)")
    p.add_argument("--users-file", help="CSV/JSON/JSONL of user_id, username, email, entity, folder, country_code, "
                   "profession, industry")
    p.add_argument("--user", help="attribute every run of this import to this user id (before the users file and "
                   "what the runs recorded)")
    p.add_argument("--landing", help="landing-zone folder (default <data-dir>/landing)")
    # The default lives in the importer (CRASHED_AFTER), imported only by the command.
    p.add_argument("--crashed-after", type=_hours, metavar="HOURS",
                   help="a run with no exit record, silent for longer than this, is crashed with its runtime up to "
                   "its last sign of life; until then it is running (default 24: CRASHED_AFTER in "
                   "assets/sources/wandb_runs/importer.py)")
    p.set_defaults(func=cmd_import_runs)

    p = sub.add_parser("preview-open-quarter", help="the quarter in progress, to date, in its own warehouse",
                       description=_wrap("Build the open quarter from the landing zone (ingestion, import detection, "
                       "every dbt model) into <data-dir>/preview/<quarter>/stateofml.duckdb, replaced each time, and "
                       "draw its quarterly analyses and one offline page under <data-dir>/preview/<quarter>/report/ "
                       "(its path printed last). Labelled 'to date' (table preview_info, the page's title, headline "
                       "and every chart); never mixed into the closed quarters' warehouse, report pages or analysts' copy."))
    p.set_defaults(func=cmd_preview_open_quarter)

    p = sub.add_parser("ui", help="start the Dagster UI (dagster dev) on this machine",
                       description=_wrap("Start `dagster dev -w workspace.yaml` with DAGSTER_HOME under --data-dir, "
                       "bound to loopback unless --host says otherwise. Schedules and sensors run while it runs."),
                       epilog="examples:\n  stateofml ui                      # http://127.0.0.1:3000\n"
                       "  stateofml ui --port 3333\n  stateofml --data-dir /srv/sotml ui",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=3000, help="port (default 3000)")
    p.set_defaults(func=cmd_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"stateofml: error: {exc}", file=sys.stderr)
        return 2
    except GaveUp as exc:
        print(f"stateofml: gave up: {exc}", file=sys.stderr)
        return 1
    except RunAbandoned as exc:
        print(f"stateofml: {exc}", file=sys.stderr)
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(exc.exit_code)  # the run's thread cannot be stopped: end the process (see RunAbandoned)
    except Stopped as exc:
        print(f"stateofml: stopped ({exc})", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stateofml: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`stateofml ... | head`)
        with contextlib.suppress(OSError, ValueError):  # no second error when Python flushes at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())

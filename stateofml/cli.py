"""`stateofml`: the command line for the long jobs (simulate, import, materialize, report, UI)."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
import webbrowser
from collections.abc import Sequence
from datetime import date
from pathlib import Path

# Only light imports at the top: `--help` and usage errors must answer at once. Dagster, dbt and
# DuckDB (seconds to import) are imported by the commands that use them.
from assets.report.paths import page_path
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


def _data_dir(args) -> DataDir:
    """The data directory, resolved once per command; every path below comes from it."""
    return DataDir.resolve(args.data_dir)


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
    home = Path(os.environ.get("DAGSTER_HOME") or data.dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
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
    landing = Path(args.landing).resolve() if args.landing else _data_dir(args).landing
    t0 = time.monotonic()
    summary = simulate(landing, args.start.start, args.end.end, scale=args.scale, seed=args.seed,
                       progress=not args.quiet)
    print(f"simulated {args.start}..{args.end} at scale {args.scale} (seed {args.seed}) "
          f"in {time.monotonic() - t0:.1f}s into {landing}")
    print(summary)
    return 0


def cmd_materialize(args) -> int:
    data = _data_dir(args)
    quarters: list[Quarter] = args.quarters
    last_closed = Quarter.containing(date.today()).previous()
    if quarters[0] < FIRST_QUARTER or quarters[-1] > last_closed:
        raise CliError(f"quarters must be within {FIRST_QUARTER}..{last_closed} (closed quarters), got {quarters[0]}..{quarters[-1]}")
    ensure_manifest()
    dagster_home(data)
    from dagster import DagsterInstance

    from assets.analysts.publish import COPY_FILE
    from orchestration.definitions import build_definitions
    from stateofml.platform.selections import QUARTERLY, REFERENCE
    from stateofml.platform.resources import build_resources

    defs = build_definitions(build_resources(data, memory_limit=args.memory_limit))
    progress = not args.quiet
    with DagsterInstance.get() as instance:
        t0 = time.monotonic()
        print(f"[1/2] reference data (profiles, lookup tables) -> {data.warehouse.parent}")
        logs = data.logs
        ok = run_job(defs, "reference_data", REFERENCE, instance, quarters=1, progress=progress, log_dir=logs)
        if ok:
            print(f"[2/2] quarters {quarters[0]}..{quarters[-1]} as one run (ingestion, dbt, charts, report page)")
            ok = run_job(
                defs, "state_of_ml_quarterly", QUARTERLY, instance, quarters=len(quarters), progress=progress,
                log_dir=logs, tags={
                    "dagster/asset_partition_range_start": quarters[0].partition_key,
                    "dagster/asset_partition_range_end": quarters[-1].partition_key,
                },
            )
        print(f"done in {time.monotonic() - t0:.1f}s: {'success' if ok else 'FAILED'}")
    print(f"warehouse: {data.warehouse}")
    print(f"analysts:  {data.analysts / COPY_FILE} (query it while the pipeline runs)")
    print(f"charts:    {data.reports / quarters[-1].compact / 'charts'}")
    print(f"report:    {page_path(data.reports, quarters[-1].year)}")
    if not ok:
        print(f"run logs:  `stateofml ui` (DAGSTER_HOME={os.environ['DAGSTER_HOME']}), Runs tab")
    return 0 if ok else 1


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


def _failure_reason(event) -> str:
    """The innermost error of a step failure (the user's exception, not Dagster's wrapper)."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error is not None else (event.message or "failed")


def run_job(defs, name: str, selection, instance, *, quarters: int, progress: bool, log_dir: Path,
            tags: dict | None = None) -> bool:
    """Run a job in this process with a progress bar of asset materializations (one per asset
    and quarter) and the step being run; failures are printed as they happen. What the steps
    print (dbt's own log lines) goes to a file under ``log_dir`` instead of over the bar."""
    from dagster import DagsterEventType
    from tqdm import tqdm

    keys = selection.resolve(defs.resolve_asset_graph())
    total = sum(quarters if spec.partitions_def else 1 for spec in defs.resolve_all_asset_specs() if spec.key in keys)
    run_id = str(uuid.uuid4())
    done = threading.Event()
    terminal = _ClosedPipeSafe(sys.stdout)
    bar = tqdm(total=total, unit="asset", desc=f"  {name}", disable=not progress, leave=True, file=terminal)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{run_id[:8]}.log"
    materialized = [0]  # counted here: a disabled bar counts nothing
    watched = {DagsterEventType.STEP_START, DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.STEP_FAILURE}

    def follow() -> None:
        cursor = None
        while True:
            stop = done.is_set()  # read once more after the run ended: nothing is missed
            conn = instance.get_records_for_run(run_id, cursor=cursor, of_type=watched)  # none yet: empty
            cursor = conn.cursor
            for rec in conn.records:
                event = rec.event_log_entry.dagster_event
                if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                    materialized[0] += 1
                    bar.update(1)
                elif event.event_type == DagsterEventType.STEP_START:
                    bar.set_postfix_str(event.step_key, refresh=True)
                else:
                    bar.write(f"  FAILED {event.step_key}: {_failure_reason(event)}", file=terminal)
            if stop:
                return
            done.wait(0.5)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        with open(log_path, "w") as log, contextlib.redirect_stdout(log):
            result = defs.resolve_job_def(name).execute_in_process(
                instance=instance, run_id=run_id, tags=tags, raise_on_error=False,
                # The bar replaces Dagster's console log; the full log stays in the instance (UI: Runs).
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
    finally:
        done.set()
        follower.join()
        bar.close()
    if not progress or not result.success:
        print(f"  {name}: {materialized[0]}/{total} assets materialized ({'ok' if result.success else 'FAILED'}); log: {log_path}")
    return result.success


def cmd_report(args) -> int:
    year: int = args.year
    first, last_closed = FIRST_QUARTER, Quarter.containing(date.today()).previous()
    if not first.year <= year <= last_closed.year:
        raise CliError(f"no State of ML report for {year}: reports cover {first.year}..{last_closed.year} "
                       f"(quarters {first}..{last_closed})")
    page = page_path(_data_dir(args).reports, year)
    if not page.is_file():
        last = min(Quarter(year, 4), last_closed)
        data_dir = f" --data-dir {shlex.quote(args.data_dir)}" if args.data_dir else ""
        raise CliError(f"the {year} report page has not been built yet ({page}); build it with: "
                       f"stateofml{data_dir} materialize {Quarter(year, 1)}:{last}")
    print(page)
    if args.open:
        webbrowser.open(page.as_uri())
    return 0


def cmd_docs(args) -> int:
    data = _data_dir(args)
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
    from stateofml.watch import affected_by_files

    source = Path(args.path).expanduser()
    if not source.exists():
        raise CliError(f"no such folder: {source}")
    users = Path(args.users_file).expanduser() if args.users_file else None
    if users is not None and not users.is_file():
        raise CliError(f"no such users file: {users}")
    landing = Path(args.landing).resolve() if args.landing else _data_dir(args).landing
    try:
        report = import_runs(source, landing, users)
    except ValueError as exc:  # a corrupt import manifest: refused, never silently re-imported
        raise CliError(str(exc)) from None
    print(format_import_table(report.rows()))
    for problem in report.problems:
        print(f"warning: {problem}")
    summary = report.summary()
    print(
        f"{summary['folders']} run folders: "
        + ", ".join(f"{summary[s]} {s}" for s in ("imported", "updated", "partial", "skipped", "failed"))
        + f"; wrote {summary['runs_written']} runs, {summary['code_blobs_written']} code blobs, "
        f"{summary['users_written']} users into {landing}"
    )
    touched = affected_by_files(report.files, landing)
    last_closed = Quarter.containing(date.today()).previous()
    closed = [q for q in touched.quarters if FIRST_QUARTER <= q <= last_closed]
    if closed:
        span = closed[0].compact if len(closed) == 1 else f"{closed[0]}:{closed[-1]}"
        print(f"quarters touched: {', '.join(q.compact for q in touched.quarters)}; next: stateofml materialize {span}")
    elif touched:
        print(f"quarters touched: {', '.join(q.compact for q in touched.quarters) or 'none (profiles only)'}")
    return 1 if summary["failed"] else 0


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
    data = _data_dir(args)
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
    try:
        return proc.wait()
    except KeyboardInterrupt:  # dagster dev got the same Ctrl-C: let it shut its processes down
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            return proc.wait()


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
                       "exit code: 0 success, 1 a run failed (see `stateofml ui`, Runs), 2 usage error",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("quarters", type=_quarters, help="a quarter (2022Q4) or an inclusive range (2020Q1:2022Q4)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--memory-limit", type=_memory_limit, metavar="SIZE",
                   help="DuckDB's memory_limit for this run, e.g. 3GB (default 8GB): 3GB keeps one full-size quarter "
                        "within 4 GB of RSS; a year in one run needs more")
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
                       "then: stateofml materialize <the quarters it prints>\n"
                       "exit code: 0 every folder read, 1 some folders failed (listed), 2 usage error",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="folder holding wandb run folders (searched at any depth)")
    p.add_argument("--users-file", help="CSV/JSON/JSONL of user_id, username, email, country_code, profession, industry")
    p.add_argument("--landing", help="landing-zone folder (default <data-dir>/landing)")
    p.set_defaults(func=cmd_import_runs)

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
    except KeyboardInterrupt:
        print("stateofml: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output went away (`stateofml ... | head`)
        with contextlib.suppress(OSError, ValueError):  # no second error when Python flushes at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())

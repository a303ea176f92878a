"""`stateofml`: the command line for the long jobs (simulate, import, materialize, report, UI)."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
import webbrowser
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from assets.report.paths import page_path
from stateofml.quarters import Quarter, parse_quarter_range

from .project import PROJECT_ROOT

EPILOG = "Paths: --data-dir (default $STATEOFML_DATA_DIR or ./data) holds landing/, warehouse/, reports/, analysts/, dagster_home/."


class CliError(Exception):
    """A user error: printed as one clear line, exit code 2."""


def _data_dir(args) -> Path:
    return Path(args.data_dir or os.environ.get("STATEOFML_DATA_DIR") or PROJECT_ROOT / "data").resolve()


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


def _dbt_sources_mtime() -> float:
    root = PROJECT_ROOT / "dbt_project"
    files = [root / "dbt_project.yml", root / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += [p for p in (root / folder).rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest(force: bool = False) -> Path:
    """dbt's manifest must exist, and be newer than the dbt files, before the definitions import
    (@dbt_assets reads it); a stale one would name models that no longer exist."""
    manifest = PROJECT_ROOT / "dbt_project" / "target" / "manifest.json"
    if force or not manifest.exists() or manifest.stat().st_mtime < _dbt_sources_mtime():
        from .resources import dbt_executable

        result = subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project"],
            cwd=PROJECT_ROOT, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise CliError(f"dbt parse failed:\n{result.stdout}{result.stderr}")
    return manifest


def dagster_home(data: Path) -> Path:
    """$DAGSTER_HOME if set, else <data>/dagster_home with the project's instance settings."""
    home = Path(os.environ.get("DAGSTER_HOME") or data / "dagster_home").resolve()
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
    landing = Path(args.landing).resolve() if args.landing else _data_dir(args) / "landing"
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
    if quarters[0] < Quarter(2020, 1) or quarters[-1] > last_closed:
        raise CliError(f"quarters must be within 2020Q1..{last_closed} (closed quarters), got {quarters[0]}..{quarters[-1]}")
    ensure_manifest()
    dagster_home(data)
    from dagster import DagsterInstance

    from .definitions import build_definitions
    from .resources import build_resources

    defs = build_definitions(build_resources(data))
    with DagsterInstance.get() as instance:
        t0 = time.monotonic()
        print(f"[1/2] reference data (profiles, lookup tables) -> {data / 'warehouse'}")
        defs.resolve_job_def("reference_data").execute_in_process(instance=instance)
        print(f"[2/2] quarters {quarters[0]}..{quarters[-1]} as one run (ingestion, dbt, charts, report page)")
        result = defs.resolve_job_def("state_of_ml_quarterly").execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": quarters[0].partition_key,
                "dagster/asset_partition_range_end": quarters[-1].partition_key,
            },
        )
        print(f"done in {time.monotonic() - t0:.1f}s: {'success' if result.success else 'FAILED'}")
    reports = data / "reports"
    print(f"warehouse: {data / 'warehouse' / 'stateofml.duckdb'}")
    print(f"analysts:  {data / 'analysts' / 'stateofml.duckdb'} (query it while the pipeline runs)")
    print(f"charts:    {reports / quarters[-1].compact / 'charts'}")
    print(f"report:    {page_path(reports, quarters[-1].year)}")
    return 0 if result.success else 1


def cmd_report(args) -> int:
    year: int = args.year
    first, last_closed = Quarter(2020, 1), Quarter.containing(date.today()).previous()
    if not first.year <= year <= last_closed.year:
        raise CliError(f"no State of ML report for {year}: reports cover {first.year}..{last_closed.year} "
                       f"(quarters {first}..{last_closed})")
    page = page_path(_data_dir(args) / "reports", year)
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

    from .resources import build_resources

    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([dbt_docs], resources=build_resources(data), instance=instance)
    print(f"dbt docs: {data / 'analysts' / 'dbt_docs' / 'index.html'} ({'success' if result.success else 'FAILED'})")
    return 0 if result.success else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stateofml",
        description="State of ML platform: raw activity -> Dagster ingestion -> dbt marts -> charts -> report.",
        epilog=EPILOG,
    )
    parser.add_argument("--data-dir", help="root of landing/, warehouse/, reports/ (default ./data)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("prepare", help="parse the dbt project (writes the manifest the definitions load)")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("simulate", help="write simulated raw activity into the landing zone",
                       description="Write a deterministic simulated landing zone (users, runs, sweeps, artifacts, code).")
    p.add_argument("--start", type=_quarter, default=Quarter(2020, 1), help="first quarter, e.g. 2020Q1 (default)")
    p.add_argument("--end", type=_quarter, default=Quarter(2022, 4), help="last quarter, included, e.g. 2022Q4 (default)")
    p.add_argument("--scale", type=float, default=0.001, help="1.0 = real size (~125M runs in 2022); default 0.001")
    p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    p.add_argument("--landing", help="landing-zone folder (default <data-dir>/landing)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("materialize", help="materialize a range of quarterly partitions (one run)",
                       description="Load, model and chart the given quarters: e.g. 2020Q1:2022Q4 or 2022Q4.")
    p.add_argument("quarters", type=_quarters, help="a quarter (2022Q4) or an inclusive range (2020Q1:2022Q4)")
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


if __name__ == "__main__":
    sys.exit(main())

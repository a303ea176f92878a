"""`stateofml --help` and argument errors answer at once: the CLI module, and what it needs to
parse arguments, import neither Dagster nor dbt nor DuckDB (seconds each); the commands do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("dagster", "dagster_dbt", "dbt", "duckdb", "altair", "pandas")


@pytest.mark.parametrize("argv", [["--help"], ["materialize", "not-a-quarter"], ["materialize", "2019Q1"]])
def test_help_and_usage_errors_import_no_heavy_package(argv):
    code = (
        "import contextlib, io, sys\n"
        "from stateofml import cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):\n"
        "    try:\n"
        f"        code = cli.main({argv!r})\n"
        "    except SystemExit as exc:\n"
        "        code = exc.code\n"
        f"print(code, ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    exit_code, _, heavy = result.stdout.strip().partition(" ")
    assert exit_code == ("0" if argv == ["--help"] else "2")
    assert heavy == "", f"`stateofml {' '.join(argv)}` imported {heavy}"

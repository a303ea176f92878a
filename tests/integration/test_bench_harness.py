"""The scale benchmark's harness, run tiny so it cannot rot: the pipeline, the hand-written
DuckDB SQL and the pandas script must give the same numbers."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402


@pytest.mark.slow
def test_the_three_computations_agree(tmp_path):
    assert scale.main(["--sizes", "0.0003", "--quarter", "2022Q4", "--work", str(tmp_path / "work"), "--out", str(tmp_path)]) == 0
    [result] = json.loads((tmp_path / "results.json").read_text())["results"]
    assert result["check"]["agree"] and result["landing_run_rows"] > 1000
    totals = result["check"]["totals"]
    assert totals["pipeline"] == totals["duckdb"] == totals["pandas"] and totals["pipeline"]["active_users"] > 10
    for method in ("a_pipeline", "b_duckdb_sql", "c_pandas"):
        assert result[method]["seconds"] > 0 and result[method]["peak_rss_mb"] > 10
    assert "| 0.03% | " in (tmp_path / "results.md").read_text()

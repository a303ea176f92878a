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


@pytest.mark.slow
def test_a_year_run_reads_the_year_headline_and_keeps_the_quarter_results(tmp_path):
    work, out = str(tmp_path / "work"), str(tmp_path / "out")
    assert scale.main(["--sizes", "0.0003", "--work", work, "--out", out]) == 0
    assert scale.main(["--sizes", "--year", "2022", "--year-scale", "0.0003", "--work", work, "--out", out]) == 0
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    [quarter] = saved["results"]  # kept from the first call, not measured again
    year = saved["year"]
    assert quarter["size_of_quarter"] == 0.0003 and year["year"] == 2022
    headline = year["headline"]
    assert headline["quarters_covered"] == 4
    # Duplicated deliveries and updates in the landing zone: the year's runs are a little fewer.
    assert 0.9 * year["landing_run_rows"] < headline["runs"] <= year["landing_run_rows"]
    assert headline["active_users"] > quarter["check"]["totals"]["pipeline"]["active_users"]
    assert year["a_pipeline"]["seconds"] > 0 and "raw__runs" in year["a_pipeline_steps"]
    md = (tmp_path / "out" / "results.md").read_text()
    assert "| 0.03% | " in md and "The whole year 2022 at scale 0.0003" in md

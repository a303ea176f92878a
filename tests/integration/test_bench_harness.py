"""The scale benchmark's harness, run tiny so it cannot rot: the pipeline (a), the hand-written
DuckDB SQL of the country mart (b) and of the whole core (b2), and the pandas script (c) must give
the same numbers."""

import json
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402
from stateofml.quarters import Quarter  # noqa: E402


@pytest.mark.slow
def test_the_four_computations_agree(tmp_path):
    work = tmp_path / "work"
    assert scale.main(["--sizes", "0.0003", "--quarter", "2022Q4", "--work", str(work), "--out", str(tmp_path)]) == 0
    [result] = json.loads((tmp_path / "results.json").read_text())["results"]
    assert result["check"]["agree"] and result["landing_run_rows"] > 1000
    totals = result["check"]["totals"]
    assert totals["pipeline"] == totals["duckdb"] == totals["duckdb_core"] == totals["pandas"]
    assert totals["pipeline"]["active_users"] > 10
    for method in ("a_pipeline", "b_duckdb_sql", "b2_duckdb_core", "b2_parse_code", "c_pandas"):
        assert result[method]["seconds"] > 0 and result[method]["peak_rss_mb"] > 10
    assert result["ratio_a_over_b2"] > 0
    md = (tmp_path / "results.md").read_text()
    assert "| 0.03% | " in md and "## (b2)" in md

    # (b2)'s core and marts are the pipeline's, compared row for row, every check non-empty.
    check = result["check_b2"]
    assert check["agree"] and all(check["by_check"].values()) and set(check["by_check"]) == set(scale.CORE_CHECKS)
    assert all(ours == theirs > 0 for ours, theirs in check["rows"].values())
    warehouse = work / "size-0.0003" / "warehouse" / "stateofml.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        headline = con.execute(f"select {', '.join(scale.HEADLINE)} from marts.headline_by_quarter").fetchone()
        libraries = con.execute("select count(*) from marts.fct_run_libraries").fetchone()[0]
    assert tuple(result["b2_headline"][k] for k in scale.HEADLINE) == pytest.approx(headline)
    assert headline[2] == totals["pipeline"]["runs"] and libraries > 0

    # The comparison sees a difference: one run's GPU model, one user's country changed in (b2)'s copy.
    core = work / "size-0.0003" / "b2_core.duckdb"
    with duckdb.connect(str(core)) as con:
        con.execute("update core.fct_runs set gpu_model = 'a GPU nobody has' where run_id = (select min(run_id) from core.fct_runs)")
    assert scale.compare_core(warehouse, core, Quarter.parse("2022Q4"))["by_check"] == {
        **{k: True for k in scale.CORE_CHECKS}, "fct_runs_hardware": False}
    with duckdb.connect(str(core)) as con:
        con.execute("update marts.active_users_by_country_by_quarter set active_users = active_users + 1 "
                    "where country_code = (select max(country_code) from marts.active_users_by_country_by_quarter)")
    assert not scale.compare_core(warehouse, core, Quarter.parse("2022Q4"))["by_check"]["active_users_by_country_by_quarter"]


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

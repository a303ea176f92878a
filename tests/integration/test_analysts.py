"""Analysts read the marts while the pipeline runs: the published copy, Parquet, dbt docs, and
the row counts / column schemas the UI shows on every dbt model."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import date

import dagster as dg
import duckdb
import pytest

from assets.analysts.assets import dbt_docs, marts_copy
from assets.analysts.publish import published_relations
from stateofml.platform.project import dbt_project
from stateofml.platform.resources import Warehouse, build_resources
from tests.landing_builder import tiny_world
from tests.pipeline import materialize_quarters

Q4 = "2022-10-01"
MART = dg.AssetKey(["marts", "active_users_by_country_by_quarter"])
Q4_ROWS = [("CN", 1), ("DE", 1), ("US", 2), ("unknown", 1)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One quarter built (which publishes the copy) and the docs site, in one instance."""
    data = tmp_path_factory.mktemp("analysts") / "data"
    tiny_world(data / "landing")
    with dg.DagsterInstance.ephemeral() as instance:
        materialize_quarters(data, instance, "2022Q4", "2022Q4")
        assert dg.materialize([dbt_docs], resources=build_resources(data), instance=instance).success
        yield data, instance


def query_in_other_process(path, sql: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """An analyst's session: another process, read-only, as `duckdb -readonly` would open it."""
    code = f"import duckdb; print(duckdb.connect({str(path)!r}, read_only=True).execute({sql!r}).fetchall())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)


def copy_rows(path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute("select country_code, active_users from marts.active_users_by_country_by_quarter "
                            "where quarter_start = '2022-10-01' order by all").fetchall()


def test_copy_holds_marts_and_lookup_tables_with_their_descriptions(built):
    data, _ = built
    copy = data / "analysts" / "stateofml.duckdb"
    assert copy_rows(copy) == Q4_ROWS
    with duckdb.connect(str(copy), read_only=True) as conn:
        tables = dict(conn.execute("select schema_name || '.' || table_name, comment from duckdb_tables() union all "
                                   "select schema_name || '.' || view_name, comment from duckdb_views() where not internal"
                                   ).fetchall())
        columns = conn.execute("select table_name, column_name, comment from duckdb_columns() "
                               "where schema_name = 'marts'").fetchall()
        assert conn.execute("select count(*) from reference.countries where country_code = 'CN'").fetchone() == (1,)
    expected = {f"{r.schema}.{r.name}" for r in published_relations(json.loads(dbt_project.manifest_path.read_text()))}
    assert {"marts.active_users_by_country_by_quarter", "reference.countries"} <= expected
    assert set(tables) == expected
    assert all(tables.values())
    # Every column of every built mart carries its dbt description (also a column the yml forgot).
    undescribed = [f"{t}.{c}" for t, c, comment in columns if not comment]
    assert columns and not undescribed
    assert not list((data / "analysts").glob(".*tmp*")), "temporary files left behind"


def relations():
    return published_relations(json.loads(dbt_project.manifest_path.read_text()))


def marts() -> list[str]:
    return [r.name for r in relations() if r.is_mart]


def test_parquet_export_matches_the_mart(built):
    data, _ = built
    parquet = data / "analysts" / "parquet"
    by_quarter = {r.name for r in relations() if r.by_quarter}
    assert by_quarter == {"fct_runs", "fct_run_libraries"}
    assert sorted(p.stem for p in parquet.glob("*.parquet")) == sorted(set(marts()) - by_quarter)
    assert {p.relative_to(parquet).as_posix() for p in parquet.glob("*/*.parquet")} == \
        {f"{name}/2022Q4.parquet" for name in by_quarter}
    with duckdb.connect() as conn:
        rows = conn.execute(
            f"select country_code, active_users from '{data}/analysts/parquet/active_users_by_country_by_quarter.parquet' "
            "where quarter_start = '2022-10-01' order by all").fetchall()
    assert rows == Q4_ROWS


def test_dbt_models_report_row_count_and_column_schema(built):
    data, instance = built
    event = instance.get_latest_materialization_event(MART).asset_materialization
    with duckdb.connect(str(data / "warehouse" / "stateofml.duckdb"), read_only=True) as conn:
        count = conn.execute("select count(*) from marts.active_users_by_country_by_quarter").fetchone()[0]
        types = conn.execute("select column_name, lower(data_type) from information_schema.columns "
                             "where table_schema = 'marts' and table_name = 'active_users_by_country_by_quarter' "
                             "order by ordinal_position").fetchall()
    assert event.metadata["dagster/row_count"].value == count == 4
    schema = event.metadata["dagster/column_schema"].value
    assert [(c.name, c.type) for c in schema.columns] == types
    assert all(c.description for c in schema.columns)
    seed = instance.get_latest_materialization_event(dg.AssetKey(["reference", "countries"])).asset_materialization
    assert seed.metadata["dagster/row_count"].value > 190
    # Views are described, never counted (a count runs the view's whole query).
    view = instance.get_latest_materialization_event(dg.AssetKey(["staging", "stg_tracking__runs"])).asset_materialization
    assert "dagster/column_schema" in view.metadata and "dagster/row_count" not in view.metadata


def test_docs_site_describes_every_mart(built):
    data, _ = built
    html = (data / "analysts" / "dbt_docs" / "index.html").read_text()
    relations = [r for r in published_relations(json.loads(dbt_project.manifest_path.read_text())) if r.is_mart]
    for r in relations:
        assert f"model.stateofml.{r.name}" in html
        # The page embeds dbt's manifest as JSON: every description is there, as JSON writes it.
        for text in [r.description, *r.columns.values()]:
            assert json.dumps(text, ensure_ascii=False)[1:-1] in html, f"{r.name}: {text}"


def test_analysts_query_the_copy_while_the_pipeline_holds_the_warehouse(built):
    data, _ = built
    warehouse = Warehouse(database=str(data / "warehouse" / "stateofml.duckdb"))
    with warehouse.get_connection() as conn:  # what a materialization holds: the lock and a read-write connection
        conn.execute("select count(*) from marts.active_users_by_country_by_quarter").fetchall()
        blocked = query_in_other_process(warehouse.path, "select 1")
        assert blocked.returncode != 0 and "lock" in blocked.stderr.lower()
        started = time.monotonic()
        result = query_in_other_process(
            data / "analysts" / "stateofml.duckdb",
            "select country_code, active_users from marts.active_users_by_country_by_quarter order by all")
        assert result.returncode == 0, result.stderr
        assert time.monotonic() - started < 30
    assert eval(result.stdout) == Q4_ROWS


def test_publishing_never_waits_for_a_reader_who_keeps_the_old_snapshot(built):
    data, instance = built
    copy = data / "analysts" / "stateofml.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            conn = duckdb.connect({str(copy)!r}, read_only=True)
            sql = "select count(*) from marts.active_users_by_country_by_quarter"
            print(conn.execute(sql).fetchone()[0], flush=True)
            sys.stdin.readline()  # hold the file open while the pipeline publishes
            print(conn.execute(sql).fetchone()[0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    warehouse = Warehouse(database=str(data / "warehouse" / "stateofml.duckdb"))
    # One more row (a copy of a Q4 row, dated Q3: no Q3 is built here), removed afterwards.
    extra = ("insert into marts.active_users_by_country_by_quarter "
             "select * replace (date '2022-07-01' as quarter_start) from marts.active_users_by_country_by_quarter limit 1")
    try:
        before = int(reader.stdout.readline())
        with warehouse.get_connection() as conn:
            conn.execute(extra)
        started = time.monotonic()
        assert dg.materialize([marts_copy], resources=build_resources(data), instance=instance,
                              partition_key=Q4).success
        assert time.monotonic() - started < 60
        out, err = reader.communicate("go\n", timeout=60)
        assert reader.returncode == 0, err
        assert int(out) == before  # the old snapshot, still readable
        now = query_in_other_process(copy, "select count(*) from marts.active_users_by_country_by_quarter").stdout.strip()
        assert now == f"[({before + 1},)]"  # a new session sees the new publication
    finally:
        if reader.poll() is None:
            reader.kill()
        with warehouse.get_connection() as conn:
            conn.execute("delete from marts.active_users_by_country_by_quarter where quarter_start = '2022-07-01'")


def test_the_core_is_published_by_quarter_and_only_the_quarters_built_are_rewritten(built, tmp_path, monkeypatch):
    """fct_runs and fct_run_libraries go out as one Parquet file per quarter (a full-size quarter's
    copy of the whole history cost more than its dbt build): the run's quarters are rewritten, a
    quarter the folder lacks is written, the others are left alone, a quarter gone from the
    warehouse is removed; in the copy they are views that read the files from any directory."""
    data, instance = built
    folder, copy = data / "analysts" / "parquet" / "fct_runs", data / "analysts" / "stateofml.duckdb"
    warehouse = Warehouse(database=str(data / "warehouse" / "stateofml.duckdb"))

    def publish():
        assert dg.materialize([marts_copy], resources=build_resources(data), instance=instance, partition_key=Q4).success
        return {p.name: p.stat().st_ino for p in folder.glob("*.parquet")}

    def counts(conn, table):
        return conn.execute(f"select quarter_start, count(*) from {table} group by all order by all").fetchall()

    with warehouse.get_connection() as conn:  # a Q3 the warehouse holds but the folder lacks
        conn.execute("insert into marts.fct_runs select * replace (date '2022-07-01' as quarter_start) "
                     "from marts.fct_runs limit 2")
    try:
        first = publish()
        assert set(first) == {"2022Q3.parquet", "2022Q4.parquet"}
        second = publish()
        assert second["2022Q3.parquet"] == first["2022Q3.parquet"]  # not the run's quarter: left alone
        assert second["2022Q4.parquet"] != first["2022Q4.parquet"]  # the run's quarter: rewritten
        monkeypatch.chdir(tmp_path)  # the views' paths are absolute
        with duckdb.connect(str(copy), read_only=True) as analyst, warehouse.get_connection() as conn:
            kinds = dict(analyst.execute("select table_name, table_type from information_schema.tables "
                                         "where table_schema = 'marts'").fetchall())
            assert kinds["fct_runs"] == kinds["fct_run_libraries"] == "VIEW" and kinds["dim_users"] == "BASE TABLE"
            assert counts(analyst, "marts.fct_runs") == counts(conn, "marts.fct_runs") == \
                [(date(2022, 7, 1), 2), (date(2022, 10, 1), conn.execute(
                    "select count(*) from marts.fct_runs where quarter_start = '2022-10-01'").fetchone()[0])]
            assert analyst.execute("select comment from duckdb_views() where view_name = 'fct_runs'").fetchone()[0]
    finally:
        with warehouse.get_connection() as conn:
            conn.execute("delete from marts.fct_runs where quarter_start = '2022-07-01'")
    assert set(publish()) == {"2022Q4.parquet"}  # gone from the warehouse: gone from the folder

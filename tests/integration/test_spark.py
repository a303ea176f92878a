"""The same dbt models on Spark build the same marts as on DuckDB (docs/spark.md).

One quarter of the tiny world (plus two runs with imports) is materialized on DuckDB through Dagster; its raw tables are
exported to Parquet and registered as Spark tables; `dbt build --target spark` runs with the
same vars (seeds, models, data tests), then the incremental models run again (the
insert_overwrite path) and every mart is compared with DuckDB's, row by row.

Spark runs in local mode in the dbt process (dbt-spark `session`), with its warehouse and Derby
metastore under tmp_path (Derby allows one JVM at a time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import time
from pathlib import Path

import duckdb
import pytest

from assets.ingest.export import dbt_sources, export_parquet
from stateofml.platform.partitions import dbt_vars_for_window
from stateofml.platform.project import PROJECT_ROOT, dbt_project
from stateofml.platform.resources import WAREHOUSE_FILE, Warehouse
from stateofml.quarters import Quarter
from tests.integration.test_walking_skeleton import run_partition
from tests.landing_builder import tiny_world, ts, write_records

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.timeout(1800)]

QUARTER = Quarter(2022, 4)
DBT_VARS = dbt_vars_for_window(QUARTER.start_datetime, QUARTER.end_datetime)


def mart_names() -> list[str]:
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    return sorted(n["name"] for n in manifest["nodes"].values()
                  if n["resource_type"] == "model" and n["fqn"][1] == "marts")


def with_imports(landing: Path) -> None:
    """Two more Q4 runs that import libraries (saved code and client telemetry), so the framework
    and library marts have rows to compare, not only the tiny world's import-less runs."""
    source = "import torch\nimport transformers\nfrom sklearn import metrics\n"
    code_hash = hashlib.sha256(source.encode()).hexdigest()
    write_records(landing, "code_blobs", [dict(code_hash=code_hash, first_seen_at=ts(2022, 10, 5, 9),
                                               path="train.py", source=source)], name="imports.parquet")
    write_records(landing, "runs", [
        dict(run_id="r7", user_id="u1", created_at=ts(2022, 10, 5, 9), started_at=ts(2022, 10, 5, 9),
             runtime_seconds=5400.0, state="finished", code_hash=code_hash, telemetry_imports=[1, 11]),
        dict(run_id="r8", user_id="u3", created_at=ts(2022, 12, 6, 9), started_at=ts(2022, 12, 6, 9),
             runtime_seconds=600.0, state="finished", telemetry_imports=[3, 2], media_types=["image", "Table"]),
    ], name="imports.parquet")


@pytest.fixture(scope="module")
def duckdb_world(tmp_path_factory):
    import dagster as dg

    data = tmp_path_factory.mktemp("duckdb") / "data"
    tiny_world(data / "landing")
    with_imports(data / "landing")
    with dg.DagsterInstance.ephemeral() as instance:
        run_partition(data, instance, QUARTER.partition_key)
    parquet = data.parent / "raw_parquet"
    with Warehouse(database=str(data / "warehouse" / WAREHOUSE_FILE)).get_connection() as conn:
        counts = export_parquet(conn, dbt_sources(dbt_project.manifest_path), parquet)
    assert counts["raw.runs"] == 8 and counts["code_imports.parsed_code"] >= 1  # the export is not empty
    return data, parquet


@pytest.fixture(scope="module")
def spark(duckdb_world, tmp_path_factory):
    """dbt on Spark: register the raw Parquet, build the quarter, rerun the incremental models;
    then the Spark session those dbt invocations ran in, to read the marts through its catalog.

    dbt runs in this process (dbtRunner, the API behind the `dbt` command): dbt-spark's session
    method then starts one local Spark JVM for all three invocations and the reads, instead of
    one per step (starting a JVM and opening the metastore is most of the cost).
    """
    _, parquet = duckdb_world
    root = tmp_path_factory.mktemp("spark")
    spark_dir = root / "spark"
    (spark_dir / "tmp").mkdir(parents=True)
    env = {
        "STATEOFML_SPARK_DIR": str(spark_dir),
        # Spark binds its driver to loopback, never to the machine's other addresses.
        "SPARK_LOCAL_IP": "127.0.0.1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    common = ["--project-dir", str(PROJECT_ROOT / "dbt_project"), "--profiles-dir", str(PROJECT_ROOT / "dbt_project"),
              "--target", "spark",
              # Never the repo's target/ (Dagster loads that manifest) nor its logs/.
              "--target-path", str(root / "target"), "--log-path", str(root / "logs")]
    vars_ = ["--vars", json.dumps(DBT_VARS)]
    steps = {
        "register_raw": ["run-operation", "register_raw_parquet", "--args", json.dumps({"path": str(parquet)})],
        # Unit tests check the SQL's logic on DuckDB (CI runs them there); here seeds, models, data tests.
        "build": ["build", "--exclude-resource-type", "unit_test", *vars_],
        # The incremental path (insert_overwrite of existing partitions), quarterly and yearly.
        "incremental_rerun": ["run", "--select", "fct_runs", "fct_run_libraries", "dim_users",
                              "active_users_by_country_by_quarter", "headline_by_quarter", "headline_by_year", *vars_],
    }
    from dbt.cli.main import dbtRunner
    from pyspark.sql import SparkSession

    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        seconds = {}
        for name, args in steps.items():
            t0 = time.monotonic()
            result = dbtRunner().invoke([*args, *common])
            seconds[name] = round(time.monotonic() - t0, 1)
            failed = [r.node.name for r in (getattr(result.result, "results", None) or []) if r.status in ("error", "fail")]
            assert result.success, f"dbt {name} on Spark failed: {result.exception or failed}"
        print(f"spark timings (s): {seconds}")
        session = SparkSession.builder.getOrCreate()  # the one dbt started: same JVM, same settings
        yield session
        session.stop()
        # stop() leaves the JVM (2.5 GB) alive until pytest exits, under every later test.
        from pyspark import SparkContext

        from stateofml.platform.runs import descendants, stop_processes

        gateway = SparkContext._gateway
        if gateway is not None:
            gateway.shutdown()
            launcher = getattr(gateway, "proc", None)  # the spark-submit script; the JVM is its child
            if launcher is not None:
                # SIGTERM to the script alone waits on the JVM for ever (CI: timed out after 60 s):
                # the JVM first, then the script.
                stop_processes([*descendants(launcher.pid), launcher.pid], grace_seconds=30)
                launcher.wait(timeout=30)
            SparkContext._gateway = SparkContext._jvm = None


def normalized(rows: list[dict]) -> list[tuple]:
    """Rows as comparable tuples, columns by name; doubles to 9 significant digits (the two
    engines may add floats in another order)."""
    def value(v):
        if isinstance(v, float):
            return float(f"{v:.9g}") if math.isfinite(v) else v
        if isinstance(v, dt.datetime):
            return v.replace(tzinfo=None)
        return v
    return sorted((tuple((k, value(r[k])) for k in sorted(r)) for r in rows), key=repr)


def test_every_mart_on_spark_equals_duckdb(duckdb_world, spark):
    data, _ = duckdb_world
    marts = mart_names()
    assert {"active_users_by_country_by_quarter", "fct_runs", "fct_run_libraries", "dim_users"} <= set(marts)
    compared = 0
    with duckdb.connect(str(data / "warehouse" / WAREHOUSE_FILE), read_only=True) as conn:
        for name in marts:
            cur = conn.execute(f"select * from marts.{name}")
            columns = [d[0] for d in cur.description]
            duck = [dict(zip(columns, row)) for row in cur.fetchall()]
            sparks = [row.asDict() for row in spark.table(f"marts.{name}").collect()]
            spark_columns = spark.table(f"marts.{name}").columns
            assert sorted(spark_columns) == sorted(columns), f"marts.{name}: columns differ"
            assert normalized(sparks) == normalized(duck), f"marts.{name} differs between Spark and DuckDB"
            compared += len(duck)
    # Some marts may be empty for this tiny world; all of them empty would prove nothing.
    assert compared >= 4


def test_spark_partitions_marts_by_quarter(spark):
    # insert_overwrite replaces whole quarter partitions: the incremental marts must be partitioned.
    partitions = [r[0] for r in spark.sql("show partitions marts.active_users_by_country_by_quarter").collect()]
    assert partitions == ["quarter_start=2022-10-01"]

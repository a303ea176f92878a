"""The production instance template keeps the development instance's pools; the development (SQLite) instance runs one run at a time."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_production_instance_has_the_same_concurrency_and_postgres_storage():
    dev = yaml.safe_load((ROOT / "orchestration" / "dagster.yaml").read_text())
    prod = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    assert prod["concurrency"]["pools"] == dev["concurrency"]["pools"]
    # SQLite: one run at a time (a second run's event-log writes met "database is locked");
    # PostgreSQL takes concurrent runs.
    assert dev["concurrency"]["runs"]["max_concurrent_runs"] == 1
    assert prod["concurrency"]["runs"]["max_concurrent_runs"] >= 1
    db = prod["storage"]["postgres"]["postgres_db"]
    # Nothing secret or host-specific in the file: every connection setting comes from the environment.
    assert {k: v for k, v in db.items() if k != "scheme"} == {
        "hostname": {"env": "DAGSTER_PG_HOST"}, "port": {"env": "DAGSTER_PG_PORT"},
        "username": {"env": "DAGSTER_PG_USERNAME"}, "password": {"env": "DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "DAGSTER_PG_DB"},
    }

"""Hand-built landing zones for tests: a few records whose counts can be checked by hand."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from stateofml.contract import ENTITIES, partition_dir, write_parquet


def ts(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def write_records(landing: Path, entity: str, records: list[dict], name: str | None = None) -> list[Path]:
    """Write records as Parquet, one file per event date (the contract's layout)."""
    spec = ENTITIES[entity]
    by_day: dict = {}
    for r in records:
        r = {"updated_at": r.get(spec.event_time), **r}
        by_day.setdefault(r[spec.event_time].date(), []).append(r)
    return [
        write_parquet(landing, entity, day, pa.Table.from_pylist(rows, schema=spec.schema), name=name)
        for day, rows in sorted(by_day.items())
    ]


def write_jsonl(landing: Path, entity: str, day, lines: list[str | dict], name: str = "part.jsonl") -> Path:
    folder = partition_dir(landing, entity, day)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines), encoding="utf-8")
    return path


def tiny_world(landing: Path) -> None:
    """Two quarters you can count on your fingers.

    2022 Q3: u1 (US) runs once.
    2022 Q4: u1 (US) runs twice, u2 (US, corporate) once, u3 (CN) runs once and starts a sweep,
    u4 (DE) only logs an artifact, u5 (no profile) runs once, and one anonymous run.
    => Q4 active users: US 2, CN 1, DE 1, unknown 1; Q3: US 1.
    """
    write_records(landing, "users", [
        dict(user_id="u1", signup_at=ts(2021, 1, 5), country_code="US", profession="academic", updated_at=ts(2021, 1, 5)),
        dict(user_id="u2", signup_at=ts(2021, 2, 5), country_code="us", profession="corporate", industry="High tech", updated_at=ts(2021, 2, 5)),
        dict(user_id="u3", signup_at=ts(2022, 3, 1), country_code="CN", profession="hobbyist", updated_at=ts(2022, 3, 1)),
        dict(user_id="u4", signup_at=ts(2022, 4, 1), country_code="DE", profession="academic", updated_at=ts(2022, 4, 1)),
    ])
    run = lambda rid, uid, when, hours, **kw: dict(run_id=rid, user_id=uid, created_at=when, started_at=when,
                                                   runtime_seconds=hours * 3600.0, state="finished", **kw)
    write_records(landing, "runs", [
        run("r0", "u1", ts(2022, 8, 1, 10), 1.0, gpu="NVIDIA GeForce RTX 3090", gpu_count=1),
        run("r1", "u1", ts(2022, 10, 3, 9), 2.0, gpu="NVIDIA A100-SXM4-40GB", gpu_count=8),
        run("r2", "u1", ts(2022, 11, 3, 9), 1.5, gpu="NVIDIA A100-SXM4-40GB", gpu_count=8),
        run("r3", "u2", ts(2022, 10, 20, 9), 0.5, gpu="Tesla T4", gpu_count=1),
        run("r4", "u3", ts(2022, 12, 1, 9), 3.0, gpu_apple=True),
        run("r5", "u5", ts(2022, 12, 2, 9), 0.25),
        run("r6", None, ts(2022, 12, 3, 9), 0.75),
    ])
    write_records(landing, "sweeps", [
        dict(sweep_id="s1", user_id="u3", project="p", created_at=ts(2022, 12, 1, 8), method="bayes"),
    ])
    write_records(landing, "artifacts", [
        dict(artifact_id="a1", user_id="u4", project="p", type="dataset", created_at=ts(2022, 11, 11), size_bytes=10),
    ])

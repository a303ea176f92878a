"""Hand-built landing zones for tests: a few records whose counts can be checked by hand."""

from __future__ import annotations

import hashlib
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
    Every run names its libraries (code or telemetry), so that every chart of the report has rows.
    """
    write_records(landing, "users", [
        dict(user_id="u1", signup_at=ts(2021, 1, 5), country_code="US", profession="academic", updated_at=ts(2021, 1, 5)),
        dict(user_id="u2", signup_at=ts(2021, 2, 5), country_code="us", profession="corporate", industry="High tech", updated_at=ts(2021, 2, 5)),
        dict(user_id="u3", signup_at=ts(2022, 3, 1), country_code="CN", profession="hobbyist", updated_at=ts(2022, 3, 1)),
        dict(user_id="u4", signup_at=ts(2022, 4, 1), country_code="DE", profession="academic", updated_at=ts(2022, 4, 1)),
    ])
    run = lambda rid, uid, when, hours, **kw: dict(run_id=rid, user_id=uid, created_at=when, started_at=when,
                                                   runtime_seconds=hours * 3600.0, state="finished", **kw)
    # Libraries, so that every report chart has rows: r1 saved code (torch + transformers); the client
    # telemetry (torch=1, keras=2, tensorflow=3, xgboost=6, pytorch_lightning=9, transformers=11, hydra=50)
    # of the others names PyTorch, Lightning, TensorFlow, Keras, Hydra and XGBoost.
    source = "import torch\nfrom transformers import AutoModel\n"
    code = hashlib.sha256(source.encode()).hexdigest()
    write_records(landing, "code_blobs", [dict(code_hash=code, first_seen_at=ts(2022, 10, 3, 9), path="train.py", source=source)])
    write_records(landing, "runs", [
        run("r0", "u1", ts(2022, 8, 1, 10), 1.0, gpu="NVIDIA GeForce RTX 3090", gpu_count=1, telemetry_imports=[1, 11]),
        run("r1", "u1", ts(2022, 10, 3, 9), 2.0, gpu="NVIDIA A100-SXM4-40GB", gpu_count=8, code_hash=code, telemetry_imports=[1]),
        run("r2", "u1", ts(2022, 11, 3, 9), 1.5, gpu="NVIDIA A100-SXM4-40GB", gpu_count=8, telemetry_imports=[1, 9, 11]),
        run("r3", "u2", ts(2022, 10, 20, 9), 0.5, gpu="Tesla T4", gpu_count=1, telemetry_imports=[2, 3]),
        run("r4", "u3", ts(2022, 12, 1, 9), 3.0, gpu_apple=True, telemetry_imports=[1, 50]),
        run("r5", "u5", ts(2022, 12, 2, 9), 0.25, telemetry_imports=[6]),
        run("r6", None, ts(2022, 12, 3, 9), 0.75, telemetry_imports=[1]),
    ])
    write_records(landing, "sweeps", [
        dict(sweep_id="s1", user_id="u3", project="p", created_at=ts(2022, 12, 1, 8), method="bayes"),
    ])
    write_records(landing, "artifacts", [
        dict(artifact_id="a1", user_id="u4", project="p", type="dataset", created_at=ts(2022, 11, 11), size_bytes=10),
    ])


# -- frameworks and libraries ------------------------------------------------------------------------

FRAMEWORK_SOURCES = {
    # torch + transformers in the code; numpy is kept too; os/json are the standard library.
    "torch_nlp.py": "import os, json\nimport numpy as np\nimport torch\nimport torch.nn as nn\n"
                    "from transformers import AutoModel\n\nmodel = AutoModel.from_pretrained('bert')\n",
    # Keras through TensorFlow: the code counts both (and the telemetry flags both).
    "tf_keras.py": "import tensorflow as tf\nfrom tensorflow import keras\n\nmodel = keras.Sequential()\n",
    # Both core frameworks in one script.
    "torch_and_tf.py": "import torch\nimport tensorflow as tf\n",
    "lightning_hydra.py": "import hydra\nimport pytorch_lightning as pl\nimport torch\n\n"
                          "@hydra.main(config_path='conf')\ndef main(cfg):\n    pl.Trainer().fit()\n",
    "boosted.py": "import pandas as pd\nimport xgboost as xgb\nfrom sklearn.model_selection import train_test_split\n",
    # A module no taxonomy knows: kept under its own name, never dropped.
    "secret.py": "import torch\nfrom my_secret_lib.layers import Magic\n",
    # A notebook: the magic is not Python, the import after it is.
    "explore.ipynb": json.dumps({"cells": [
        {"cell_type": "code", "source": ["%pip install lightgbm\n", "import lightgbm as lgb\n"]},
        {"cell_type": "markdown", "source": ["import tensorflow  # prose, not code\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
    "growth.py": "import torch\nimport transformers\n",
    "growth_tiny.py": "import torch\nimport einops\n",
}


def code_hash(name: str) -> str:
    return hashlib.sha256(FRAMEWORK_SOURCES[name].encode()).hexdigest()


def framework_world(landing: Path) -> None:
    """Frameworks and libraries you can count by hand: 2022 Q3 and Q4 (telemetry ids: torch=1, keras=2,
    tensorflow=3, sklearn=5, xgboost=6, pytorch_lightning=9, transformers=11).

    Q4, run by run (hours):
      f1 a1 academic  torch_nlp.py     telemetry [1]        2 h   PyTorch both; Transformers code only; numpy code
      f2 a1           tf_keras.py      telemetry [2, 3]     1 h   TensorFlow both; Keras both (from tensorflow import keras)
      f3 c1 corporate torch_and_tf.py  no telemetry         4 h   PyTorch, TensorFlow (code)
      f4 c1           no code          telemetry [1, 9]     3 h   PyTorch, Lightning (telemetry)
      f5 c2 corporate lightning_hydra  no telemetry         0.5 h Hydra, Lightning, PyTorch (code)
      f6 p1 personal  boosted.py       telemetry [5, 6, 53] 0.1 h XGBoost, scikit-learn both; pandas code; joblib
                                                                 telemetry only (scikit-learn imports it)
      f7 anonymous    secret.py        telemetry [999]      1 h   PyTorch, my_secret_lib (code); "telemetry import 999"
      f8 a2 academic  explore.ipynb    no telemetry         0.2 h LightGBM (code)
      f9 a2           no code          no telemetry         5 h   nothing known
    Growth (Q4 vs Q3): growth.py (torch + transformers) run once by 24 users g00..g23 in Q3 and by 40
    users g00..g39 in Q4 (1 h each); growth_tiny.py (torch + einops) by 1 user (t0) in Q3 and 3
    (t0..t2) in Q4. Q3 also has f0: a1 runs torch_nlp.py with telemetry [1, 11] (2 h).
    """
    q3, q4 = ts(2022, 8, 1), ts(2022, 11, 1)
    users = [("a1", "academic"), ("a2", "academic"), ("c1", "corporate"), ("c2", "corporate"), ("p1", "personal")]
    users += [(f"g{i:02d}", "corporate" if i % 2 else "academic") for i in range(40)]
    users += [(f"t{i}", "academic") for i in range(3)]
    write_records(landing, "users", [
        dict(user_id=u, signup_at=ts(2021, 1, 1), country_code="US", profession=p, updated_at=ts(2021, 1, 1))
        for u, p in users
    ])
    # Each script is first seen in the quarter of its first run (Q3 for the growth scripts and torch_nlp).
    first_seen = {name: q4 for name in FRAMEWORK_SOURCES} | {"growth.py": q3, "growth_tiny.py": q3, "torch_nlp.py": q3}
    write_records(landing, "code_blobs", [
        dict(code_hash=code_hash(name), first_seen_at=first_seen[name], path=name, source=source)
        for name, source in FRAMEWORK_SOURCES.items()
    ])

    def run(rid, uid, when, hours, code=None, telemetry=None):
        return dict(run_id=rid, user_id=uid, created_at=when, started_at=when, runtime_seconds=hours * 3600.0,
                    state="finished", code_hash=code_hash(code) if code else None, telemetry_imports=telemetry)

    runs = [
        run("f0", "a1", q3, 2.0, "torch_nlp.py", [1, 11]),
        run("f1", "a1", q4, 2.0, "torch_nlp.py", [1]),
        run("f2", "a1", q4, 1.0, "tf_keras.py", [2, 3]),
        run("f3", "c1", q4, 4.0, "torch_and_tf.py"),
        run("f4", "c1", q4, 3.0, None, [1, 9]),
        run("f5", "c2", q4, 0.5, "lightning_hydra.py"),
        run("f6", "p1", q4, 0.1, "boosted.py", [5, 6, 53]),
        run("f7", None, q4, 1.0, "secret.py", [999]),
        run("f8", "a2", q4, 0.2, "explore.ipynb"),
        run("f9", "a2", q4, 5.0),
    ]
    runs += [run(f"gq3_{i}", f"g{i:02d}", q3, 1.0, "growth.py") for i in range(24)]
    runs += [run(f"gq4_{i}", f"g{i:02d}", q4, 1.0, "growth.py") for i in range(40)]
    runs += [run("tq3_0", "t0", q3, 1.0, "growth_tiny.py")]
    runs += [run(f"tq4_{i}", f"t{i}", q4, 1.0, "growth_tiny.py") for i in range(3)]
    write_records(landing, "runs", runs)

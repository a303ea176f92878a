"""The taxonomy seeds: consistent with each other, with the installed client, and with the facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets.code_imports.taxonomy import LIBRARIES_CSV, check_seeds, read_csv

LIBRARIES = {row["module"]: row for row in read_csv(LIBRARIES_CSV)}
MANIFEST = json.loads((Path(__file__).parent / "corpus" / "expected.json").read_text())


def test_seeds_are_consistent_and_cover_every_telemetry_field():
    assert check_seeds() == []


def test_size():
    assert len(LIBRARIES) >= 120
    assert len({row["library"] for row in LIBRARIES.values()}) >= 100


@pytest.mark.parametrize(
    ("module", "library", "category", "family"),
    [
        ("torch", "PyTorch", "core framework", "PyTorch"),
        ("tensorflow", "TensorFlow", "core framework", "TensorFlow"),
        ("keras", "Keras", "high-level framework", "TensorFlow"),
        ("keras_core", "Keras", "high-level framework", "TensorFlow"),
        ("tf_keras", "Keras", "high-level framework", "TensorFlow"),
        ("pytorch_lightning", "Lightning", "high-level framework", "PyTorch"),
        ("lightning", "Lightning", "high-level framework", "PyTorch"),
        ("lightning_fabric", "Lightning", "high-level framework", "PyTorch"),
        ("xgboost", "XGBoost", "boosted trees", "boosted trees"),
        ("lightgbm", "LightGBM", "boosted trees", "boosted trees"),
        ("catboost", "CatBoost", "boosted trees", "boosted trees"),
        ("transformers", "Hugging Face Transformers", "NLP", ""),
        ("hydra", "Hydra", "hyperparameter & config", ""),
        ("sklearn", "scikit-learn", "classical ML", "scikit-learn"),
        ("jax", "JAX", "core framework", "JAX"),
        ("flax", "Flax", "high-level framework", "JAX"),
        ("ignite", "PyTorch Ignite", "high-level framework", "PyTorch"),
    ],
)
def test_mapping_facts(module, library, category, family):
    row = LIBRARIES[module]
    assert (row["library"], row["category"], row["framework_family"]) == (library, category, family)


def test_corpus_framework_scripts_map_to_their_family():
    # What the report will see: each framework's example script lands in that framework's family.
    expected = {
        "pytorch_mnist.py": "PyTorch",
        "tf_keras_cnn.py": "TensorFlow",
        "keras_standalone.py": "TensorFlow",
        "lightning_new_namespace.py": "PyTorch",
        "xgboost_tabular.py": "boosted trees",
        "catboost_classifier.py": "boosted trees",
        "jax_mlp.py": "JAX",
        "flax_train_state.py": "JAX",
        "sklearn_pipeline.py": "scikit-learn",
    }
    for name, family in expected.items():
        modules = MANIFEST["files"][name]["modules"]
        assert family in {LIBRARIES[m]["framework_family"] for m in modules if m in LIBRARIES}, name

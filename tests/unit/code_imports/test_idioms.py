"""Labelled snippets of real training-code idioms: Keras through TensorFlow, the project's own modules,
IPython magics that wrap statements. Both strategies must agree on every one."""

from __future__ import annotations

import json

import pytest

from assets.code_imports.extract import extract_imports, local_modules_of_path

STRATEGIES = {"prefilter": True, "full": False}


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


# (label, source, path, local_modules, expected modules)
IDIOMS = [
    # -- Keras used through TensorFlow counts Keras (and TensorFlow)
    ("from tensorflow import keras", "from tensorflow import keras\n", "t.py", (), ["keras", "tensorflow"]),
    ("from tensorflow import keras as K", "from tensorflow import keras as K, data\n", "t.py", (), ["keras", "tensorflow"]),
    ("from tensorflow.keras import layers", "from tensorflow.keras import layers\n", "t.py", (), ["keras", "tensorflow"]),
    ("from tensorflow.keras.layers import Dense", "from tensorflow.keras.layers import (\n    Dense,\n)\n", "t.py", (), ["keras", "tensorflow"]),
    ("import tensorflow.keras", "import tensorflow.keras\n", "t.py", (), ["keras", "tensorflow"]),
    ("import tensorflow.keras as keras", "import tensorflow.keras as keras\n", "t.py", (), ["keras", "tensorflow"]),
    ("tensorflow.python.keras (TF 1.x/2.0)", "from tensorflow.python.keras.models import Model\n", "t.py", (), ["keras", "tensorflow"]),
    ("tf.keras.<...>", "import tensorflow as tf\nm = tf.keras.Sequential([tf.keras.layers.Dense(1)])\n", "t.py", (), ["keras", "tensorflow"]),
    ("tf . keras with blanks", "import tensorflow as tf\nm = tf .keras.Model()\n", "t.py", (), ["keras", "tensorflow"]),
    ("tensorflow.keras without alias", "import tensorflow\nm = tensorflow.keras.Model()\n", "t.py", (), ["keras", "tensorflow"]),
    ("compat.v1 as tf", "import tensorflow.compat.v1 as tf\nx = tf.keras.layers.Dense(3)\n", "t.py", (), ["keras", "tensorflow"]),
    ("tf.keras in a function import", "def build():\n    import tensorflow as tf\n    return tf.keras.Model()\n", "t.py", (), ["keras", "tensorflow"]),
    ("tf.keras across notebook cells", notebook("import tensorflow as tf", "model = tf.keras.Sequential()"), "nb.ipynb", (), ["keras", "tensorflow"]),
    ("tensorflow only: no keras", "import tensorflow as tf\nx = tf.constant(1)\n", "t.py", (), ["tensorflow"]),
    ("tf.keras only in a comment", "import tensorflow as tf\n# tf.keras.Model would be nicer\n", "t.py", (), ["tensorflow"]),
    ("tf.keras only in a string", "import tensorflow as tf\nprint('use tf.keras')\ndoc = '''tf.keras'''\n", "t.py", (), ["tensorflow"]),
    ("tf is not tensorflow", "import tfx as tf\nm = tf.keras\n", "t.py", (), ["tfx"]),
    ("x.tf.keras is not tf.keras", "import tensorflow as tf\nm = obj.tf.keras\n", "t.py", (), ["tensorflow"]),
    ("import_module('tensorflow.keras')", "import importlib\nk = importlib.import_module('tensorflow.keras')\n", "t.py", (), ["keras", "tensorflow"]),
    ("standalone keras unchanged", "import keras\n", "t.py", (), ["keras"]),
    # -- the project's own modules
    ("sibling datasets.py is not HF datasets", "import datasets\nimport torch\n", "train.py", ("datasets",), ["torch"]),
    ("sibling packages utils, models", "from utils import seed\nfrom models.resnet import R\nimport timm\n", "train.py", ("utils", "models"), ["timm"]),
    ("src/ package of src/train.py", "from src.data import load\nimport torch\n", "src/train.py", (), ["torch"]),
    ("a script importing itself by name", "import train\nimport numpy\n", "train.py", (), ["numpy"]),
    ("unknown third party kept", "import my_lab_toolkit\n", "train.py", (), ["my_lab_toolkit"]),
    ("no file list: datasets is HF datasets", "import datasets\n", "train.py", (), ["datasets"]),
    ("notebook folder is not a module", "import pandas\n", "notebooks/eda.ipynb", (), ["pandas"]),
    # -- IPython magics that wrap a statement keep it
    ("%time import", notebook("%time import lightgbm as lgb\n"), "nb.ipynb", (), ["lightgbm"]),
    ("%timeit with options", notebook("%timeit -n 1 -r 1 import xgboost\n"), "nb.ipynb", (), ["xgboost"]),
    ("%prun from-import", notebook("%prun from catboost import CatBoost\n"), "nb.ipynb", (), ["catboost"]),
    ("indented %time in a block", notebook("if True:\n    %time import optuna\n"), "nb.ipynb", (), ["optuna"]),
    ("%%time cell", notebook("%%time\nimport sklearn\nfrom lightgbm import LGBMClassifier\n"), "nb.ipynb", (), ["lightgbm", "sklearn"]),
    ("%%capture cell", notebook("%%capture\nimport torch\n"), "nb.ipynb", (), ["torch"]),
    ("other line magics still dropped", notebook("%matplotlib inline\n%pip install lightgbm\nimport numpy\n"), "nb.ipynb", (), ["numpy"]),
]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(("label", "source", "path", "local", "expected"), IDIOMS, ids=[i[0] for i in IDIOMS])
def test_idiom(label, source, path, local, expected, strategy):
    result = extract_imports(source, path, prefilter=STRATEGIES[strategy], local_modules=local)
    assert list(result.modules) == expected, label
    assert result.method in ("ast", "notebook_ast"), result


def test_local_modules_of_path():
    assert local_modules_of_path("src/pkg/train.py") == {"src", "train"}
    assert local_modules_of_path("train.py") == {"train"}
    assert local_modules_of_path("nb/explore.ipynb") == {"nb"}
    assert local_modules_of_path("../x/train.py") == set()
    assert local_modules_of_path("my-scripts/run.py") == {"run"}  # not an identifier
    assert local_modules_of_path(None) == set()

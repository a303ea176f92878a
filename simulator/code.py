"""Training code: the text of each script version (a ``.py`` file or a notebook's JSON).

The text is what a parser downstream reads to find framework imports, so the imports are real
(``import torch``, ``from transformers import AutoModel``, ``import tensorflow as tf``,
``from tensorflow import keras``, ``import pytorch_lightning as pl``, ``import xgboost as xgb``...)
and mixed like real code: stdlib imports, aliases, ``from x.y import z``, imports inside functions,
optional imports in ``try/except ImportError``, notebooks with ``!pip`` lines and ``%`` magics, and
a few odd files (Python 2 ``print`` statements, a syntax error).

Every version of every script is unique (``wandb.init(group=...)`` carries a tag derived from the
script and version), so a content hash identifies one version of one script.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .libraries import lightning_module_name
from .world import (
    S_CAT, S_JAX, S_KERAS, S_LGBM, S_LIGHTNING, S_OTHER, S_SKLEARN, S_TF, S_TFKERAS, S_TORCH, S_XGB,
    T_AUDIO, T_GEN, T_GRAPH, T_MOL, T_NLP, T_RL, T_TABULAR, T_TS, T_VISION, TASKS,
)

ODD_PY2, ODD_SYNTAX = 1, 2


@dataclass(frozen=True)
class Version:
    """One version of one script: everything its text depends on."""

    tag: str  # unique per (script, version)
    username: str
    home: str
    project: str
    path: str
    stack: int
    task: int
    notebook: bool
    libs: tuple[str, ...]
    style: int  # stable per script: coding habits
    vseed: int  # per version: the edit
    odd: int
    yf: float


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- vocabulary ------------------------------------------------------------------------------------
PY_NAMES = ("train.py", "main.py", "run.py", "train_model.py", "scripts/train.py", "src/train.py", "finetune.py",
            "experiment.py", "trainer.py", "tools/train_net.py", "baseline.py", "train_{task}.py", "{task}_train.py",
            "sweep.py", "fit.py")
NB_NAMES = ("notebook.ipynb", "train.ipynb", "notebooks/experiments.ipynb", "Untitled.ipynb", "Untitled1.ipynb",
            "colab_training.ipynb", "baseline.ipynb", "{task}.ipynb", "{project}.ipynb", "analysis.ipynb")
PROJECTS = {
    T_VISION: ("mnist", "cifar10-resnet", "image-classification", "yolov5", "segmentation", "cats-vs-dogs",
               "object-detection", "medical-imaging", "satellite", "fashion-mnist", "imagenet-finetune"),
    T_NLP: ("bert-finetune", "sentiment", "gpt2-finetune", "ner", "summarization", "translation", "qa-squad",
            "text-classification", "language-model"),
    T_TABULAR: ("kaggle-titanic", "house-prices", "fraud-detection", "churn", "credit-risk", "tabular-playground",
                "ctr-prediction"),
    T_AUDIO: ("speech-recognition", "keyword-spotting", "wav2vec2", "audio-classification"),
    T_RL: ("ppo-cartpole", "atari-dqn", "rl-baselines", "lunar-lander"),
    T_GEN: ("stable-diffusion", "gan", "vae", "ddpm", "dreambooth", "style-transfer"),
    T_GRAPH: ("gnn", "node-classification", "link-prediction"),
    T_MOL: ("molecule-property", "protein-folding", "drug-discovery", "admet"),
    T_TS: ("forecasting", "time-series", "anomaly-detection", "demand-forecast"),
}
PROJECT_SUFFIX = ("", "", "", "-v2", "-exp", "-thesis", "-sweeps", "-baseline", "-2", "-dev")

STDLIB = ("import os", "import sys", "import json", "import math", "import random", "import argparse",
          "import logging", "import time", "from pathlib import Path", "from dataclasses import dataclass",
          "from typing import Dict, List, Optional", "from collections import defaultdict", "import glob",
          "import shutil", "from functools import partial", "import itertools", "import copy", "import re",
          "from datetime import datetime", "import warnings")

AUX_IMPORTS = {
    "transformers": (("from transformers import AutoModelForSequenceClassification, AutoTokenizer",
                      "from transformers import get_linear_schedule_with_warmup"),
                     ("from transformers import AutoModel, AutoTokenizer",),
                     ("import transformers", "from transformers import Trainer, TrainingArguments")),
    "hydra": (("import hydra", "from omegaconf import DictConfig, OmegaConf"),),
    "diffusers": (("from diffusers import DDPMScheduler, UNet2DModel",),
                  ("from diffusers import StableDiffusionPipeline, DDPMScheduler", "from diffusers.optimization import get_scheduler")),
    "accelerate": (("from accelerate import Accelerator",),),
    "einops": (("from einops import rearrange, repeat",), ("import einops",)),
    "timm": (("import timm",), ("import timm", "from timm.data import resolve_data_config")),
    "evaluate": (("import evaluate",),),
    "datasets": (("from datasets import load_dataset",), ("import datasets",)),
    "torchvision": (("import torchvision", "from torchvision import transforms"),
                    ("from torchvision import datasets, transforms",), ("import torchvision.transforms as T",)),
    "torchmetrics": (("import torchmetrics",), ("from torchmetrics import Accuracy",)),
    "optuna": (("import optuna",),),
    "albumentations": (("import albumentations as A",),),
    "sklearn": (("from sklearn.metrics import accuracy_score, f1_score",), ("from sklearn.model_selection import train_test_split",),
                ("from sklearn.preprocessing import StandardScaler",)),
    "pandas": (("import pandas as pd",),),
    "matplotlib": (("import matplotlib.pyplot as plt",),),
    "seaborn": (("import seaborn as sns",),),
    "scipy": (("from scipy import stats",), ("import scipy",)),
    "tqdm": (("from tqdm import tqdm",), ("from tqdm.auto import tqdm",)),
    "PIL": (("from PIL import Image",),),
    "cv2": (("import cv2",),),
    "librosa": (("import librosa",),),
    "gym": (("import gym",),),
    "stable_baselines3": (("from stable_baselines3 import PPO",), ("from stable_baselines3 import DQN",)),
    "torch_geometric": (("from torch_geometric.datasets import Planetoid", "from torch_geometric.nn import GCNConv"),),
    "dgl": (("import dgl",),),
    "rdkit": (("from rdkit import Chem", "from rdkit.Chem import AllChem"),),
    "monai": (("import monai", "from monai.networks.nets import UNet"),),
    "spacy": (("import spacy",),),
    "nltk": (("import nltk",),),
    "sentence_transformers": (("from sentence_transformers import SentenceTransformer",),),
    "ray": (("import ray", "from ray import tune"),),
    "joblib": (("import joblib",),),
    "ignite": (("from ignite.engine import Events, create_supervised_trainer",),),
    "mmdet": (("from mmdet.apis import init_detector, train_detector",),),
    "detectron2": (("from detectron2.config import get_cfg", "from detectron2.engine import DefaultTrainer"),),
    "segmentation_models_pytorch": (("import segmentation_models_pytorch as smp",),),
    "kornia": (("import kornia",),),
    "tensorflow_datasets": (("import tensorflow_datasets as tfds",),),
    "peft": (("from peft import LoraConfig, get_peft_model",),),
}
OPTIONAL = (  # imported in try/except: a parser sees them, the client's telemetry may not
    ("apex", "try:\n    from apex import amp\nexcept ImportError:\n    amp = None"),
    ("tensorflow", "try:\n    import tensorflow as tf  # only for tensorboard summaries\nexcept ImportError:\n    tf = None"),
    ("wandb", "try:\n    import wandb\nexcept ImportError:\n    wandb = None"),
    ("comet_ml", "try:\n    import comet_ml  # noqa: F401\nexcept ImportError:\n    pass"),
)

HF_MODELS = {
    T_NLP: ("bert-base-uncased", "roberta-base", "distilbert-base-uncased", "gpt2", "t5-small", "microsoft/deberta-v3-base",
            "xlm-roberta-base", "bert-base-cased", "facebook/bart-base"),
    T_VISION: ("google/vit-base-patch16-224", "microsoft/swin-tiny-patch4-window7-224", "facebook/convnext-tiny-224"),
    T_AUDIO: ("facebook/wav2vec2-base", "facebook/hubert-base-ls960", "openai/whisper-small"),
    T_GEN: ("runwayml/stable-diffusion-v1-5", "CompVis/stable-diffusion-v1-4", "gpt2-medium"),
    T_MOL: ("seyonec/ChemBERTa-zinc-base-v1", "Rostlab/prot_bert"),
}
TIMM_MODELS = ("resnet50", "efficientnet_b0", "vit_base_patch16_224", "convnext_tiny", "resnet18", "swin_tiny_patch4_window7_224")
DATASETS = {
    T_VISION: ("cifar10", "mnist", "imagenette", "fashion_mnist", "pets", "flowers102"),
    T_NLP: ("imdb", "sst2", "ag_news", "squad", "wikitext", "conll2003"),
    T_AUDIO: ("speech_commands", "librispeech_asr", "common_voice"),
    T_TABULAR: ("train.csv", "data/train.csv", "input/train.csv", "features.parquet"),
    T_TS: ("sales.csv", "data/energy.csv", "sensor_readings.parquet"),
    T_GEN: ("celeba", "lsun_bedroom", "pokemon-blip-captions", "cifar10"),
    T_MOL: ("tox21", "esol", "zinc250k", "qm9"),
    T_GRAPH: ("Cora", "PubMed", "ogbn-arxiv"),
    T_RL: ("CartPole-v1", "LunarLander-v2", "BreakoutNoFrameskip-v4", "Pendulum-v1"),
}
LRS = ("1e-3", "3e-4", "1e-4", "5e-5", "2e-5", "0.01", "0.001", "3e-5", "5e-4", "0.1")
BATCHES = (8, 16, 32, 64, 128, 256, 512)
EPOCHS = (3, 5, 10, 20, 30, 50, 100)


def _pick(seq, x: int, shift: int = 0):
    return seq[(x >> shift) % len(seq)]


def file_name(task: int, notebook: bool, choice: int, project: str) -> str:
    names = NB_NAMES if notebook else PY_NAMES
    return _pick(names, choice).format(task=TASKS[task], project=project)


def project_name(task: int, choice: int) -> str:
    return _pick(PROJECTS[task], choice) + _pick(PROJECT_SUFFIX, choice, 5)


# -- sections ----------------------------------------------------------------------------------------
def _core_imports(v: Version) -> tuple[list[str], set[str]]:
    s, st = v.stack, v.style
    mods: set[str] = set()
    if s in (S_TORCH, S_LIGHTNING):
        lines = ["import torch", "import torch.nn as nn"]
        if st % 3:
            lines.append("import torch.nn.functional as F")
        lines.append(_pick(("from torch.utils.data import DataLoader, Dataset", "from torch.utils.data import DataLoader",
                            "from torch.utils.data import DataLoader, random_split"), st, 2))
        if (st >> 5) % 4 == 0:
            lines.append("from torch.optim.lr_scheduler import CosineAnnealingLR")
        if (st >> 7) % 9 == 0:
            lines.append("from torch.utils.tensorboard import SummaryWriter")
        mods.add("torch")
        if s == S_LIGHTNING:
            mod = lightning_module_name(v.yf, ((st >> 9) % 100) / 100)
            if mod == "lightning":
                lines += ["import lightning as L", "from lightning.pytorch.loggers import WandbLogger",
                          "from lightning.pytorch.callbacks import ModelCheckpoint"]
            else:
                lines += ["import pytorch_lightning as pl", "from pytorch_lightning.loggers import WandbLogger"]
                if st % 2:
                    lines.append("from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint")
            mods.add(mod)
    elif s == S_TFKERAS:
        lines = ["import tensorflow as tf"]
        lines += _pick((["from tensorflow import keras", "from tensorflow.keras import layers"],
                        ["from tensorflow.keras.models import Sequential, Model",
                         "from tensorflow.keras.layers import Dense, Dropout, Conv2D, MaxPooling2D, Flatten"],
                        ["import keras", "from keras import layers"],
                        ["from tensorflow import keras", "from keras.callbacks import EarlyStopping"]), st, 1)
        mods |= {"tensorflow", "keras"}
    elif s == S_TF:
        lines = ["import tensorflow as tf"]
        if st % 3 == 0:
            lines.append("from tensorflow.python.client import device_lib")
        mods.add("tensorflow")
    elif s == S_KERAS:
        lines = _pick((["import keras", "from keras.models import Sequential", "from keras.layers import Dense, Dropout, Conv2D, Flatten"],
                       ["from keras.models import Sequential", "from keras.layers import Dense, Dropout, LSTM",
                        "from keras import backend as K"],
                       ["import keras", "from keras import layers", "import tensorflow as tf"]), st, 1)
        mods.add("keras")
        if any(line.startswith("import tensorflow") for line in lines):
            mods.add("tensorflow")
    elif s == S_JAX:
        lines = ["import jax", "import jax.numpy as jnp"]
        mods.add("jax")
        if st % 5:
            lines += ["import flax.linen as nn", "from flax.training import train_state"]
            mods.add("flax")
        lines.append("import optax")
    elif s == S_XGB:
        lines = [_pick(("import xgboost as xgb", "from xgboost import XGBClassifier", "import xgboost as xgb\nfrom xgboost import XGBRegressor"), st, 1),
                 "from sklearn.model_selection import train_test_split"]
        mods |= {"xgboost", "sklearn"}
    elif s == S_LGBM:
        lines = ["import lightgbm as lgb", "from sklearn.model_selection import KFold"]
        mods |= {"lightgbm", "sklearn"}
    elif s == S_CAT:
        lines = ["from catboost import CatBoostClassifier, Pool", "from sklearn.model_selection import train_test_split"]
        mods |= {"catboost", "sklearn"}
    elif s == S_SKLEARN:
        lines = [_pick(("from sklearn.ensemble import RandomForestClassifier", "from sklearn.linear_model import LogisticRegression",
                        "from sklearn.svm import SVC", "from sklearn.ensemble import GradientBoostingRegressor"), st, 1),
                 "from sklearn.model_selection import cross_val_score, train_test_split"]
        mods.add("sklearn")
    else:
        lines = []
    return lines, mods


def _hf_build(lines: tuple[str, ...]) -> list[str]:
    joined = " ".join(lines)
    tok = "transformers.AutoTokenizer" if joined.startswith("import transformers") else "AutoTokenizer"
    if "AutoModelForSequenceClassification" in joined:
        model = "AutoModelForSequenceClassification.from_pretrained(MODEL_NAME, num_labels=num_labels)"
    elif joined.startswith("import transformers"):
        model = "transformers.AutoModelForSequenceClassification.from_pretrained(MODEL_NAME, num_labels=num_labels)"
    else:
        model = "AutoModel.from_pretrained(MODEL_NAME)"
    return [f"    tokenizer = {tok}.from_pretrained(MODEL_NAME)", f"    model = {model}"]


def _model_and_train(v: Version, cfg: dict, core: list[str], aux: dict[str, tuple[str, ...]]) -> list[str]:
    """The model and its training code, in the idiom of the script's stack."""
    s = v.stack
    if s in (S_TORCH, S_LIGHTNING):
        train = _lightning_module(v, cfg, core) if s == S_LIGHTNING else _torch_loop(v, cfg)
        return _torch_model(v, cfg, core, aux) + train
    if s in (S_TFKERAS, S_KERAS):
        return _keras_model(v, cfg, core)
    if s == S_TF:
        return _tf_module()
    if s == S_JAX:
        return _jax_train_step(cfg, core)
    if s in (S_XGB, S_LGBM, S_CAT, S_SKLEARN):
        return _tabular_fit(v, cfg, core)
    return _other_code(v, cfg, aux)


def _torch_model(v: Version, cfg: dict, core: list[str], aux: dict[str, tuple[str, ...]]) -> list[str]:
    """PyTorch: a Hugging Face, timm or diffusers model, or a small `nn.Module` suited to the task."""
    t, libs = v.task, set(v.libs)
    out: list[str] = []
    if "transformers" in libs and t in HF_MODELS:
        out += [
            "",
            f'MODEL_NAME = "{_pick(HF_MODELS[t], v.style, 3)}"',
            "",
            "",
            "def build_model(num_labels: int = 2):",
            *_hf_build(aux.get("transformers", ())),
            "    return tokenizer, model",
        ]
    elif "timm" in libs:
        out += ["", "", "def build_model(num_classes: int):",
                f'    return timm.create_model("{_pick(TIMM_MODELS, v.vseed)}", pretrained=True, num_classes=num_classes)']
    elif "diffusers" in libs:
        out += ["", "", "def build_model(image_size: int = 64):",
                "    model = UNet2DModel(sample_size=image_size, in_channels=3, out_channels=3, layers_per_block=2,",
                f"                        block_out_channels=({cfg['width']}, {cfg['width']}, {cfg['width'] * 2}, {cfg['width'] * 2}))",
                "    scheduler = DDPMScheduler(num_train_timesteps=1000)",
                "    return model, scheduler"]
    else:
        w = cfg["width"]
        out += ["", "", "class Net(nn.Module):", f"    def __init__(self, num_classes: int = {cfg['classes']}):",
                "        super().__init__()"]
        if t in (T_NLP, T_TS, T_AUDIO):
            out += [f"        self.embed = nn.Embedding({cfg['vocab']}, {w})",
                    f"        self.rnn = nn.LSTM({w}, {w}, num_layers={cfg['layers']}, batch_first=True, dropout={cfg['dropout']})",
                    f"        self.head = nn.Linear({w}, num_classes)", "", "    def forward(self, x):",
                    "        out, _ = self.rnn(self.embed(x))", "        return self.head(out[:, -1])"]
        elif t == T_GRAPH and "torch_geometric" in libs:
            out += [f"        self.conv1 = GCNConv({cfg['vocab'] % 1500 + 100}, {w})",
                    f"        self.conv2 = GCNConv({w}, num_classes)", "", "    def forward(self, x, edge_index):",
                    "        x = F.relu(self.conv1(x, edge_index))" if "import torch.nn.functional as F" in core else "        x = self.conv1(x, edge_index).relu()",
                    "        return self.conv2(x, edge_index)"]
        else:
            out += ["        self.features = nn.Sequential(",
                    f"            nn.Conv2d(3, {w}, kernel_size=3, padding=1),", f"            nn.BatchNorm2d({w}),",
                    "            nn.ReLU(inplace=True),", "            nn.MaxPool2d(2),",
                    f"            nn.Conv2d({w}, {w * 2}, kernel_size=3, padding=1),", "            nn.ReLU(inplace=True),",
                    "            nn.AdaptiveAvgPool2d(1),", "        )", f"        self.classifier = nn.Linear({w * 2}, num_classes)",
                    f"        self.dropout = nn.Dropout({cfg['dropout']})", "", "    def forward(self, x):"]
            if "einops" in libs:
                out += ["        x = self.features(x)", '        x = rearrange(x, "b c h w -> b (c h w)")']
            else:
                out += ["        x = self.features(x).flatten(1)"]
            out += ["        return self.classifier(self.dropout(x))"]
    return out


def _lightning_module(v: Version, cfg: dict, core: list[str]) -> list[str]:
    """Lightning: a LightningModule around the model."""
    libs = set(v.libs)
    out: list[str] = []
    base = "L.LightningModule" if "import lightning as L" in core else "pl.LightningModule"
    out += ["", "", f"class LitModel({base}):", "    def __init__(self, lr: float):", "        super().__init__()",
            "        self.save_hyperparameters()",
            "        self.model = Net()" if not ({"timm", "transformers", "diffusers"} & libs) else f"        self.model = build_model({cfg['classes']})",
            "", "    def training_step(self, batch, batch_idx):", "        x, y = batch",
            "        loss = nn.functional.cross_entropy(self.model(x), y)", '        self.log("train/loss", loss)',
            "        return loss", "", "    def validation_step(self, batch, batch_idx):", "        x, y = batch",
            "        logits = self.model(x)", '        self.log("val/acc", (logits.argmax(-1) == y).float().mean(), prog_bar=True)',
            "", "    def configure_optimizers(self):",
            f"        return torch.optim.{_pick(('AdamW', 'Adam', 'SGD'), v.style, 4)}(self.parameters(), lr=self.hparams.lr)"]
    return out


def _torch_loop(v: Version, cfg: dict) -> list[str]:
    """Plain PyTorch (or Accelerate): a hand-written training epoch and validation."""
    libs = set(v.libs)
    out: list[str] = []
    acc = "accelerate" in libs
    out += ["", "", "def train_one_epoch(model, loader, optimizer, device" + (", accelerator" if acc else "") + "):",
            "    model.train()", "    running = 0.0", "    for step, (x, y) in enumerate(loader):"]
    if not acc:
        out += ["        x, y = x.to(device), y.to(device)"]
    out += ["        optimizer.zero_grad()", "        loss = nn.functional.cross_entropy(model(x), y)",
            "        accelerator.backward(loss)" if acc else "        loss.backward()",
            "        optimizer.step()", "        running += loss.item()",
            f"        if step % {cfg['log_every']} == 0:", '            wandb.log({"train/loss": loss.item(), "step": step})',
            "    return running / max(len(loader), 1)", "", "", "@torch.no_grad()", "def validate(model, loader, device):",
            "    model.eval()", "    correct = total = 0", "    for x, y in loader:", "        x, y = x.to(device), y.to(device)",
            "        pred = model(x).argmax(dim=-1)", "        correct += (pred == y).sum().item()", "        total += y.numel()",
            "    return correct / max(total, 1)"]
    return out


def _keras_model(v: Version, cfg: dict, core: list[str]) -> list[str]:
    """Keras (standalone or tf.keras): a Sequential model, compiled."""
    s, t = v.stack, v.task
    out: list[str] = []
    pre = "keras." if any("from tensorflow import keras" in x or x == "import keras" for x in core) else ""
    lay = "layers." if any("import layers" in x for x in core) else ""
    seq = f"{pre}Sequential" if pre else "Sequential"
    if not pre and not any("Sequential" in x for x in core):
        seq = "tf.keras.Sequential"
        lay = "tf.keras.layers."
    w = cfg["width"]
    out += ["", "", "def build_model(input_shape, num_classes):", f"    model = {seq}(["]
    if t in (T_NLP, T_TS, T_AUDIO):
        out += [f"        {lay}Embedding({cfg['vocab']}, {w}),", f"        {lay}LSTM({w}),"]
    else:
        out += [f"        {lay}Conv2D({w}, 3, activation='relu', input_shape=input_shape),", f"        {lay}MaxPooling2D(),",
                f"        {lay}Flatten(),"]
    out += [f"        {lay}Dense({w * 2}, activation='relu'),", f"        {lay}Dropout({cfg['dropout']}),",
            f"        {lay}Dense(num_classes, activation='softmax'),", "    ])",
            f"    model.compile(optimizer={pre or 'tf.keras.'}optimizers.Adam(learning_rate={cfg['lr']}),"
            if pre or s == S_TFKERAS else "    model.compile(optimizer='adam',",
            "                  loss='sparse_categorical_crossentropy', metrics=['accuracy'])", "    return model"]
    return out


def _tf_module() -> list[str]:
    """Low-level TensorFlow: a tf.Module and a tf.function training step."""
    out: list[str] = []
    out += ["", "", "class MLP(tf.Module):", "    def __init__(self, sizes):", "        super().__init__()",
            "        self.ws = [tf.Variable(tf.random.normal([a, b]) * 0.01) for a, b in zip(sizes[:-1], sizes[1:])]", "",
            "    def __call__(self, x):", "        for w in self.ws[:-1]:", "            x = tf.nn.relu(x @ w)", "        return x @ self.ws[-1]",
            "", "", "@tf.function", "def train_step(model, optimizer, x, y):", "    with tf.GradientTape() as tape:",
            "        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=model(x)))",
            "    grads = tape.gradient(loss, model.trainable_variables)",
            "    optimizer.apply_gradients(zip(grads, model.trainable_variables))", "    return loss"]
    return out


def _jax_train_step(cfg: dict, core: list[str]) -> list[str]:
    """JAX: a Flax model (when imported) and a jitted training step."""
    out: list[str] = []
    if "import flax.linen as nn" in core:
        out += ["", "", "class CNN(nn.Module):", "    @nn.compact", "    def __call__(self, x):",
                f"        x = nn.Conv(features={cfg['width']}, kernel_size=(3, 3))(x)", "        x = nn.relu(x)",
                "        x = x.reshape((x.shape[0], -1))", f"        return nn.Dense(features={cfg['classes']})(x)"]
    out += ["", "", "@jax.jit", "def train_step(state, batch):", "    def loss_fn(params):",
            '        logits = state.apply_fn({"params": params}, batch["image"])',
            '        return optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"]).mean()',
            "    loss, grads = jax.value_and_grad(loss_fn)(state.params)", "    return state.apply_gradients(grads=grads), loss"]
    return out


def _tabular_fit(v: Version, cfg: dict, core: list[str]) -> list[str]:
    """Boosted trees and scikit-learn: load a table, fit."""
    s, t = v.stack, v.task
    out: list[str] = []
    data = _pick(DATASETS[T_TABULAR if t != T_TS else T_TS], v.style, 2)
    out += ["", "", "def load_data():",
            f'    df = pd.read_csv("{data}")' if not data.endswith(".parquet") else f'    df = pd.read_parquet("{data}")',
            f'    y = df.pop("{_pick(("target", "label", "Survived", "SalePrice", "is_fraud", "churn"), v.style, 6)}")',
            "    return train_test_split(df, y, test_size=0.2, random_state=SEED)" if s != S_LGBM else "    return df, y"]
    if s == S_XGB:
        if any(x.startswith("import xgboost as xgb") for x in core):
            out += ["", "", "def fit(X_tr, X_va, y_tr, y_va):",
                    "    dtrain, dvalid = xgb.DMatrix(X_tr, label=y_tr), xgb.DMatrix(X_va, label=y_va)",
                    f'    params = {{"max_depth": {cfg["depth"]}, "eta": {cfg["lr"]}, "objective": "binary:logistic", "eval_metric": "auc"}}',
                    f"    return xgb.train(params, dtrain, num_boost_round={cfg['rounds']}, evals=[(dvalid, \"valid\")],",
                    "                     callbacks=[WandbCallback()])"]
        else:
            out += ["", "", "def fit(X_tr, X_va, y_tr, y_va):",
                    f"    model = XGBClassifier(n_estimators={cfg['rounds']}, max_depth={cfg['depth']}, learning_rate={cfg['lr']})",
                    "    model.fit(X_tr, y_tr, eval_set=[(X_va, y_va)], verbose=False)", "    return model"]
    elif s == S_LGBM:
        out += ["", "", "def fit(X, y):", f'    params = {{"objective": "binary", "learning_rate": {cfg["lr"]}, "num_leaves": {cfg["depth"] * 8}}}',
                "    scores = []", f"    for fold, (tr, va) in enumerate(KFold({cfg['layers'] + 3}, shuffle=True, random_state=SEED).split(X)):",
                "        dtr, dva = lgb.Dataset(X.iloc[tr], y.iloc[tr]), lgb.Dataset(X.iloc[va], y.iloc[va])",
                f"        booster = lgb.train(params, dtr, num_boost_round={cfg['rounds']}, valid_sets=[dva], callbacks=[wandb_callback()])",
                "        scores.append(booster.best_score)", "    return scores"]
    elif s == S_CAT:
        out += ["", "", "def fit(X_tr, X_va, y_tr, y_va):",
                f"    model = CatBoostClassifier(iterations={cfg['rounds']}, depth={cfg['depth']}, learning_rate={cfg['lr']}, verbose=0)",
                "    model.fit(Pool(X_tr, y_tr), eval_set=Pool(X_va, y_va))", "    return model"]
    else:
        est = core[0].split()[-1]
        out += ["", "", "def fit(X_tr, X_va, y_tr, y_va):", f"    model = {est}()", "    model.fit(X_tr, y_tr)",
                "    wandb.log({\"val/score\": model.score(X_va, y_va)})", "    return model"]
    return out


def _other_code(v: Version, cfg: dict, aux: dict[str, tuple[str, ...]]) -> list[str]:
    """Other stacks: reinforcement learning with gym / Stable-Baselines3, or plain NumPy."""
    t, libs = v.task, set(v.libs)
    out: list[str] = []
    if t == T_RL and ("stable_baselines3" in libs or "gym" in libs):
        env = _pick(DATASETS[T_RL], v.style, 2)
        out += ["", "", "def make_env():", f'    return gym.make("{env}")' if "gym" in libs else f'    return "{env}"']
        if "stable_baselines3" in libs:
            algo = "PPO" if "PPO" in " ".join(aux["stable_baselines3"]) else "DQN"
            out += ["", "", "def fit(total_timesteps: int):",
                    f'    model = {algo}("MlpPolicy", make_env(), learning_rate={cfg["lr"]}, verbose=1)',
                    "    model.learn(total_timesteps=total_timesteps)", "    return model"]
    else:
        out += ["", "", "def simulate(n: int, rng):", "    x = rng.normal(size=(n, 8))",
                f"    w = rng.normal(size=8) * {cfg['dropout']}", "    return x @ w + rng.normal(size=n) * 0.1"]
    return out


def _config(v: Version) -> dict:
    x = v.vseed
    return {
        "lr": _pick(LRS, x),
        "batch": _pick(BATCHES, x, 4),
        "epochs": _pick(EPOCHS, x, 8),
        "width": _pick((32, 64, 96, 128, 256), x, 12),
        "classes": _pick((2, 10, 10, 100, 5, 3), v.style, 14),
        "vocab": _pick((10000, 20000, 30522, 50257, 32000), v.style, 17),
        "layers": _pick((1, 2, 2, 3, 4), x, 16),
        "dropout": _pick(("0.1", "0.2", "0.25", "0.3", "0.5", "0.0"), x, 20),
        "log_every": _pick((10, 20, 50, 100), x, 24),
        "depth": _pick((3, 4, 6, 8, 10), x, 27),
        "rounds": _pick((100, 200, 500, 1000, 2000), x, 30),
        "seed": _pick((0, 1, 42, 1234, 2022, 7, 123), x, 33),
        "wd": _pick(("0.0", "1e-4", "0.01", "0.05"), x, 36),
    }


def _main(v: Version, cfg: dict, core: list[str]) -> list[str]:
    s, libs = v.stack, set(v.libs)
    data = _pick(DATASETS[v.task], v.style, 2)
    group = f"{v.path.rsplit('/', 1)[-1].split('.')[0]}-{v.tag}"
    init = f'wandb.init(project="{v.project}", group="{group}", config=config)'
    hydra = "hydra" in libs
    out = ["", ""]
    if hydra:
        out += ['@hydra.main(config_path="conf", config_name="config", version_base=None)', "def main(cfg: DictConfig):",
                "    config = OmegaConf.to_container(cfg, resolve=True)"]
    else:
        out += ["def main():", "    config = dict(CONFIG)"]
    out += [f"    run = {init}", "    set_seed(config[\"seed\"])" if v.style % 4 == 0 else "    random.seed(config[\"seed\"])"]
    if s in (S_TORCH,):
        if "accelerate" in libs:
            out += ['    accelerator = Accelerator(mixed_precision="fp16")', "    device = accelerator.device"]
        else:
            out += ['    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")']
        build = "build_model(config[\"num_classes\"])" if ({"timm", "transformers", "diffusers"} & libs) else "Net()"
        if "transformers" in libs and v.task in HF_MODELS:
            build = "build_model()[1]"
        elif "diffusers" in libs:
            build = "build_model()[0]"
        out += [f"    model = {build}.to(device)", f"    optimizer = torch.optim.AdamW(model.parameters(), lr=config[\"lr\"], weight_decay={cfg['wd']})",
                f'    train_loader, val_loader = get_loaders("{data}", config["batch_size"])']
        if "accelerate" in libs:
            out += ["    model, optimizer, train_loader = accelerator.prepare(model, optimizer, train_loader)"]
        if "evaluate" in libs:
            out += ['    metric = evaluate.load("accuracy")']
        out += ['    for epoch in range(config["epochs"]):',
                "        loss = train_one_epoch(model, train_loader, optimizer, device" + (", accelerator)" if "accelerate" in libs else ")"),
                "        acc = validate(model, val_loader, device)",
                '        wandb.log({"epoch": epoch, "train/epoch_loss": loss, "val/acc": acc})',
                '        torch.save(model.state_dict(), os.path.join(OUT_DIR, "model.pt"))']
    elif s == S_LIGHTNING:
        tr = "L.Trainer" if "import lightning as L" in core else "pl.Trainer"
        out += [f'    logger = WandbLogger(project="{v.project}", log_model=True)',
                f'    trainer = {tr}(max_epochs=config["epochs"], accelerator="auto", devices="auto", logger=logger)',
                f'    train_loader, val_loader = get_loaders("{data}", config["batch_size"])',
                '    trainer.fit(LitModel(config["lr"]), train_loader, val_loader)']
    elif s in (S_TFKERAS, S_KERAS):
        cb = "WandbMetricsLogger()" if v.yf > 2022.6 and v.style % 3 else "WandbCallback()"
        out += [f'    (x_train, y_train), (x_test, y_test) = load_data("{data}")',
                '    model = build_model(x_train.shape[1:], config["num_classes"])',
                '    model.fit(x_train, y_train, epochs=config["epochs"], batch_size=config["batch_size"],',
                f"              validation_data=(x_test, y_test), callbacks=[{cb}])"]
    elif s == S_TF:
        out += [f'    (x_train, y_train), _ = load_data("{data}")', f"    model = MLP([784, {cfg['width']}, config['num_classes']])",
                '    optimizer = tf.optimizers.Adam(config["lr"])', '    for epoch in range(config["epochs"]):',
                '        loss = train_step(model, optimizer, x_train, y_train)', '        wandb.log({"loss": float(loss), "epoch": epoch})']
    elif s == S_JAX:
        out += ["    rng = jax.random.PRNGKey(config[\"seed\"])", '    state = create_train_state(rng, config["lr"])',
                '    for epoch in range(config["epochs"]):', "        for batch in get_batches(config[\"batch_size\"]):",
                "            state, loss = train_step(state, batch)", '        wandb.log({"epoch": epoch, "loss": float(loss)})']
    elif s in (S_XGB, S_CAT, S_SKLEARN):
        out += ["    X_tr, X_va, y_tr, y_va = load_data()", "    model = fit(X_tr, X_va, y_tr, y_va)",
                "    wandb.log({\"n_train\": len(X_tr)})"]
        if "joblib" in libs:
            out += ['    joblib.dump(model, os.path.join(OUT_DIR, "model.joblib"))']
    elif s == S_LGBM:
        out += ["    X, y = load_data()", "    scores = fit(X, y)", '    wandb.log({"cv/mean": sum(scores) / len(scores)})']
    else:
        if v.task == T_RL and "stable_baselines3" in libs:
            out += ['    model = fit(config["epochs"] * 10_000)', '    model.save(os.path.join(OUT_DIR, "policy"))']
        else:
            out += ["    import numpy as np  # local: keeps module import light", "    rng = np.random.default_rng(config[\"seed\"])",
                    '    for step in range(config["epochs"]):', '        wandb.log({"value": float(simulate(100, rng).mean())})']
    out += ["    run.finish()" if v.style % 2 else "    wandb.finish()"]
    return out


def _helpers(v: Version) -> tuple[list[str], set[str]]:
    """Small functions, some with imports inside (seen by a parser, imported lazily at run time)."""
    out: list[str] = []
    lazy: set[str] = set()
    st = v.style
    out += ["", "", "def set_seed(seed: int):", "    random.seed(seed)"]
    if v.stack in (S_TORCH, S_LIGHTNING):
        out += ["    torch.manual_seed(seed)"]
    elif v.stack in (S_TFKERAS, S_TF, S_KERAS) and v.stack != S_KERAS:
        out += ["    tf.random.set_seed(seed)"]
    if (st >> 13) % 5 == 0:
        out += ["", "", "def plot_history(history):", "    import matplotlib.pyplot as plt", "", "    fig, ax = plt.subplots()",
                '    ax.plot(history["loss"], label="loss")', "    ax.legend()", '    wandb.log({"history": wandb.Image(fig)})',
                "    plt.close(fig)"]
        lazy.add("matplotlib")
    if (st >> 16) % 7 == 0:
        out += ["", "", "def log_confusion(y_true, y_pred):", "    from sklearn.metrics import confusion_matrix", "",
                "    cm = confusion_matrix(y_true, y_pred)", '    wandb.log({"confusion": wandb.Table(data=cm.tolist(), columns=list(range(len(cm))))})']
        lazy.add("sklearn")
    return out, lazy


def render(v: Version) -> tuple[str, set[str]]:
    """The source text of a version and the modules the client would see imported at run time."""
    cfg = _config(v)
    st = v.style
    core, mods = _core_imports(v)
    imports, aux, mods = _imports(v, core, mods)
    header = _header(v)
    helpers, lazy = _helpers(v)
    body = _model_and_train(v, cfg, core, aux)
    config = _config_lines(v, cfg)
    main = _main(v, cfg, core)
    if v.odd == ODD_PY2:
        main = main + ["", "", "def report(epoch, loss):", '    print "epoch %d loss %.4f" % (epoch, loss)',
                       "    for i in xrange(3):", "        print i"]
    elif v.odd == ODD_SYNTAX:
        main = main + ["", "", "def broken(x:", "    return x +"]
    # functions with lazy imports run in about half the scripts: only then does the client see them
    seen = mods | (lazy if (st >> 35) % 2 else set())
    if v.notebook:
        return _notebook(v, header, imports, config, helpers + body, main), seen
    tail = ["", "", 'if __name__ == "__main__":', "    main()"]
    lines = header + imports + config + helpers + body + main + tail
    return "\n".join(lines) + "\n", seen


def _imports(v: Version, core: list[str], mods: set[str]) -> tuple[list[str], dict[str, tuple[str, ...]], set[str]]:
    """The import block (standard library, third-party, the stack's core, wandb, local and optional imports),
    the auxiliary libraries' import lines, and the modules the client sees."""
    st = v.style
    std = sorted({_pick(STDLIB, st, 3 * i) for i in range(2 + st % 5)} | {"import os", "import random"})
    if st % 6 == 0:
        std = ["import os, sys" if x == "import os" else x for x in std if x != "import sys"]
    third: list[str] = []
    if v.stack not in (S_OTHER,) or v.task != T_RL:
        third.append("import numpy as np")
    aux: dict[str, tuple[str, ...]] = {}
    for lib in v.libs:
        variants = AUX_IMPORTS.get(lib)
        if variants:
            aux[lib] = _pick(variants, st, 5)
            third.extend(aux[lib])
    mods = mods | set(v.libs)
    if v.stack == S_OTHER and v.task == T_RL and "gym" not in v.libs and "stable_baselines3" not in v.libs:
        third.append("import gym")
        mods.add("gym")
    wandb_lines = ["import wandb"]
    if v.stack in (S_TFKERAS, S_KERAS):
        wandb_lines.append("from wandb.integration.keras import WandbMetricsLogger" if v.yf > 2022.6 and st % 3 else "from wandb.keras import WandbCallback")
    elif v.stack == S_XGB and "import xgboost as xgb" in " ".join(core):
        wandb_lines.append("from wandb.xgboost import WandbCallback" if v.yf < 2022.3 else "from wandb.integration.xgboost import WandbCallback")
    elif v.stack == S_LGBM:
        wandb_lines.append("from wandb.lightgbm import wandb_callback")
    local = []
    if (st >> 19) % 4 == 0 and not v.notebook:
        local = [_pick(("from utils import AverageMeter, get_loaders", "from models import build_model as _build",
                        "from .data import get_loaders", "import config as cfg_module", "from src.utils import seed_everything"), st, 21)]
    optional: list[str] = []
    if (st >> 24) % 8 == 0:
        name, block = _pick(OPTIONAL, st, 27)
        if name == "tensorflow" and v.stack in (S_TFKERAS, S_TF, S_KERAS):
            name, block = OPTIONAL[0]
        optional = ["", block]
        if name == "tensorflow" and (st >> 29) % 2:
            mods.add("tensorflow")  # installed: the client sees it (an import that is never used)
        elif name == "tensorflow":
            mods.discard("tensorflow")
    imports = std + [""] + third + core + wandb_lines + ([""] + local if local else []) + optional
    return imports, aux, mods


def _header(v: Version) -> list[str]:
    """The lines before the imports: a docstring, a comment, a shebang or nothing; sometimes a __future__ import."""
    st = v.style
    header: list[str] = []
    hv = (st >> 30) % 4
    if hv == 0:
        header = [f'"""Train {TASKS[v.task]} models for {v.project}."""', ""]
    elif hv == 1:
        header = [f"# {v.project}: {TASKS[v.task]} experiments", f"# author: {v.username}", ""]
    elif hv == 2 and not v.notebook:
        header = ["#!/usr/bin/env python", "# -*- coding: utf-8 -*-"]
    if (st >> 33) % 5 == 0:
        header.append("from __future__ import annotations")
        header.append("")
    return header


def _config_lines(v: Version, cfg: dict) -> list[str]:
    """The OUT_DIR / SEED / CONFIG block, with a dropout entry or a changelog comment in some versions."""
    out_dir = f"{v.home}/{v.project}/checkpoints/v{int(v.vseed % 97)}" if not v.notebook else f"{v.home}/{v.project}/outputs"
    config = [
        "",
        f'OUT_DIR = "{out_dir}"',
        f"SEED = {cfg['seed']}",
        "CONFIG = {",
        f'    "lr": {cfg["lr"]},',
        f'    "batch_size": {cfg["batch"]},',
        f'    "epochs": {cfg["epochs"]},',
        f'    "num_classes": {cfg["classes"]},',
        '    "seed": SEED,',
        "}",
    ]
    if v.vseed % 3 == 0:
        config.insert(-1, f'    "dropout": {cfg["dropout"]},')
    if v.vseed % 5 == 1:
        config.insert(2, f"# v{v.vseed % 50}: {_pick(('lower lr', 'bigger batch', 'try cosine schedule', 'fix data leak', 'more epochs', 'debug nan loss'), v.vseed, 7)}")
    return config


def _cell(kind: str, lines: list[str]) -> dict:
    while lines and lines[0] == "":
        lines = lines[1:]
    while lines and lines[-1] == "":
        lines = lines[:-1]
    src = [x + "\n" for x in lines[:-1]] + lines[-1:]
    if kind == "markdown":
        return {"cell_type": "markdown", "metadata": {}, "source": src}
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}


def _notebook(v: Version, header, imports, config, body, main) -> str:
    st = v.style
    cells = []
    cells.append(_cell("markdown", [f"# {v.project}", "", f"{TASKS[v.task].capitalize()} experiments, logged to W&B."]))
    if st % 2 == 0:
        pkgs = " ".join(sorted({"wandb", *(x for x in v.libs if x not in ("PIL", "cv2", "sklearn"))}))
        cells.append(_cell("code", [f"!pip install -q {pkgs}"]))
    if st % 3 == 0:
        cells.append(_cell("code", ["%matplotlib inline", "%load_ext autoreload", "%autoreload 2"]))
    if st % 5 == 0:
        cells.append(_cell("code", ["!nvidia-smi"]))
    cells.append(_cell("code", header + imports))
    cells.append(_cell("code", config))
    block: list[str] = []
    for line in body:
        if line.startswith(("def ", "class ", "@")) and block and any(x.strip() for x in block) and not block[-1].startswith("@"):
            cells.append(_cell("code", block))
            block = []
        block.append(line)
    if block:
        cells.append(_cell("code", block))
    cells.append(_cell("code", main))
    cells.append(_cell("code", ["main()"]))
    return _dump_notebook(cells, 5 if v.yf > 2021.0 else 4)


_enc = json.JSONEncoder(ensure_ascii=False).encode  # C-accelerated for plain strings


def _dump_notebook(cells: list[dict], minor: int) -> str:
    """``json.dumps(nb, indent=1, sort_keys=True)`` as Jupyter writes it, ~10x faster for this shape."""
    parts = ['{\n "cells": [']
    for i, c in enumerate(cells):
        src = c["source"]
        # one C-accelerated encode for all lines; U+E000 (private use, never in our code) marks the breaks
        lines = "    " + _enc("\ue000".join(src)).replace("\ue000", '",\n    "')
        source = '"source": [\n' + lines + "\n   ]" if src else '"source": []'
        if c["cell_type"] == "code":
            body = f'   "cell_type": "code",\n   "execution_count": null,\n   "metadata": {{}},\n   "outputs": [],\n   {source}'
        else:
            body = f'   "cell_type": "markdown",\n   "metadata": {{}},\n   {source}'
        parts.append(("\n  {\n" if i == 0 else ",\n  {\n") + body + "\n  }")
    parts.append(
        '\n ],\n "metadata": {\n  "kernelspec": {\n   "display_name": "Python 3",\n   "language": "python",\n'
        '   "name": "python3"\n  },\n  "language_info": {\n   "name": "python"\n  }\n },\n'
        f' "nbformat": 4,\n "nbformat_minor": {minor}\n}}\n'
    )
    return "".join(parts)

"""Which libraries a script version imports, and what the client's telemetry reports.

A script's *stack* (world.S_*) fixes its core framework imports. On top, every script version
may import auxiliary libraries: library ``L`` is present in version ``v`` of a script of user ``u``
iff ``U(u, L) < p_L(date of v) * affinity(stack, task)``. The uniform is fixed per user (people
carry their habits from project to project) and ``p_L`` never decreases, so adoption is monotone
and a jump in ``p_L`` shows up as growth in users and runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .randomness import uniform
from .world import (
    S_JAX, S_KERAS, S_LIGHTNING, S_OTHER, S_TF, S_TFKERAS, S_TORCH,
    T_AUDIO, T_GEN, T_GRAPH, T_MOL, T_NLP, T_RL, T_TABULAR, T_TS, T_VISION,
)

# Telemetry `Imports` field numbers (wandb_telemetry.proto), for the modules that have one.
TELEMETRY = {
    "torch": 1, "keras": 2, "tensorflow": 3, "fastai": 4, "sklearn": 5, "xgboost": 6, "catboost": 7,
    "lightgbm": 8, "pytorch_lightning": 9, "ignite": 10, "transformers": 11, "jax": 12, "optuna": 35,
    "ray": 30, "spacy": 33, "mmcv": 37, "mmdet": 38, "torchvision": 41, "detectron2": 43, "flax": 45,
    "monai": 48, "hydra": 50, "datasets": 51, "joblib": 53, "timm": 63, "accelerate": 71,
    "segmentation_models_pytorch": 74, "sentence_transformers": 75, "dgl": 76, "torch_geometric": 77,
    "kornia": 79, "albumentations": 80, "diffusers": 83, "peft": 98, "evaluate": 100, "lightning": 106,
}

TORCH_FAMILY = (S_TORCH, S_LIGHTNING)
DEEP = (S_TORCH, S_LIGHTNING, S_TFKERAS, S_TF, S_KERAS, S_JAX)
TF_FAMILY = (S_TFKERAS, S_TF, S_KERAS)
ALL = tuple(range(11))


@dataclass(frozen=True)
class Lib:
    name: str
    stacks: dict[int, float]  # stack -> factor (absent: never)
    knots: tuple[tuple[float, float], ...]  # (yf, probability) for an affinity-1 script
    tasks: dict[int, float] = field(default_factory=dict)  # task -> affinity
    default: float = 1.0  # affinity of tasks not listed

    def p(self, yf: np.ndarray) -> np.ndarray:
        xs, ps = zip(*self.knots)
        return np.interp(yf, xs, ps)


Q4 = 2022.0 + 273 / 365.25  # 1 October 2022 (as yf_of_day computes it)
EPS = 1e-6


def _s(stacks, f=1.0):
    return {s: f for s in stacks}


# Why these curves: the talk compares Q4 2022 with Q3 2022. Transformers and Hydra are big and
# still grow "well north of 1.5x"; diffusers (Stable Diffusion, Aug 2022), accelerate, evaluate,
# einops and timm are small and grow 2-3x; everything else is flat through 2022, so it grows like
# the platform (~1.0-1.2x). The jump is a step on 1 October 2022: versions written from Q4 on
# adopt at the higher rate.
LIBS: tuple[Lib, ...] = (
    Lib("transformers", {S_TORCH: 1, S_LIGHTNING: 1, S_TFKERAS: .4, S_TF: .4, S_JAX: .6},
        ((2019.0, .03), (2020.0, .045), (2021.0, .065), (2022.0, .085), (Q4 - EPS, .10), (Q4, .16), (2023.0, .22), (2024.0, .30)),
        {T_NLP: 2.0, T_AUDIO: 1.5, T_GEN: 1.0, T_VISION: .5, T_MOL: .6}, .15),
    Lib("hydra", {S_TORCH: 1, S_LIGHTNING: 2, S_JAX: 1},
        ((2019.5, .005), (2020.0, .012), (2021.0, .022), (2022.0, .03), (Q4 - EPS, .032), (Q4, .11), (2023.0, .13), (2024.0, .14))),
    Lib("diffusers", _s(TORCH_FAMILY),
        ((2022.45, 0), (2022.55, .012), (Q4 - EPS, .018), (Q4, .05), (2023.0, .07), (2024.0, .09)), {T_GEN: 4.0, T_VISION: 1.0}, .3),
    Lib("accelerate", _s(TORCH_FAMILY),
        ((2021.3, 0), (2022.0, .015), (Q4 - EPS, .025), (Q4, .06), (2023.0, .08), (2024.0, .10)), {T_NLP: 2, T_GEN: 2.5}, .6),
    Lib("einops", {S_TORCH: 1, S_LIGHTNING: 1, S_JAX: 1},
        ((2019.0, .005), (2021.0, .02), (Q4 - EPS, .035), (Q4, .075), (2023.0, .09), (2024.0, .10)), {T_VISION: 1.5, T_GEN: 2}, .6),
    Lib("timm", _s(TORCH_FAMILY),
        ((2019.5, .004), (2021.0, .015), (Q4 - EPS, .025), (Q4, .055), (2023.0, .07), (2024.0, .08)), {T_VISION: 2.5}, .2),
    Lib("evaluate", {S_TORCH: 1, S_LIGHTNING: 1, S_TFKERAS: .5},
        ((2022.35, 0), (2022.5, .012), (Q4 - EPS, .02), (Q4, .055), (2023.0, .07), (2024.0, .08)), {T_NLP: 2.5, T_AUDIO: 1.5}, .3),
    # -- flat through 2022 --------------------------------------------------------------------------
    Lib("datasets", {S_TORCH: 1, S_LIGHTNING: 1, S_TFKERAS: .5, S_JAX: 1},
        ((2020.4, 0), (2021.0, .02), (2022.0, .05), (2023.5, .055)), {T_NLP: 3, T_AUDIO: 2, T_VISION: .5}, .1),
    Lib("torchvision", _s(TORCH_FAMILY), ((2019.0, .30), (2024.0, .30)), {T_VISION: 2.5, T_GEN: 1.5}, .1),
    Lib("torchmetrics", {S_LIGHTNING: 1, S_TORCH: .15}, ((2020.5, .05), (2021.5, .25), (2022.3, .30), (2024.0, .31))),
    Lib("optuna", _s(ALL), ((2019.0, .02), (2024.0, .025)), {T_TABULAR: 2}),
    Lib("albumentations", {S_TORCH: 1, S_LIGHTNING: 1, S_TFKERAS: .5, S_KERAS: .5}, ((2019.0, .10), (2024.0, .11)), {T_VISION: 1}, 0),
    Lib("sklearn", {**_s(DEEP, 1.0), S_OTHER: 1}, ((2019.0, .25), (2024.0, .25)), {T_TABULAR: 2, T_TS: 1.5}),
    Lib("pandas", _s(ALL), ((2019.0, .40), (2024.0, .40)), {T_TABULAR: 2.2, T_TS: 2}),
    Lib("matplotlib", _s(ALL), ((2019.0, .33), (2024.0, .33))),
    Lib("seaborn", _s(ALL), ((2019.0, .07), (2024.0, .07)), {T_TABULAR: 2}),
    Lib("scipy", _s(ALL), ((2019.0, .07), (2024.0, .07))),
    Lib("tqdm", _s(DEEP), ((2019.0, .35), (2024.0, .35))),
    Lib("PIL", _s(DEEP), ((2019.0, .25), (2024.0, .25)), {T_VISION: 1, T_GEN: 1}, 0),
    Lib("cv2", _s(DEEP), ((2019.0, .15), (2024.0, .15)), {T_VISION: 1}, 0),
    Lib("librosa", _s(DEEP), ((2019.0, .6), (2024.0, .6)), {T_AUDIO: 1}, 0),
    Lib("gym", _s(ALL), ((2019.0, .7), (2024.0, .7)), {T_RL: 1}, 0),
    Lib("stable_baselines3", {S_OTHER: 1, S_TORCH: .5}, ((2020.3, .1), (2021.0, .3), (2024.0, .32)), {T_RL: 1}, 0),
    Lib("torch_geometric", _s(TORCH_FAMILY), ((2019.0, .6), (2024.0, .6)), {T_GRAPH: 1}, 0),
    Lib("dgl", _s(TORCH_FAMILY), ((2019.0, .2), (2024.0, .2)), {T_GRAPH: 1}, 0),
    Lib("rdkit", _s(ALL), ((2019.0, .55), (2024.0, .55)), {T_MOL: 1}, 0),
    Lib("monai", _s(TORCH_FAMILY), ((2020.0, .02), (2021.0, .04), (2024.0, .045)), {T_VISION: 1, T_MOL: 1}, 0),
    Lib("spacy", _s(ALL), ((2019.0, .05), (2024.0, .05)), {T_NLP: 1}, 0),
    Lib("nltk", _s(ALL), ((2019.0, .10), (2024.0, .10)), {T_NLP: 1}, 0),
    Lib("sentence_transformers", _s(TORCH_FAMILY), ((2020.0, .01), (2021.0, .03), (2024.0, .035)), {T_NLP: 1}, 0),
    Lib("ray", _s(ALL), ((2019.0, .015), (2024.0, .015)), {T_RL: 3}),
    Lib("joblib", _s(ALL), ((2019.0, .08), (2024.0, .08)), {T_TABULAR: 1}, .2),
    Lib("ignite", {S_TORCH: 1}, ((2019.0, .012), (2024.0, .012))),
    Lib("mmdet", _s(TORCH_FAMILY), ((2019.0, .02), (2024.0, .02)), {T_VISION: 1}, 0),
    Lib("detectron2", _s(TORCH_FAMILY), ((2019.5, .015), (2024.0, .015)), {T_VISION: 1}, 0),
    Lib("segmentation_models_pytorch", _s(TORCH_FAMILY), ((2019.5, .015), (2024.0, .015)), {T_VISION: 1}, 0),
    Lib("kornia", _s(TORCH_FAMILY), ((2019.5, .01), (2024.0, .01)), {T_VISION: 1}, 0),
    Lib("tensorflow_datasets", _s(TF_FAMILY), ((2019.0, .10), (2024.0, .10))),
    Lib("peft", _s(TORCH_FAMILY), ((2023.05, 0), (2023.3, .05), (2024.0, .12)), {T_NLP: 2}, .1),
)
LIB_NAMES = [lib.name for lib in LIBS]

TRANSITIVE = {
    "keras": ("tensorflow",),
    "transformers": (),
    "pytorch_lightning": ("torch",),
    "lightning": ("torch",),
    "stable_baselines3": ("torch",),
    "sentence_transformers": ("transformers", "torch"),
    "timm": ("torch",),
    "diffusers": ("torch",),
}


_N_DAYS = 6000  # day-indexed tables cover 2018 .. 2034


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(adoption probability by day x lib, stack factor x lib, task affinity x lib), built once."""
    global _TABLES
    if _TABLES is None:
        yf = 2018.0 + np.arange(_N_DAYS) / 365.25
        by_day = np.stack([lib.p(yf) for lib in LIBS], axis=1)
        sf = np.zeros((11, len(LIBS)))
        tf = np.zeros((9, len(LIBS)))
        for j, lib in enumerate(LIBS):
            for s, f in lib.stacks.items():
                sf[s, j] = f
            tf[:, j] = lib.default
            for t, f in lib.tasks.items():
                tf[t, j] = f
        _TABLES = (by_day, sf, tf)
    return _TABLES


_TABLES: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
_LIB_KEYS = np.arange(len(LIBS), dtype=np.int64)[None, :]


def presence(seed: int, users: np.ndarray, stack: np.ndarray, task: np.ndarray, version_day: np.ndarray) -> np.ndarray:
    """Boolean matrix (n versions x n libs): which auxiliary libraries each version imports."""
    by_day, sf, tf = _tables()
    p = np.minimum(by_day[np.clip(version_day, 0, _N_DAYS - 1)] * sf[stack] * tf[task], 0.95)
    return uniform(seed, 500, np.asarray(users)[:, None], _LIB_KEYS) < p


def lightning_module_name(yf: float, u: float) -> str:
    """`pytorch_lightning` until the `lightning` package (late 2022) slowly takes over."""
    share = float(np.interp(yf, [2022.75, 2023.2, 2024.5], [0.0, 0.35, 0.85]))
    if yf >= 2022.75:
        share = max(share, 0.12)
    return "lightning" if u < share else "pytorch_lightning"


def telemetry_numbers(modules: set[str]) -> list[int]:
    """Telemetry ``Imports`` numbers for modules seen by the client (transitive ones included)."""
    seen = set(modules)
    for m in list(modules):
        seen.update(TRANSITIVE.get(m, ()))
    return sorted(TELEMETRY[m] for m in seen if m in TELEMETRY)

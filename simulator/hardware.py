"""Machines, GPUs, hosts, operating systems and client versions.

A user owns 1-3 machine slots of a *kind* (laptop, Mac, gaming workstation, university cluster,
AWS/GCP/Azure VM, Colab, Kaggle, DGX box, TPU VM, Graphcore IPU). The concrete machine behind a
slot is renewed every ``EPOCH_DAYS[kind]`` days (workstations every ~1.5 years, cloud VMs every few
weeks, Colab every session) and drawn from the catalogue of its era, so GPU generations shift
over time: GTX 1080 Ti / RTX 2080 Ti give way to RTX 3080/3090/4090, A100s rise in data centres.

Names are the strings the client writes: NVML names (old drivers: no "NVIDIA " prefix), the host
name (AWS ``ip-172-31-x-y``, GCP ``<vm>.c.<project>.internal``, Azure ``*.internal.cloudapp.net``,
Colab/Kaggle container ids, workstation names = on-premises) and ``platform.platform()``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .randomness import hash64, uniform
from .world import MACHINE_KINDS, S_LIGHTNING, S_TORCH, yf_of_day

K = {name: i for i, name in enumerate(MACHINE_KINDS)}
# Days a concrete machine lasts before the slot gets a new one (and a new era's GPU).
EPOCH_DAYS = np.array([900, 900, 400, 365, 45, 45, 45, 1, 1, 720, 30, 180])

# -- GPU catalogue ---------------------------------------------------------------------------------
KNOTS = [2019.5, 2020.5, 2021.5, 2022.5, 2022.95, 2024.5]
# name, architecture, release (fractional year), consumer-style name (gets an "NVIDIA " prefix on
# newer drivers)
GPUS: list[tuple[str, str, float, bool]] = [
    ("GeForce GTX 1080 Ti", "Pascal", 2017.2, True),  # 0
    ("GeForce GTX 1080", "Pascal", 2016.4, True),
    ("GeForce GTX 1070", "Pascal", 2016.5, True),
    ("GeForce GTX 1660 Ti", "Turing", 2019.15, True),
    ("GeForce RTX 2060", "Turing", 2019.0, True),
    ("GeForce RTX 2070", "Turing", 2018.8, True),  # 5
    ("GeForce RTX 2080", "Turing", 2018.7, True),
    ("GeForce RTX 2080 Ti", "Turing", 2018.7, True),
    ("TITAN RTX", "Turing", 2018.95, True),
    ("TITAN Xp", "Pascal", 2017.3, True),
    ("NVIDIA GeForce RTX 3060", "Ampere", 2021.15, False),  # 10
    ("NVIDIA GeForce RTX 3070", "Ampere", 2020.8, False),
    ("NVIDIA GeForce RTX 3080", "Ampere", 2020.7, False),
    ("NVIDIA GeForce RTX 3090", "Ampere", 2020.73, False),
    ("NVIDIA GeForce RTX 3080 Ti", "Ampere", 2021.43, False),
    ("NVIDIA GeForce RTX 4090", "Ada", 2022.78, False),  # 15
    ("NVIDIA GeForce RTX 4080", "Ada", 2022.87, False),
    ("Quadro RTX 6000", "Turing", 2018.9, True),
    ("Quadro RTX 8000", "Turing", 2018.9, True),
    ("NVIDIA RTX A6000", "Ampere", 2020.95, False),
    ("NVIDIA RTX A5000", "Ampere", 2021.3, False),  # 20
    ("Tesla K80", "Kepler", 2014.9, False),
    ("Tesla M60", "Maxwell", 2015.7, False),
    ("Tesla P4", "Pascal", 2016.8, False),
    ("Tesla P100-PCIE-16GB", "Pascal", 2016.5, False),
    ("Tesla P100-SXM2-16GB", "Pascal", 2016.5, False),  # 25
    ("Tesla V100-SXM2-16GB", "Volta", 2017.6, False),
    ("Tesla V100-SXM2-32GB", "Volta", 2018.3, False),
    ("Tesla V100-PCIE-32GB", "Volta", 2018.3, False),
    ("Tesla V100-PCIE-16GB", "Volta", 2017.6, False),
    ("Tesla T4", "Turing", 2018.9, False),  # 30
    ("A100-SXM4-40GB", "Ampere", 2020.4, False),  # early drivers: no prefix
    ("NVIDIA A100-SXM4-40GB", "Ampere", 2020.8, False),
    ("NVIDIA A100-SXM4-80GB", "Ampere", 2021.2, False),
    ("NVIDIA A100-PCIE-40GB", "Ampere", 2020.8, False),
    ("NVIDIA A100 80GB PCIe", "Ampere", 2021.5, False),  # 35
    ("NVIDIA A10G", "Ampere", 2021.85, False),
    ("NVIDIA A40", "Ampere", 2021.1, False),
    ("NVIDIA H100 80GB HBM3", "Hopper", 2022.85, False),
    ("TITAN V", "Volta", 2017.95, True),
    ("GeForce GTX 1050 Ti with Max-Q Design", "Pascal", 2018.1, True),  # 40
    ("NVIDIA GeForce RTX 3060 Laptop GPU", "Ampere", 2021.1, False),
    ("Tesla V100-SXM3-32GB", "Volta", 2018.3, False),
    ("NVIDIA L4", "Ada", 2023.2, False),
    ("NVIDIA H100 PCIe", "Hopper", 2023.0, False),
]
GPU_NAMES = [g[0] for g in GPUS]
GPU_ARCH = [g[1] for g in GPUS]
GPU_RELEASE = np.array([g[2] for g in GPUS])
GPU_CONSUMER = np.array([g[3] for g in GPUS])
GPU_IDX = {name: i for i, name in enumerate(GPU_NAMES)}


def _cat(entries: dict[str, list[float]]) -> np.ndarray:
    t = np.zeros((len(KNOTS), len(GPUS)))
    for name, ws in entries.items():
        t[:, GPU_IDX[name]] = ws
    return t


# Era weights per machine kind at KNOTS (2019.5, 2020.5, 2021.5, 2022.5, 2022.95, 2024.5).
# Why: the talk's GPU chart - GeForce 10xx/20xx supplanted by 30xx/40xx, the A100 rising, V100,
# T4, K80, P100 older; a GPU never appears before its release date (masked below).
CATALOGUE = {
    "workstation": _cat({
        "GeForce GTX 1080 Ti": [.30, .22, .10, .04, .03, .01],
        "GeForce GTX 1080": [.10, .07, .03, .01, .01, 0],
        "GeForce GTX 1070": [.06, .04, .02, .01, .01, 0],
        "GeForce GTX 1660 Ti": [.03, .04, .03, .02, .02, .01],
        "GeForce RTX 2060": [.04, .05, .04, .02, .02, .01],
        "GeForce RTX 2070": [.05, .06, .04, .02, .02, .01],
        "GeForce RTX 2080": [.06, .07, .04, .02, .02, .01],
        "GeForce RTX 2080 Ti": [.20, .24, .14, .06, .05, .02],
        "TITAN RTX": [.04, .04, .03, .02, .01, .01],
        "TITAN Xp": [.04, .02, .01, .005, 0, 0],
        "TITAN V": [.02, .02, .01, .005, 0, 0],
        "NVIDIA GeForce RTX 3060": [0, .01, .06, .08, .08, .06],
        "NVIDIA GeForce RTX 3070": [0, .02, .07, .08, .08, .05],
        "NVIDIA GeForce RTX 3080": [0, .05, .14, .18, .15, .08],
        "NVIDIA GeForce RTX 3090": [0, .04, .16, .26, .24, .15],
        "NVIDIA GeForce RTX 3080 Ti": [0, 0, .03, .05, .05, .04],
        "NVIDIA GeForce RTX 4090": [0, 0, 0, .10, .14, .25],
        "NVIDIA GeForce RTX 4080": [0, 0, 0, .02, .03, .06],
        "Quadro RTX 6000": [.02, .02, .02, .01, .01, 0],
        "Quadro RTX 8000": [.02, .02, .02, .01, .01, 0],
        "NVIDIA RTX A6000": [0, 0, .03, .06, .07, .08],
        "NVIDIA RTX A5000": [0, 0, .01, .03, .03, .03],
    }),
    "hpc": _cat({
        "Tesla K80": [.10, .05, .02, .01, .01, 0],
        "Tesla P100-PCIE-16GB": [.10, .07, .04, .03, .02, .01],
        "Tesla P100-SXM2-16GB": [.05, .04, .02, .01, .01, 0],
        "Tesla V100-SXM2-16GB": [.25, .22, .16, .12, .10, .05],
        "Tesla V100-SXM2-32GB": [.15, .17, .14, .11, .10, .06],
        "Tesla V100-PCIE-32GB": [.08, .08, .06, .05, .04, .02],
        "GeForce RTX 2080 Ti": [.15, .15, .08, .05, .04, .02],
        "A100-SXM4-40GB": [0, .06, .02, 0, 0, 0],
        "NVIDIA A100-SXM4-40GB": [0, .02, .15, .22, .24, .20],
        "NVIDIA A100-SXM4-80GB": [0, 0, .04, .10, .13, .20],
        "NVIDIA A100-PCIE-40GB": [0, .01, .05, .06, .06, .04],
        "NVIDIA A40": [0, 0, .05, .07, .07, .06],
        "Quadro RTX 8000": [.05, .05, .04, .03, .02, .01],
        "NVIDIA GeForce RTX 3090": [0, .01, .08, .10, .10, .06],
        "TITAN V": [.03, .02, .01, 0, 0, 0],
        "NVIDIA H100 80GB HBM3": [0, 0, 0, 0, .006, .12],
    }),
    "aws": _cat({
        "Tesla K80": [.20, .12, .06, .03, .02, 0],
        "Tesla M60": [.05, .04, .02, .01, .01, 0],
        "Tesla V100-SXM2-16GB": [.40, .38, .28, .18, .15, .06],
        "Tesla V100-SXM2-32GB": [.05, .05, .04, .03, .03, .01],
        "Tesla T4": [.30, .35, .35, .30, .28, .18],
        "A100-SXM4-40GB": [0, .05, .02, 0, 0, 0],
        "NVIDIA A100-SXM4-40GB": [0, .01, .12, .20, .22, .18],
        "NVIDIA A10G": [0, 0, .01, .14, .18, .25],
        "NVIDIA H100 80GB HBM3": [0, 0, 0, 0, .004, .10],
        "NVIDIA L4": [0, 0, 0, 0, 0, .05],
    }),
    "gcp": _cat({
        "Tesla K80": [.20, .10, .05, .02, .02, 0],
        "Tesla P100-PCIE-16GB": [.10, .08, .05, .03, .02, 0],
        "Tesla P4": [.03, .02, .01, .01, 0, 0],
        "Tesla V100-SXM2-16GB": [.35, .30, .22, .15, .13, .05],
        "Tesla T4": [.30, .35, .33, .28, .26, .15],
        "A100-SXM4-40GB": [0, .08, .02, 0, 0, 0],
        "NVIDIA A100-SXM4-40GB": [0, .02, .25, .35, .37, .25],
        "NVIDIA A100-SXM4-80GB": [0, 0, 0, .05, .08, .15],
        "NVIDIA L4": [0, 0, 0, 0, 0, .15],
        "NVIDIA H100 80GB HBM3": [0, 0, 0, 0, 0, .08],
    }),
    "azure": _cat({
        "Tesla K80": [.25, .15, .07, .03, .02, 0],
        "Tesla M60": [.05, .04, .03, .02, .01, 0],
        "Tesla P100-PCIE-16GB": [.15, .12, .08, .05, .04, .01],
        "Tesla V100-PCIE-16GB": [.40, .40, .30, .22, .20, .10],
        "Tesla T4": [.10, .15, .22, .25, .25, .20],
        "NVIDIA A100-SXM4-40GB": [0, .02, .12, .18, .20, .20],
        "NVIDIA A100 80GB PCIe": [0, 0, .02, .08, .10, .20],
        "NVIDIA H100 80GB HBM3": [0, 0, 0, 0, 0, .08],
    }),
    "colab": _cat({
        "Tesla K80": [.45, .35, .15, .02, .01, 0],
        "Tesla P4": [.10, .10, .03, 0, 0, 0],
        "Tesla P100-PCIE-16GB": [.20, .25, .20, .08, .06, 0],
        "Tesla T4": [.25, .30, .50, .70, .70, .75],
        "Tesla V100-SXM2-16GB": [0, 0, .12, .08, .08, .05],
        "NVIDIA A100-SXM4-40GB": [0, 0, 0, .12, .15, .15],
        "NVIDIA L4": [0, 0, 0, 0, 0, .05],
    }),
    "kaggle": _cat({
        "Tesla P100-PCIE-16GB": [.95, .9, .85, .75, .75, .5],
        "Tesla T4": [.05, .1, .15, .25, .25, .5],
    }),
    "dgx": _cat({
        "Tesla V100-SXM2-16GB": [.35, .25, .12, .06, .05, .02],
        "Tesla V100-SXM2-32GB": [.45, .40, .25, .14, .12, .05],
        "A100-SXM4-40GB": [0, .15, .05, 0, 0, 0],
        "NVIDIA A100-SXM4-40GB": [0, .05, .35, .45, .45, .30],
        "NVIDIA A100-SXM4-80GB": [0, 0, .10, .25, .28, .30],
        "Quadro RTX 8000": [.20, .15, .08, .05, .04, .01],
        "NVIDIA H100 80GB HBM3": [0, 0, 0, 0, .02, .25],
    }),
    "laptop": _cat({
        "GeForce GTX 1050 Ti with Max-Q Design": [1.0, .8, .5, .3, .25, .1],
        "NVIDIA GeForce RTX 3060 Laptop GPU": [0, .2, .5, .7, .75, .9],
    }),
}
# GPU counts per kind at (2020.0, 2022.5): single GPU dominates users, while 9+-GPU boxes
# (16-GPU DGX-2 / a2-megagpu-16g) gain share; their runs are long, so their share of training
# hours grows the most (the talk).
COUNTS = np.array([1, 2, 4, 8, 16])
COUNT_KNOTS = [2020.0, 2022.5]
COUNT_TABLE = {
    "laptop": np.array([[1, 0, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=float),
    "workstation": np.array([[.80, .14, .05, .01, 0], [.78, .15, .06, .01, 0]]),
    "hpc": np.array([[.58, .15, .17, .095, .005], [.52, .14, .18, .13, .03]]),
    "aws": np.array([[.70, 0, .19, .10, .01], [.64, 0, .18, .14, .04]]),
    "gcp": np.array([[.64, .10, .15, .10, .01], [.56, .10, .15, .13, .06]]),
    "azure": np.array([[.58, .10, .25, .07, 0], [.53, .10, .22, .13, .02]]),
    "colab": np.array([[1, 0, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=float),
    "kaggle": np.array([[1, 0, 0, 0, 0], [.9, .1, 0, 0, 0]]),
    "dgx": np.array([[.15, .05, .20, .55, .05], [.12, .05, .13, .42, .28]]),
}
# Wall-clock multiplier of runs by GPU count: big boxes train big models for long.
COUNT_RUNTIME = {1: 1.0, 2: 1.15, 4: 1.35, 8: 1.9, 16: 4.0}
COUNT_RUNS = {1: 1.0, 2: 1.0, 4: 0.9, 8: 0.8, 16: 0.7}

# -- client versions ---------------------------------------------------------------------------------
# (first day, minor version, number of patch releases until the next minor). Synthetic but shaped
# like the real client's release history.
_RELEASES = [
    ("2018-06-01", "0.6", 35),
    ("2019-03-15", "0.8", 36),
    ("2020-06-01", "0.9", 7),
    ("2020-08-10", "0.10", 33),
    ("2021-07-15", "0.11", 2),
    ("2021-08-10", "0.12", 21),
    ("2022-08-15", "0.13", 11),
    ("2023-04-15", "0.14", 2),
    ("2023-04-30", "0.15", 12),
    ("2023-10-15", "0.16", 6),
    ("2024-05-01", "0.17", 9),
    ("2024-09-15", "0.18", 7),
    ("2024-12-15", "0.19", 11),
    ("2025-05-01", "0.20", 1),
    ("2025-06-25", "0.21", 4),
    ("2025-10-01", "0.22", 0),
]


def _release_table() -> tuple[np.ndarray, list[str], int, int]:
    from datetime import date

    from .world import day_index

    days, names = [], []
    for i, (start, minor, patches) in enumerate(_RELEASES):
        d0 = day_index(date.fromisoformat(start))
        d1 = day_index(date.fromisoformat(_RELEASES[i + 1][0])) if i + 1 < len(_RELEASES) else d0 + 90
        for p in range(patches + 1):
            days.append(d0 + (d1 - d0) * p // (patches + 1))
            names.append(f"{minor}.{p}")
    telemetry_from = names.index("0.10.20")  # clients that send Imports telemetry: ~70% of 2020-2022 runs
    new_format_from = names.index("0.13.0")  # gpu_nvidia[].architecture, apple{name}, tpu{name}
    return np.asarray(days), names, telemetry_from, new_format_from


RELEASE_DAYS, RELEASE_NAMES, TELEMETRY_FROM, NEW_FORMAT_FROM = _release_table()
CLIENT_LAG_DAYS = (90.0, 450.0)  # most upgrade within months; a quarter of users hardly ever
SLOW_UPGRADER_P = 0.25
NOTEBOOK_CLIENT_LAG_DAYS = 10.0  # hosted notebooks `pip install wandb` the newest

# -- Python versions -----------------------------------------------------------------------------------
PY_KNOTS = [2019.5, 2020.5, 2021.5, 2022.5, 2022.95, 2024.5]
PY_MINORS = ["3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12"]
PY_TABLE = np.array([
    [.25, .45, .25, .05, 0, 0, 0],
    [.12, .35, .40, .13, 0, 0, 0],
    [.04, .22, .42, .26, .06, 0, 0],
    [.01, .12, .38, .30, .19, 0, 0],
    [.01, .08, .33, .30, .25, .03, 0],
    [0, .01, .10, .20, .32, .27, .10],
])
PY_PATCHES = {"3.6": (9, 13), "3.7": (3, 16), "3.8": (5, 16), "3.9": (1, 16), "3.10": (4, 13), "3.11": (0, 9), "3.12": (0, 5)}

ARM_MAC_CHIPS = [("Apple M1", 2020.87), ("Apple M1 Pro", 2021.82), ("Apple M1 Max", 2021.82), ("Apple M2", 2022.55),
                 ("Apple M2 Pro", 2023.05), ("Apple M2 Max", 2023.05), ("Apple M3 Pro", 2023.85)]
TPU_VERSIONS = [("v2", 2017.0), ("v3", 2018.5), ("v4", 2022.35), ("v5e", 2023.7)]


@dataclass
class Machines:
    """Environment of each user-day (parallel arrays, one row per user-day)."""

    kind: np.ndarray
    gpu_idx: np.ndarray  # -1 none
    gpu_prefixed: np.ndarray  # old consumer name written with "NVIDIA " by a newer driver
    gpu_count: np.ndarray  # 0 none
    apple_chip: np.ndarray  # -1 none
    tpu: np.ndarray  # -1 none, else TPU_VERSIONS index
    ipu_count: np.ndarray  # 0 none
    client: np.ndarray  # index into RELEASE_NAMES
    py: list[str]
    os: list[str]
    host: list[str | None]
    cpu_count: np.ndarray
    memory_gb: np.ndarray
    runtime_factor: np.ndarray
    runs_factor: np.ndarray

    @property
    def telemetry(self) -> np.ndarray:
        return self.client >= TELEMETRY_FROM

    @property
    def new_format(self) -> np.ndarray:
        return self.client >= NEW_FORMAT_FROM

    def gpu_strings(self) -> pa.Array:
        names = []
        new = self.new_format
        for i in range(len(self.kind)):
            g = self.gpu_idx[i]
            if g >= 0:
                name = GPU_NAMES[g]
                names.append("NVIDIA " + name if self.gpu_prefixed[i] else name)
            elif self.apple_chip[i] >= 0 and new[i]:
                names.append(ARM_MAC_CHIPS[self.apple_chip[i]][0])
            else:
                names.append(None)
        return pa.array(names, type=pa.string())

    def arch_strings(self) -> pa.Array:
        new = self.new_format
        return pa.array(
            [GPU_ARCH[g] if (g >= 0 and n) else None for g, n in zip(self.gpu_idx.tolist(), new.tolist())],
            type=pa.string(),
        )


_N_DAYS = 6000
_CDF_CACHE: dict[str, np.ndarray] = {}


def _catalogue_cdf(kind_name: str) -> np.ndarray:
    """Cumulative GPU probabilities per day index for a machine kind (built once per process)."""
    cdf = _CDF_CACHE.get(kind_name)
    if cdf is None:
        yf = 2018.0 + np.arange(_N_DAYS) / 365.25
        table = CATALOGUE[kind_name]
        probs = np.stack([np.interp(yf, KNOTS, table[:, j]) for j in range(len(GPUS))], axis=1)
        probs *= yf[:, None] >= GPU_RELEASE[None, :]  # nothing before its launch
        probs = np.clip(probs, 0, None)
        s = probs.sum(axis=1, keepdims=True)
        probs = np.where(s > 0, probs / np.where(s > 0, s, 1), 0)
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = 1.0 + 1e-9
        _CDF_CACHE[kind_name] = cdf
    return cdf


def _choose_catalogue(kind_name: str, day: np.ndarray, u: np.ndarray) -> np.ndarray:
    cdf = _catalogue_cdf(kind_name)[np.clip(day, 0, _N_DAYS - 1)]
    return (cdf <= u[:, None]).sum(axis=1)


def _choose_count(kind_name: str, yf: np.ndarray, u: np.ndarray) -> np.ndarray:
    t = COUNT_TABLE[kind_name]
    w = np.clip((yf - COUNT_KNOTS[0]) / (COUNT_KNOTS[1] - COUNT_KNOTS[0]), -0.3, 1.3)[:, None]
    p = np.clip(t[0][None, :] + (t[1] - t[0])[None, :] * w, 0, None)
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0 + 1e-9
    return COUNTS[(cdf <= u[:, None]).sum(axis=1)]


def _py_version(yf: float, u: float, u2: float, kind: str) -> str:
    if kind == "colab":
        if yf < 2020.9:
            return "3.6.9"
        if yf < 2023.4:
            return f"3.7.{10 + int(min(5, (yf - 2020.9) * 2.4))}" if yf < 2022.9 else "3.8.16"
        return "3.10.12"
    if kind == "kaggle":
        return "3.7.6" if yf < 2021.5 else ("3.7.12" if yf < 2023.3 else "3.10.12")
    i = int(np.searchsorted(PY_KNOTS, yf))
    lo, hi = max(i - 1, 0), min(i, len(PY_KNOTS) - 1)
    if lo == hi:
        p = PY_TABLE[lo]
    else:
        w = (yf - PY_KNOTS[lo]) / (PY_KNOTS[hi] - PY_KNOTS[lo])
        p = PY_TABLE[lo] * (1 - w) + PY_TABLE[hi] * w
    minor = PY_MINORS[min(int(np.searchsorted(np.cumsum(p) / p.sum(), u, side="right")), len(PY_MINORS) - 1)]
    a, b = PY_PATCHES[minor]
    return f"{minor}.{a + int(u2 * (b - a + 1))}"


def _platform(kind: str, py: str, yf: float, u: float, n: int, arm: bool) -> str:
    """``platform.platform()`` as Python of that version prints it on that kind of machine."""
    old_py = py.startswith(("3.6", "3.7"))
    if kind == "laptop" and u < 0.45:
        build = (19041, 19042, 19043, 19044, 19045, 22000, 22621)[min(6, int(max(0.0, yf - 2020.3) * 2.2 + u * 3))]
        return f"Windows-10-10.0.{build}-SP0"
    if kind == "mac" or (kind == "laptop" and u < 0.65):
        ver = "10.15.7" if yf < 2021.2 else ("11.6" if yf < 2022.0 else ("12.6" if yf < 2022.9 else "13.1"))
        return f"macOS-{ver}-arm64-arm-64bit" if arm else f"macOS-{ver}-x86_64-i386-64bit"
    if kind == "colab":
        kern = "4.19.112+" if yf < 2021.3 else ("5.4.144+" if yf < 2022.2 else "5.10.147+")
        return f"Linux-{kern}-x86_64-with-Ubuntu-18.04-bionic" if old_py and yf < 2022.2 else f"Linux-{kern}-x86_64-with-glibc2.27"
    if kind == "kaggle":
        return "Linux-5.10.133+-x86_64-with-debian-bullseye-sid" if old_py else "Linux-5.15.109+-x86_64-with-glibc2.31"
    if kind == "hpc" and u < 0.6:
        kern = "3.10.0-1160.el7.x86_64" if u < 0.4 else "4.18.0-372.9.1.el8.x86_64"
        return f"Linux-{kern}-x86_64-with-centos-7.9.2009-Core" if old_py else f"Linux-{kern}-x86_64-with-glibc2.{17 if u < 0.4 else 28}"
    flavour = {"aws": "aws", "gcp": "gcp", "azure": "azure", "tpu": "gcp"}.get(kind, "generic")
    if yf < 2020.6 or (u < 0.3 and yf < 2022.3):
        kern, glibc, dist = f"4.15.0-{100 + n % 90}-{flavour}", "2.27", "Ubuntu-18.04-bionic"
    elif yf < 2022.4 or u < 0.5:
        kern, glibc, dist = f"5.4.0-{1000 + n % 90 if flavour != 'generic' else 80 + n % 60}-{flavour}", "2.31", "debian-bullseye-sid"
    else:
        kern, glibc, dist = f"5.15.0-{1000 + n % 40 if flavour != 'generic' else 40 + n % 50}-{flavour}", "2.35", "debian-bookworm-sid"
    if kind == "aws" and u > 0.8:
        kern, glibc, dist = f"4.14.{200 + n % 90}-{150 + n % 60}.{300 + n % 200}.amzn2.x86_64", "2.26", "glibc2.26"
    return f"Linux-{kern}-x86_64-with-{dist}" if old_py else f"Linux-{kern}-x86_64-with-glibc{glibc}"


_WORDS = ("ml", "deep", "vision", "nlp", "research", "lab", "ai", "gpu", "train", "exp", "dev", "prod", "data", "model")


def _host(kind: str, username: str, h: int, node: int) -> str:
    """Host names as ``socket.gethostname()`` returns them on each kind of machine."""
    short = username.split("-")[0].split("_")[0][:10]
    w1, w2 = _WORDS[h % 14], _WORDS[(h >> 4) % 14]
    if kind == "laptop":
        r = (h >> 8) % 4
        if r == 0:
            return "DESKTOP-" + f"{h:X}"[-7:].rjust(7, "Q")
        if r == 1:
            return "LAPTOP-" + f"{h:X}"[-8:].rjust(8, "K")
        if r == 2:
            return f"{short.capitalize()}s-MacBook-Pro.local"
        return f"{short}-ThinkPad-X1-Carbon"
    if kind == "mac":
        return (f"{short.capitalize()}s-MacBook-Pro.local", f"{short}-mbp", f"{short.capitalize()}s-MacBook-Air.local",
                f"{short}s-Mac-mini.local")[(h >> 8) % 4]
    if kind == "workstation":
        return (f"{short}-desktop", f"{short}-workstation", "DESKTOP-" + f"{h:X}"[-7:].rjust(7, "Z"),
                f"{short}-pc", "deeplearning-box", f"{w1}-rig", f"{short}-Z790", "lambda-quad")[(h >> 8) % 8]
    if kind == "hpc":
        prefix = ("node", "gpu", "cn", "g", "nid", "compute-")[(h >> 8) % 6]
        width = {"nid": 6, "cn": 4}.get(prefix, 3)
        return f"{prefix}{node % (10 ** width):0{width}d}"
    if kind == "aws":
        if (h >> 8) % 10 < 7:
            return f"ip-172-31-{(node >> 8) % 64 + (h >> 20) % 4 * 16}-{node % 254 + 1}"
        return f"ip-10-0-{(node >> 8) % 255}-{node % 254 + 1}"
    if kind == "gcp":
        vm = (f"{short}-gpu-vm", "instance-1", f"{w1}-{w2}-{node % 9 + 1}", "deeplearning-1-vm", f"pytorch-{node % 4 + 1}-vm",
              f"{short}-{w1}")[(h >> 8) % 6]
        project = (f"{w1}-{w2}-{100000 + h % 899999}", f"{short}-{w1}", f"{w1}-project-{h % 9000 + 1000}")[(h >> 12) % 3]
        return f"{vm}.c.{project}.internal"
    if kind == "azure":
        vm = (f"{short}-vm", f"{w1}-gpu-{node % 9}", f"nc6-{short}", "dsvm")[(h >> 8) % 4]
        tag = np.base_repr(h % (36**26), 36).lower().rjust(26, "x")
        return f"{vm}.{tag}.{('bx', 'ax', 'cx', 'dx')[(h >> 16) % 4]}.internal.cloudapp.net"
    if kind in ("colab", "kaggle"):
        return f"{(h * 2654435761 + node) & 0xFFFFFFFFFFFF:012x}"
    if kind == "dgx":
        return (f"dgx-{node % 12 + 1:02d}", f"dgx{node % 8 + 1}", f"dgxa100-{node % 20 + 1:02d}", f"{w1}-server-{node % 6 + 1}",
                f"{w1}-dgx-{node % 4 + 1}")[(h >> 8) % 5]
    if kind == "tpu":
        return f"t1v-n-{(h ^ node) & 0xFFFFFFFF:08x}-w-0"
    if kind == "ipu":
        return (f"gc-poplar-{node % 30 + 1:02d}", f"lr{node % 40 + 10}-{node % 4 + 1}-poplar-{node % 8 + 1}")[(h >> 8) % 2]
    return f"{short}-host"


def _cpu_mem(kind: str, count: int, u: float) -> tuple[int, float]:
    if kind == "laptop":
        return (4, 8, 12, 16)[int(u * 4)], (7.7, 15.6, 15.6, 31.2)[int(u * 4)]
    if kind == "mac":
        return (8, 8, 10, 12)[int(u * 4)], (8.0, 16.0, 32.0, 64.0)[int(u * 4)]
    if kind == "workstation":
        return (8, 12, 16, 24, 32, 64)[int(u * 6)], (31.3, 62.7, 62.7, 125.7, 125.7, 251.5)[int(u * 6)]
    if kind == "colab":
        return (2, 15.6) if u < 0.0 else ((2, 12.7) if u < 0.8 else (4, 25.5))
    if kind == "kaggle":
        return (2, 15.6) if u < 0.8 else (4, 31.4)
    if kind == "tpu":
        return (96, 334.9) if u < 0.7 else (240, 400.6)
    if kind == "ipu":
        return 96, 503.8
    if kind == "dgx":
        return {16: (96, 1510.0), 8: (80, 503.8)}.get(count, (64, 251.5)) if u < 0.5 else {16: (96, 1334.8), 8: (128, 2015.6)}.get(count, (64, 251.5))
    per = {1: (8, 59.9), 2: (16, 120.0), 4: (32, 240.0), 8: (96, 1152.0), 16: (96, 1334.8)}[count]
    if kind == "hpc":
        per = {1: (16, 187.5), 2: (32, 376.6), 4: (40, 376.6), 8: (64, 503.8), 16: (96, 1007.6)}[count]
        if u < 0.3:
            per = (per[0] * 2, per[1] * 2)
    elif u < 0.4:
        per = (max(4, per[0] // 2), round(per[1] / 4, 1))
    return per


def machines(pop, users: np.ndarray, d: int, stacks: np.ndarray, notebooks: np.ndarray) -> Machines:
    """The machine each (user, day ``d``) ran on."""
    seed = pop.seed
    slot, kind, estart, mkey = _machine_slot(pop, users, d)
    um = [uniform(seed, 30 + i, mkey) for i in range(6)]
    yf = yf_of_day(np.maximum(estart, 0))
    gpu, count, apple, tpu, ipu = _accelerators(kind, estart, yf, um)
    prefixed = (gpu >= 0) & GPU_CONSUMER[np.maximum(gpu, 0)] & (um[3] < np.clip((yf - 2021.3) / 1.5, 0, 0.7))
    hosted = np.isin(kind, [K["colab"], K["kaggle"]])
    client = _client_release(seed, users, d, hosted)
    py, oss, hosts, cpus, mems = _system(pop, users, d, slot, kind, mkey, um, yf, count, apple)
    countl = count.tolist()
    rt = np.array([COUNT_RUNTIME.get(c, 1.0) for c in countl])
    rf = np.array([COUNT_RUNS.get(c, 1.0) for c in countl])
    cpu_only = (gpu < 0) & (tpu < 0) & (ipu == 0)
    rt = np.where(cpu_only, 0.5, rt) * np.where(tpu >= 0, 1.4, 1.0) * np.where(hosted, 0.8, 1.0)
    return Machines(
        kind=kind, gpu_idx=gpu, gpu_prefixed=prefixed, gpu_count=count, apple_chip=apple, tpu=tpu, ipu_count=ipu,
        client=client, py=py, os=oss, host=hosts, cpu_count=np.asarray(cpus, dtype=np.int32),
        memory_gb=np.asarray(mems, dtype=np.float64), runtime_factor=rt, runs_factor=rf,
    )


def _machine_slot(pop, users: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which of the user's machines ran on day ``d`` (slot, kind), and its hardware epoch: a machine
    keeps its hardware for an epoch whose length depends on its kind (its first day, and the key
    every draw about that hardware hashes)."""
    seed = pop.seed
    u_slot = uniform(seed, 21, users, d)
    slot = np.where(u_slot < 0.7, 0, np.where(u_slot < 0.9, 1, 2))
    slot = np.minimum(slot, pop.n_machines[users] - 1)
    kind = pop.machine_kind[users, slot].astype(np.int64)
    elen = EPOCH_DAYS[kind]
    phase = (hash64(seed, 22, users, slot) % elen.astype(np.uint64)).astype(np.int64)
    epoch = (d + phase) // elen
    estart = epoch * elen - phase
    mkey = hash64(seed, 23, users, slot, epoch)
    return slot, kind, estart, mkey


def _accelerators(kind: np.ndarray, estart: np.ndarray, yf: np.ndarray, um: list[np.ndarray]):
    """GPU model and count, Apple chip, TPU version and IPU count per machine, by machine kind and
    the hardware epoch's date (-1 / 0: none)."""
    n = len(kind)
    gpu = np.full(n, -1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    apple = np.full(n, -1, dtype=np.int64)
    tpu = np.full(n, -1, dtype=np.int64)
    ipu = np.zeros(n, dtype=np.int64)
    for kname in MACHINE_KINDS:
        sel = np.flatnonzero(kind == K[kname])
        if len(sel) == 0:
            continue
        y = yf[sel]
        if kname in CATALOGUE:
            g = _choose_catalogue(kname, np.maximum(estart[sel], 0), um[0][sel])
            has = np.ones(len(sel), dtype=bool)
            if kname == "laptop":
                has = um[2][sel] < 0.35  # some laptops have a mobile GeForce
            elif kname == "colab":
                has = um[2][sel] < 0.90  # CPU-only sessions
                tpu[sel[(um[2][sel] >= 0.90) & (um[2][sel] < 0.94)]] = 0
            elif kname == "kaggle":
                has = um[2][sel] < 0.85
                tpu[sel[(um[2][sel] >= 0.85) & (um[2][sel] < 0.90) & (y > 2020.3)]] = 2
            gpu[sel[has]] = g[has]
            c = _choose_count(kname if kname in COUNT_TABLE else "laptop", y, um[1][sel])
            count[sel[has]] = c[has]
        elif kname == "mac":
            arm = (um[2][sel] < np.clip((y - 2020.9) / 1.4, 0, 0.9)) & (y >= ARM_MAC_CHIPS[0][1])
            chips = np.array([c[1] for c in ARM_MAC_CHIPS])
            avail = (y[:, None] >= chips[None, :]).sum(axis=1)
            pick = np.minimum((um[0][sel] ** 0.7 * avail).astype(np.int64), np.maximum(avail - 1, 0))
            apple[sel[arm]] = pick[arm]
        elif kname == "tpu":
            vers = np.array([t[1] for t in TPU_VERSIONS])
            avail = (y[:, None] >= vers[None, :]).sum(axis=1)
            tpu[sel] = np.maximum(avail - 1 - (um[0][sel] < 0.4), 0)
        elif kname == "ipu":
            ipu[sel] = np.where(um[0][sel] < 0.6, 4, 16)
    # 16-GPU boxes are A100 or V100 (a2-megagpu-16g, DGX-2, p2.16xlarge of K80s)
    sixteen = count == 16
    if sixteen.any():
        gpu[sixteen & (yf >= 2021.0)] = GPU_IDX["NVIDIA A100-SXM4-40GB"]
        gpu[sixteen & (yf < 2021.0)] = GPU_IDX["Tesla V100-SXM3-32GB"]
    return gpu, count, apple, tpu, ipu


def _client_release(seed: int, users: np.ndarray, d: int, hosted: np.ndarray) -> np.ndarray:
    """Client version: the release available `lag` days before (hosted notebooks: newest)."""
    slow = uniform(seed, 24, users) < SLOW_UPGRADER_P
    lag_mean = np.where(hosted, NOTEBOOK_CLIENT_LAG_DAYS, np.where(slow, CLIENT_LAG_DAYS[1], CLIENT_LAG_DAYS[0]))
    lag = -np.log1p(-uniform(seed, 25, users, d // 30)) * lag_mean
    client = np.searchsorted(RELEASE_DAYS, d - lag, side="right") - 1
    return np.clip(client, 0, len(RELEASE_NAMES) - 1)


def _system(pop, users: np.ndarray, d: int, slot: np.ndarray, kind: np.ndarray, mkey: np.ndarray,
            um: list[np.ndarray], yf: np.ndarray, count: np.ndarray, apple: np.ndarray):
    """Python version, OS string, host name (none for anonymous runs), CPU count and memory per machine."""
    seed, n = pop.seed, len(users)
    kinds = [MACHINE_KINDS[k] for k in kind.tolist()]
    hkey = hash64(seed, 26, users, slot).tolist()
    node = (hash64(seed, 27, mkey) % np.uint64(1 << 20)).astype(np.int64)
    # hosted notebooks and schedulers hand out a new container / node for every session
    per_day = np.isin(kind, [K["colab"], K["kaggle"], K["hpc"]])
    node = np.where(per_day, (hash64(seed, 28, users, d) % np.uint64(1 << 20)).astype(np.int64), node).tolist()
    anon = pop.kind[users] == 2
    u2, u3, u4 = um[2].tolist(), um[4].tolist(), um[5].tolist()
    yfl = yf.tolist()
    countl = count.tolist()
    py, oss, hosts, cpus, mems = [], [], [], [], []
    for i in range(n):
        k = kinds[i]
        p = _py_version(yfl[i], u3[i], u4[i], k)
        py.append(p)
        oss.append(_platform(k, p, yfl[i], u2[i], hkey[i] % 997, bool(apple[i] >= 0)))
        hosts.append(None if anon[i] else _host(k, pop.username(users[i]), hkey[i], node[i]))
        c, m = _cpu_mem(k, max(countl[i], 1), u4[i])
        cpus.append(c)
        mems.append(m)
    return py, oss, hosts, cpus, mems


def env_flags(m: Machines, stacks: np.ndarray, notebooks: np.ndarray) -> list[list[int] | None]:
    """Telemetry environment flags (key 8): 1 jupyter, 2 Kaggle, 3 Windows, 4 Apple M1 GPU, 12 Colab."""
    out: list[list[int] | None] = []
    tel = m.telemetry
    for i in range(len(m.kind)):
        if not tel[i]:
            out.append(None)
            continue
        f = []
        k = MACHINE_KINDS[m.kind[i]]
        if notebooks[i] or k in ("colab", "kaggle"):
            f.append(1)
        if k == "kaggle":
            f.append(2)
        if m.os[i].startswith("Windows"):
            f.append(3)
        if m.apple_chip[i] >= 0 and stacks[i] in (S_TORCH, S_LIGHTNING):
            f.append(4)
        if k == "colab":
            f.append(12)
        out.append(f)
    return out

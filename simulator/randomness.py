"""Counter-based randomness and id encoding.

Why counter-based: the simulator generates one day at a time, in any order and in several
processes, yet some facts about *other* days are needed (was this user active three days ago, and
on which script?). A stateless hash of ``(seed, salt, user, day)`` answers such questions for any
day without replaying history, and gives the same answer in every process. Run-level noise that
nobody needs to look up again comes from an ordinary ``numpy.random.Generator`` seeded by
``(seed, scale, day, batch)``.
"""

from __future__ import annotations

import numpy as np

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_TWO53 = float(2**53)


def _splitmix(x: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser: uint64 arithmetic wraps modulo 2**64, which is what we want.
    x = x + _GOLDEN
    x = (x ^ (x >> _S30)) * _C1
    x = (x ^ (x >> _S27)) * _C2
    return x ^ (x >> _S31)


_START: dict[tuple[int, int], np.uint64] = {}


def hash64(seed: int, salt: int, *keys) -> np.ndarray:
    """A well-mixed uint64 per element of the broadcast ``keys`` (ints or int arrays)."""
    with np.errstate(over="ignore"):
        h = _START.get((seed, salt))
        if h is None:
            h = _START[seed, salt] = _splitmix(np.asarray([(seed * 0x2545F4914F6CDD1D + salt) & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
        for k in keys:
            k = np.asarray(k)
            if k.dtype != np.uint64:
                k = k.astype(np.int64).astype(np.uint64)
            h = _splitmix(h ^ (k * _C1))
    return h


def uniform(seed: int, salt: int, *keys) -> np.ndarray:
    """Uniform floats in [0, 1), a pure function of (seed, salt, keys)."""
    return (hash64(seed, salt, *keys) >> np.uint64(11)).astype(np.float64) / _TWO53


def day_rng(seed: int, scale: float, day: int, stream: int, batch: int = 0) -> np.random.Generator:
    """Ordinary generator for noise that is only needed once (run times, runtimes, states...)."""
    scale_key = int(round(scale * 1e9))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, scale_key, day, stream, batch])))


# -- ids -----------------------------------------------------------------------------------------
_B36 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_MASK40 = np.uint64((1 << 40) - 1)


def permute40(x: np.ndarray, key: int) -> np.ndarray:
    """A keyed bijection of the 40-bit integers: distinct inputs give distinct, random-looking ids."""
    k = np.uint64(key & ((1 << 40) - 1))
    with np.errstate(over="ignore"):
        x = np.asarray(x, dtype=np.uint64) & _MASK40
        for mult, shift in ((0x9E3779B97F, 21), (0xC2B2AE3D27, 17), (0x165667B19F, 19)):
            x = (x ^ k) & _MASK40
            x = (x * np.uint64(mult | 1)) & _MASK40  # odd multiplier: invertible modulo 2**40
            x = x ^ (x >> np.uint64(shift))  # xorshift: invertible
    return x


def base36(values: np.ndarray, width: int = 8):
    """Fixed-width lower-case base-36 strings as a pyarrow StringArray (vectorised)."""
    import pyarrow as pa

    v = np.asarray(values, dtype=np.uint64).copy()
    n = len(v)
    digits = np.empty((n, width), dtype=np.uint8)
    for i in range(width - 1, -1, -1):
        digits[:, i] = _B36[(v % np.uint64(36)).astype(np.intp)]
        v //= np.uint64(36)
    offsets = np.arange(0, width * (n + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(digits.tobytes()))

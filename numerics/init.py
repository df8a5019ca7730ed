r"""Seeded initializations of network weights (theory-notes §1, §5).

Weights are returned input to output, ``[W1 (m1, d), W2 (m2, m1), ..., a (m_{L-1},)]``, for
``dims = (d, m1, ..., m_{L-1})`` (depth ``L = len(dims)``).  Entries are drawn in that order from
one ``numpy.random.Generator(PCG64(seed))``: the same seed gives the same numbers.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real
from typing import Sequence

import numpy as np

__all__ = ["gaussian_init", "power_init", "check_dims", "init_scale", "check_array_size"]


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 2**40


def check_array_size(count: int, argument: str, *, itemsize: int = 8) -> int:
    """Refuse, before allocating, ``count`` floats that need more bytes than this machine's
    physical memory (``ValueError`` naming ``argument`` and the size), instead of NumPy's
    ``MemoryError`` or swapping. Returns ``count``."""
    limit = _physical_memory()
    needed = int(count) * itemsize
    if needed > limit:
        raise ValueError(
            f"{argument}: {count:.3g} numbers need {needed / 2**30:.3g} GiB, more than this machine's "
            f"{limit / 2**30:.3g} GiB of memory"
        )
    return count


def check_dims(dims) -> tuple[int, ...]:
    """Validate ``dims = (d, m1, ..., m_{L-1})``: at least two positive ints."""
    if isinstance(dims, (str, bytes)) or not isinstance(dims, Sequence | np.ndarray):
        raise TypeError(f"dims: expected a sequence (d, m1, ..., m_(L-1)) of ints, got {type(dims).__name__}")
    dims = tuple(dims)
    if len(dims) < 2:
        raise ValueError(f"dims: need (d, m1, ...) with at least 2 entries (depth L = len(dims) >= 2), got {dims}")
    for value in dims:
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise ValueError(f"dims: every entry must be an int >= 1, got {dims}")
    return tuple(int(v) for v in dims)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"seed: expected an int >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed: must be an int >= 0, got {seed}")
    return int(seed)


def _normal_weights(dims: tuple[int, ...], std: float, seed: int) -> list[np.ndarray]:
    shapes = [(dims[k + 1], dims[k]) for k in range(len(dims) - 1)] + [(dims[-1],)]
    check_array_size(sum(math.prod(shape) for shape in shapes), "dims")
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, std, size=shape) for shape in shapes]


def gaussian_init(dims: Sequence[int], scale: float, seed: int = 0) -> list[np.ndarray]:
    r"""Weights with i.i.d. entries :math:`\mathcal N(0, \varepsilon^2)`, :math:`\varepsilon` = ``scale > 0``
    (the small-initialization setting of theory-notes §1)."""
    dims = check_dims(dims)
    if isinstance(scale, bool) or not isinstance(scale, Real) or not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale: must be a finite real number > 0, got {scale!r}")
    return _normal_weights(dims, float(scale), _check_seed(seed))


def power_init(dims: Sequence[int], alpha: float, seed: int = 0, m: int | None = None) -> list[np.ndarray]:
    r"""Weights with i.i.d. entries :math:`\mathcal N(0, 1/m^{2\alpha})` (standard deviation
    :math:`m^{-\alpha}`), the parametrization of the three-layer paper's Fig. 2 (theory-notes §5,
    which used :math:`m = 200`).  ``m`` defaults to the largest hidden width ``max(dims[1:])``."""
    dims = check_dims(dims)
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not math.isfinite(alpha):
        raise ValueError(f"alpha: must be a finite real number, got {alpha!r}")
    if m is None:
        m = max(dims[1:])
    if isinstance(m, bool) or not isinstance(m, Integral) or m < 1:
        raise ValueError(f"m: must be an int >= 1, got {m!r}")
    std = float(m) ** (-float(alpha))
    if not (math.isfinite(std) and std > 0):
        raise ValueError(f"alpha: m^(-alpha) = {std} is not a usable standard deviation (m={m}, alpha={alpha})")
    return _normal_weights(dims, std, _check_seed(seed))


def init_scale(weights: Sequence[np.ndarray]) -> float:
    r"""Root-mean-square of all entries, :math:`\hat\varepsilon = \bigl(\frac1P\sum_j\theta_j^2\bigr)^{1/2}`:
    the estimate of :math:`\varepsilon` for weights drawn from :func:`gaussian_init`."""
    flat = np.concatenate([np.asarray(w, dtype=float).ravel() for w in weights])
    return float(np.sqrt(np.mean(flat**2)))

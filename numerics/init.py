r"""Seeded Gaussian initializations: the one family every trainer and check draws from.

Every function here takes its arguments in one order, *(what to draw, scale, seed)*, and draws
i.i.d. :math:`\mathcal N(0, \text{std}^2)` entries array by array, in list order, from one
``numpy.random.default_rng(seed)`` (PCG64): the same seed gives the same numbers.

* :func:`gaussian_arrays` ``(shapes, scale, seed)``: the base of the family;
* :func:`gaussian_init` ``(dims, scale, seed)``: network weights input to output,
  ``[W1 (m1, d), W2 (m2, m1), ..., a (m_{L-1},)]`` for ``dims = (d, m1, ..., m_{L-1})``
  (depth ``L = len(dims)``), std = ``scale`` = :math:`\varepsilon` (the small-initialization
  setting of the mathematics document, docs/mathematics.md#model);
* :func:`power_init` ``(dims, alpha, seed, m)``: std :math:`m^{-\alpha}`;
* ``numerics.matrix_factorization.init_factors(shape, depth, scale, seed)``,
  ``numerics.two_layer.init_two_layer(m, d, beta1, beta2, seed)`` and
  ``verify.instances.positive_energy_factors(widths, seed, ...)`` call :func:`gaussian_arrays`.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real
from typing import Sequence

import numpy as np

from theory.ground.checks import check_seed

__all__ = ["gaussian_arrays", "gaussian_init", "power_init", "network_shapes", "check_dims", "init_scale",
           "check_array_size"]


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


def gaussian_arrays(shapes: Sequence[tuple[int, ...]], scale: float, seed: int = 0) -> list[np.ndarray]:
    r"""Arrays of the given ``shapes`` with i.i.d. :math:`\mathcal N(0, \text{scale}^2)` entries,
    drawn in list order from ``numpy.random.default_rng(seed)``; ``scale >= 0`` finite
    (``scale = 0`` gives zeros)."""
    if isinstance(scale, bool) or not isinstance(scale, Real) or not (math.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale: must be a finite real number >= 0, got {scale!r}")
    shapes = [tuple(shape) for shape in shapes]
    check_array_size(sum(math.prod(shape) for shape in shapes), "dims")
    rng = np.random.default_rng(check_seed(seed))
    return [rng.normal(0.0, float(scale), size=shape) for shape in shapes]


def network_shapes(dims: Sequence[int]) -> list[tuple[int, ...]]:
    """Shapes of the weights ``[W1 (m1, d), ..., W^{L-1}, a (m_{L-1},)]`` for ``dims = (d, m1, ..., m_{L-1})``."""
    dims = check_dims(dims)
    return [(dims[k + 1], dims[k]) for k in range(len(dims) - 1)] + [(dims[-1],)]


def gaussian_init(dims: Sequence[int], scale: float, seed: int = 0) -> list[np.ndarray]:
    r"""Weights with i.i.d. entries :math:`\mathcal N(0, \varepsilon^2)`, :math:`\varepsilon` = ``scale > 0``
    (the small-initialization setting, docs/mathematics.md#model)."""
    shapes = network_shapes(dims)
    if isinstance(scale, bool) or not isinstance(scale, Real) or not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale: must be a finite real number > 0, got {scale!r}")
    return gaussian_arrays(shapes, scale, seed)


def power_init(dims: Sequence[int], alpha: float, seed: int = 0, m: int | None = None) -> list[np.ndarray]:
    r"""Weights with i.i.d. entries :math:`\mathcal N(0, 1/m^{2\alpha})` (standard deviation
    :math:`m^{-\alpha}`), the parametrization of the three-layer paper's Fig. 2 (docs/mathematics.md#final-stage,
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
    return gaussian_arrays(network_shapes(dims), std, seed)


def init_scale(weights: Sequence[np.ndarray]) -> float:
    r"""Root-mean-square of all entries, :math:`\hat\varepsilon = \bigl(\frac1P\sum_j\theta_j^2\bigr)^{1/2}`:
    the estimate of :math:`\varepsilon` for weights drawn from :func:`gaussian_init`."""
    flat = np.concatenate([np.asarray(w, dtype=float).ravel() for w in weights])
    return float(np.sqrt(np.mean(flat**2)))

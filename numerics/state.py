r"""The one state layout of the reduced effective model, as NumPy arrays.

The layout itself is :func:`theory.layout.factor_shapes` / :func:`theory.layout.state_shapes`
(re-exported by :mod:`theory.reduced`); this module is the one pair of functions that converts between

* **factors** listed *input to output* like a network's ``weights``: ``[u, W^2, ..., W^{L-1}, a]``
  (``u`` of shape ``(m1,)``, :math:`W^k` of shape ``(m_k, m_{k-1})``, ``a`` of shape
  ``(m_{L-1},)``), and
* the **flattened state** ``y = concat(a, W^{L-1}.ravel(), ..., W^2.ravel(), u)`` (*output to
  input*, matrices row-major), the vector every integrator, kernel and blow-up routine works on.

Both directions are exact (no arithmetic), and ``unflatten_factors(flatten_factors(f), widths)``
returns ``f``. The energy is :math:`E = a^\top W^{L-1}\cdots W^2 u` (:func:`factors_energy`).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from theory.layout import factor_shapes, state_dimension, state_shapes

__all__ = [
    "factor_shapes", "state_shapes", "state_dimension", "flatten_factors", "unflatten_factors",
    "widths_of_factors", "widths_from_state_shapes", "factors_energy",
]


def widths_of_factors(factors: Sequence[np.ndarray]) -> tuple[int, ...]:
    """Hidden widths ``(m1, ..., m_{L-1})`` of factors ``[u, W^2, ..., a]``; ``ValueError`` when
    the shapes do not chain (``W^k`` must have ``m_{k-1}`` columns, ``a`` length ``m_{L-1}``)."""
    if isinstance(factors, np.ndarray) or not isinstance(factors, (list, tuple)):
        raise TypeError("factors: expected a list [u, W2, ..., a] of arrays (input to output)")
    if len(factors) < 2:
        raise ValueError(f"factors: expected at least 2 factors [u, ..., a] (depth L = len(factors)), got {len(factors)}")
    shapes = [np.shape(f) for f in factors]
    if len(shapes[0]) != 1 or len(shapes[-1]) != 1 or any(len(s) != 2 for s in shapes[1:-1]):
        raise ValueError(f"factors: expected [u (m1,), W2 (m2, m1), ..., a (m_L-1,)], got shapes {shapes}")
    widths = [shapes[0][0]]
    for k, shape in enumerate(shapes[1:-1], start=1):
        if shape[1] != widths[-1]:
            raise ValueError(f"factors[{k}]: expected {widths[-1]} columns (length of the previous factor), got {shape}")
        widths.append(shape[0])
    if shapes[-1][0] != widths[-1]:
        raise ValueError(f"factors[{len(factors) - 1}] (a): expected length {widths[-1]}, got {shapes[-1][0]}")
    return tuple(int(m) for m in widths)


def widths_from_state_shapes(shapes) -> tuple[int, ...]:
    """Hidden widths ``(m1, ..., m_{L-1})`` of a flattened layout given by its block shapes
    (:func:`state_shapes` order, output to input); ``ValueError`` unless it is such a layout."""
    shapes = tuple(tuple(int(n) for n in shape) for shape in shapes)
    widths = tuple(shape[0] for shape in reversed(shapes))[:-1]
    try:
        if widths and state_shapes(widths) == shapes:
            return widths
    except ValueError:
        pass
    raise ValueError(f"shapes: {shapes} is not the flattened layout (a, W^(L-1), ..., W^2, u) of a reduced chain")


def flatten_factors(factors: Sequence[np.ndarray]) -> np.ndarray:
    """Flattened state ``y = (a, W^{L-1}, ..., W^2, u)`` (float64) of factors ``[u, W^2, ..., a]``."""
    widths_of_factors(factors)
    return np.concatenate([np.asarray(f, dtype=np.float64).ravel() for f in reversed(factors)])


def unflatten_factors(y, widths) -> list[np.ndarray]:
    """Factors ``[u, W^2, ..., W^{L-1}, a]`` (views into ``y``) of a flattened state ``y`` of hidden
    widths ``(m1, ..., m_{L-1})``. A leading batch axis is kept: ``y`` of shape ``(..., dim)``
    gives factors of shapes ``(..., *shape)`` (e.g. a trajectory's time axis)."""
    y = np.asarray(y, dtype=np.float64)
    dim = state_dimension(widths)
    if y.ndim < 1 or y.shape[-1] != dim:
        raise ValueError(f"y: expected last axis of length {dim} for widths {tuple(widths)}, got shape {y.shape}")
    blocks, start = [], 0
    for shape in state_shapes(widths):
        size = math.prod(shape)
        blocks.append(y[..., start:start + size].reshape((*y.shape[:-1], *shape)))
        start += size
    blocks.reverse()  # flattened order is output to input; factors are input to output
    return blocks


def factors_energy(factors: Sequence[np.ndarray]) -> float:
    r""":math:`E = a^\top W^{L-1}\cdots W^2 u` of factors ``[u, W^2, ..., a]``."""
    widths_of_factors(factors)
    value = np.asarray(factors[0], dtype=np.float64)
    for matrix in factors[1:-1]:
        value = np.asarray(matrix, dtype=np.float64) @ value
    return float(np.asarray(factors[-1], dtype=np.float64) @ value)

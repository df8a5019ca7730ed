"""The state layout of the reduced effective model, defined once (pure Python: no SymPy, so every
layer can use it at no import cost; :mod:`theory.reduced` re-exports it).

* **factors**, listed *input to output* like a network's ``weights``: ``[u, W^2, ..., W^{L-1}, a]``
  (:func:`factor_shapes`);
* the **flattened state** concatenates them *output to input*, matrices row-major,
  ``y = (a, W^{L-1}, ..., W^2, u)`` (:func:`state_shapes`).
"""

from __future__ import annotations

import math
import numbers

__all__ = ["factor_shapes", "state_shapes", "state_dimension"]


def _check_widths(widths) -> tuple[int, ...]:
    try:
        widths = tuple(widths)
    except TypeError:
        raise TypeError(f"widths: expected a sequence of positive ints, got {widths!r}") from None
    if len(widths) < 1:
        raise ValueError("widths: need at least one hidden width (depth L = len(widths) + 1 >= 2)")
    for m in widths:
        if isinstance(m, bool) or not isinstance(m, numbers.Integral) or int(m) <= 0:
            raise ValueError(f"widths: every width must be an int >= 1, got {widths!r}")
    return tuple(int(m) for m in widths)


def factor_shapes(widths) -> tuple[tuple[int, ...], ...]:
    r"""Shapes of the reduced factors *input to output*, ``[u, W^2, ..., W^{L-1}, a]``, for hidden
    widths ``(m1, ..., m_{L-1})``: ``u`` is ``(m1,)``, :math:`W^k` is ``(m_k, m_{k-1})``, ``a`` is
    ``(m_{L-1},)``. Pure Python (no SymPy objects are built), so the numerics can call it per run."""
    widths = _check_widths(widths if not isinstance(widths, numbers.Integral) else (widths,))
    mats = [(widths[k], widths[k - 1]) for k in range(1, len(widths))]
    return ((widths[0],), *mats, (widths[-1],))


def state_shapes(widths) -> tuple[tuple[int, ...], ...]:
    r"""Shapes of the blocks of the flattened state, in its order *output to input*
    ``(a, W^{L-1}, ..., W^2, u)``: :func:`factor_shapes` read from the output end."""
    return tuple(reversed(factor_shapes(widths)))


def state_dimension(widths) -> int:
    """Length of the flattened state: the number of entries of all factors."""
    return sum(math.prod(shape) for shape in factor_shapes(widths))

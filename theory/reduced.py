r"""The reduced effective model of depth :math:`L` (theory-notes §1–§2).

With :math:`u = W^1 v` the effective energy of a depth-:math:`L` network with a multiplicity-one
activation is

.. math:: E(a, W^{L-1}, \dots, W^2, u) = a^\top W^{L-1} \cdots W^2 u,

homogeneous of degree :math:`L`, and the effective flow is :math:`\dot y = \nabla E(y)`.
The state layout is defined here once and used by every layer:

* **factors**, listed *input to output* like a network's ``weights``:
  ``[u, W^2, ..., W^{L-1}, a]`` with shapes :func:`factor_shapes`;
* the **flattened state** ``y`` concatenates them *output to input*, matrices row-major:
  :math:`y = (a, W^{L-1}, \dots, W^2, u)`, shapes :func:`state_shapes`; for depth 3,
  :math:`y = (a, W, u)`.

``numerics.state.flatten_factors`` / ``unflatten_factors`` convert between the two.
"""

from __future__ import annotations

import math
import numbers

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp


def _check_widths(widths) -> tuple[int, ...]:
    try:
        widths = tuple(widths)
    except TypeError:
        raise TypeError(f"widths: expected a sequence of positive ints, got {widths!r}") from None
    if len(widths) < 1:
        raise ValueError("widths: need at least one hidden width (depth L = len(widths) + 1 >= 2)")
    for m in widths:
        if isinstance(m, bool) or not isinstance(m, numbers.Integral | sp.Integer) or int(m) <= 0:
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


@dataclass(frozen=True)
class ReducedModel:
    r"""Reduced effective model :math:`E = a^\top W^{L-1}\cdots W^2 u` for hidden widths
    ``widths = (m1, ..., m_{L-1})``.

    Attributes: ``factors`` (SymPy matrices in flattened-state order, output to input: ``a`` as a
    column, ``W^{L-1}``, ..., ``W^2``, ``u`` as a column), ``state_symbols`` (flat,
    flattened-state order), ``state_shapes`` (flattened order), ``factor_shapes`` (input to
    output), ``energy``, ``vector_field`` (``Matrix`` of :math:`\partial E/\partial y_k`).
    """

    widths: tuple[int, ...]
    factors: tuple[sp.Matrix, ...] = field(init=False, repr=False)

    def __post_init__(self):
        widths = _check_widths(self.widths)
        object.__setattr__(self, "widths", widths)
        depth = len(widths) + 1
        top = widths[-1]
        factors = [sp.Matrix(top, 1, lambda i, _: sp.Symbol(f"a_{i + 1}", real=True))]
        for layer in range(depth - 1, 1, -1):  # W^{L-1}, ..., W^2
            rows, cols = widths[layer - 1], widths[layer - 2]
            factors.append(
                sp.Matrix(rows, cols, lambda i, j, k=layer: sp.Symbol(f"W{k}_{i + 1}_{j + 1}", real=True))
            )
        factors.append(sp.Matrix(widths[0], 1, lambda i, _: sp.Symbol(f"u_{i + 1}", real=True)))
        object.__setattr__(self, "factors", tuple(factors))

    @property
    def depth(self) -> int:
        return len(self.widths) + 1

    @property
    def state_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Block shapes of the flattened state, output to input (:func:`state_shapes`)."""
        return state_shapes(self.widths)

    @property
    def factor_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Shapes of the factors input to output, ``[u, W^2, ..., a]`` (:func:`factor_shapes`)."""
        return factor_shapes(self.widths)

    @cached_property
    def state_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(s for matrix in self.factors for s in matrix)  # Matrix iterates row-major

    @property
    def dimension(self) -> int:
        return len(self.state_symbols)

    @cached_property
    def energy(self) -> sp.Expr:
        product = self.factors[0].T
        for matrix in self.factors[1:]:
            product = product * matrix
        return sp.expand(product[0, 0])

    @cached_property
    def vector_field(self) -> sp.Matrix:
        return sp.Matrix([sp.diff(self.energy, s) for s in self.state_symbols])


def reduced_model(widths) -> ReducedModel:
    """The reduced effective model for hidden widths ``(m1, ..., m_{L-1})`` (depth ``len+1``)."""
    return ReducedModel(tuple(widths) if not isinstance(widths, int) else (widths,))

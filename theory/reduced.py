r"""The reduced effective model of depth :math:`L` (docs/mathematics.md#model–#reduced-variables).

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

from dataclasses import dataclass, field
from functools import cached_property

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SymPy is imported where symbols are built, so the layout functions stay SymPy-free
    import sympy as sp


from theory.layout import _check_widths, factor_shapes, state_dimension, state_shapes  # noqa: F401  (the one layout)


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
        import sympy as sp

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
        import sympy as sp

        product = self.factors[0].T
        for matrix in self.factors[1:]:
            product = product * matrix
        return sp.expand(product[0, 0])

    @cached_property
    def vector_field(self) -> sp.Matrix:
        import sympy as sp

        return sp.Matrix([sp.diff(self.energy, s) for s in self.state_symbols])


def reduced_model(widths) -> ReducedModel:
    """The reduced effective model for hidden widths ``(m1, ..., m_{L-1})`` (depth ``len+1``)."""
    return ReducedModel(tuple(widths) if not isinstance(widths, int) else (widths,))

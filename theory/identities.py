r"""Symbolic identities with their proofs: an identity is *proved* for the given widths when the
difference of its two sides, expanded as a polynomial, is exactly zero (scalar or matrix)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from theory.latexing import LatexPrintable, tex


def expand_all(value):
    """Expand a scalar or every entry of a matrix."""
    if isinstance(value, sp.MatrixBase):
        return value.applyfunc(sp.expand)
    return sp.expand(value)


def is_zero(value) -> bool:
    if isinstance(value, sp.MatrixBase):
        return all(entry == 0 for entry in value)
    return value == 0


def time_derivative(quantity, state_symbols, field):
    r"""Derivative along the flow :math:`\dot y = F(y)`: :math:`\dot Q = \sum_s (\partial Q/\partial y_s) F_s`,
    expanded (scalar or matrix ``quantity``)."""
    pairs = [(s, f) for s, f in zip(state_symbols, field) if f != 0]

    def rate(q):
        return sp.expand(sum((sp.diff(q, s) * f for s, f in pairs), sp.Integer(0)))

    if isinstance(quantity, sp.MatrixBase):
        return quantity.applyfunc(rate)
    return rate(quantity)


@dataclass(frozen=True, eq=False)
class ProvedIdentity(LatexPrintable):
    r"""An identity ``lhs = rhs`` with ``statement`` (LaTeX of the claim) and the expanded
    ``difference`` lhs − rhs; ``proved`` is true when that difference is exactly zero."""

    name: str
    statement: str
    difference: object

    @property
    def proved(self) -> bool:
        return is_zero(self.difference)

    def latex(self) -> str:
        verdict = r"\equiv 0" if self.proved else r"= " + tex(self.difference) + r"\neq 0"
        return rf"{self.statement}\quad\text{{(difference }}{verdict}\text{{)}}"


def prove(name: str, statement: str, lhs, rhs) -> ProvedIdentity:
    """Expand ``lhs - rhs`` and wrap it as a :class:`ProvedIdentity`."""
    return ProvedIdentity(name, statement, expand_all(lhs - rhs))

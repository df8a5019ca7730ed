r"""The final-stage condition of the depth-3 effective flow: its statement and what is proved about it.

For the reduced depth-3 state :math:`(a, W, u)` (:mod:`theory.reduced`, :math:`E = a^\top W u`,
flow :math:`a' = Wu`, :math:`W' = au^\top`, :math:`u' = W^\top a`) the **final-stage condition** is

.. math:: \mathcal S = \{\, a_i\,W_{ij}\,u_j > 0 \ \text{for all } i, j \,\},

equivalently :math:`\operatorname{sign} W = \operatorname{sign}(a)\operatorname{sign}(u)^\top`
entrywise with no zero entry (docs/mathematics.md#final-stage). Proved here, symbolically for
the given widths:

1. **Sign symmetry** (:func:`sign_symmetries`): flipping the sign of :math:`a_i` together with row
   :math:`i` of :math:`W`, or of :math:`u_j` together with column :math:`j`, maps solutions to
   solutions (:math:`F(Dy) = D F(y)`) and preserves every term :math:`a_iW_{ij}u_j`. So it suffices
   to study :math:`\mathcal S` in the positive orthant :math:`a, W, u > 0`.
2. **Growth of every magnitude** (:func:`magnitude_growth`): on :math:`\mathcal S`, written in the
   positive orthant, :math:`|a_i|' = \sum_j |W_{ij}||u_j|`, :math:`|W_{ij}|' = |a_i||u_j|`,
   :math:`|u_j|' = \sum_i |W_{ij}||a_i|`, each a sum of products of positive numbers, hence
   :math:`> 0`. No coordinate can reach zero, so no sign can change: **:math:`\mathcal S` is forward
   invariant** (a solution that enters it stays until blow-up).
3. **The energy is a sum of positive numbers** (:func:`energy_on_condition`): on :math:`\mathcal S`,
   :math:`E = \sum_{ij}|a_i||W_{ij}||u_j| > 0` (the paper's Fig. 2), so a state in
   :math:`\mathcal S` blows up, with :math:`T^* \le E_0^{-1/3}` (:mod:`theory.blowup`).
4. **The alignment it forces** (:func:`limit_in_condition`): the blow-up direction
   :math:`\theta^* = (\hat a, \hat a\hat u^\top, \hat u)/\sqrt3` (:func:`theory.blowup.sphere_fixed_point`)
   has terms :math:`\hat a_i^2\hat u_j^2/(3\sqrt3) \ge 0`: :math:`W \propto \hat a\hat u^\top` is
   rank one with the sign pattern of :math:`\mathcal S`, i.e. the rows of :math:`W` align with
   :math:`\pm\hat u` and its columns with :math:`\pm\hat a` — condensation.

The numeric side is :mod:`verify.measures` (``final_stage_holds``, ``final_stage_fraction``,
``final_stage_weighted``), the check :mod:`verify.checks.final_stage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from theory.identities import ProvedIdentity, prove, time_derivative
from theory.latexing import LatexPrintable
from theory.reduced import ReducedModel, reduced_model

__all__ = [
    "FINAL_STAGE_STATEMENT", "ProvedPositivity", "FinalStageTheorem", "energy_terms",
    "sign_symmetries", "magnitude_growth", "energy_on_condition", "limit_in_condition", "final_stage_theorem",
]

#: LaTeX statement of the final-stage condition.
FINAL_STAGE_STATEMENT = r"\mathcal S = \{\, a_i W_{ij} u_j > 0 \ \forall\, i, j \,\}"


def _model(widths) -> ReducedModel:
    model = widths if isinstance(widths, ReducedModel) else reduced_model(widths)
    if model.depth != 3:
        raise ValueError(f"widths: the final-stage condition is stated for depth 3, need (m1, m2), got {model.widths}")
    return model


def _blocks(model: ReducedModel) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """``(a, W, u)`` of the depth-3 model as SymPy matrices (a, u columns)."""
    a, W, u = model.factors
    return a, W, u


def energy_terms(widths) -> sp.Matrix:
    r"""The matrix of terms :math:`t_{ij} = a_i W_{ij} u_j` (so :math:`E = \sum_{ij} t_{ij}`)."""
    a, W, u = _blocks(_model(widths))
    return sp.Matrix(W.rows, W.cols, lambda i, j: a[i] * W[i, j] * u[j])


@dataclass(frozen=True, eq=False)
class ProvedPositivity(LatexPrintable):
    r"""A claim that every expression in ``rates`` is positive where every symbol is positive;
    ``proved`` when SymPy decides each one positive (a sum of products of positive symbols)."""

    name: str
    statement: str
    rates: tuple

    @property
    def proved(self) -> bool:
        return all(sp.sympify(rate).is_positive is True for rate in self.rates)

    def latex(self) -> str:
        return rf"{self.statement}\quad\text{{({'proved' if self.proved else 'not proved'})}}"


def _positive_copy(model: ReducedModel) -> dict:
    """Substitution of every state symbol by a positive symbol of the same name (positive orthant)."""
    return {s: sp.Symbol(s.name, positive=True) for s in model.state_symbols}


def sign_symmetries(widths) -> list[ProvedIdentity]:
    r"""For every hidden neuron, the sign flip :math:`D` (of :math:`a_i` and row :math:`i` of
    :math:`W`, or of :math:`u_j` and column :math:`j`) satisfies :math:`F(Dy) = DF(y)` and leaves the
    terms :math:`a_iW_{ij}u_j` unchanged; each returned identity is the difference
    ``[F(Dy) - D F(y); t(Dy) - t(y)]``, proved when zero."""
    model = _model(widths)
    a, W, u = _blocks(model)
    symbols, field = model.state_symbols, model.vector_field
    terms = energy_terms(model)
    proofs = []
    flips = [(f"a_{i + 1} and row {i + 1} of W", [a[i]] + list(W.row(i))) for i in range(W.rows)]
    flips += [(f"u_{j + 1} and column {j + 1} of W", [u[j]] + list(W.col(j))) for j in range(W.cols)]
    for label, flipped in flips:
        sign = {s: (-1 if s in flipped else 1) for s in symbols}
        flip = {s: sign[s] * s for s in symbols}
        lhs = sp.Matrix([f.subs(flip, simultaneous=True) for f in field] + list(terms.subs(flip, simultaneous=True)))
        rhs = sp.Matrix([sign[s] * f for s, f in zip(symbols, field)] + list(terms))
        proofs.append(prove(f"sign flip of {label}", rf"F(Dy) = D\,F(y),\ t(Dy) = t(y)\ \text{{(flip {label})}}",
                            lhs, rhs))
    return proofs


def magnitude_growth(widths) -> ProvedPositivity:
    r"""On :math:`\mathcal S` in the positive orthant (item 1 of the module docstring), the time
    derivative of every coordinate along the flow is positive: the rates
    :math:`\dot y_s = F_s(y)` with every symbol positive."""
    model = _model(widths)
    positive = _positive_copy(model)
    rates = tuple(sp.expand(f.subs(positive, simultaneous=True)) for f in model.vector_field)
    return ProvedPositivity(
        "magnitudes grow on the final-stage set",
        r"|a_i|' = \sum_j |W_{ij}||u_j| > 0,\ |W_{ij}|' = |a_i||u_j| > 0,\ |u_j|' = \sum_i |W_{ij}||a_i| > 0"
        r"\ \text{on } \mathcal S",
        rates,
    )


def energy_on_condition(widths) -> tuple[ProvedIdentity, ProvedPositivity]:
    r""":math:`E = \sum_{ij} t_{ij}` (an identity) and, on :math:`\mathcal S` in the positive orthant,
    :math:`E > 0` and :math:`\dot E = \|\nabla E\|^2 > 0`."""
    model = _model(widths)
    terms = energy_terms(model)
    identity = prove("energy is the sum of the terms", r"E = \sum_{ij} a_i W_{ij} u_j", model.energy, sum(terms))
    positive = _positive_copy(model)
    energy_rate = time_derivative(model.energy, model.state_symbols, model.vector_field)
    positivity = ProvedPositivity(
        "energy positive and growing on the final-stage set",
        r"E = \sum_{ij}|a_i||W_{ij}||u_j| > 0,\ \dot E = \|\nabla E\|^2 > 0\ \text{on } \mathcal S",
        (sp.expand(model.energy.subs(positive, simultaneous=True)), sp.expand(energy_rate.subs(positive, simultaneous=True))),
    )
    return identity, positivity


def limit_in_condition(widths) -> ProvedIdentity:
    r"""At the blow-up direction :math:`\theta^* = (\hat a, \hat a\hat u^\top, \hat u)/\sqrt3` every
    term is :math:`t_{ij} = \hat a_i^2\hat u_j^2/(3\sqrt3)`: the identity ``t(θ*) - â²û²ᵀ/(3√3) = 0``
    (so :math:`W^*` is rank one with the sign pattern of :math:`\mathcal S`)."""
    model = _model(widths)
    m1, m2 = model.widths
    uhat = sp.Matrix(m1, 1, lambda j, _: sp.Symbol(f"uhat_{j + 1}", real=True))
    ahat = sp.Matrix(m2, 1, lambda i, _: sp.Symbol(f"ahat_{i + 1}", real=True))
    c = 1 / sp.sqrt(3)
    theta = list(c * ahat) + list(c * ahat * uhat.T) + list(c * uhat)
    at_star = dict(zip(model.state_symbols, theta))
    terms = energy_terms(model).subs(at_star, simultaneous=True)
    expected = sp.Matrix(m2, m1, lambda i, j: ahat[i] ** 2 * uhat[j] ** 2 / (3 * sp.sqrt(3)))
    return prove("blow-up direction satisfies the condition",
                 r"t_{ij}(\theta^*) = \hat a_i^2 \hat u_j^2 / (3\sqrt3) \ge 0", terms, expected)


@dataclass(frozen=True, eq=False)
class FinalStageTheorem(LatexPrintable):
    """The final-stage condition for ``widths`` with its proved parts (module docstring)."""

    widths: tuple[int, int]
    statement: str
    terms: sp.Matrix
    parts: tuple

    @property
    def proved(self) -> bool:
        return all(part.proved for part in self.parts)

    def latex(self) -> str:
        lines = [self.statement] + [part.latex() for part in self.parts]
        return r"\begin{gathered}" + r"\\ ".join(lines) + r"\end{gathered}"


def final_stage_theorem(widths=(2, 2)) -> FinalStageTheorem:
    """Statement and proofs (symmetry, growth of every magnitude, energy, limit direction) for ``widths``."""
    model = _model(widths)
    identity, positivity = energy_on_condition(model)
    parts = (*sign_symmetries(model), magnitude_growth(model), identity, positivity, limit_in_condition(model))
    return FinalStageTheorem(model.widths, FINAL_STAGE_STATEMENT, energy_terms(model), parts)

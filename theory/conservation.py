r"""Conservation laws and the energy identity of the effective flow (docs/mathematics.md#reduced-variables–#blow-up), proved
symbolically for the given widths.

Write the effective energy as a product of factors, output to input,
:math:`E = F_L F_{L-1}\cdots F_1\,[v]` with :math:`F_L=a^\top`, :math:`F_k=W^k`, and either
:math:`F_1=u` (reduced model) or :math:`F_1=W^1` followed by the data direction :math:`v`
(unreduced model). The gradient flow :math:`\dot F_k=\partial E/\partial F_k=(F_L\cdots F_{k+1})^\top
(F_{k-1}\cdots F_1[v])^\top` conserves, for every pair of consecutive factors,

.. math:: Q_k = F_{k+1}^\top F_{k+1} - F_k F_k^\top\qquad(\text{balancedness}),

e.g. :math:`aa^\top-WW^\top`, :math:`W^\top W-uu^\top`, and unreduced :math:`W^{2\top}W^2-W^1W^{1\top}`;
hence also their traces and diagonals (per neuron :math:`a_i^2-\|W_{i,:}\|^2`). Each law is returned
with its proof: :math:`\dot Q_k=\sum_s(\partial Q_k/\partial y_s)F_s(y)`, computed from the model's
own vector field and expanded, is the zero matrix.

Energy identity: :math:`\dot E=\|\nabla E\|^2=\sum_k\|\partial E/\partial F_k\|_F^2`, for depth 3
:math:`\dot E=\|Wu\|^2+\|a\|^2\|u\|^2+\|W^\top a\|^2`; Euler: :math:`y\cdot F(y)=L\,E(y)`; and
:math:`\tfrac{d}{d\tau}\|F_k\|_F^2=2E` for every factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from theory.effective import EffectiveModel
from theory.identities import ProvedIdentity, prove, time_derivative
from theory.reduced import ReducedModel


@dataclass(frozen=True, eq=False)
class ConservationLaw(ProvedIdentity):
    r"""A conserved ``quantity`` (scalar or matrix); ``difference`` is its time derivative along
    the flow, expanded; ``proved`` when that is exactly zero."""

    quantity: object = None


@dataclass(frozen=True)
class FactorChain:
    """The factors of :math:`E` output to input (row ``a^T`` first), their LaTeX names, the
    trailing data direction (``None`` for the reduced model), and the model's state and field."""

    factors: tuple[sp.Matrix, ...]
    names: tuple[str, ...]
    tail: sp.Matrix | None
    state_symbols: tuple
    field: sp.Matrix
    energy: sp.Expr
    scale: sp.Expr = sp.Integer(1)  # E = scale * F_L ... F_1 [v]  (scale = sigma'(0)^(L-1))

    @property
    def depth(self) -> int:
        return len(self.factors)


def factor_chain(model: ReducedModel | EffectiveModel) -> FactorChain:
    """The factor chain of a reduced model or of a multiplicity-one effective model."""
    if isinstance(model, ReducedModel):
        a, *middle, u = model.factors
        factors = (a.T, *middle, u)
        names = ("a^\\top", *_middle_names(model.depth), "u")
        return FactorChain(factors, names, None, model.state_symbols, model.vector_field, model.energy)
    if isinstance(model, EffectiveModel):
        if not model.is_linear_in_x:
            raise ValueError(
                f"model: the conservation laws are stated for multiplicity-one activations; "
                f"{model.activation!r} has multiplicity {model.multiplicity}"
            )
        *inner, a = model.weights
        factors = (a.T, *reversed(inner))
        names = ("a^\\top", *[f"W^{{({k})}}" for k in range(model.depth - 1, 0, -1)])
        return FactorChain(factors, names, model.v, model.state_symbols, model.vector_field, model.energy,
                           model.reduction.factor)
    raise TypeError(f"model: expected ReducedModel or EffectiveModel, got {type(model).__name__}")


def _middle_names(depth: int) -> list[str]:
    if depth == 3:
        return ["W"]
    return [f"W^{{({k})}}" for k in range(depth - 1, 1, -1)]


def _gram_name(name: str, side: str) -> str:
    """LaTeX of F^T F (side 'left') or F F^T (side 'right') for a factor name."""
    if name == "a^\\top":
        return "a a^\\top" if side == "left" else "\\|a\\|^2"
    if name == "u":
        return "u^\\top u" if side == "left" else "u u^\\top"
    return f"{{{name}}}^\\top {name}" if side == "left" else f"{name} {{{name}}}^\\top"


def balancedness_laws(model: ReducedModel | EffectiveModel) -> list[ConservationLaw]:
    r""":math:`Q_k=F_{k+1}^\top F_{k+1}-F_kF_k^\top` for all consecutive factors, with proofs."""
    chain = factor_chain(model)
    laws = []
    for upper, lower, up_name, low_name in zip(chain.factors, chain.factors[1:], chain.names, chain.names[1:]):
        quantity = upper.T * upper - lower * lower.T
        label = f"{_gram_name(up_name, 'left')} - {_gram_name(low_name, 'right')}"
        rate = time_derivative(quantity, chain.state_symbols, chain.field)
        laws.append(ConservationLaw(f"balancedness {label}", rf"\frac{{d}}{{d\tau}}\big({label}\big) = 0",
                                    rate, quantity))
    return laws


def trace_laws(model: ReducedModel | EffectiveModel) -> list[ConservationLaw]:
    r""":math:`\|F_{k+1}\|_F^2-\|F_k\|_F^2` (traces of the balancedness laws), with proofs."""
    chain = factor_chain(model)
    laws = []
    for upper, lower, up_name, low_name in zip(chain.factors, chain.factors[1:], chain.names, chain.names[1:]):
        quantity = sp.expand(_frobenius2(upper) - _frobenius2(lower))
        label = rf"\|{_bare(up_name)}\|_F^2 - \|{_bare(low_name)}\|_F^2"
        rate = time_derivative(quantity, chain.state_symbols, chain.field)
        laws.append(ConservationLaw(f"trace {label}", rf"\frac{{d}}{{d\tau}}\big({label}\big) = 0", rate, quantity))
    return laws


def per_neuron_laws(model: ReducedModel | EffectiveModel) -> list[ConservationLaw]:
    r"""Per neuron of every hidden layer: the diagonal of :math:`Q_k`, e.g.
    :math:`a_i^2-\|W_{i,:}\|^2` (incoming minus outgoing weight norm), with proofs."""
    chain = factor_chain(model)
    laws = []
    for layer, (upper, lower) in enumerate(zip(chain.factors, chain.factors[1:])):
        quantity = sp.Matrix([sp.expand(sum(upper[r, i] ** 2 for r in range(upper.rows))
                                        - sum(lower[i, c] ** 2 for c in range(lower.cols)))
                              for i in range(lower.rows)])
        hidden = chain.depth - 1 - layer
        up_name, low_name = chain.names[layer], chain.names[layer + 1]
        label = f"{_column_norm2(up_name)} - {_row_norm2(low_name)}"
        rate = time_derivative(quantity, chain.state_symbols, chain.field)
        laws.append(ConservationLaw(f"per-neuron balance, hidden layer {hidden}",
                                    rf"\frac{{d}}{{d\tau}}\big({label}\big) = 0\ \ \forall i", rate, quantity))
    return laws


def _column_norm2(name: str) -> str:
    """LaTeX of the squared norm of the outgoing weights of neuron i (column i of the factor)."""
    return "a_i^2" if name == "a^\\top" else f"\\|{name}_{{:,i}}\\|^2"


def _row_norm2(name: str) -> str:
    """LaTeX of the squared norm of the incoming weights of neuron i (row i of the factor)."""
    return "u_i^2" if name == "u" else f"\\|{name}_{{i,:}}\\|^2"


def conservation_laws(model: ReducedModel | EffectiveModel) -> list[ConservationLaw]:
    """All laws of docs/mathematics.md#conservation-laws for ``model``: balancedness, traces, per neuron."""
    return balancedness_laws(model) + trace_laws(model) + per_neuron_laws(model)


def _frobenius2(matrix: sp.Matrix) -> sp.Expr:
    return sum((entry**2 for entry in matrix), sp.Integer(0))


def _bare(name: str) -> str:
    return "a" if name == "a^\\top" else name


def factor_gradients(chain: FactorChain) -> list[sp.Matrix]:
    r""":math:`\partial E/\partial F_k=(F_L\cdots F_{k+1})^\top(F_{k-1}\cdots F_1[v])^\top`, built from
    the matrix products (independently of the model's vector field), in chain order."""
    gradients = []
    for k in range(chain.depth):
        left = sp.eye(1)
        for factor in chain.factors[:k]:
            left = left * factor
        right = sp.eye(chain.factors[k].cols)
        for factor in chain.factors[k + 1:]:
            right = right * factor
        if chain.tail is not None:
            right = right * chain.tail
        gradients.append(chain.scale * left.T * right.T)
    return gradients


def energy_identity(model: ReducedModel | EffectiveModel) -> ProvedIdentity:
    r""":math:`\dot E=\sum_k\|\partial E/\partial F_k\|_F^2` (for depth 3:
    :math:`\|Wu\|^2+\|a\|^2\|u\|^2+\|W^\top a\|^2`), with :math:`\dot E` computed along the model's
    field and the right side from the matrix products."""
    chain = factor_chain(model)
    lhs = time_derivative(chain.energy, chain.state_symbols, chain.field)
    rhs = sum((_frobenius2(g) for g in factor_gradients(chain)), sp.Integer(0))
    if isinstance(model, ReducedModel) and model.depth == 3:
        statement = r"\dot E = \|Wu\|^2 + \|a\|^2\|u\|^2 + \|W^\top a\|^2"
    else:
        statement = r"\dot E = \sum_{k=1}^{L}\Big\|\frac{\partial E}{\partial F_k}\Big\|_F^2"
    return prove("energy identity", statement, lhs, rhs)


def euler_identity(model: ReducedModel | EffectiveModel) -> ProvedIdentity:
    r""":math:`y\cdot F(y)=L\,E(y)` (:math:`E` homogeneous of degree :math:`L`)."""
    chain = factor_chain(model)
    lhs = sum((s * f for s, f in zip(chain.state_symbols, chain.field)), sp.Integer(0))
    return prove("Euler identity", rf"y\cdot F(y) = {chain.depth}\,E(y)", lhs, chain.depth * chain.energy)


def norm_growth_identities(model: ReducedModel | EffectiveModel) -> list[ProvedIdentity]:
    r""":math:`\tfrac{d}{d\tau}\|F_k\|_F^2=2E` for every factor (:math:`E` is linear in each factor)."""
    chain = factor_chain(model)
    return [prove(f"norm growth of {_bare(name)}", rf"\frac{{d}}{{d\tau}}\|{_bare(name)}\|^2 = 2E",
                  time_derivative(_frobenius2(factor), chain.state_symbols, chain.field), 2 * chain.energy)
            for factor, name in zip(chain.factors, chain.names)]

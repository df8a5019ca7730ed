r"""Finite-time blow-up of the effective flow :math:`\dot y=F(y)=\nabla E(y)` (docs/mathematics.md#blow-up).

:math:`E=a^\top W^{L-1}\cdots W^2u` is homogeneous of degree :math:`L`, so :math:`y\cdot F=L\,E`
(Euler). With :math:`r=\|y\|`, :math:`\theta=y/r` and :math:`ds=r^{L-2}d\tau` (for :math:`L=3`:
:math:`ds=r\,d\tau`, the continuous rescaling of Stuart & Floater 1990):

.. math:: \frac{d\theta}{ds}=F(\theta)-L\,E(\theta)\,\theta,\qquad \frac{d\log r}{ds}=L\,E(\theta),
          \qquad T^*=\int_0^\infty\frac{ds}{r(s)^{L-2}} .

Fixed points on the sphere: rank-one chains :math:`\theta^*=L^{-1/2}(e_{L-1},\,e_{L-1}e_{L-2}^\top,\dots,
e_2e_1^\top,\,e_1)` with unit vectors :math:`e_k\in\mathbb R^{m_k}`, :math:`F(\theta^*)=\lambda\theta^*`,
:math:`\lambda=L\,E(\theta^*)=L^{1-L/2}` (:math:`L=3`: :math:`\theta^*=(\hat a,\hat a\hat u^\top,\hat u)/\sqrt3`,
:math:`\lambda=1/\sqrt3`); :math:`\lambda` is also the maximum of :math:`L\,E` on the unit sphere.

Bounds (:func:`blowup_lower_bound`, :func:`blowup_upper_bound`, proofs in :func:`bound_proofs`):

.. math:: \frac{L^{L/2-1}}{(L-2)\,r_0^{L-2}}\;\le\;T^*\;\le\;\frac{E_0^{-(L-2)/L}}{L-2}
          \qquad(L\ge3,\ E_0>0),

for :math:`L=3`: :math:`\sqrt3/\|y_0\|\le T^*\le E_0^{-1/3}`, both equalities for balanced rank-one data.
For :math:`L=2` the flow is linear and there is no finite-time blow-up.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from functools import reduce

import sympy as sp

from theory.conservation import FactorChain, factor_chain, factor_gradients
from theory.identities import ProvedIdentity, is_zero, prove
from theory.latexing import LatexPrintable, tex
from theory.reduced import ReducedModel, reduced_model
from theory.scalar import scalar_blowup_time

__all__ = [
    "ProjectedFlow", "SphereFixedPoint", "projected_flow", "sphere_fixed_point", "sphere_maximum",
    "blowup_lower_bound", "blowup_upper_bound", "bound_proofs", "scalar_blowup_time",
]


def _check_depth(depth) -> int:
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral | sp.Integer) or int(depth) < 2:
        raise ValueError(f"depth: must be an int >= 2, got {depth!r}")
    return int(depth)


def _as_reduced(model_or_widths) -> ReducedModel:
    if isinstance(model_or_widths, ReducedModel):
        return model_or_widths
    return reduced_model(model_or_widths)


# -- projected flow and fixed points ------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ProjectedFlow(LatexPrintable):
    r"""The sphere flow :math:`d\theta/ds=F(\theta)-L E(\theta)\theta` in the state symbols (standing
    for :math:`\theta`), and the proof that the sphere is invariant:
    :math:`\theta\cdot d\theta/ds=L E(\theta)(1-\|\theta\|^2)`."""

    model: ReducedModel
    field: sp.Matrix
    sphere_invariance: ProvedIdentity

    def latex(self) -> str:
        L = self.model.depth
        clock = {2: "", 3: r",\quad \frac{d\tau}{ds} = \frac{1}{r}"}.get(
            L, rf",\quad \frac{{d\tau}}{{ds}} = r^{{{2 - L}}}")
        return (rf"\frac{{d\theta}}{{ds}} = F(\theta) - {L}\,E(\theta)\,\theta,\quad "
                rf"\frac{{d\log r}}{{ds}} = {L}\,E(\theta){clock}")


def projected_flow(model_or_widths) -> ProjectedFlow:
    """The projected flow of docs/mathematics.md#blow-up for a reduced model (or its widths)."""
    model = _as_reduced(model_or_widths)
    theta = sp.Matrix(model.state_symbols)
    L, E = model.depth, model.energy
    field = (model.vector_field - L * E * theta).applyfunc(sp.expand)
    norm2 = sum((s**2 for s in theta), sp.Integer(0))
    invariance = prove("sphere invariance", r"\theta\cdot\frac{d\theta}{ds} = L\,E(\theta)\,(1-\|\theta\|^2)",
                       (theta.T * field)[0, 0], L * E * (1 - norm2))
    return ProjectedFlow(model, field, invariance)


@dataclass(frozen=True, eq=False)
class SphereFixedPoint(LatexPrintable):
    r"""The rank-one fixed point :math:`\theta^*` of the projected flow, in unit-vector symbols
    ``unit_vectors`` (one per hidden layer, input side first), with :math:`\lambda=L^{1-L/2}`.
    ``residuals``: :math:`F(\theta^*)-\lambda\theta^*`, :math:`\|\theta^*\|^2-1`,
    :math:`L E(\theta^*)-\lambda`, each reduced modulo :math:`\|e_k\|^2=1` (zero = proved)."""

    model: ReducedModel
    theta_star: sp.Matrix
    eigenvalue: sp.Expr
    unit_vectors: tuple[sp.Matrix, ...]
    residuals: dict[str, object]

    @property
    def proved(self) -> bool:
        return all(is_zero(r) for r in self.residuals.values())

    def latex(self) -> str:
        L = self.model.depth
        if L == 3:
            point = r"\theta^* = \tfrac{1}{\sqrt3}\big(\hat a,\ \hat a\hat u^\top,\ \hat u\big)"
        elif L == 2:
            point = r"\theta^* = \tfrac{1}{\sqrt2}\big(e_1,\ e_1\big)"
        elif L == 4:
            point = r"\theta^* = \tfrac{1}{2}\big(e_3,\ e_3e_2^\top,\ e_2e_1^\top,\ e_1\big)"
        else:
            point = (rf"\theta^* = \tfrac{{1}}{{\sqrt{{{L}}}}}\big(e_{{{L - 1}}},\ e_{{{L - 1}}}e_{{{L - 2}}}^\top,"
                     rf"\ \dots,\ e_2e_1^\top,\ e_1\big)")
        return (rf"{point},\quad F(\theta^*) = \lambda\,\theta^*,\quad \lambda = {L}\,E(\theta^*) = "
                rf"{tex(self.eigenvalue)}")


def _unit_vector(name: str, size: int) -> sp.Matrix:
    return sp.Matrix(size, 1, lambda i, _: sp.Symbol(f"{name}_{i + 1}", real=True))


def sphere_fixed_point(model_or_widths) -> SphereFixedPoint:
    r"""Build :math:`\theta^*` and verify :math:`F(\theta^*)=\lambda\theta^*` symbolically: every
    residual is reduced modulo the ideal :math:`(\|e_k\|^2-1)_k` (a Gröbner basis, the
    generators being in disjoint variables) and must vanish."""
    model = _as_reduced(model_or_widths)
    L, widths = model.depth, model.widths
    if L == 3:
        names = ["uhat", "ahat"]
    else:
        names = [f"e{k}" for k in range(1, L)]
    units = tuple(_unit_vector(n, m) for n, m in zip(names, widths))
    c = 1 / sp.sqrt(L)
    blocks = [c * units[-1]]  # a
    for k in range(L - 1, 1, -1):  # W^k = c e_k e_{k-1}^T
        blocks.append(c * units[k - 1] * units[k - 2].T)
    blocks.append(c * units[0])  # u
    theta_star = sp.Matrix([entry for block in blocks for entry in block])
    lam = sp.Integer(L) ** (1 - sp.Rational(L, 2))
    at_star = dict(zip(model.state_symbols, theta_star))
    constraints = [sum((e**2 for e in unit), sp.Integer(0)) - 1 for unit in units]
    gens = [e for unit in units for e in unit]

    def modulo_sphere(expr):
        expr = sp.expand(expr)
        return expr if expr == 0 else sp.reduced(expr, constraints, *gens)[1]

    field_star = model.vector_field.subs(at_star)
    residuals = {
        "F(theta*) - lambda theta*": (field_star - lam * theta_star).applyfunc(modulo_sphere),
        "|theta*|^2 - 1": modulo_sphere(sum((x**2 for x in theta_star), sp.Integer(0)) - 1),
        "L E(theta*) - lambda": modulo_sphere(L * model.energy.subs(at_star) - lam),
    }
    return SphereFixedPoint(model, theta_star, lam, units, residuals)


def sphere_maximum(depth: int) -> sp.Expr:
    r""":math:`\max_{\|\theta\|=1} L\,E(\theta)=L^{1-L/2}`: by :math:`|E|\le\prod_k\|F_k\|_F` and
    AM–GM, :math:`\prod_k\|F_k\|_F\le(\sum_k\|F_k\|_F^2/L)^{L/2}=L^{-L/2}`; attained at
    :math:`\theta^*`."""
    L = _check_depth(depth)
    return sp.Integer(L) ** (1 - sp.Rational(L, 2))


# -- bounds ---------------------------------------------------------------------------------------

def _check_nonnegative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or value < 0:
        raise ValueError(f"{name}: must be a real number >= 0, got {value!r}")
    return value


def blowup_lower_bound(r0: float, depth: int = 3) -> float:
    r"""Lower bound :math:`T^*\ge L^{L/2-1}/((L-2)\,r_0^{L-2})` with :math:`r_0=\|y(0)\|`
    (:math:`L=3`: :math:`\sqrt3/r_0`). From :math:`r r'=y\cdot F=L E(y)\le L^{1-L/2}r^L`
    (Euler and :func:`sphere_maximum`), i.e. :math:`r'\le L^{1-L/2}r^{L-1}`. Returns ``math.inf``
    for :math:`L=2` (linear flow, no finite-time blow-up) and for :math:`r_0=0` (equilibrium)."""
    L = _check_depth(depth)
    r0 = _check_nonnegative("r0", r0)
    if L == 2 or r0 == 0.0:
        return math.inf
    if r0 == math.inf:
        return 0.0
    # = L^{L/2-1}/((L-2) r0^{L-2}), in logarithms when r0^{L-2} leaves the float range
    log_bound = -math.log((L - 2) * float(sphere_maximum(L))) - (L - 2) * math.log(r0)
    if abs((L - 2) * math.log(r0)) < 700:
        return 1.0 / ((L - 2) * float(sphere_maximum(L)) * r0 ** (L - 2))
    return math.exp(log_bound) if log_bound < 709.7 else math.inf


def blowup_upper_bound(E0: float, depth: int = 3) -> float | None:
    r"""Upper bound :math:`T^*\le E_0^{-(L-2)/L}/(L-2)` for :math:`E_0=E(y(0))>0` (:math:`L=3`:
    :math:`E_0^{-1/3}`). From :math:`\dot E\ge L\,E^{2-2/L}` (:func:`bound_proofs`). Returns ``None``
    when :math:`E_0\le0` (no bound of this kind) or :math:`L=2` (no finite-time blow-up)."""
    L = _check_depth(depth)
    if isinstance(E0, bool) or not isinstance(E0, numbers.Real) or math.isnan(float(E0)):
        raise ValueError(f"E0: expected a real number, got {E0!r}")
    E0 = float(E0)
    if L == 2 or E0 <= 0:
        return None
    return E0 ** (-(L - 2) / L) / (L - 2)


def _split_vectors(chain: FactorChain) -> list[tuple[sp.Matrix, sp.Matrix]]:
    r""":math:`(P_j,Q_j)`, :math:`j=1..L-1`: :math:`P_j=(F_L\cdots F_{j+1})^\top`,
    :math:`Q_j=F_j\cdots F_1`, so :math:`E=\langle P_j,Q_j\rangle` for every split."""
    pairs = []
    L = chain.depth
    for j in range(1, L):
        P = reduce(lambda x, y: x * y, chain.factors[:L - j]).T
        Q = reduce(lambda x, y: x * y, chain.factors[L - j:])
        pairs.append((P, Q))
    return pairs


def _norm2(matrix: sp.Matrix) -> sp.Expr:
    return sum((x**2 for x in matrix), sp.Integer(0))


def bound_proofs(model_or_widths) -> list[ProvedIdentity]:
    r"""The identities behind the bounds, proved for the given widths (:math:`L\ge2`).

    Upper bound, :math:`E_0>0`:

    1. per-factor Euler :math:`\langle F_k,\partial_kE\rangle=E` (each factor enters linearly), so
       :math:`\dot E=\sum_k\|\partial_kE\|^2` (energy identity, :mod:`theory.conservation`);
    2. rank one: :math:`\|\partial_kE\|_F^2=\|P_k\|^2\|Q_{k-1}\|^2` (:math:`P_L=Q_0=1`), hence
       :math:`\prod_k\|\partial_kE\|^2=\prod_{j=1}^{L-1}\|P_j\|^2\|Q_j\|^2`;
    3. Lagrange: :math:`\|P_j\|^2\|Q_j\|^2-\langle P_j,Q_j\rangle^2=\sum_{i<l}(P_{j,i}Q_{j,l}-P_{j,l}Q_{j,i})^2
       \ge0` with :math:`\langle P_j,Q_j\rangle=E`, so the product is :math:`\ge E^{2(L-1)}`;
    4. AM–GM: :math:`\dot E\ge L(\prod_k\|\partial_kE\|^2)^{1/L}\ge L\,E^{2-2/L}`, so
       :math:`\frac{d}{d\tau}E^{-(L-2)/L}\le-(L-2)` and :math:`E` (hence :math:`y`) blows up before
       :math:`E_0^{-(L-2)/L}/(L-2)`.

    Lower bound: Euler :math:`y\cdot F=L E` (so :math:`rr'=LE`) and :math:`L E\le L^{1-L/2}` on the
    unit sphere (:func:`sphere_maximum`, attained at :func:`sphere_fixed_point`).
    """
    model = _as_reduced(model_or_widths)
    chain = factor_chain(model)
    proofs = []
    gradients = factor_gradients(chain)
    for k, (factor, grad, name) in enumerate(zip(chain.factors, gradients, chain.names)):
        inner = sum((f * g for f, g in zip(factor, grad)), sp.Integer(0))
        proofs.append(prove(f"per-factor Euler ({name})",
                            rf"\langle {name}, \partial E/\partial {name}\rangle = E", inner, chain.energy))
    pairs = _split_vectors(chain)
    ones = sp.Matrix([[1]])
    P_of = {k: P for k, (P, _) in enumerate(pairs, start=1)}
    Q_of = {k: Q for k, (_, Q) in enumerate(pairs, start=1)}
    P_of[chain.depth], Q_of[0] = ones, ones
    for k, (grad, name) in enumerate(zip(gradients, chain.names)):
        j = chain.depth - k  # chain position k is factor F_j
        proofs.append(prove(f"rank one ({name})",
                            rf"\|\partial E/\partial {name}\|_F^2 = \|P_{{{j}}}\|^2\,\|Q_{{{j - 1}}}\|^2",
                            _norm2(grad), _norm2(P_of[j]) * _norm2(Q_of[j - 1])))
    for j, (P, Q) in enumerate(pairs, start=1):
        proofs.append(prove(f"split {j}", rf"\langle P_{{{j}}}, Q_{{{j}}}\rangle = E", (P.T * Q)[0, 0], chain.energy))
        lagrange = sum(((P[i] * Q[l] - P[l] * Q[i]) ** 2 for i in range(P.rows) for l in range(i + 1, P.rows)),
                       sp.Integer(0))
        proofs.append(prove(f"Lagrange {j}",
                            rf"\|P_{{{j}}}\|^2\|Q_{{{j}}}\|^2 - \langle P_{{{j}}},Q_{{{j}}}\rangle^2 = "
                            rf"\sum_{{i<l}}(P_{{{j},i}}Q_{{{j},l}} - P_{{{j},l}}Q_{{{j},i}})^2",
                            _norm2(P) * _norm2(Q) - (P.T * Q)[0, 0] ** 2, lagrange))
    return proofs


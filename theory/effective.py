r"""The effective model obtained by series expansion in the initialization scale (docs/mathematics.md#model–#reduced-variables, #multiplicity).

For :math:`f_\theta(x)=a^\top\sigma(W^{L-1}\cdots\sigma(W^1x))` with :math:`\theta=\varepsilon\bar\theta`,

.. math:: f_\theta(x)=\varepsilon^p f_p(\bar\theta,x)+\varepsilon^{p+1}f_{p+1}(\bar\theta,x)+O(\varepsilon^{p+2}),

:math:`p` the leading order. While :math:`f` is small the residual is :math:`-y`, so gradient flow on
the risk is, to leading order, the gradient *ascent* of
:math:`\varepsilon^p\,\mathbb E_{\text{data}}[y f_p(\bar\theta,x)]`; in the time
:math:`\tau=\varepsilon^{p-2}\|v'\|t` (with :math:`v'=\mathbb E[yx]`) the normalized parameters follow
:math:`d\bar\theta/d\tau=\nabla E(\bar\theta)` with the effective energy

.. math:: E(\bar\theta)=\frac{1}{\|v'\|}\,\mathbb E_{\text{data}}\big[y\,f_p(\bar\theta,x)\big].

For a multiplicity-one activation :math:`f_p` is linear in :math:`x`, so :math:`E=f_p(\bar\theta,v)`,
:math:`v=v'/\|v'\|`. In general :math:`f_p` is a polynomial in :math:`x` and :math:`E` is written with
the normalized data moments :math:`\mu_\alpha=\mathbb E[y x^\alpha]/\|v'\|`.
"""

from __future__ import annotations

import numbers

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp
from sympy.polys.rings import ring

from theory.activations import activation_name, check_smooth_activation, multiplicity
from theory.latexing import LatexPrintable, matrix_symbols, tex, tex_sum_lines
from theory.reduced import ReducedModel, _check_widths, reduced_model
from theory.series import expand_symbolic, probe_leading_orders

#: The initialization scale, time and rescaled time, and the norm of the data direction.
epsilon = sp.Symbol("varepsilon", positive=True)
t = sp.Symbol("t", nonnegative=True)
tau = sp.Symbol("tau", nonnegative=True)
vprime_norm = sp.Symbol("\\|v'\\|", positive=True)


def _check_depth(depth) -> int:
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral | sp.Integer) or int(depth) < 2:
        raise ValueError(f"depth: must be an int >= 2 (number of weight layers), got {depth!r}")
    return int(depth)


def _check_input_dim(input_dim) -> int:
    if isinstance(input_dim, bool) or not isinstance(input_dim, numbers.Integral | sp.Integer) or int(input_dim) < 1:
        raise ValueError(f"input_dim: must be an int >= 1, got {input_dim!r}")
    return int(input_dim)


def network_weights(widths: tuple[int, ...], input_dim: int) -> tuple[sp.Matrix, ...]:
    r"""Symbolic weights input to output: :math:`W^1\in\mathbb R^{m_1\times d}`, ...,
    :math:`W^{L-1}`, :math:`a\in\mathbb R^{m_{L-1}}` (a column). Names match :func:`reduced_model`
    (``a_i``, ``W{k}_i_j``) so the reduction can be checked symbol for symbol."""
    dims = (input_dim, *widths)
    weights = [matrix_symbols(f"W{k}", dims[k], dims[k - 1]) for k in range(1, len(dims))]
    weights.append(matrix_symbols("a", widths[-1], 1))
    return tuple(weights)


def _moment_symbol(alpha: tuple[int, ...]) -> sp.Symbol:
    return sp.Symbol("mu_" + "_".join(map(str, alpha)), real=True)


@dataclass(frozen=True, eq=False)
class ReductionProof(LatexPrintable):
    r"""docs/mathematics.md#reduced-variables: for multiplicity one, :math:`E = c\,E_{\rm red}(a,W^{L-1},\dots,W^2,u)` with
    :math:`u=W^1v`, :math:`c=\sigma'(0)^{L-1}`, and :math:`\partial E/\partial W^1 = c\,(\partial
    E_{\rm red}/\partial u)\,v^\top` (so :math:`W^1` moves only along :math:`v`).
    ``energy_difference`` and ``w1_field_difference`` are the expanded differences (zero = proved)."""

    factor: sp.Expr
    reduced: ReducedModel
    substitution: dict
    energy_difference: sp.Expr
    w1_field_difference: sp.Matrix

    @property
    def proved(self) -> bool:
        return self.energy_difference == 0 and self.w1_field_difference.is_zero_matrix

    def latex(self) -> str:
        c = "" if self.factor == 1 else tex(self.factor) + r"\,"
        return (rf"E(\bar\theta) - {c}E_{{\rm red}}\big|_{{u=W^1 v}} = {tex(self.energy_difference)},"
                rf"\qquad \frac{{\partial E}}{{\partial W^1}} - {c}\frac{{\partial E_{{\rm red}}}}"
                rf"{{\partial u}}\Big|_{{u=W^1v}} v^\top = {tex(self.w1_field_difference)}")


@dataclass(frozen=True, eq=False)
class EffectiveModel(LatexPrintable):
    r"""Result of :func:`derive_effective_model`: the series of :math:`f` in :math:`\varepsilon`, its
    leading order, the effective energy and vector field, the time rescaling and the reduction.

    ``series[k]`` is :math:`f_k(\bar\theta,x)` (zero entries included) for :math:`k\le p+1`;
    ``weights`` lists :math:`W^1,\dots,W^{L-1},a` input to output; ``state_symbols`` is
    :math:`\bar\theta=(a,W^{L-1},\dots,W^1)` output to input, matrices row-major.
    """

    depth: int
    activation: str
    sigma: sp.Expr
    widths: tuple[int, ...]
    input_dim: int
    multiplicity: int
    weights: tuple[sp.Matrix, ...]
    x: sp.Matrix
    v: sp.Matrix
    series_polys: dict = field(repr=False)

    # -- the expansion -------------------------------------------------------------------------
    @cached_property
    def series(self) -> dict[int, sp.Expr]:
        r"""``{k: f_k(\bar\theta, x)}`` for :math:`k\le p+1` as SymPy expressions."""
        return {k: poly.as_expr() for k, poly in self.series_polys.items()}

    @cached_property
    def leading_order(self) -> int:
        return min(k for k, poly in self.series_polys.items() if poly)

    @property
    def leading_coefficient(self) -> sp.Expr:
        """:math:`f_p(\\bar\\theta, x)`."""
        return self.series[self.leading_order]

    @property
    def next_order_coefficient(self) -> sp.Expr:
        """:math:`f_{p+1}(\\bar\\theta, x)` (zero for odd activations of multiplicity one)."""
        return self.series[self.leading_order + 1]

    @property
    def next_order_vanishes(self) -> bool:
        return not self.series_polys[self.leading_order + 1]

    def _x_exponents(self, monom: tuple[int, ...]) -> tuple[int, ...]:
        return monom[len(monom) - self.input_dim:]

    @cached_property
    def is_linear_in_x(self) -> bool:
        """Whether :math:`f_p` is linear in :math:`x` (true exactly for multiplicity one)."""
        return all(sum(self._x_exponents(m)) == 1 for m in self.series_polys[self.leading_order])

    # -- the effective model -------------------------------------------------------------------
    @cached_property
    def state_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(s for matrix in reversed(self.weights) for s in matrix)

    @cached_property
    def moments(self) -> dict[tuple[int, ...], sp.Symbol]:
        r"""Multi-index :math:`\alpha` → the symbol standing for :math:`\mathbb E[yx^\alpha]/\|v'\|`
        (:math:`v_j` for :math:`\alpha=e_j`)."""
        alphas = sorted({self._x_exponents(m) for m in self.series_polys[self.leading_order]}, reverse=True)
        result = {}
        for alpha in alphas:
            if sum(alpha) == 1:
                result[alpha] = self.v[alpha.index(1)]
            else:
                result[alpha] = _moment_symbol(alpha)
        return result

    @cached_property
    def _energy_poly(self):
        """The energy as a sparse polynomial in (weights input to output, moment symbols)."""
        f_p = self.series_polys[self.leading_order]
        moment_symbols = list(dict.fromkeys(self.moments.values()))
        weight_symbols = [s for m in self.weights for s in m]
        R = ring(weight_symbols + moment_symbols, f_p.ring.domain)[0]
        nw, terms = len(weight_symbols), {}
        for monom, coeff in f_p.items():
            one_hot = [0] * len(moment_symbols)
            one_hot[moment_symbols.index(self.moments[self._x_exponents(monom)])] = 1
            key = tuple(monom[:nw]) + tuple(one_hot)
            terms[key] = terms.get(key, 0) + coeff
        return R.from_dict(terms)

    @property
    def energy_term_count(self) -> int:
        """Number of monomials of :attr:`energy` (cheap: no SymPy expression is built)."""
        return len(self._energy_poly)

    @cached_property
    def energy(self) -> sp.Expr:
        r""":math:`E(\bar\theta)=\sum_\alpha [x^\alpha]f_p(\bar\theta,x)\,\mu_\alpha`; equals
        :math:`f_p(\bar\theta,v)` for multiplicity one."""
        return self._energy_poly.as_expr()

    @cached_property
    def vector_field(self) -> sp.Matrix:
        r""":math:`\nabla_{\bar\theta}E` in the order of :attr:`state_symbols`."""
        E = self._energy_poly
        gens = dict(zip(E.ring.symbols, E.ring.gens))
        return sp.Matrix([E.diff(gens[s]).as_expr() for s in self.state_symbols])

    @property
    def time_rescaling(self) -> sp.Eq:
        r""":math:`\tau=\varepsilon^{p-2}\|v'\|\,t`."""
        return sp.Eq(tau, epsilon ** (self.leading_order - 2) * vprime_norm * t)

    def energy_for_data(self, X, y) -> sp.Expr:
        r"""The energy with the moments of the data ``X`` (n, d), ``y`` (n,) substituted:
        :math:`\mu_\alpha=\frac1n\sum_i y_i x_i^\alpha/\|v'\|`."""
        X, y = np.asarray(X), np.asarray(y)
        for name, arr in (("X", X), ("y", y)):
            if arr.dtype == bool or arr.dtype.kind not in "iuf":
                raise TypeError(f"{name}: expected a real (int or float) array, got dtype {arr.dtype}")
        X, y = X.astype(float), y.astype(float)
        if X.ndim != 2 or X.shape[1] != self.input_dim or X.shape[0] < 1:
            raise ValueError(f"X: expected shape (n, {self.input_dim}) with n >= 1, got {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"y: expected shape ({X.shape[0]},), got {y.shape}")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
            raise ValueError("X, y: every entry must be finite (no nan/inf)")
        vprime = (y[:, None] * X).mean(axis=0)
        norm = float(np.linalg.norm(vprime))
        if norm == 0.0:
            raise ValueError("X, y: the first moment v' = E[y x] is zero, so tau = eps^(p-2)|v'|t is undefined")
        values = {sym: float(np.mean(y * np.prod(X ** np.array(alpha), axis=1)) / norm)
                  for alpha, sym in self.moments.items()}
        return sp.expand(self.energy.subs(values))

    # -- reduction to (a, W, u) ----------------------------------------------------------------
    @cached_property
    def reduction(self) -> ReductionProof | None:
        r"""The reduction of docs/mathematics.md#reduced-variables, proved symbolically, or ``None`` when the activation
        does not have multiplicity one (then :math:`E` is not a function of :math:`W^1v` alone)."""
        if not self.is_linear_in_x:
            return None
        red = reduced_model(self.widths)
        W1 = self.weights[0]
        u = red.factors[-1]
        u_of_w1 = W1 * self.v
        substitution = {u[i]: u_of_w1[i] for i in range(u.rows)}
        # c = coefficient of one monomial of the product a^T W^{L-1}...W^1 v in E (that product has coefficient 1)
        monomial = sp.Mul(*[m[0, 0] for m in self.weights], self.v[0])
        factor = sp.Poly(self.energy, *self.state_symbols, *self.v).coeff_monomial(monomial)
        reduced_energy = red.energy.subs(substitution)
        energy_difference = sp.expand(self.energy - factor * reduced_energy)
        du = sp.Matrix([sp.diff(red.energy, s) for s in u]).subs(substitution)
        field_of = dict(zip(self.state_symbols, self.vector_field))
        w1_field = sp.Matrix(W1.rows, W1.cols, lambda i, j: field_of[W1[i, j]])
        w1_difference = (w1_field - factor * du * self.v.T).applyfunc(sp.expand)
        return ReductionProof(factor, red, substitution, energy_difference, w1_difference)

    # -- LaTeX ---------------------------------------------------------------------------------
    def latex_network(self) -> str:
        layers = r"\sigma\big(W^{(%d)}" % (self.depth - 1)
        inner = r"\cdots\sigma(W^{(1)}x)\cdots\big)" if self.depth > 3 else (
            r"\sigma(W^{(1)}x)\big)" if self.depth == 3 else "")
        body = (rf"a^\top {layers}{inner}" if self.depth > 2 else r"a^\top\sigma(W^{(1)}x)")
        return rf"f_\theta(x) = {body},\qquad \sigma(z) = {tex(self.sigma)}"

    def latex_expansion(self, max_terms: int = 40) -> str:
        p = self.leading_order
        zero = {1: "f_0", 2: "f_0 = f_1", 3: "f_0 = f_1 = f_2"}.get(p, rf"f_0 = f_1 = \dots = f_{{{p - 1}}}")
        lines = [rf"{zero} &= 0"]
        for k, poly in self.series_polys.items():
            if k >= p:
                lines.append(rf"f_{{{k}}} &= {_tex_polynomial(poly, max_terms)}")
        return r"\begin{aligned}" + r"\\ ".join(lines) + r"\end{aligned}"

    def latex_energy(self) -> str:
        return rf"\begin{{aligned}}E(\bar\theta) &= {tex_sum_lines(self.energy)}\end{{aligned}}"

    def latex_vector_field(self) -> str:
        rows = [rf"\frac{{d {tex(s)}}}{{d\tau}} &= {tex_sum_lines(f)}"
                for s, f in zip(self.state_symbols, self.vector_field)]
        return r"\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}"

    def latex_time_rescaling(self) -> str:
        power = self.leading_order - 2
        scale = {0: "", 1: r"\varepsilon\,"}.get(power, rf"\varepsilon^{{{power}}}\,")
        return rf"\tau = {scale}\|v'\|\,t"

    def latex(self) -> str:
        return (rf"f_\theta(x)=\varepsilon^{{{self.leading_order}}} f_{{{self.leading_order}}}(\bar\theta,x)"
                rf"+O(\varepsilon^{{{self.leading_order + (2 if self.next_order_vanishes else 1)}}}),\quad "
                rf"{self.latex_energy()},\quad {self.latex_time_rescaling()}")


def _tex_polynomial(poly, max_terms: int) -> str:
    """LaTeX of a sparse polynomial; beyond ``max_terms`` terms only its first four and the count."""
    if len(poly) <= max_terms:
        return tex_sum_lines(poly.as_expr())
    shown = poly.ring.from_dict(dict(sorted(poly.items(), reverse=True)[:4])).as_expr()
    return tex(shown) + rf" + \dots\ \text{{({len(poly)} terms in all)}}"




def derive_effective_model(depth: int = 3, activation="tanh", widths=None, input_dim=None) -> EffectiveModel:
    r"""Expand :math:`f_\theta(x)=a^\top\sigma(W^{L-1}\cdots\sigma(W^1x))` in :math:`\varepsilon`
    (:math:`\theta=\varepsilon\bar\theta`) for explicit small widths and return the effective model.

    ``depth`` :math:`L\ge2`; ``widths`` :math:`(m_1,\dots,m_{L-1})`, default all 2; ``input_dim``
    :math:`d`, default 2; ``activation`` a name from ``ACTIVATION_NAMES`` (``relu`` refused: not
    smooth) or a SymPy expression with :math:`\sigma(0)=0`.

    The leading order is found by expansion: a cheap probe at random rational weights gives a
    candidate :math:`p`, then the exact symbolic expansion to :math:`\varepsilon^{p+1}` shows that
    all orders below :math:`p` vanish identically and :math:`f_p\ne0`.
    """
    depth = _check_depth(depth)
    sigma = check_smooth_activation(activation)
    if widths is None:
        widths = (2,) * (depth - 1)
    widths = _check_widths(widths)
    if len(widths) != depth - 1:
        raise ValueError(f"widths: need depth - 1 = {depth - 1} hidden widths, got {len(widths)}")
    input_dim = 2 if input_dim is None else _check_input_dim(input_dim)
    weights = network_weights(widths, input_dim)
    x = matrix_symbols("x", input_dim, 1)
    v = matrix_symbols("v", input_dim, 1)
    layers = [*weights[:-1], weights[-1].T]  # the output layer acts as the row a^T
    leading = probe_leading_orders(sigma, layers, input_dim)
    order = leading[-1]
    while True:
        series = expand_symbolic(sigma, layers, x, order + 1, leading)
        if any(series.values()):
            break
        order, leading = 2 * order, None  # the probe hit a non-generic point: look further
    return EffectiveModel(depth, activation_name(activation), sigma, widths, input_dim,
                          multiplicity(activation), weights, x, v, series)

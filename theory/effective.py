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

General networks (:class:`theory.network.Network`: several outputs, biases, one activation per
layer) go through the same expansion. With several outputs the series is that of :math:`y^\top f`
(symbols :math:`y_j`), so that :math:`E=\mathbb E[y^\top f_p]/N` keeps its form: for multiplicity
one and no biases :math:`E=\langle\bar M, A W^{L-1}\cdots W^1\rangle`, :math:`\bar M=M'/\|M'\|_2`,
:math:`M'=\frac1n\sum_iy_ix_i^\top`. Biases add :math:`x`-independent terms that pair with the mean
target :math:`\bar y`; the normalization :math:`N` is the spectral norm of the matrix of the first
moments :math:`\mathbb E[y_j x^\alpha]`, :math:`|\alpha|\le1`, that appear in :math:`f_p`
(:math:`\|v'\|` in the plain case).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
from sympy.polys.rings import ring

from theory.latexing import LatexPrintable, matrix_symbols, tex, tex_sum_lines
from theory.network import Network
from theory.reduced import ReducedModel, reduced_model
from theory.series import expand_symbolic, probe_orders

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


def _moment_symbol(alpha: tuple[int, ...], output: int | None = None) -> sp.Symbol:
    prefix = "mu_" if output is None else f"mu_{output + 1}_"
    return sp.Symbol(prefix + "_".join(map(str, alpha)), real=True)


def _first_moment_symbol(alpha: tuple[int, ...], output: int | None, v: sp.Matrix) -> sp.Symbol:
    r"""Symbol of a normalized first moment: :math:`v_i` / :math:`\bar M_{ji}` for :math:`x_i`,
    ``v_0`` / ``M_j_0`` for the constant (:math:`\bar y/N`)."""
    index = alpha.index(1) + 1 if sum(alpha) else 0
    if output is None:
        return v[index - 1] if index else sp.Symbol("v_0", real=True)
    return sp.Symbol(f"M_{output + 1}_{index}", real=True)


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

    ``series[k]`` is :math:`f_k(\bar\theta,x)` (zero entries included) for :math:`k\le p+1` (and up to
    :attr:`centred_order` + 1 when the leading terms do not depend on :math:`x`); with several
    outputs it is :math:`y^\top f_k` in the symbols ``duals`` :math:`y_j`. ``weights`` lists
    :math:`W^1,\dots,W^{L-1},a` (or ``A``) input to output, ``biases`` the bias columns (``None`` for
    layers without); ``state_symbols`` is :math:`\bar\theta` output to input, for each layer its
    matrix row-major then its bias: :math:`(a,W^{L-1},\dots,W^1)` without biases.
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
    network: Network | None = None
    biases: tuple = ()
    duals: sp.Matrix | None = None
    x_order: int | None = None

    # -- the expansion -------------------------------------------------------------------------
    @cached_property
    def series(self) -> dict[int, sp.Expr]:
        r"""``{k: f_k(\bar\theta, x)}`` for :math:`k\le p+1` as SymPy expressions."""
        return {k: poly.as_expr() for k, poly in self.series_polys.items()}

    @cached_property
    def leading_order(self) -> int:
        return min(k for k, poly in self.series_polys.items() if poly)

    @property
    def output_dim(self) -> int:
        return 1 if self.duals is None else len(self.duals)

    @property
    def centred_order(self) -> int | None:
        r"""Leading order of the :math:`x`-dependent part of :math:`f` (``None`` if there is none up to the
        probe's limit): it governs once the :math:`x`-independent terms have fitted the mean target,
        or from the start when :math:`\bar y=0`."""
        return self.x_order

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

    def _output_index(self, monom: tuple[int, ...]) -> int | None:
        if self.duals is None:
            return None
        exps = monom[len(monom) - self.input_dim - len(self.duals): len(monom) - self.input_dim]
        return exps.index(1)

    @cached_property
    def is_linear_in_x(self) -> bool:
        """Whether :math:`f_p` is linear in :math:`x` (true exactly for multiplicity one without biases)."""
        return all(sum(self._x_exponents(m)) == 1 for m in self.series_polys[self.leading_order])

    @cached_property
    def is_affine_in_x(self) -> bool:
        """Whether :math:`f_p` has :math:`x`-degree at most one (multiplicity one, biases allowed)."""
        return all(sum(self._x_exponents(m)) <= 1 for m in self.series_polys[self.leading_order])

    # -- the effective model -------------------------------------------------------------------
    @cached_property
    def parameter_blocks(self) -> tuple[tuple[str, sp.Matrix], ...]:
        """``(name, matrix)`` output to input: each layer's matrix, then its bias (if any)."""
        blocks = []
        for k in range(self.depth - 1, -1, -1):
            name = ("a" if self.output_dim == 1 else "A") if k == self.depth - 1 else f"W{k + 1}"
            blocks.append((name, self.weights[k]))
            if self.biases and self.biases[k] is not None:
                blocks.append((f"b{k + 1}", self.biases[k]))
        return tuple(blocks)

    @cached_property
    def state_symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(s for _, matrix in self.parameter_blocks for s in matrix)

    @cached_property
    def moments(self) -> dict:
        r"""Multi-index :math:`\alpha` (with several outputs: ``(j, alpha)``) → the symbol standing for
        :math:`\mathbb E[y_jx^\alpha]/N` (:math:`v_i` for :math:`\alpha=e_i`, ``v_0`` for the constant;
        ``M_j_i`` / ``M_j_0`` with several outputs)."""
        keys = sorted({(self._output_index(m), self._x_exponents(m)) for m in self.series_polys[self.leading_order]},
                      key=lambda key: (key[0] or 0, tuple(-e for e in key[1])))
        result = {}
        for j, alpha in keys:
            key = alpha if j is None else (j, alpha)
            result[key] = (_first_moment_symbol(alpha, j, self.v) if sum(alpha) <= 1
                           else _moment_symbol(alpha, j))
        return result

    @cached_property
    def _energy_poly(self):
        """The energy as a sparse polynomial in (weights and biases input to output, moment symbols)."""
        f_p = self.series_polys[self.leading_order]
        moment_symbols = list(dict.fromkeys(self.moments.values()))
        weight_symbols = [s for m in self.weights for s in m] + [s for b in self.biases if b is not None for s in b]
        R = ring(weight_symbols + moment_symbols, f_p.ring.domain)[0]
        nw, terms = len(weight_symbols), {}
        for monom, coeff in f_p.items():
            j, alpha = self._output_index(monom), self._x_exponents(monom)
            one_hot = [0] * len(moment_symbols)
            one_hot[moment_symbols.index(self.moments[alpha if j is None else (j, alpha)])] = 1
            key = tuple(monom[:nw]) + tuple(one_hot)
            terms[key] = terms.get(key, 0) + coeff
        return R.from_dict(terms)

    @property
    def energy_term_count(self) -> int:
        """Number of monomials of :attr:`energy` (cheap: no SymPy expression is built)."""
        return len(self._energy_poly)

    @cached_property
    def energy(self) -> sp.Expr:
        r""":math:`E(\bar\theta)=\sum_{j,\alpha} [y_jx^\alpha]f_p(\bar\theta,x)\,\mu_{j\alpha}`; equals
        :math:`f_p(\bar\theta,v)` for multiplicity one (scalar output, no biases)."""
        return self._energy_poly.as_expr()

    @cached_property
    def vector_field(self) -> sp.Matrix:
        r""":math:`\nabla_{\bar\theta}E` in the order of :attr:`state_symbols`."""
        E = self._energy_poly
        gens = dict(zip(E.ring.symbols, E.ring.gens))
        return sp.Matrix([E.diff(gens[s]).as_expr() if s in gens else 0 for s in self.state_symbols])

    @property
    def time_rescaling(self) -> sp.Eq:
        r""":math:`\tau=\varepsilon^{p-2}N\,t` (:math:`N=\|v'\|`, or :math:`\|M'\|_2` in general)."""
        return sp.Eq(tau, epsilon ** (self.leading_order - 2) * vprime_norm * t)

    @cached_property
    def leading_terms(self) -> list[dict]:
        r"""Which terms make up :math:`f_p` and why they are of order :math:`p`: groups of monomials by
        the biases they contain and their :math:`x`-degree, each with ``terms`` (count), ``biases``
        (layers), ``x_degree``, ``pairs_with`` (the data moment) and ``reason``."""
        f_p = self.series_polys[self.leading_order]
        names = [str(s) for m in self.weights for s in m] + [str(s) for b in self.biases if b is not None for s in b]
        groups: dict = {}
        for monom in f_p.keys():
            layers = tuple(sorted({int(names[i][1:].split("_")[0]) for i, e in enumerate(monom[:len(names)])
                                   if e and names[i].startswith("b")}))
            key = (layers, sum(self._x_exponents(monom)))
            groups[key] = groups.get(key, 0) + 1
        out = []
        for (layers, degree), count in sorted(groups.items()):
            if layers:
                path = f"the bias of layer {layers[0]} passes through {self.depth - layers[0]} more layer(s)"
            else:
                path = f"the input passes through all {self.depth} layers"
            pairs = "the mean target y-bar" if degree == 0 else (
                "the first moments E[y x]" if degree == 1 else f"the moments E[y x^alpha], |alpha| = {degree}")
            out.append(dict(terms=count, biases=layers, x_degree=degree, pairs_with=pairs,
                            reason=f"every parameter carries one factor eps and {path}, each activation "
                                   f"contributing its multiplicity: order {self.leading_order}"))
        return out

    def first_moment_columns(self) -> list[tuple[int, ...]]:
        """Multi-indices :math:`\\alpha` with :math:`|\\alpha|\\le1` appearing in :math:`f_p` (their moments
        normalize the energy), or all :math:`e_i` when there are none (multiplicity > 1)."""
        alphas = sorted({key if self.duals is None else key[1] for key in self.moments if
                         sum(key if self.duals is None else key[1]) <= 1}, reverse=True)
        if not alphas:
            alphas = [tuple(int(i == j) for j in range(self.input_dim)) for i in range(self.input_dim)]
        return alphas

    def data_moments(self, X, y) -> tuple[dict, float]:
        r"""``({moment symbol: value}, N)``: the normalized moments
        :math:`\mathbb E[y_jx^\alpha]/N` of the data ``X`` (n, d), ``y`` (n,) or (n, k), and
        :math:`N=\|M'\|_2` (see the module docstring). Pure Python (mpmath for the spectral norm)."""
        X, Y = _check_moment_data(X, y, self.input_dim, self.output_dim)
        n = len(X)

        def moment(j, alpha):
            return math.fsum(Y[i][j] * math.prod(X[i][c] ** e for c, e in enumerate(alpha) if e) for i in range(n)) / n

        import mpmath

        columns = self.first_moment_columns()
        first = mpmath.matrix([[moment(j, alpha) for alpha in columns] for j in range(self.output_dim)])
        norm = float(max(mpmath.svd_r(first, compute_uv=False)))
        if norm == 0.0:
            raise ValueError("X, y: the first moments E[y x] (and E[y] where biases lead) are zero, so "
                             "tau = eps^(p-2) N t is undefined (no target direction)")
        values = {}
        for key, symbol in self.moments.items():
            j, alpha = (0, key) if self.duals is None else key
            values[symbol] = moment(j, alpha) / norm
        return values, norm

    def energy_for_data(self, X, y) -> sp.Expr:
        r"""The energy with the moments of the data ``X`` (n, d), ``y`` (n,) (or (n, k) with several
        outputs) substituted: :math:`\mu_{j\alpha}=\frac1n\sum_i y_{ij} x_i^\alpha/N`."""
        values, _ = self.data_moments(X, y)
        return sp.expand(self.energy.subs(values))

    # -- reduction to (a, W, u) ----------------------------------------------------------------
    @cached_property
    def reduction(self) -> ReductionProof | None:
        r"""The reduction of docs/mathematics.md#reduced-variables, proved symbolically, or ``None`` when it does not apply:
        an activation of multiplicity other than one (then :math:`E` is not a function of :math:`W^1v`
        alone), several outputs, biases or per-layer activations (see :attr:`network`)."""
        if not self.is_linear_in_x or (self.network is not None and not self.network.is_plain):
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
        net = self.network
        plain = net is None or net.is_plain
        if plain:
            layers = r"\sigma\big(W^{(%d)}" % (self.depth - 1)
            inner = r"\cdots\sigma(W^{(1)}x)\cdots\big)" if self.depth > 3 else (
                r"\sigma(W^{(1)}x)\big)" if self.depth == 3 else "")
            body = (rf"a^\top {layers}{inner}" if self.depth > 2 else r"a^\top\sigma(W^{(1)}x)")
            return rf"f_\theta(x) = {body},\qquad \sigma(z) = {tex(self.sigma)}"
        inner = "x"
        for k in range(1, self.depth):
            bias = rf" + b^{{({k})}}" if net.biases[k - 1] else ""
            inner = rf"\sigma_{{{k}}}\big(W^{{({k})}}{inner}{bias}\big)"
        out = "a^\\top" if net.output_dim == 1 else "A"
        bias = rf" + b^{{({self.depth})}}" if net.biases[-1] else ""
        sigmas = r",\ ".join(rf"\sigma_{{{k + 1}}}(z) = {tex(s)}" for k, s in enumerate(net.sigmas))
        return rf"f_\theta(x) = {out}\,{inner}{bias},\qquad {sigmas}"

    def latex_expansion(self, max_terms: int = 40) -> str:
        p = self.leading_order
        zero = {1: "f_0", 2: "f_0 = f_1", 3: "f_0 = f_1 = f_2"}.get(p, rf"f_0 = f_1 = \dots = f_{{{p - 1}}}")
        if self.duals is not None:
            zero = zero.replace("f_", "y^\\top f_")
        lines = [rf"{zero} &= 0"]
        for k, poly in self.series_polys.items():
            if k >= p:
                name = rf"f_{{{k}}}" if self.duals is None else rf"y^\top f_{{{k}}}"
                lines.append(rf"{name} &= {_tex_polynomial(poly, max_terms)}")
        return r"\begin{aligned}" + r"\\ ".join(lines) + r"\end{aligned}"

    def latex_energy(self) -> str:
        return rf"\begin{{aligned}}E(\bar\theta) &= {tex_sum_lines(self.energy)}\end{{aligned}}"

    def latex_vector_field(self) -> str:
        rows = [rf"\frac{{d {tex(s)}}}{{d\tau}} &= {tex_sum_lines(f)}"
                for s, f in zip(self.state_symbols, self.vector_field)]
        return r"\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}"

    def latex_time_rescaling(self) -> str:
        power = self.leading_order - 2
        scale = {0: "", 1: r"\varepsilon\,", -1: r"\varepsilon^{-1}\,"}.get(power, rf"\varepsilon^{{{power}}}\,")
        norm = r"\|v'\|" if self.network is None or self.network.is_plain else "N"
        return rf"\tau = {scale}{norm}\,t"

    def latex(self) -> str:
        return (rf"f_\theta(x)=\varepsilon^{{{self.leading_order}}} f_{{{self.leading_order}}}(\bar\theta,x)"
                rf"+O(\varepsilon^{{{self.leading_order + (2 if self.next_order_vanishes else 1)}}}),\quad "
                rf"{self.latex_energy()},\quad {self.latex_time_rescaling()}")


def _check_moment_data(X, y, input_dim: int, output_dim: int) -> tuple[list, list]:
    """``X`` as rows of floats (n, d) and ``y`` as rows (n, k); finite real entries."""
    rows = []
    for name, value in (("X", X), ("y", y)):
        value = value.tolist() if hasattr(value, "tolist") else value
        try:
            value = list(value)
        except TypeError:
            raise TypeError(f"{name}: expected an array of real numbers, got {type(value).__name__}") from None
        rows.append(value)
    X, y = rows
    if not X or not all(isinstance(r, list | tuple) and len(r) == input_dim for r in X):
        raise ValueError(f"X: expected shape (n, {input_dim}) with n >= 1")
    n = len(X)
    if output_dim == 1 and all(not isinstance(v, list | tuple) for v in y):
        y = [[v] for v in y]
    if len(y) != n or not all(isinstance(r, list | tuple) and len(r) == output_dim for r in y):
        shape = f"({n},)" if output_dim == 1 else f"({n}, {output_dim})"
        raise ValueError(f"y: expected shape {shape} to match X")
    for name, table in (("X", X), ("y", y)):
        for r in table:
            for v in r:
                if isinstance(v, bool) or not isinstance(v, numbers.Real):
                    raise TypeError(f"{name}: expected a real (int or float) array, got an entry {v!r}")
    X = [[float(v) for v in r] for r in X]
    y = [[float(v) for v in r] for r in y]
    if not all(math.isfinite(v) for table in (X, y) for r in table for v in r):
        raise ValueError("X, y: every entry must be finite (no nan/inf)")
    return X, y


def _tex_polynomial(poly, max_terms: int) -> str:
    """LaTeX of a sparse polynomial; beyond ``max_terms`` terms only its first four and the count."""
    if len(poly) <= max_terms:
        return tex_sum_lines(poly.as_expr())
    shown = poly.ring.from_dict(dict(sorted(poly.items(), reverse=True)[:4])).as_expr()
    return tex(shown) + rf" + \dots\ \text{{({len(poly)} terms in all)}}"


#: Largest estimated number of terms of :math:`f_p` the expansion accepts (the number of
#: input-to-output paths times the output dimension, for multiplicity-one activations; more for
#: higher multiplicity). Beyond it the expansion is refused before any work, with the estimate.
MAX_LEADING_TERMS = 65_536


def estimated_terms(network: Network) -> int:
    r"""Number of monomials of :math:`y^\top f_p` for multiplicity-one activations without biases:
    :math:`k_{\rm out}\,d\prod_k m_k` (one per path through the network); a lower bound otherwise."""
    count = network.output_dim * (network.input_dim + (1 if network.biases[0] else 0))
    for m in network.widths:
        count *= m
    return count


def _short(network: Network) -> str:
    """The network's description, with long width lists abbreviated."""
    if len(network.widths) <= 8:
        return network.describe()
    return (f"depth {network.depth}, widths {network.widths[:3]}...{network.widths[-1:]}, "
            f"{network.output_dim} output(s), activation {network.activation_label}")


def derive_effective_model(depth: int | None = None, activation=None, widths=None, input_dim=None, *,
                           network: Network | None = None) -> EffectiveModel:
    r"""Expand :math:`f_\theta(x)` in :math:`\varepsilon` (:math:`\theta=\varepsilon\bar\theta`) for explicit
    small widths and return the effective model.

    Either ``network`` (a :class:`theory.network.Network`: several outputs, biases, per-layer
    activations) or the keywords of the scalar, bias-free family: ``depth`` :math:`L\ge2` (default
    3); ``widths`` :math:`(m_1,\dots,m_{L-1})`, default all 2; ``input_dim`` :math:`d`, default 2;
    ``activation`` (default ``"tanh"``) a name from ``ACTIVATION_NAMES`` (``relu`` refused: not
    smooth) or a SymPy expression with :math:`\sigma(0)=0`.

    The leading order is found by expansion: a cheap probe at random rational weights gives a
    candidate :math:`p` (and the order of the :math:`x`-dependent part), then the exact symbolic
    expansion shows that all orders below :math:`p` vanish identically and :math:`f_p\ne0`.

    Limit: networks whose leading coefficient would have more than :data:`MAX_LEADING_TERMS`
    monomials (:func:`estimated_terms`; depth 17 at widths 2, d = 2) are refused with a
    ``ValueError`` giving the estimate, before any work.
    """
    if network is not None:
        if not isinstance(network, Network):
            raise TypeError(f"network: expected a theory.Network, got {type(network).__name__}")
        if any(value is not None for value in (depth, activation, widths, input_dim)):
            raise ValueError("network: give either network= or depth/activation/widths/input_dim, not both")
    else:
        depth = 3 if depth is None else _check_depth(depth)
        if widths is None:
            widths = (2,) * (depth - 1)
        try:
            widths = tuple(widths)
        except TypeError:
            raise TypeError(f"widths: expected a sequence of positive ints, got {widths!r}") from None
        if len(widths) != depth - 1:
            raise ValueError(f"widths: need depth - 1 = {depth - 1} hidden widths, got {len(widths)}")
        input_dim = 2 if input_dim is None else _check_input_dim(input_dim)
        network = Network(input_dim, widths, 1, "tanh" if activation is None else activation, False)
    estimate = estimated_terms(network)
    if estimate > MAX_LEADING_TERMS:
        raise ValueError(
            f"depth: the leading coefficient of this network ({_short(network)}) has about {estimate:.4g} terms, "
            f"more than the limit {MAX_LEADING_TERMS} (theory.effective.MAX_LEADING_TERMS; about "
            f"{estimate / 16384 * 0.6:.3g} s of expansion here, and far more for the proofs); the leading order "
            "does not depend on the widths: use smaller widths, input_dim or depth")
    weights = network.weight_matrices()
    biases = network.bias_vectors()
    x = matrix_symbols("x", network.input_dim, 1)
    v = matrix_symbols("v", network.input_dim, 1)
    duals = None if network.output_dim == 1 else sp.Matrix(
        network.output_dim, 1, lambda j, _: sp.Symbol(f"y_{j + 1}", real=True))
    layers = [*weights[:-1], weights[-1].T if network.output_dim == 1 else weights[-1]]
    bias_sizes = [None if b is None else b.rows for b in biases]
    leading, x_order = probe_orders(list(network.sigmas), layers, network.input_dim, 0, bias_sizes,
                                    network.output_dim)
    order = max(leading[-1], x_order or 0)
    bias_list = list(biases) if any(network.biases) else None
    while True:
        series = expand_symbolic(list(network.sigmas), layers, x, order + 1, leading, bias_list, duals)
        if any(series.values()):
            break
        order, leading = 2 * order, None  # the probe hit a non-generic point: look further
    return EffectiveModel(network.depth, network.activation_label, network.sigmas[0], network.widths,
                          network.input_dim, min(network.multiplicities), weights, x, v, series,
                          network, tuple(biases), duals, x_order)

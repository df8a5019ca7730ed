r"""Truncated power series of the network output in the initialization scale :math:`\varepsilon`
(docs/mathematics.md#model, #multiplicity).

With :math:`\theta=\varepsilon\bar\theta`, every pre-activation :math:`h_k` of the network is a power
series in :math:`\varepsilon` without constant term (:math:`\sigma(0)=0`). Substituting the Taylor
polynomial :math:`\sigma_N(h)=\sum_{n=1}^{N}\sigma^{(n)}(0)h^n/n!` and dropping every power
:math:`\varepsilon^{k}` above a budget after each operation gives the coefficients of
:math:`f` **exactly** up to that budget: all series have no constant term, so a dropped term can
never come back down. A series is stored *graded*, ``{k: coefficient of eps^k}``, and products only
form the pairs of degrees that fit in the budget. The coefficients are elements of SymPy's sparse
polynomial rings (symbolic pass) or plain rationals (the cheap probe), which is far faster than
``sympy.series`` on nested ``tanh``.

Budgets. If :math:`h_k` starts at order :math:`\ell_k` and :math:`\sigma` has multiplicity
:math:`m`, the order-:math:`j` part of :math:`h_k` only reaches :math:`\sigma(h_k)` at orders
:math:`\ge j+(m-1)\ell_k`; so to know :math:`\sigma(h_k)` up to order :math:`S` one needs :math:`h_k`
up to :math:`S-(m-1)\ell_k`, and :math:`h_{k+1}=\varepsilon W^{k+1}\sigma(h_k)` needs
:math:`\sigma(h_k)` one order lower than itself.
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import lru_cache

import sympy as sp
from sympy.polys.constructor import construct_domain
from sympy.polys.rings import ring

from theory.activations import z

#: Largest order the leading-order search will go to before giving up.
MAX_ORDER = 400
#: Largest number of terms one coefficient polynomial may reach before the expansion is refused.
MAX_TERMS = 200_000

Graded = dict  # {order k: coefficient of eps^k}, zero coefficients omitted


@lru_cache(maxsize=64)
def taylor_coefficients(sigma: sp.Expr, order: int) -> tuple[sp.Expr, ...]:
    r""":math:`(\sigma^{(n)}(0)/n!)_{n=0..order}` of ``sigma`` (an expression in :data:`z`)."""
    polynomial = sp.expand(sp.series(sigma, z, 0, order + 1).removeO())
    if not polynomial.is_polynomial(z):
        raise ValueError(f"activation: {sigma} is not analytic at 0 (its expansion {polynomial} has "
                         "non-integer or negative powers)")
    return tuple(polynomial.coeff(z, n) for n in range(order + 1))


def _check_size(value) -> None:
    if isinstance(value, dict) and len(value) > MAX_TERMS:  # PolyElement is a dict of terms
        raise ValueError(
            f"widths: the expansion grew past {MAX_TERMS} terms in one coefficient; use smaller "
            "widths/input_dim (the leading order does not depend on them)"
        )


def _add(a: Graded, b: Graded) -> Graded:
    result = dict(a)
    for k, value in b.items():
        total = result.get(k, 0) + value
        if total:
            result[k] = total
        else:
            result.pop(k, None)
    return result


def _scale(a: Graded, factor, shift: int, budget: int) -> Graded:
    """``factor * eps**shift * a`` truncated at ``budget``."""
    return {k + shift: factor * value for k, value in a.items() if k + shift <= budget and factor * value}


def _multiply(a: Graded, b: Graded, budget: int) -> Graded:
    result: Graded = {}
    for i, x in a.items():
        for j, y in b.items():
            if i + j <= budget:
                result[i + j] = result.get(i + j, 0) + x * y
    for value in result.values():
        _check_size(value)
    return {k: value for k, value in result.items() if value}


def _activate(h: Graded, coeffs, budget: int) -> Graded:
    r""":math:`\sum_{n\ge1} c_n h^n` up to :math:`\varepsilon^{budget}`; ``h`` has no constant term."""
    if not h:
        return {}
    low = min(h)
    result: Graded = {}
    power: Graded = {0: 1}
    for n in range(1, budget // low + 1):
        power = _multiply(power, h, budget)
        if n < len(coeffs) and coeffs[n]:
            result = _add(result, _scale(power, coeffs[n], 0, budget))
    return result


def _layer(matrix_rows, inputs: list[Graded], budget: int) -> list[Graded]:
    r""":math:`\varepsilon\,W\,s` for the rows of ``W`` and the graded inputs ``s``."""
    out = []
    for row in matrix_rows:
        total: Graded = {}
        for w, s in zip(row, inputs):
            total = _add(total, _scale(s, w, 1, budget))
        out.append(total)
    return out


def expand_network(weights, x, coeffs, budgets) -> tuple[Graded, list[int | None]]:
    r"""Graded output :math:`f=a^\top\sigma(W^{L-1}\cdots\sigma(W^1x))`, every weight times
    :math:`\varepsilon`, and the leading orders :math:`\ell_k` of the pre-activations.

    ``weights``: nested lists (rows) input to output, the last one the row :math:`a^\top`;
    ``x``: input entries; ``coeffs``: Taylor coefficients of :math:`\sigma`; ``budgets[k]``: order up
    to which the ``k``-th pre-activation (``k = len(weights) - 1`` is the output) is kept exactly.
    """
    hidden = _layer(weights[0], [{0: xi} for xi in x], budgets[0])
    leading = [min((min(h) for h in hidden if h), default=None)]
    for k, rows in enumerate(weights[1:], start=1):
        activated = [_activate(h, coeffs, budgets[k] - 1) for h in hidden]
        hidden = _layer(rows, activated, budgets[k])
        leading.append(min((min(h) for h in hidden if h), default=None))
    (output,) = hidden
    return output, leading


def _budgets(leading: list[int], multiplicity: int, order: int) -> list[int]:
    """Per-layer truncation orders so that the output is exact up to ``order`` (module docstring)."""
    budgets = [order]
    for ell in reversed(leading[:-1]):
        budgets.append(budgets[-1] - 1 - (multiplicity - 1) * ell)
    return list(reversed(budgets))


def _rows(matrix: sp.Matrix) -> list[list]:
    return [list(matrix.row(i)) for i in range(matrix.rows)]


def _first_nonzero(coeffs) -> int:
    return next(n for n, c in enumerate(coeffs) if n and c)


def probe_leading_orders(sigma: sp.Expr, weights: list[sp.Matrix], input_dim: int,
                         seed: int = 0) -> list[int]:
    r"""Leading orders :math:`(\ell_1,\dots,\ell_L)` of the pre-activations and of :math:`f`
    (:math:`\ell_L=p`) at random rational weights and input (cheap). Generic weights give the
    symbolic orders with probability one; :func:`expand_symbolic` then certifies them."""
    rng = random.Random(seed)

    def draw() -> Fraction:
        return Fraction(rng.randint(-97, 97) or 1, rng.randint(1, 31))

    order = len(weights) + 1
    while order <= MAX_ORDER:
        coeffs = taylor_coefficients(sigma, order)
        if not any(coeffs[1:]):
            order *= 2
            continue
        domain, dom_coeffs = construct_domain(list(coeffs), field=True)
        numeric = [[[domain.convert(draw()) for _ in row] for row in _rows(m)] for m in weights]
        x = [domain.convert(draw()) for _ in range(input_dim)]
        output, leading = expand_network(numeric, x, dom_coeffs, [order] * len(weights))
        if output:
            return leading
        order *= 2
    raise ValueError(f"activation: no nonzero term of the network output up to order {MAX_ORDER}")


def expand_symbolic(sigma: sp.Expr, weights: list[sp.Matrix], x: sp.Matrix, order: int,
                    leading: list[int] | None = None) -> dict:
    r"""Exact coefficients :math:`f_k(\bar\theta, x)` of :math:`\varepsilon^k` for :math:`k\le` ``order``
    (zero orders included) as sparse polynomials (``PolyElement``) in the weights and ``x``, in that
    generator order (``.as_expr()`` gives the SymPy expression).

    ``leading``: the pre-activation orders from :func:`probe_leading_orders`, used for the budgets;
    they are checked against the symbolic ones (if the probe was non-generic the expansion is
    redone with uniform budgets)."""
    coeffs = taylor_coefficients(sigma, order)
    domain, dom_coeffs = construct_domain(list(coeffs), field=True)
    symbols = [s for m in weights for s in m] + list(x)
    R = ring(symbols, domain)[0]
    gens = iter(R.gens)
    ring_weights = [[[next(gens) for _ in range(m.cols)] for _ in range(m.rows)] for m in weights]
    ring_x = [next(gens) for _ in range(len(x))]
    budgets = [order] * len(weights)
    if leading is not None:
        budgets = _budgets(leading, _first_nonzero(coeffs), order)
    output, found = expand_network(ring_weights, ring_x, dom_coeffs, budgets)
    if leading is not None and found[:-1] != leading[:-1]:
        return expand_symbolic(sigma, weights, x, order, None)
    return {k: output.get(k, R.zero) for k in range(order + 1)}

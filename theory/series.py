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


def _layer(matrix_rows, inputs: list[Graded], budget: int, bias=None) -> list[Graded]:
    r""":math:`\varepsilon\,(W\,s + b)` for the rows of ``W``, the graded inputs ``s`` and the bias
    entries ``b`` (``None``: no bias); every parameter carries one power of :math:`\varepsilon`."""
    out = []
    for r, row in enumerate(matrix_rows):
        total: Graded = {}
        for w, s in zip(row, inputs):
            total = _add(total, _scale(s, w, 1, budget))
        if bias is not None and budget >= 1 and bias[r]:
            total = _add(total, {1: bias[r]})
        out.append(total)
    return out


def _leading(graded: list[Graded]) -> int | None:
    return min((min(h) for h in graded if h), default=None)


def expand_network(weights, x, coeffs, budgets, biases=None, duals=None) -> tuple[Graded, list[int | None]]:
    r"""Graded output of :math:`h_k=\sigma_k(\varepsilon W^kh_{k-1}+\varepsilon b^k)`,
    :math:`f=\varepsilon A h_{L-1}+\varepsilon b^L`, and the leading orders :math:`\ell_k` of the
    pre-activations (the last entry: of the output).

    ``weights``: nested lists (rows) input to output, the last one the output layer (one row per
    output); ``x``: input entries; ``coeffs``: one tuple of Taylor coefficients per hidden layer (a
    single tuple is used for every layer); ``budgets[k]``: order up to which the ``k``-th
    pre-activation (``k = len(weights) - 1`` is the output) is kept exactly; ``biases``: one entry
    per layer, ``None`` or the list of bias entries; ``duals``: with several outputs, the output
    returned is :math:`\sum_j y_j f_j` for these entries :math:`y_j` (default: the only output).
    """
    depth = len(weights)
    biases = biases or [None] * depth
    if coeffs and not isinstance(coeffs[0], (list, tuple)):
        coeffs = [coeffs] * (depth - 1)
    hidden = _layer(weights[0], [{0: xi} for xi in x], budgets[0], biases[0])
    leading = [_leading(hidden)]
    for k, rows in enumerate(weights[1:], start=1):
        activated = [_activate(h, coeffs[k - 1], budgets[k] - 1) for h in hidden]
        hidden = _layer(rows, activated, budgets[k], biases[k])
        leading.append(_leading(hidden))
    if duals is None:
        (output,) = hidden
    else:
        output = {}
        for y, out in zip(duals, hidden):
            output = _add(output, _scale(out, y, 0, budgets[-1]))
    leading[-1] = min(output) if output else None
    return output, leading


def _budgets(leading: list[int], multiplicities, order: int) -> list[int]:
    """Per-layer truncation orders so that the output is exact up to ``order`` (module docstring);
    ``multiplicities``: one per hidden layer (or one int for all)."""
    if isinstance(multiplicities, int):
        multiplicities = [multiplicities] * (len(leading) - 1)
    budgets = [order]
    for ell, m in zip(reversed(leading[:-1]), reversed(list(multiplicities))):
        budgets.append(budgets[-1] - 1 - (m - 1) * (ell or 0))
    return list(reversed(budgets))


def _rows(matrix: sp.Matrix) -> list[list]:
    return [list(matrix.row(i)) for i in range(matrix.rows)]


def _first_nonzero(coeffs) -> int:
    return next(n for n, c in enumerate(coeffs) if n and c)


def _as_list(sigmas, count: int) -> list:
    return list(sigmas) if isinstance(sigmas, (list, tuple)) else [sigmas] * count


def probe_leading_orders(sigma, weights: list[sp.Matrix], input_dim: int, seed: int = 0,
                         bias_sizes=None, output_dim: int = 1) -> list[int]:
    r"""Leading orders :math:`(\ell_1,\dots,\ell_L)` of the pre-activations and of :math:`f`
    (:math:`\ell_L=p`) at random rational weights, biases and input (cheap). Generic weights give
    the symbolic orders with probability one; :func:`expand_symbolic` then certifies them.
    ``sigma``: one activation or one per hidden layer; ``bias_sizes``: one entry per layer, ``None``
    or the bias length. :func:`probe_orders` also returns the order of the :math:`x`-dependent part."""
    return probe_orders(sigma, weights, input_dim, seed, bias_sizes, output_dim)[0]


def probe_orders(sigma, weights: list[sp.Matrix], input_dim: int, seed: int = 0, bias_sizes=None,
                 output_dim: int = 1) -> tuple[list[int], int | None]:
    r"""``(leading, x_order)``: the orders of :func:`probe_leading_orders`, and the leading order of
    the :math:`x`-dependent part of :math:`f` (the difference of the outputs at two random inputs),
    which governs once the :math:`x`-independent terms (biases) have fitted the mean target."""
    rng = random.Random(seed)
    sigmas = _as_list(sigma, len(weights) - 1)
    bias_sizes = bias_sizes or [None] * len(weights)

    def draw() -> Fraction:
        return Fraction(rng.randint(-97, 97) or 1, rng.randint(1, 31))

    order, leading = len(weights) + 1, None
    while order <= MAX_ORDER:
        coeffs = [taylor_coefficients(s, order) for s in sigmas]
        if not all(any(c[1:]) for c in coeffs):
            order *= 2
            continue
        domain, _ = construct_domain([c for cs in coeffs for c in cs], field=True)
        dom_coeffs = [[domain.convert(c) for c in cs] for cs in coeffs]
        numeric = [[[domain.convert(draw()) for _ in row] for row in _rows(m)] for m in weights]
        biases = [None if size is None else [domain.convert(draw()) for _ in range(size)] for size in bias_sizes]
        duals = None if output_dim == 1 else [domain.convert(draw()) for _ in range(output_dim)]
        outputs = []
        for _ in range(2):
            x = [domain.convert(draw()) for _ in range(input_dim)]
            output, found = expand_network(numeric, x, dom_coeffs, [order] * len(weights), biases, duals)
            outputs.append(output)
            leading = leading or (found if output else None)
        difference = _add(outputs[0], _scale(outputs[1], -1, 0, order))
        if leading is not None and difference:
            return leading, min(difference)
        order *= 2
    if leading is not None:
        return leading, None
    raise ValueError(f"activation: no nonzero term of the network output up to order {MAX_ORDER}")


def expand_symbolic(sigma, weights: list[sp.Matrix], x: sp.Matrix, order: int,
                    leading: list[int] | None = None, biases=None, duals=None) -> dict:
    r"""Exact coefficients :math:`f_k(\bar\theta, x)` of :math:`\varepsilon^k` for :math:`k\le` ``order``
    (zero orders included) as sparse polynomials (``PolyElement``) in the weights, the biases, the
    output duals :math:`y_j` (several outputs: the coefficient of :math:`y^\top f`) and ``x``, in that
    generator order (``.as_expr()`` gives the SymPy expression).

    ``sigma``: one activation or one per hidden layer; ``biases``: one entry per layer, ``None`` or
    a column of bias symbols; ``duals``: a column of symbols (several outputs) or ``None``.
    ``leading``: the pre-activation orders from :func:`probe_leading_orders`, used for the budgets;
    they are checked against the symbolic ones (if the probe was non-generic the expansion is
    redone with uniform budgets)."""
    sigmas = _as_list(sigma, len(weights) - 1)
    biases = biases or [None] * len(weights)
    coeffs = [taylor_coefficients(s, order) for s in sigmas]
    domain, _ = construct_domain([c for cs in coeffs for c in cs], field=True)
    dom_coeffs = [[domain.convert(c) for c in cs] for cs in coeffs]
    symbols = [s for m in weights for s in m] + [s for b in biases if b is not None for s in b]
    symbols += list(duals) if duals is not None else []
    symbols += list(x)
    R = ring(symbols, domain)[0]
    gens = iter(R.gens)
    ring_weights = [[[next(gens) for _ in range(m.cols)] for _ in range(m.rows)] for m in weights]
    ring_biases = [None if b is None else [next(gens) for _ in range(len(b))] for b in biases]
    ring_duals = None if duals is None else [next(gens) for _ in range(len(duals))]
    ring_x = [next(gens) for _ in range(len(x))]
    budgets = [order] * len(weights)
    if leading is not None:
        budgets = _budgets(leading, [_first_nonzero(c) for c in coeffs], order)
    output, found = expand_network(ring_weights, ring_x, dom_coeffs, budgets, ring_biases, ring_duals)
    if leading is not None and found[:-1] != leading[:-1]:
        return expand_symbolic(sigmas, weights, x, order, None, biases, duals)
    return {k: output.get(k, R.zero) for k in range(order + 1)}

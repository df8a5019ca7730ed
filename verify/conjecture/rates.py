r"""Asymptotic laws: fit :math:`q(x) \approx C\,x^p` as :math:`x \to 0` and compare with a claim.

Least squares of :math:`\log q` on :math:`\log x` gives :math:`p` and :math:`\log C` with their
standard errors (``numpy.polyfit(..., cov="unscaled")`` scaled by the residual variance; zero
residuals give zero error, so agreement is judged with ``atol`` besides ``sigmas`` standard
errors). Because an asymptotic law carries corrections, :math:`q\,x^{-p_{\rm expected}}` is
also extrapolated to :math:`x = 0` by a straight line in :math:`x` through the two smallest
:math:`x` (``limit_constant``), the number to compare with a claimed limit such as
:math:`\|y(\tau)\|(T^*-\tau) \to \sqrt3`.

``along`` is either an array of :math:`x` values with ``quantity`` a callable :math:`x \mapsto q`,
or ``"blowup"`` with ``quantity`` ``"norm"`` and a ``case``: :math:`q = \|y(\tau)\|` at
:math:`\tau = T^* - x` for the gaps ``x = gaps \cdot T^*`` (expected :math:`p = -1`,
:math:`C = \sqrt3` at depth 3; depth :math:`L`: :math:`p = -1/(L-2)`).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from verify.conjecture.results import RateResult

DEFAULT_GAPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)


def fit_power_law(x, q) -> tuple[float, float, float, float]:
    r"""``(p, p_err, C, C_err)`` of :math:`\log q = p\log x + \log C` (least squares, one standard error)."""
    x = np.asarray(x, dtype=float)
    q = np.asarray(q, dtype=float)
    if x.shape != q.shape or x.size < 2:
        raise ValueError("along, quantity: need at least two points")
    if np.any(x <= 0) or np.any(q <= 0) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(q))):
        raise ValueError("along, quantity: x and q must be finite and > 0 to fit q = C x^p")
    lx, lq = np.log(x), np.log(q)
    if x.size == 2:
        p = (lq[1] - lq[0]) / (lx[1] - lx[0])
        c = lq[0] - p * lx[0]
        return float(p), 0.0, float(math.exp(c)), 0.0
    coeffs, cov = np.polyfit(lx, lq, 1, cov="unscaled")
    resid = lq - np.polyval(coeffs, lx)
    var = float(resid @ resid) / (x.size - 2)
    p_err = math.sqrt(max(cov[0, 0] * var, 0.0))
    c_err = math.sqrt(max(cov[1, 1] * var, 0.0))
    C = math.exp(coeffs[1])
    return float(coeffs[0]), p_err, float(C), float(C * c_err)


def rate(quantity, along, expected=None, *, case=None, sigmas: float = 3.0, atol: float = 1e-3,
         name: str | None = None) -> RateResult:
    r"""Fit the law :math:`q(x) \approx C x^p` (module docstring).

    ``expected``: ``(p, C)`` (either may be None) or a number (the exponent); ``status``
    ``"consistent"`` when the fitted exponent is within ``sigmas`` standard errors plus ``atol``
    of the expected one and the extrapolated constant within ``atol`` (relative) of the expected
    one, ``"refuted"`` otherwise, ``"fitted"`` with no expectation."""
    if isinstance(along, str):
        if along != "blowup" or quantity != "norm":
            raise ValueError(f"along: the named trajectory is 'blowup' with quantity 'norm', got {along!r}, {quantity!r}")
        if case is None:
            raise ValueError("case: along='blowup' needs the case whose trajectory to follow")
        x, q = blowup_norms(case)
        label = name or "||y(tau)|| against T* - tau"
        if expected is None:
            expected = blowup_law(case.depth)
    else:
        if not callable(quantity):
            raise TypeError(f"quantity: expected a callable x -> q, got {type(quantity).__name__}")
        x = np.asarray(along, dtype=float)
        q = np.asarray([float(quantity(v)) for v in x])
        label = name or getattr(quantity, "__name__", "quantity")
    exp_p, exp_c = _expected(expected)
    p, p_err, C, C_err = fit_power_law(x, q)
    order = np.argsort(x)
    xs, qs = x[order], q[order]
    scaled = qs * xs ** (-(exp_p if exp_p is not None else p))
    limit = float(scaled[0] - xs[0] * (scaled[1] - scaled[0]) / (xs[1] - xs[0])) if xs.size >= 2 else float(scaled[0])
    status = "fitted"
    if exp_p is not None or exp_c is not None:
        ok = True
        if exp_p is not None:
            ok &= abs(p - exp_p) <= sigmas * p_err + atol
        if exp_c is not None:
            ok &= abs(limit - exp_c) <= atol * abs(exp_c)
        status = "consistent" if ok else "refuted"
    return RateResult(label, status, p, p_err, C, C_err, limit, exp_p, exp_c, x.tolist(), q.tolist(),
                      {"sigmas": sigmas, "atol": atol})


def _expected(expected) -> tuple[float | None, float | None]:
    if expected is None:
        return None, None
    if isinstance(expected, (int, float)):
        return float(expected), None
    p, c = expected
    return (None if p is None else float(p)), (None if c is None else float(c))


def blowup_law(depth: int) -> tuple[float, float]:
    r"""The law :math:`\|y(\tau)\| \approx ((L-2)\lambda(T^*-\tau))^{-1/(L-2)}` with
    :math:`\lambda = L^{1-L/2}` (docs/mathematics.md#blow-up): exponent :math:`-1/(L-2)`, constant
    :math:`((L-2)\lambda)^{-1/(L-2)}` (:math:`\sqrt3` at depth 3)."""
    lam = depth ** (1 - depth / 2)
    return -1.0 / (depth - 2), ((depth - 2) * lam) ** (-1.0 / (depth - 2))


def blowup_norms(case, gaps: Sequence[float] = DEFAULT_GAPS) -> tuple[np.ndarray, np.ndarray]:
    r"""``(T^* - tau, ||y(tau)||)`` at :math:`\tau = T^*(1 - g)` for the relative ``gaps``."""
    from numerics.state import flatten_factors
    from verify.conjecture.cases import integrate_flat

    if not (math.isfinite(case.t_star) and case.t_star > 0):
        raise ValueError("case: the state does not blow up (t_star is not finite)")
    gaps = np.asarray(sorted(gaps, reverse=True), dtype=float)
    times = case.t_star * (1.0 - gaps)
    ys = integrate_flat(case.widths, flatten_factors(list(case.factors)), times, rtol=1e-13)
    return case.t_star - times, np.linalg.norm(ys, axis=1)


QuantityFunction = Callable[[float], float]

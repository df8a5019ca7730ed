"""Blow-up times of states whose norm or whose factor sizes sit at the edges of the float range
(docs/mathematics.md#blow-up): computed where double precision resolves the flow on the sphere, refused with
a ValueError where it does not, never reported as "no blow-up"."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from numerics.blowup import blowup_time


def scalar_blowup_integral(a0: float, w0: float, u0: float, pieces: int = 64) -> float:
    r"""Independent reference for positive scalar data: with the conservation laws
    :math:`a^2 - w^2` and :math:`w^2 - u^2` (docs/mathematics.md#conservation-laws), :math:`a' = wu` gives

    .. math:: T^* = \int_0^\infty \frac{dx}{\sqrt{(2a_0x + x^2 + w_0^2)(2a_0x + x^2 + u_0^2)}}

    (:math:`a = a_0 + x`), evaluated by mpmath in :math:`x = e^t` on ``pieces`` subintervals per
    :math:`\log a_0` (the integrand has features at :math:`x \sim w_0^2/a_0`, :math:`1` and
    :math:`a_0`, so a huge :math:`a_0` spreads it over hundreds of e-folds)."""
    mp.mp.dps = 30
    a, w, u = mp.mpf(a0), mp.mpf(w0), mp.mpf(u0)

    def integrand(t):
        x = mp.exp(t)
        return x / mp.sqrt((2 * a * x + x * x + w * w) * (2 * a * x + x * x + u * u))

    span = mp.log(a)
    points = [-mp.inf] + [j * span / pieces for j in range(-3 * pieces, 2 * pieces + 1)] + [mp.inf]
    return float(mp.quad(integrand, points))


def test_norm_above_the_float_range_is_computed():
    """a = w = u = 1.5e308: ||y0|| = 2.6e308 overflows, T* = 1/x0 (balanced rank-one data, both
    bounds sharp). Normalizing by max|y_i| before the norm gives the answer instead of
    theta0 = y0/inf = 0 and 'y0 is an equilibrium'."""
    x0 = 1.5e308
    res = blowup_time(np.array([x0]), np.array([[x0]]), np.array([x0]))
    assert res.blew_up
    assert abs(res.t_star * x0 - 1.0) <= 1e-11
    assert res.lower * (1 - 1e-12) <= res.t_star <= res.upper * (1 + 1e-12)


@pytest.mark.parametrize("a0", [1.3e20, 1e50])
def test_factors_of_very_different_size(a0):
    """(a, w, u) = (a0, 0.7, 0.9): on the sphere w and u start 1e-20 to 1e-50 small and grow by that
    factor while the flow leaves the saddle; an absolute tolerance not scaled with them made T*
    0.7% (a0 = 1.3e20) to 6x (a0 = 1.3e100) too large. Against the integral of the conservation
    laws (independent of the ODE solvers)."""
    res = blowup_time(np.array([a0]), np.array([[0.7]]), np.array([0.9]))
    ref = scalar_blowup_integral(a0, 0.7, 0.9)
    assert res.blew_up
    assert abs(res.t_star - ref) <= 1e-10 * ref
    assert res.lower <= res.t_star <= res.upper
    # T* ~ log(2 a0^2) / (2 a0) to leading order: the escape from the saddle dominates
    assert 0.9 < res.t_star * a0 / (0.5 * math.log(2 * a0 * a0)) < 1.1


def test_issue_example_is_refused_not_reported_as_no_blowup():
    """a * 1e308 with W, u of order one (finite entries, E0 > 0): E(y0/||y0||) underflows, so the
    rescaled flow cannot be resolved; a ValueError says why instead of t_star = inf."""
    rng = np.random.default_rng(0)
    a, W, u = rng.normal(size=4) / 4, rng.normal(size=(4, 3)), rng.normal(size=3)
    assert np.all(np.isfinite(a * 1e308)) and float(a @ W @ u) != 0.0
    with pytest.raises(ValueError, match="differ in size"):
        blowup_time(a * 1e308, W, u)


@pytest.mark.parametrize("exponent", range(0, 309, 22))
def test_never_no_blowup_for_positive_energy(exponent):
    """Positive scalar data blows up (E0 > 0 and E never decreases): at every scale of a0 the
    answer is a finite T* inside the bounds, or a ValueError, never blew_up=False."""
    a0 = 1.1 * 10.0**exponent if exponent < 308 else 1.7e308
    try:
        res = blowup_time(np.array([a0]), np.array([[0.8]]), np.array([0.6]))
    except ValueError as err:
        assert "differ in size" in str(err)
        return
    assert res.blew_up and math.isfinite(res.t_star) and res.t_star > 0
    assert res.lower <= res.t_star * (1 + 1e-12) and res.t_star <= res.upper * (1 + 1e-12)

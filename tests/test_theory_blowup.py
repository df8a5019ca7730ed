"""theory.blowup and theory.scalar: sphere flow, fixed point, bounds, scalar closed form."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from theory import reduced_model
from theory.blowup import (blowup_lower_bound, blowup_upper_bound, bound_proofs, projected_flow,
                           sphere_fixed_point, sphere_maximum)
from theory.scalar import scalar_blowup_time

widths_strategy = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


@settings(max_examples=12)
@given(widths=widths_strategy)
def test_fixed_point_and_sphere_invariance_proved(widths):
    fixed = sphere_fixed_point(widths)
    assert fixed.proved, fixed.residuals
    L = len(widths) + 1
    assert sp.simplify(fixed.eigenvalue - sp.Integer(L) ** (1 - sp.Rational(L, 2))) == 0
    assert projected_flow(widths).sphere_invariance.proved


def test_depth3_fixed_point_eigenvalue_is_one_over_sqrt3():
    assert sp.simplify(sphere_fixed_point((2, 2)).eigenvalue - 1 / sp.sqrt(3)) == 0


def test_fixed_point_check_can_fail():
    """A wrong scaling (1/2 instead of 1/sqrt 3) is not a fixed point: residuals do not vanish."""
    model = reduced_model((1, 1))
    at = dict(zip(model.state_symbols, [sp.Rational(1, 2)] * 3))
    residual = model.vector_field.subs(at) - sp.sqrt(3) / 3 * sp.Matrix([sp.Rational(1, 2)] * 3)
    assert not residual.applyfunc(sp.simplify).is_zero_matrix


@settings(max_examples=10)
@given(widths=widths_strategy)
def test_bound_identities_proved(widths):
    assert all(p.proved for p in bound_proofs(widths))


def _lambdified(widths):
    model = reduced_model(widths)
    E = sp.lambdify(model.state_symbols, model.energy, "numpy")
    F = sp.lambdify(model.state_symbols, list(model.vector_field), "numpy")
    return model, E, F


@settings(max_examples=15)
@given(widths=widths_strategy, seed=st.integers(0, 2**16))
def test_sphere_maximum_and_energy_growth_inequalities(widths, seed):
    """L E <= L^(1-L/2) on the unit sphere, and E' = |F|^2 >= L E^(2-2/L) when E > 0."""
    model, E, F = _lambdified(widths)
    L = model.depth
    rng = np.random.default_rng(seed)
    bound = float(sphere_maximum(L))
    for _ in range(20):
        y = rng.normal(size=model.dimension)
        y /= np.linalg.norm(y)
        e = E(*y)
        assert L * e <= bound * (1 + 1e-12)
        if e > 0:
            rate = float(np.sum(np.square(F(*y))))
            assert rate >= L * e ** (2 - 2 / L) * (1 - 1e-12)


def _ode_blowup_time(depth, y0, threshold=1e7):
    """Blow-up time of the scalar chain x_k' = prod_{j != k} x_j by plain integration to |y| = M
    (error ~ 1/M; independent of the closed form)."""

    def rhs(_, y):
        return [np.prod(np.delete(y, k)) for k in range(depth)]

    def big(_, y):
        return np.linalg.norm(y) - threshold

    big.terminal = True
    sol = solve_ivp(rhs, (0, 1e3), y0, method="DOP853", rtol=1e-12, atol=1e-14, events=big)
    return sol.t[-1] if sol.status == 1 else math.inf


@settings(max_examples=15)
@given(values=st.tuples(*[st.floats(0.05, 2.0)] * 3))
def test_scalar_blowup_time_between_bounds(values):
    T = float(scalar_blowup_time(*values))
    r0 = math.sqrt(sum(v * v for v in values))
    E0 = values[0] * values[1] * values[2]
    assert blowup_lower_bound(r0) <= T * (1 + 1e-12)
    assert T <= blowup_upper_bound(E0) * (1 + 1e-12)


@pytest.mark.parametrize("depth", [4, 5])
def test_general_depth_bounds_hold_for_scalar_chains(depth):
    rng = np.random.default_rng(depth)
    for _ in range(4):
        y0 = rng.uniform(0.3, 1.5, size=depth)
        T = _ode_blowup_time(depth, y0, threshold=1e4)  # time left past M is O(M^-(L-2))
        E0 = float(np.prod(y0))
        assert blowup_lower_bound(float(np.linalg.norm(y0)), depth) <= T <= blowup_upper_bound(E0, depth) + 1e-6
    # balanced data: x' = x^(L-1) blows up at 1/((L-2) x0^(L-2)); both bounds are sharp
    x0 = 0.8
    exact = 1 / ((depth - 2) * x0 ** (depth - 2))
    assert blowup_lower_bound(math.sqrt(depth) * x0, depth) == pytest.approx(exact, rel=1e-12)
    assert blowup_upper_bound(x0**depth, depth) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("x0", [0.25, 1.0, 3.0])
def test_balanced_scalar_time_is_one_over_x0(x0):
    assert scalar_blowup_time(x0, x0, x0) == pytest.approx(1 / x0, rel=1e-25)
    assert blowup_lower_bound(math.sqrt(3) * x0) == pytest.approx(1 / x0, rel=1e-14)
    assert blowup_upper_bound(x0**3) == pytest.approx(1 / x0, rel=1e-14)


@settings(max_examples=20)
@given(values=st.tuples(*[st.floats(0.05, 2.0)] * 3))
def test_scalar_matches_incomplete_elliptic_integral(values):
    """Positive data, the notes' variable a: T* = int_{a0}^inf da / sqrt((a^2-c1)(a^2-c1-c2)), written as
    (1/alpha) F(arctan(alpha/a0') | 1 - beta^2/alpha^2) after sorting (Gradshteyn-Ryzhik 3.152)."""
    x0, p0, q0 = sorted(values)
    assume(p0 - x0 > 1e-3)
    with mpmath.workdps(40):
        k1, k2 = mpmath.mpf(p0) ** 2 - mpmath.mpf(x0) ** 2, mpmath.mpf(q0) ** 2 - mpmath.mpf(x0) ** 2
        alpha, beta = mpmath.sqrt(k2), mpmath.sqrt(k1)
        closed = mpmath.ellipf(mpmath.atan(alpha / x0), 1 - beta**2 / alpha**2) / alpha
    assert abs(scalar_blowup_time(*values) - closed) <= mpmath.mpf(10) ** -25 * closed


@pytest.mark.parametrize("y0", [(0.5, 0.3, 0.2), (0.1, 0.2, -0.3), (0.3, -0.5, 0.9), (1.0, 1.0, -0.5)])
def test_scalar_closed_form_matches_ode(y0):
    """Including data with E0 < 0 that still blow up (the smallest coordinate crosses zero)."""
    T = float(scalar_blowup_time(*y0))
    assert _ode_blowup_time(3, np.array(y0), threshold=1e8) == pytest.approx(T, abs=1e-6)


def test_scalar_sign_symmetries():
    base = scalar_blowup_time(0.4, 0.7, 0.3)
    for signs in [(-1, -1, 1), (-1, 1, -1), (1, -1, -1)]:
        flipped = scalar_blowup_time(*(s * v for s, v in zip(signs, (0.4, 0.7, 0.3))))
        assert flipped == base


def test_scalar_no_blowup_cases():
    # two smallest moduli equal and E0 <= 0: decays to 0 (or sits at an equilibrium)
    assert scalar_blowup_time(-1, -1, -1) == math.inf
    assert scalar_blowup_time(-0.5, 0.5, 2.0) == math.inf
    assert scalar_blowup_time(0, 0, 1.0) == math.inf
    assert _ode_blowup_time(3, np.array([-0.5, 0.5, 2.0]), threshold=1e8) == math.inf


def test_scalar_bad_input():
    with pytest.raises(ValueError, match="a0"):
        scalar_blowup_time(float("nan"), 1, 1)
    with pytest.raises(TypeError, match="w0"):
        scalar_blowup_time(1, "1", 1)
    with pytest.raises(ValueError, match="digits"):
        scalar_blowup_time(1, 1, 1, digits=2)


def test_bound_edge_cases():
    assert blowup_upper_bound(0.0) is None and blowup_upper_bound(-1.0) is None
    assert blowup_upper_bound(1.0, depth=2) is None
    assert blowup_lower_bound(1.0, depth=2) == math.inf
    assert blowup_lower_bound(0.0) == math.inf
    with pytest.raises(ValueError, match="r0"):
        blowup_lower_bound(-1.0)
    with pytest.raises(ValueError, match="depth"):
        blowup_lower_bound(1.0, depth=1)
    with pytest.raises(ValueError, match="E0"):
        blowup_upper_bound(float("nan"))


@pytest.mark.parametrize("c", [1e-200, 1e-60, 1e60, 1e200])
def test_scalar_closed_form_is_homogeneous_at_extreme_scales(c):
    """T*(c y0) = T*(y0)/c (the flow is homogeneous quadratic), also where |y0| is far from 1;
    balanced data give 1/(c x0) exactly."""
    assert abs(float(scalar_blowup_time(c, c, c)) * c - 1.0) <= 1e-14
    for values in [(1.0, 2.0, 3.0), (-1.0, 2.0, 3.0), (0.5, -0.25, -2.0)]:
        unit = float(scalar_blowup_time(*values))
        scaled = float(scalar_blowup_time(*(c * v for v in values)))
        assert abs(scaled * c - unit) <= 1e-14 * unit


@pytest.mark.parametrize("depth", [3, 4, 5])
@pytest.mark.parametrize("log10_r0", [-200, -120, 120, 200])
def test_lower_bound_outside_the_float_range_of_r0_power(depth, log10_r0):
    """r0^{L-2} overflowing or underflowing gives 0 / inf (or the exact value), never an exception."""
    r0 = 10.0**log10_r0
    bound = blowup_lower_bound(r0, depth)
    log_exact = -math.log((depth - 2) * depth ** (1 - depth / 2)) - (depth - 2) * math.log(r0)
    if log_exact > 710:
        assert bound == math.inf
    elif log_exact < -746:
        assert bound == 0.0
    else:
        assert bound == pytest.approx(math.exp(log_exact), rel=1e-12)

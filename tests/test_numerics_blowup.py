"""Blow-up times of the effective flow (docs/mathematics.md#blow-up) against closed forms, bounds and
independent methods."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.blowup import blowup_time, blowup_time_deep, naive_blowup_time, scipy_blowup_time
from numerics.integrate import integrate_effective
from theory.blowup import blowup_lower_bound, blowup_upper_bound, scalar_blowup_time

SQRT3 = math.sqrt(3.0)


def scalar_closed_form(a0: float, w0: float, u0: float) -> float:
    r"""The elliptic closed form of docs/mathematics.md#blow-up (``theory.blowup.scalar_blowup_time``, mpmath at
    30 digits; itself tested against ``mpmath.ellipf``): independent of the ODE solvers."""
    return float(scalar_blowup_time(a0, w0, u0, digits=30))


def random_state(rng, m1, m2, scale=1.0):
    return rng.standard_normal(m2) * scale, rng.standard_normal((m2, m1)) * scale, rng.standard_normal(m1) * scale


positive = st.floats(0.05, 3.0)


@given(positive, positive, positive)
def test_scalar_closed_form(a0, w0, u0):
    res = blowup_time(np.array([a0]), np.array([[w0]]), np.array([u0]))
    ref = scalar_closed_form(a0, w0, u0)
    assert res.blew_up
    assert abs(res.t_star - ref) <= 1e-11 * ref
    assert res.lower * (1 - 1e-14) <= ref <= res.upper * (1 + 1e-14)  # both sharp on balanced data


@given(st.integers(1, 4), st.integers(1, 4), st.floats(0.01, 100.0), st.integers(0, 2**32 - 1))
def test_balanced_rank_one_data(m1, m2, x0, seed):
    """a = x0 â, W = x0 â ûᵀ, u = x0 û blows up at T* = 1/x0 where both bounds are sharp."""
    rng = np.random.default_rng(seed)
    ah = rng.standard_normal(m2)
    uh = rng.standard_normal(m1)
    ah /= np.linalg.norm(ah)
    uh /= np.linalg.norm(uh)
    res = blowup_time(x0 * ah, x0 * np.outer(ah, uh), x0 * uh)
    assert abs(res.t_star * x0 - 1.0) <= 1e-11
    assert abs(res.lower * x0 - 1.0) <= 1e-12 and abs(res.upper * x0 - 1.0) <= 1e-12


@given(st.integers(1, 5), st.integers(1, 5), st.floats(1e-3, 1e3), st.integers(0, 2**32 - 1))
def test_bounds_and_limit_direction(m1, m2, scale, seed):
    rng = np.random.default_rng(seed)
    a, W, u = random_state(rng, m1, m2, scale)
    res = blowup_time(a, W, u)
    e0 = float(a @ W @ u)
    if e0 > 0:
        assert res.blew_up and res.upper is not None
    if not res.blew_up:
        assert math.isinf(res.t_star) and res.diagnostics["reason"]
        return
    slack = 1e-11
    assert res.lower * (1 - slack) <= res.t_star
    if res.upper is not None:
        assert res.t_star <= res.upper * (1 + slack)
    # rank-one limit theta* = (â, â ûᵀ, û)/√3 and rate 1/√3
    u_s, W_s, a_s = res.limit_factors()  # input to output
    assert abs(np.linalg.norm(a_s) - 1 / SQRT3) < 1e-6
    assert abs(np.linalg.norm(u_s) - 1 / SQRT3) < 1e-6
    assert np.allclose(W_s, SQRT3 * np.outer(a_s, u_s), atol=1e-6)
    assert abs(res.rate - 1 / SQRT3) < 1e-10


@given(st.integers(0, 2**32 - 1), st.floats(-200.0, 200.0))
def test_scale_invariance(seed, log_scale):
    """T*(c y0) = T*(y0)/c: the flow is started on the sphere, no overflow for huge or tiny c."""
    rng = np.random.default_rng(seed)
    a, W, u = random_state(rng, 2, 3)
    c = 2.0**log_scale
    base = blowup_time(a, W, u)
    scaled = blowup_time(a * c, W * c, u * c)
    assert base.blew_up == scaled.blew_up
    if base.blew_up:
        assert abs(scaled.t_star * c - base.t_star) <= 1e-13 * base.t_star


def test_norm_times_remaining_time_tends_to_sqrt3():
    rng = np.random.default_rng(3)
    a, W, u = random_state(rng, 3, 4)
    res = blowup_time(a, W, u)
    assert res.blew_up
    for M in (1e4, 1e6):
        traj = integrate_effective(a, W, u, 2 * res.t_star, rtol=1e-12, atol=1e-14, max_norm=M)
        assert traj.status == 2
        tau = traj.t[-1]
        assert abs(traj.norm[-1] * (res.t_star - tau) - SQRT3) < 50 / M
        # the naive estimate (integrate until ||y|| = M) is short by about sqrt(3)/M
        naive = naive_blowup_time(a, W, u, M)
        assert abs(naive - tau) <= 1e-10 * tau
        assert abs((res.t_star - naive) * M / SQRT3 - 1) < 50 / M


def test_agrees_with_scipy_on_the_same_flow():
    rng = np.random.default_rng(11)
    for _ in range(2):
        a, W, u = random_state(rng, 2, 3)
        res = blowup_time(a, W, u)
        if res.blew_up:
            assert abs(res.t_star - scipy_blowup_time(a, W, u)) <= 1e-10 * res.t_star


@pytest.mark.parametrize(
    "a, W, u, words",
    [
        ([0.0], [[0.0]], [0.0], "y0 = 0"),
        (np.zeros(2), np.arange(6.0).reshape(2, 3), np.zeros(3), "equilibrium"),
        ([-1.0], [[1.0]], [1.0], "E(theta*) < 0"),  # ray decaying to the origin
        ([1e-3], [[1.0]], [-1e-3], "saddle"),  # stable set of the equilibrium (0, 1, 0)
        ([0.1, -0.1], [[1.0, 0.5], [0.5, 1.0]], [-0.1, 0.1], "saddle"),
    ],
)
def test_non_blowup_inputs(a, W, u, words):
    res = blowup_time(np.array(a), np.array(W), np.array(u))
    assert not res.blew_up
    assert res.t_star == math.inf
    assert words in res.diagnostics["reason"]
    assert res.limit_direction is None


@given(st.integers(3, 6), st.floats(0.1, 3.0))
def test_deep_balanced_scalar(depth, x0):
    """All factors equal to x0 (widths 1): x' = x^{L-1}, T* = 1/((L-2) x0^{L-2})."""
    factors = [np.array([x0])] + [np.array([[x0]])] * (depth - 2) + [np.array([x0])]
    res = blowup_time_deep(factors)
    expected = 1.0 / ((depth - 2) * x0 ** (depth - 2))
    assert abs(res.t_star - expected) <= 1e-11 * expected
    assert abs(res.rate - depth ** (1 - depth / 2)) <= 1e-10


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 3), min_size=2, max_size=4))
def test_deep_bounds_and_depth3_agreement(seed, widths):
    rng = np.random.default_rng(seed)
    factors = [rng.standard_normal(widths[0])]
    factors += [rng.standard_normal((widths[k], widths[k - 1])) for k in range(1, len(widths))]
    factors.append(rng.standard_normal(widths[-1]))
    res = blowup_time_deep(factors)
    depth = len(factors)
    y = np.concatenate([f.ravel() for f in factors])
    assert res.lower == pytest.approx(depth ** (depth / 2 - 1) / ((depth - 2) * np.linalg.norm(y) ** (depth - 2)))
    if res.blew_up:
        assert res.t_star >= res.lower * (1 - 1e-11)
        if res.upper is not None:
            assert res.t_star <= res.upper * (1 + 1e-11)
    if depth == 3:
        direct = blowup_time(factors[2], factors[1], factors[0])
        assert direct.t_star == res.t_star or (math.isinf(direct.t_star) and math.isinf(res.t_star))


def test_depth_two_never_blows_up():
    res = blowup_time_deep([np.array([1.0, 2.0]), np.array([3.0, 1.0])])
    assert not res.blew_up and res.t_star == math.inf and "linear" in res.diagnostics["reason"]


def test_relabelling_neurons_changes_nothing_and_inputs_are_untouched():
    """The flow commutes with permutations of the hidden neurons (a -> Pa, W -> P W Q^T, u -> Qu):
    T* must be the same to round-off and the limit direction the permuted one; the inputs are not
    modified."""
    rng = np.random.default_rng(5)
    a, W, u = random_state(rng, 4, 5)
    copies = [x.copy() for x in (a, W, u)]
    res = blowup_time(a, W, u)
    assert all(np.array_equal(x, c) for x, c in zip((a, W, u), copies))
    P, Q = rng.permutation(W.shape[0]), rng.permutation(W.shape[1])
    permuted = blowup_time(a[P], W[np.ix_(P, Q)], u[Q])
    assert res.blew_up and permuted.blew_up
    assert permuted.t_star == pytest.approx(res.t_star, rel=1e-10)
    u_s, W_s, a_s = res.limit_factors()
    u_p, W_p, a_p = permuted.limit_factors()
    np.testing.assert_allclose(a_p, a_s[P], atol=1e-7)
    np.testing.assert_allclose(W_p, W_s[np.ix_(P, Q)], atol=1e-7)
    np.testing.assert_allclose(u_p, u_s[Q], atol=1e-7)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        (dict(a=[np.nan], W=[[1.0]], u=[1.0]), ValueError, "a"),
        (dict(a=[1.0], W=[[np.inf]], u=[1.0]), ValueError, "W"),
        (dict(a=[1.0, 2.0], W=[[1.0]], u=[1.0]), ValueError, "W"),
        (dict(a=[[1.0]], W=[[1.0]], u=[1.0]), ValueError, "a"),
        (dict(a=[1.0], W=[[1.0]], u=["x"]), TypeError, "u"),
        (dict(a=[True], W=[[1.0]], u=[1.0]), TypeError, "a"),
        (dict(a=[1.0], W=[[1.0]], u=[1.0], rtol=-1e-3), ValueError, "rtol"),
        (dict(a=[1.0], W=[[1.0]], u=[1.0], rtol="tight"), TypeError, "rtol"),
        (dict(a=[1.0], W=[[1.0]], u=[1.0], method="Euler"), ValueError, "method"),
    ],
)
def test_bad_input(kwargs, error, name):
    with pytest.raises(error, match=name):
        blowup_time(**kwargs)


def test_bad_input_deep_and_naive():
    with pytest.raises(ValueError, match="factors"):
        blowup_time_deep([np.ones(2), np.ones((3, 3)), np.ones(3)])
    with pytest.raises(TypeError, match="factors"):
        blowup_time_deep(np.ones(3))
    with pytest.raises(ValueError, match="M"):
        naive_blowup_time([1.0], [[1.0]], [1.0], 0.5)


@given(st.integers(3, 5), st.integers(0, 2**31 - 1), st.floats(-3.0, 3.0))
def test_reported_bounds_are_the_theory_bounds(depth, seed, log_scale):
    """``BlowupResult.lower``/``upper`` (numerics.blowup.bounds, written to avoid overflow) equal
    the bounds derived in ``theory.blowup`` at the same state, for depths 3..5."""
    rng = np.random.default_rng(seed)
    widths = tuple(int(m) for m in rng.integers(1, 4, size=depth - 1))
    factors = [rng.normal(size=widths[0]) * 10.0**log_scale]
    factors += [rng.normal(size=(widths[k], widths[k - 1])) * 10.0**log_scale for k in range(1, depth - 1)]
    factors.append(rng.normal(size=widths[-1]) * 10.0**log_scale)
    product = factors[0]
    for matrix in factors[1:-1]:
        product = matrix @ product
    energy = float(factors[-1] @ product)
    r0 = math.sqrt(sum(float(np.sum(f**2)) for f in factors))
    result = blowup_time_deep(factors)
    assert result.lower == pytest.approx(blowup_lower_bound(r0, depth), rel=1e-12)
    expected_upper = blowup_upper_bound(energy, depth)
    if expected_upper is None:
        assert result.upper is None
    else:
        assert result.upper == pytest.approx(expected_upper, rel=1e-9)


@pytest.mark.parametrize("depth, x0", [(3, 1e200), (3, 1e-200), (3, 1e-160), (4, 1e120), (5, 1e80), (5, 1e-80)])
def test_extreme_scales_balanced_scalar(depth, x0):
    """T* = 1/((L-2) x0^{L-2}) for all factors equal to x0, also where ||y0||^2 or ||y0||^L leave
    the float range (the module promises no overflow for huge or tiny states)."""
    factors = [np.array([x0])] + [np.array([[x0]])] * (depth - 2) + [np.array([x0])]
    res = blowup_time_deep(factors)
    expected = 1.0 / (depth - 2) / x0 ** (depth - 2)
    assert res.blew_up
    assert abs(res.t_star - expected) <= 1e-11 * expected
    assert res.lower <= res.t_star * (1 + 1e-12) and res.t_star <= res.upper * (1 + 1e-12)
    if depth == 3:
        ref = blowup_time(np.array([x0]), np.array([[x0]]), np.array([x0]))
        assert abs(ref.t_star - expected) <= 1e-11 * expected


@pytest.mark.parametrize("x0", [1e-200, 1e200])
def test_naive_method_at_extreme_scales(x0):
    """tau_M(c y0) = tau_{M/c}(y0)/c; at balanced data tau_M = 1/x0 - sqrt3/M to first order."""
    unit = naive_blowup_time(np.array([1.0]), np.array([[1.0]]), np.array([1.0]), M=1e6)
    scaled = naive_blowup_time(np.array([x0]), np.array([[x0]]), np.array([x0]), M=1e6 * x0)
    assert abs(scaled * x0 - unit) <= 1e-12 * unit
    assert abs(unit - (1.0 - SQRT3 / 1e6)) <= 1e-11


@pytest.mark.parametrize("d", [1e-13, 1e-14])
def test_near_the_minimum_ray_still_blows_up(d):
    """(a, w, u) = (-(1 - d), 1, 1): the smallest modulus is strictly smallest, so the closed form
    is finite (T* ~ pi/sqrt(2d)); the minimum direction is a source of the projected flow, so a
    state 450 ulp (d = 1e-13) away from it must not be reported as 'no blow-up within round-off'.
    T* is ill-conditioned here (relative condition ~ eps/d), hence the loose tolerance."""
    res = blowup_time(np.array([-(1.0 - d)]), np.array([[1.0]]), np.array([1.0]))
    ref = scalar_closed_form(-(1.0 - d), 1.0, 1.0)
    assert res.blew_up
    assert abs(res.t_star - ref) <= 0.05 * ref

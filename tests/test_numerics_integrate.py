"""Compiled Runge–Kutta integration of the effective flow: order, conservation laws
(docs/mathematics.md#conservation-laws), agreement with SciPy, events, ensembles, bad input."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from numerics.blowup import blowup_time, chain_field_numpy
from numerics.integrate import integrate_effective, integrate_ensemble, integrate_model
from numerics.kernels import chain_field_c, chain_params
from numerics.rk import get_tableau, solve

SQRT3 = math.sqrt(3.0)


def random_state(rng, m1, m2, scale=1.0):
    return rng.standard_normal(m2) * scale, rng.standard_normal((m2, m1)) * scale, rng.standard_normal(m1) * scale


@pytest.mark.parametrize("method, order, steps", [("RK45", 5, (16, 32, 64)), ("DOP853", 8, (4, 8, 16))])
def test_convergence_order(method, order, steps):
    """Fixed steps on the depth-2 flow a' = u, u' = a (exact a = cosh t for a0 = 1, u0 = 0):
    the global error at t = 2 shrinks like h^order."""
    errors = []
    for n in steps:
        res = solve(chain_field_c, chain_params((1,)), np.array([1.0, 0.0]), 2.0, method=method, fixed_step=2.0 / n)
        assert res.t.shape == (n + 1,)
        errors.append(abs(res.y[-1, 0] - math.cosh(2.0)))
    observed = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(abs(o - order) < 0.4 for o in observed), observed


def test_tableaus_are_consistent():
    """Row sums of A equal the nodes C; the weights B sum to 1 (order conditions of order 1)."""
    for method in ("RK45", "DOP853"):
        tab = get_tableau(method)
        assert np.allclose(tab.A.sum(axis=1), tab.C, atol=1e-14)
        assert abs(tab.B.sum() - 1) < 1e-14
        assert abs(tab.B @ tab.C[: tab.n_stages] - 0.5) < 1e-14  # order 2


@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1), st.sampled_from(["RK45", "DOP853"]))
def test_conservation_laws_at_round_off(m1, m2, seed, method):
    """a aᵀ - W Wᵀ and Wᵀ W - u uᵀ stay constant (docs/mathematics.md#conservation-laws); E never decreases."""
    rng = np.random.default_rng(seed)
    a, W, u = random_state(rng, m1, m2)
    traj = integrate_effective(a, W, u, 0.5, rtol=1e-12, atol=1e-14, method=method, max_norm=1e3)
    assert traj.success
    A, Wt, U = traj.a, traj.W, traj.u
    q1 = np.einsum("ti,tj->tij", A, A) - np.einsum("tik,tjk->tij", Wt, Wt)
    q2 = np.einsum("tki,tkj->tij", Wt, Wt) - np.einsum("ti,tj->tij", U, U)
    size = traj.norm.max() ** 2
    assert np.abs(q1 - q1[0]).max() <= 1e-10 * size
    assert np.abs(q2 - q2[0]).max() <= 1e-10 * size
    energy = np.einsum("ti,tij,tj->t", A, Wt, U)
    assert np.all(np.diff(energy) >= -1e-12 * size)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_agrees_with_scipy(m1, m2, seed):
    rng = np.random.default_rng(seed)
    a, W, u = random_state(rng, m1, m2, 0.5)
    t_end = min(0.8, 0.5 * blowup_time(a, W, u).t_star)  # stay away from a blow-up
    t_eval = np.linspace(0, t_end, 7)
    traj = integrate_effective(a, W, u, t_end, rtol=1e-12, atol=1e-14, t_eval=t_eval)
    ref = solve_ivp(lambda t, y: chain_field_numpy(y, (m1, m2)), (0, t_end), traj.y[0], method="DOP853",
                    rtol=1e-12, atol=1e-14, t_eval=t_eval)
    assert np.array_equal(traj.t, t_eval)
    assert np.allclose(traj.y, ref.y.T, rtol=1e-9, atol=1e-11)


def test_dense_output_matches_exact_solution():
    x0 = 0.7
    t_eval = np.linspace(0, 1.2, 50)
    for method in ("RK45", "DOP853"):
        traj = integrate_effective([x0], [[x0]], [x0], 1.2, rtol=1e-11, atol=1e-14, t_eval=t_eval, method=method)
        assert np.allclose(traj.a[:, 0], x0 / (1 - x0 * t_eval), rtol=1e-9, atol=0)


def test_norm_threshold_event_is_located():
    """Balanced scalar data: ||y|| = sqrt(3) x0/(1 - x0 t) reaches M at t = 1/x0 - sqrt(3)/M."""
    x0, M = 0.5, 1e5
    traj = integrate_effective([x0], [[x0]], [x0], 10.0, rtol=1e-12, atol=1e-14, max_norm=M)
    assert traj.status == 2
    assert abs(traj.t[-1] - (1 / x0 - SQRT3 / M)) <= 1e-12 * traj.t[-1] / (1 - x0 * traj.t[-1])
    assert abs(traj.norm[-1] / M - 1) < 1e-9


@nb.njit
def _a0_minus_two(t, y):
    return y[0] - 2.0


def test_user_event_terminal_and_recorded():
    x0 = 0.5  # a(t) = x0/(1 - x0 t) = 2 at t = 1.5
    traj = integrate_effective([x0], [[x0]], [x0], 1.9, rtol=1e-12, atol=1e-14, event=_a0_minus_two,
                               event_terminal=False)
    assert traj.status == 0 and traj.t[-1] == 1.9
    assert traj.t_events.shape == (1,) and abs(traj.t_events[0] - 1.5) < 1e-11
    stop = integrate_effective([x0], [[x0]], [x0], 1.9, rtol=1e-12, atol=1e-14, event=_a0_minus_two,
                               event_direction=1.0)
    assert stop.status == 1 and abs(stop.t[-1] - 1.5) < 1e-11 and abs(stop.a[-1, 0] - 2) < 1e-10
    down = integrate_effective([x0], [[x0]], [x0], 1.9, event=_a0_minus_two, event_direction=-1.0)
    assert down.status == 0 and down.t_events.shape == (0,)


def test_blowup_before_t_end_is_reported():
    traj = integrate_effective([1.0], [[1.0]], [1.0], 5.0)  # T* = 1
    assert traj.status < 0 and not traj.success
    assert "blow-up" in traj.message or "overflow" in traj.message
    assert traj.t[-1] <= 1.0 + 1e-9


def test_integrate_model_deep_against_scipy():
    rng = np.random.default_rng(2)
    widths = (2, 3, 4)
    dim = 4 + 12 + 6 + 2
    y0 = rng.standard_normal(dim) * 0.4
    traj = integrate_model(widths, y0, 0.6, rtol=1e-12, atol=1e-14, t_eval=[0.3, 0.6])
    ref = solve_ivp(lambda t, y: chain_field_numpy(y, widths), (0, 0.6), y0, method="DOP853", rtol=1e-12,
                    atol=1e-14, t_eval=[0.3, 0.6])
    assert np.allclose(traj.y, ref.y.T, rtol=1e-9, atol=1e-11)
    # factors input to output [u, W2, W3, a]; flattening them gives back the state rows
    factors = traj.factors()
    assert [f.shape[1:] for f in factors] == [(2,), (3, 2), (4, 3), (4,)]
    from numerics.state import flatten_factors
    for k in range(len(traj.t)):
        assert np.array_equal(flatten_factors([f[k] for f in factors]), traj.y[k])
    assert np.array_equal(traj.a, factors[-1]) and np.array_equal(traj.u, factors[0])


def test_ensemble_is_deterministic_and_matches_single_runs():
    _check_ensemble("threads")


@pytest.mark.slow
def test_ensemble_prange_backend():
    _check_ensemble("prange")


def _check_ensemble(backend):
    rng = np.random.default_rng(9)
    widths = (3, 2)
    y0s = rng.standard_normal((6, 2 + 6 + 3)) * 0.5
    t_eval = np.linspace(0, 0.5, 4)
    first = integrate_ensemble(widths, y0s, 0.5, t_eval=t_eval, rtol=1e-11, max_norm=1e6, backend=backend)
    second = integrate_ensemble(widths, y0s, 0.5, t_eval=t_eval, rtol=1e-11, max_norm=1e6, backend=backend)
    assert np.array_equal(first.y, second.y, equal_nan=True)
    for k in range(6):
        single = integrate_model(widths, y0s[k], 0.5, t_eval=t_eval, rtol=1e-11, max_norm=1e6)
        assert single.status == first.status[k]
        if first.status[k] == 0:
            assert np.array_equal(single.y, first.y[k])


def test_deterministic_single():
    rng = np.random.default_rng(1)
    a, W, u = random_state(rng, 3, 3)
    one = integrate_effective(a, W, u, 0.3)
    two = integrate_effective(a, W, u, 0.3)
    assert np.array_equal(one.y, two.y) and np.array_equal(one.t, two.t)


@pytest.mark.parametrize(
    "kwargs, error, name",
    [
        (dict(t_end=-1.0), ValueError, "t_end"),
        (dict(t_end=math.nan), ValueError, "t_end"),
        (dict(rtol=-1e-6), ValueError, "rtol"),
        (dict(atol=-1.0), ValueError, "atol"),
        (dict(method="rk4"), ValueError, "method"),
        (dict(t_eval=[0.5, 0.1]), ValueError, "t_eval"),
        (dict(t_eval=[0.0, 5.0]), ValueError, "t_eval"),
        (dict(max_norm=-3.0), ValueError, "max_norm"),
        (dict(u=[np.nan, 1.0]), ValueError, "u"),
        (dict(W=np.ones((2, 3))), ValueError, "W"),
        (dict(a=np.ones((2, 1))), ValueError, "a"),
        (dict(event=lambda t, y: y[0]), TypeError, "event"),
    ],
)
def test_bad_input(kwargs, error, name):
    args = dict(a=np.ones(2), W=np.ones((2, 2)), u=np.ones(2), t_end=0.1)
    args.update(kwargs)
    with pytest.raises(error, match=name):
        integrate_effective(**args)


def test_bad_input_model_and_ensemble():
    with pytest.raises(ValueError, match="y0"):
        integrate_model((2, 2), np.ones(5), 1.0)
    with pytest.raises(ValueError, match="model_or_widths"):
        integrate_model((2, 0), np.ones(5), 1.0)
    with pytest.raises(ValueError, match="y0s"):
        integrate_ensemble((1, 1), np.ones((2, 4)), 1.0)


def test_numpy_integer_max_steps_is_accepted():
    """np.int64 is an integer: max_steps=np.int64(3) stops after 3 accepted steps like max_steps=3."""
    a, W, u = np.ones(2), np.full((2, 3), 0.1), np.ones(3)
    plain = integrate_effective(a, W, u, 0.5, max_steps=3)
    numpy_int = integrate_effective(a, W, u, 0.5, max_steps=np.int64(3))
    assert plain.status == numpy_int.status == -2
    assert np.array_equal(plain.y, numpy_int.y)

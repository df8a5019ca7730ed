"""Initialization (numerics.init), data sets (numerics.data) and compiled activations
(numerics.activations) used by direct training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.activations import compile_activation, kernel_module
from numerics.data import data_direction, make_dataset
from numerics.init import gaussian_init, init_scale, power_init
from theory.activations import ACTIVATION_NAMES, activation_expr, z

# ---------------------------------------------------------------- init


@settings(max_examples=15)
@given(
    dims=st.lists(st.integers(1, 30), min_size=2, max_size=4),
    scale=st.floats(1e-6, 10.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_gaussian_init_shapes_and_determinism(dims, scale, seed):
    weights = gaussian_init(dims, scale, seed)
    expected = [(dims[k + 1], dims[k]) for k in range(len(dims) - 1)] + [(dims[-1],)]
    assert [w.shape for w in weights] == expected
    again = gaussian_init(dims, scale, seed)
    assert all(np.array_equal(a, b) for a, b in zip(weights, again))
    other = gaussian_init(dims, scale, seed + 1)
    assert not all(np.array_equal(a, b) for a, b in zip(weights, other))


def test_gaussian_init_statistics():
    scale = 1e-3
    weights = gaussian_init((3, 200, 200), scale, seed=7)
    flat = np.concatenate([w.ravel() for w in weights])  # 40 800 entries: std error of std ~0.35%
    assert abs(flat.std() / scale - 1) < 0.02
    assert abs(flat.mean()) < 4 * scale / math.sqrt(flat.size)
    assert abs(init_scale(weights) / scale - 1) < 0.02
    # fourth moment of a Gaussian: E x^4 = 3 sigma^4
    assert abs(np.mean(flat**4) / (3 * scale**4) - 1) < 0.05


@pytest.mark.parametrize("alpha, m", [(0.5, None), (1.0, None), (0.25, 200)])
def test_power_init_statistics(alpha, m):
    dims = (3, 150, 120)
    weights = power_init(dims, alpha, seed=3, m=m)
    flat = np.concatenate([w.ravel() for w in weights])
    expected = (150 if m is None else m) ** (-alpha)
    assert abs(flat.std() / expected - 1) < 0.02


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: gaussian_init((3,), 0.1, 0), "dims"),
        (lambda: gaussian_init((3, 0), 0.1, 0), "dims"),
        (lambda: gaussian_init(3, 0.1, 0), "dims"),
        (lambda: gaussian_init((3, 4), 0.0, 0), "scale"),
        (lambda: gaussian_init((3, 4), float("inf"), 0), "scale"),
        (lambda: gaussian_init((3, 4), 0.1, -1), "seed"),
        (lambda: power_init((3, 4), float("nan"), 0), "alpha"),
        (lambda: power_init((3, 4), 0.5, 0, m=0), "m"),
    ],
)
def test_init_bad_input(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


# ---------------------------------------------------------------- data


@pytest.mark.parametrize("name, d", [("default", 3), ("linear", 5), ("1d", 1)])
def test_datasets_shapes_direction_and_seed(name, d):
    X, y = make_dataset(name, n=40, d=d, seed=4)
    assert X.shape == (40, d) and y.shape == (40,)
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))
    v_prime, v = data_direction(X, y)
    assert np.allclose(v_prime, X.T @ y / 40)
    assert np.linalg.norm(v) == pytest.approx(1.0)
    again = make_dataset(name, n=40, d=d, seed=4)
    assert np.array_equal(X, again[0]) and np.array_equal(y, again[1])


def test_default_direction_matches_gaussian_closed_form():
    """For x ~ N(0, I) and y = sin(beta.x), E[y x] = exp(-1/2) beta (Stein's lemma)."""
    X, y = make_dataset("default", n=200_000, d=3, seed=0)
    v_prime, _ = data_direction(X, y)
    beta = np.ones(3) / math.sqrt(3)
    assert np.allclose(v_prime, math.exp(-0.5) * beta, atol=6e-3)


def test_one_d_dataset_is_in_unit_interval():
    X, y = make_dataset("1d", n=25, seed=1)
    assert np.all(np.abs(X) <= 1.0 + 0.25 * 2 / 24)
    assert np.all(np.diff(X[:, 0]) > 0)
    assert np.allclose(y, np.sin(np.pi * X[:, 0]))


@pytest.mark.parametrize(
    "X, y",
    [
        (np.array([[1.0], [-1.0]]), np.array([1.0, 1.0])),
        (np.ones((5, 2)), np.zeros(5)),
    ],
)
def test_zero_target_direction_is_refused(X, y):
    with pytest.raises(ValueError, match="no target direction"):
        data_direction(X, y)


@pytest.mark.parametrize(
    "kwargs, name",
    [(dict(name="mnist"), "name"), (dict(n=0), "n"), (dict(d=0), "d"), (dict(name="1d", d=2), "d"), (dict(seed=-2), "seed")],
)
def test_make_dataset_bad_input(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        make_dataset(**kwargs)


# ---------------------------------------------------------------- activations


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_compiled_activation_matches_sympy(activation):
    compiled = compile_activation(activation)
    expr = activation_expr(activation)
    rng = np.random.default_rng(0)
    points = rng.normal(scale=2.0, size=12)
    points = points[np.abs(points) > 1e-3]  # ReLU's kink
    for point in points:
        exact = float(expr.subs(z, sp.Float(point, 30)).evalf(30))
        slope = float(sp.diff(expr, z).subs(z, sp.Float(point, 30)).evalf(30))
        assert compiled.sigma(point) == pytest.approx(exact, rel=1e-14, abs=1e-15)
        assert compiled.dsigma(point) == pytest.approx(slope, rel=1e-13, abs=1e-15)
    assert np.allclose(compiled.sigma_np(points), [compiled.sigma(p) for p in points], rtol=1e-14, atol=1e-15)
    value, slope = compiled.pair_np(points)
    assert np.allclose(value, compiled.sigma_np(points), rtol=1e-14, atol=1e-15)
    assert np.allclose(slope, compiled.dsigma_np(points), rtol=1e-14, atol=1e-15)


def test_uncompilable_activation_is_refused():
    with pytest.raises(ValueError, match="activation"):
        compile_activation(z * sp.besselj(0, z))


def test_relu_derivative_convention():
    compiled = compile_activation("relu")
    assert compiled.dsigma(0.0) == 0.0 and compiled.dsigma(1e-300) == 1.0 and compiled.dsigma(-3.0) == 0.0
    assert compiled.sigma(-2.0) == 0.0 and compiled.sigma(2.5) == 2.5


def _uses_pair(values, out):
    for i in range(values.shape[0]):
        out[i, 0], out[i, 1] = sigma_pair(values[i])  # noqa: F821 (generated module global)
        out[i, 2] = sigma(values[i])  # noqa: F821
        out[i, 3] = dsigma(values[i])  # noqa: F821


@pytest.mark.parametrize("activation", ["tanh", "sigmoid_shifted"])
def test_generated_kernel_module_pair_is_consistent(activation):
    module = kernel_module(activation, [_uses_pair], tag="test_pair")
    values = np.linspace(-4, 4, 33)
    out = np.zeros((33, 4))
    module._uses_pair(values, out)
    assert np.allclose(out[:, 0], out[:, 2], rtol=1e-15, atol=1e-16)
    assert np.allclose(out[:, 1], out[:, 3], rtol=1e-14, atol=1e-16)
    # sigma' by central differences of the compiled sigma
    h = 1e-6
    numeric = (compile_activation(activation).sigma_np(values + h) - compile_activation(activation).sigma_np(values - h)) / (2 * h)
    assert np.allclose(out[:, 1], numeric, rtol=1e-7, atol=1e-9)


def test_sympy_expression_activation_trains():
    from numerics.training import train_network, train_network_numpy

    expr = sp.sin(z) + z**3 / 10
    X, y = make_dataset("default", n=8, d=3, seed=0)
    weights = gaussian_init((3, 4), 0.5, seed=0)
    fast = train_network(X, y, weights, expr, lr=0.05, steps=20)
    reference = train_network_numpy(X, y, weights, expr, lr=0.05, steps=20)
    assert np.allclose(fast.loss, reference.loss, rtol=1e-12)


def test_fast_tanh_within_three_ulp_of_mpmath():
    import mpmath

    from numerics.activations import compile_fast_tanh

    fast_tanh = compile_fast_tanh()
    rng = np.random.default_rng(11)
    points = np.concatenate([rng.normal(size=60) * scale for scale in (1e-300, 1e-8, 1e-3, 0.1, 0.4, 1.0, 4.0, 19.0, 50.0)])
    points = np.concatenate([points, [0.0, -0.0, 0.17328679513998632, 0.3465735902799726, 20.0, -1e308]])
    with mpmath.workdps(40):
        for x in points:
            exact = mpmath.tanh(mpmath.mpf(float(x)))
            value = fast_tanh(float(x))
            ulp = np.spacing(abs(float(exact))) if exact != 0 else 5e-324
            assert float(abs(mpmath.mpf(value) - exact)) <= 3 * ulp, x
    assert fast_tanh(np.inf) == 1.0 and fast_tanh(-np.inf) == -1.0
    assert math.isnan(fast_tanh(np.nan))
    assert math.copysign(1.0, fast_tanh(-0.0)) == -1.0


def test_negative_seed_is_a_value_error():
    # a negative int has the right type and a wrong value
    with pytest.raises(ValueError, match="seed"):
        gaussian_init((3, 4), 0.1, -1)
    with pytest.raises(TypeError, match="seed"):
        gaussian_init((3, 4), 0.1, 1.5)

"""Direct training (numerics.training): Numba GD against an independent NumPy GD, gradients
against finite differences of the risk, determinism, divergence and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.data import make_dataset
from numerics.init import gaussian_init
from numerics.training import network_output, risk, train_network, train_network_numpy

FAST_ACTIVATIONS = ["tanh", "sin", "relu", "xtanh"]


def _max_relative_difference(first, second) -> float:
    return max(float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b))))) for a, b in zip(first, second))


@settings(max_examples=25)
@given(
    depth=st.integers(2, 4),
    widths=st.lists(st.integers(1, 6), min_size=3, max_size=3),
    d=st.integers(1, 4),
    n=st.integers(1, 9),
    seed=st.integers(0, 2**16),
    activation=st.sampled_from(FAST_ACTIVATIONS),
)
def test_numba_gd_matches_numpy_gd(depth, widths, d, n, seed, activation):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    weights = gaussian_init((d, *widths[: depth - 1]), scale=0.5, seed=seed)
    fast = train_network(X, y, weights, activation, lr=0.05, steps=30, record_every=7)
    reference = train_network_numpy(X, y, weights, activation, lr=0.05, steps=30, record_every=7)
    assert not fast.diverged and not reference.diverged
    assert np.allclose(fast.loss, reference.loss, rtol=1e-12, atol=1e-14)
    assert _max_relative_difference(fast.weights, reference.weights) < 1e-12
    assert list(fast.record_steps) == list(reference.record_steps) == [0, 7, 14, 21, 28, 30]
    for snap_fast, snap_reference in zip(fast.snapshots, reference.snapshots):
        assert _max_relative_difference(snap_fast, snap_reference) < 1e-12


@pytest.mark.parametrize("activation", ["softplus_shifted", "sigmoid_shifted", "x2tanh"])
def test_other_activations_match_numpy(activation):
    X, y = make_dataset("default", n=12, d=3, seed=3)
    weights = gaussian_init((3, 5, 4), scale=0.4, seed=5)
    fast = train_network(X, y, weights, activation, lr=0.05, steps=40)
    reference = train_network_numpy(X, y, weights, activation, lr=0.05, steps=40)
    assert np.allclose(fast.loss, reference.loss, rtol=1e-12, atol=1e-15)
    assert _max_relative_difference(fast.weights, reference.weights) < 1e-12


def test_small_initialization_agrees_relative_to_weight_size():
    """At eps = 1e-3 the weights are tiny: compare relative to each layer's own norm."""
    X, y = make_dataset("default", n=40, d=3, seed=0)
    weights = gaussian_init((3, 20, 20), 1e-3, seed=0)
    fast = train_network(X, y, weights, "tanh", lr=0.2, steps=400)
    reference = train_network_numpy(X, y, weights, "tanh", lr=0.2, steps=400)
    for a, b in zip(fast.weights, reference.weights):
        assert np.linalg.norm(a - b) <= 1e-12 * np.linalg.norm(b)
    assert np.allclose(fast.loss, reference.loss, rtol=1e-13, atol=0)


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_one_step_is_minus_lr_times_finite_difference_gradient(depth):
    """(theta_0 - theta_1)/lr must equal the central-difference gradient of R (independent of backprop)."""
    X, y = make_dataset("default", n=7, d=3, seed=1)
    weights = gaussian_init((3, 4, 3, 2)[:depth], scale=0.7, seed=depth)
    lr = 1e-3
    history = train_network(X, y, weights, "tanh", lr=lr, steps=1)
    h = 1e-6
    for k, matrix in enumerate(weights):
        for index in np.ndindex(matrix.shape):
            plus = [w.copy() for w in weights]
            minus = [w.copy() for w in weights]
            plus[k][index] += h
            minus[k][index] -= h
            numeric = (risk(X, y, plus) - risk(X, y, minus)) / (2 * h)
            step = (weights[k][index] - history.weights[k][index]) / lr
            assert step == pytest.approx(numeric, rel=1e-5, abs=1e-8)
    assert history.loss[0] == pytest.approx(risk(X, y, weights), rel=1e-13)


def test_loss_decreases_monotonically_for_small_lr():
    X, y = make_dataset("linear", n=30, d=3, seed=0)
    weights = gaussian_init((3, 8), scale=0.3, seed=2)
    history = train_network(X, y, weights, "tanh", lr=0.02, steps=3000)
    assert np.all(np.diff(history.loss) <= 1e-15)
    assert history.final_loss < 0.05 * history.loss[0]


def test_deterministic_and_inputs_untouched():
    X, y = make_dataset("default", n=20, d=3, seed=0)
    weights = gaussian_init((3, 6, 5), scale=0.1, seed=0)
    copies = [w.copy() for w in weights]
    first = train_network(X, y, weights, "tanh", lr=0.1, steps=500, record_every=100)
    second = train_network(X, y, weights, "tanh", lr=0.1, steps=500, record_every=100)
    assert np.array_equal(first.loss, second.loss)
    assert all(np.array_equal(a, b) for a, b in zip(first.weights, second.weights))
    assert all(np.array_equal(a, b) for a, b in zip(weights, copies))
    assert all(np.array_equal(a, b) for a, b in zip(first.snapshots[0], copies))


def test_snapshot_equals_shorter_run_and_progress_changes_nothing(capsys):
    X, y = make_dataset("default", n=20, d=3, seed=0)
    weights = gaussian_init((3, 6, 5), scale=0.1, seed=0)
    long = train_network(X, y, weights, "tanh", lr=0.1, steps=300, record_every=100, progress=True)
    assert "train_network: step 300/300" in capsys.readouterr().err
    short = train_network(X, y, weights, "tanh", lr=0.1, steps=200)
    assert list(long.record_steps) == [0, 100, 200, 300]
    assert all(np.array_equal(a, b) for a, b in zip(long.snapshots[2], short.weights))
    assert np.array_equal(long.loss[:200], short.loss)
    quiet = train_network(X, y, weights, "tanh", lr=0.1, steps=300, record_every=100)
    assert np.array_equal(quiet.loss, long.loss)
    assert long.final_loss == pytest.approx(risk(X, y, long.weights), rel=1e-13)


def test_divergence_stops_with_history():
    X, y = make_dataset("linear", n=10, d=3, seed=0)
    weights = gaussian_init((3, 4, 4), scale=1.0, seed=0)
    history = train_network(X, y, weights, "xtanh", lr=50.0, steps=10_000, record_every=1)
    assert history.diverged
    assert "diverged" in history.message and "lr" in history.message
    assert len(history.loss) < 10_000
    assert not math.isfinite(history.loss[-1])
    assert np.all(np.isfinite(history.loss[:-1]))
    assert history.record_steps[-1] == len(history.loss) - 1
    reference = train_network_numpy(X, y, weights, "xtanh", lr=50.0, steps=10_000, record_every=1)
    assert reference.diverged and len(reference.loss) == len(history.loss)


GOOD = dict(X=np.ones((3, 2)), y=np.ones(3), weights=[np.ones((4, 2)), np.ones(4)])


@pytest.mark.parametrize(
    "change, error, name",
    [
        (dict(X=np.ones((0, 2)), y=np.ones(0)), ValueError, "X"),
        (dict(y=np.ones(4)), ValueError, "y"),
        (dict(X=np.array([[1.0, np.nan]] * 3)), ValueError, "X"),
        (dict(y=np.array([1.0, np.inf, 0.0])), ValueError, "y"),
        (dict(X=np.ones(3)), ValueError, "X"),
        (dict(weights=[np.ones((4, 3)), np.ones(4)]), ValueError, "weights[0]"),
        (dict(weights=[np.ones((4, 2)), np.ones(5)]), ValueError, "weights[1]"),
        (dict(weights=[np.ones((4, 2)), np.ones((3, 5)), np.ones(3)]), ValueError, "weights[1]"),
        (dict(weights=[np.ones(4)]), ValueError, "weights"),
        (dict(weights=np.ones((4, 2))), TypeError, "weights"),
        (dict(lr=0.0), ValueError, "lr"),
        (dict(lr=-1.0), ValueError, "lr"),
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(lr="fast"), TypeError, "lr"),
        (dict(steps=0), ValueError, "steps"),
        (dict(steps=2.5), TypeError, "steps"),
        (dict(record_every=0), ValueError, "record_every"),
        (dict(activation="swish"), ValueError, "activation"),
    ],
)
def test_bad_input_names_the_argument(change, error, name):
    arguments = {**GOOD, "lr": 0.1, "steps": 5, **change}
    with pytest.raises(error, match=name.replace("[", r"\[").replace("]", r"\]")):
        train_network(**arguments)


def test_divergence_on_the_last_update_is_reported():
    # the loss before every update is finite, the loss after the last one is not
    X, y = make_dataset("linear", n=10, d=3, seed=0)
    weights = gaussian_init((3, 4, 4), scale=1.0, seed=0)
    finite_steps = len(train_network(X, y, weights, "xtanh", lr=50.0, steps=10_000).loss) - 1
    history = train_network(X, y, weights, "xtanh", lr=50.0, steps=finite_steps)
    assert np.all(np.isfinite(history.loss)) and len(history.loss) == finite_steps
    assert history.diverged and not math.isfinite(history.final_loss)
    assert "after the last update" in history.message


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: risk(np.ones((3, 2)), np.ones(4), GOOD["weights"]), "y"),  # was a broadcast error
        (lambda: risk(np.array([[np.nan, 1.0]] * 3), np.ones(3), GOOD["weights"]), "X"),  # was a silent nan
        (lambda: network_output(np.ones((3, 5)), GOOD["weights"]), "weights[0]"),  # was a matmul error
    ],
)
def test_risk_and_output_bad_input(call, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[")):
        call()

"""Direct training (numerics.training): Numba GD against an independent NumPy GD, gradients
against finite differences of the risk, determinism, divergence and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numerics.data import make_dataset
from numerics.init import gaussian_init
from numerics.training import network_output, risk, train_network, train_network_numpy

FAST_ACTIVATIONS = ["tanh", "sin", "relu", "xtanh"]


def _max_relative_difference(first, second) -> float:
    return max(float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b))))) for a, b in zip(first, second))


def _relative_sensitivity(X, y, weights, activation, lr, steps, reference, delta=1e-9, seed=0):
    r"""How much gradient descent itself amplifies a relative perturbation ``delta`` of the start:
    per recorded step ``k``, ``(weights_k, loss_k)`` of a second reference run from a perturbed
    start, their relative differences from ``reference`` divided by ``delta`` (first order in
    ``delta``). Two correct implementations differ by round-off injected at every step and
    propagated by this same map, so their difference at step ``k`` is about
    ``(k + 1) * u * max(1, sensitivity_k)`` (``u`` the unit round-off, a modest constant for the
    per-step flops); near the edge of stability (the loss rising again) the sensitivity grows
    geometrically, which is what made a fixed 1e-12 tolerance flake."""
    rng = np.random.default_rng(seed)
    start = [w + delta * max(1.0, float(np.max(np.abs(w)))) * rng.standard_normal(w.shape) for w in weights]
    delta = _max_relative_difference(start, weights)
    other = train_network_numpy(X, y, start, activation, lr=lr, steps=steps, record_every=1)
    if other.diverged:
        return None, None
    weight_sensitivity = np.array([_max_relative_difference(a, b) for a, b in zip(other.snapshots, reference.snapshots)])
    loss_sensitivity = np.abs(np.asarray(other.loss) - np.asarray(reference.loss))  # absolute: R may be ~0
    return weight_sensitivity / delta, loss_sensitivity / delta


def _loss_round_off(R: float, y, steps: int = 1) -> float:
    r"""Round-off allowed in :math:`R = \frac1{2n}\sum_i r_i^2`: each residual :math:`r_i = f_i - y_i`
    carries an absolute error up to :math:`e = c\,u\,k\,(2\max|y| + \sqrt{2R})` (``k = steps`` of
    accumulation, :math:`c = 64` for the flops of one step), so
    :math:`|\delta R| \le \sqrt{2R}\,e + e^2 + c\,u\,k\,R` (for a small :math:`R` the cancellation
    in :math:`f - y` dominates; at :math:`R = 0` only :math:`e^2` remains)."""
    c_u = 64 * np.finfo(float).eps * steps
    root = math.sqrt(2 * R)
    e = c_u * (2 * float(np.max(np.abs(y))) + root)
    return root * e + e * e + c_u * R


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
    """The compiled and the NumPy trainer take the same gradient step (one step from every state of
    the reference run agrees to 1e-13), and whole runs agree to round-off amplified by gradient
    descent's own sensitivity to its start (measured, :func:`_relative_sensitivity`)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.normal(size=n)
    weights = gaussian_init((d, *widths[: depth - 1]), scale=0.5, seed=seed)
    lr, steps = 0.05, 30
    reference = train_network_numpy(X, y, weights, activation, lr=lr, steps=steps, record_every=1)
    assume(not reference.diverged)  # a run that blows up has no round-off-level agreement to test
    u = np.finfo(float).eps
    # the same map: one step from each state of the reference run
    for k in range(steps):
        one = train_network(X, y, reference.snapshots[k], activation, lr=lr, steps=1)
        assert _max_relative_difference(one.weights, reference.snapshots[k + 1]) < 1e-13
        assert abs(one.loss[0] - reference.loss[k]) <= _loss_round_off(reference.loss[k], y)
    # whole runs, with the record schedule of every 7 steps
    fast = train_network(X, y, weights, activation, lr=lr, steps=steps, record_every=7)
    assert not fast.diverged
    assert list(fast.record_steps) == [0, 7, 14, 21, 28, 30]
    weight_sensitivity, loss_sensitivity = _relative_sensitivity(X, y, weights, activation, lr, steps, reference,
                                                                 seed=seed)
    assume(weight_sensitivity is not None)
    # Compare while GD is in its stable regime: once the loss rises (lr above 2/lambda_max, the edge
    # of stability) round-off in the unstable directions grows geometrically, faster than a random
    # start perturbation shows; the one-step check above covers those states.
    rising = np.flatnonzero(np.diff(np.asarray(reference.loss)) > 0)
    stable = int(rising[0]) + 1 if rising.size else steps + 1  # steps 0..stable-1 are compared
    for k, value in enumerate(fast.loss[:stable]):
        allowed = _loss_round_off(reference.loss[k], y, k + 1) + 64 * u * (k + 1) * loss_sensitivity[k]
        assert abs(value - reference.loss[k]) <= allowed
    for j, k in enumerate(fast.record_steps):
        if k >= stable:
            break
        allowed = 64 * u * (k + 1) * max(1.0, weight_sensitivity[k])
        assert _max_relative_difference(fast.snapshots[j], reference.snapshots[k]) <= allowed
    if stable > steps:
        assert _max_relative_difference(fast.weights, reference.weights) <= 64 * u * (steps + 1) * max(
            1.0, weight_sensitivity[steps])


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

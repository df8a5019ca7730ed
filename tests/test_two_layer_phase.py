"""Two-layer model, scalings, RD, classification and feature maps (docs/mathematics.md#phase-diagram, #one-dimensional-features)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.phase_diagram import (
    boundary_gamma,
    classify_slope,
    fit_slope,
    heuristic_slope,
    phase_diagram,
    phase_point,
    theoretical_regime,
)
from numerics.two_layer import (
    _kernels,
    feature_map,
    init_two_layer,
    phase_dataset,
    relative_distance,
    scaling,
    train_two_layer,
    two_layer_output,
)

gammas = st.floats(-1.0, 3.0, allow_nan=False)
widths = st.integers(2, 10**6)


@given(gammas, gammas, st.integers(2, 400), st.sampled_from(["beta2_one", "alpha_one"]), st.integers(0, 2**31))
def test_scaling_sets_the_initial_output_scale_m_to_the_minus_gamma(gamma, gamma_prime, m, convention, seed):
    """Through the whole pipeline (scales -> init_two_layer -> two_layer_output) a ReLU network at the
    point (gamma, gamma') is m^(-gamma) times the one with unit scales and the same seed (ReLU is
    1-homogeneous), its output weights are m^(-gamma') times its input weights' scale, and both
    conventions give the same function."""
    X, _ = phase_dataset()
    s = scaling(gamma, gamma_prime, m, convention)
    a, W = init_two_layer(2 * (m // 2 + 1), 1, s.beta1, s.beta2, seed, antisymmetric=False)
    a1, W1 = init_two_layer(2 * (m // 2 + 1), 1, 1.0, 1.0, seed, antisymmetric=False)
    f = two_layer_output(X, a, W, s.alpha)
    f1 = two_layer_output(X, a1, W1, 1.0)
    np.testing.assert_allclose(f, m ** (-gamma) * f1, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(a / np.abs(W).max() * np.abs(W1).max(), m ** (-gamma_prime) * a1, rtol=1e-9)
    other = scaling(gamma, gamma_prime, m, "alpha_one" if convention == "beta2_one" else "beta2_one")
    a2, W2 = init_two_layer(2 * (m // 2 + 1), 1, other.beta1, other.beta2, seed, antisymmetric=False)
    np.testing.assert_allclose(two_layer_output(X, a2, W2, other.alpha), f, rtol=1e-9, atol=1e-300)


def test_classic_initializations_match_their_scales():
    m = 1000
    mean_field = scaling(1.0, 0.0, m)
    assert (mean_field.alpha, mean_field.beta1, mean_field.beta2) == pytest.approx((m, 1.0, 1.0))
    ntk = scaling(0.5, 0.0, m)
    assert (ntk.alpha, ntk.beta1) == pytest.approx((math.sqrt(m), 1.0))
    lecun = scaling(0.5, 0.5, m)
    assert (lecun.alpha, lecun.beta1) == pytest.approx((1.0, 1 / math.sqrt(m)))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_antisymmetric_init_gives_zero_output(activation):
    X, _ = phase_dataset()
    a, W = init_two_layer(20, 1, 0.7, 1.3, seed=3)
    assert np.abs(two_layer_output(X, a, W, 2.0, activation)).max() < 1e-14  # exact up to summation order
    a2, W2 = init_two_layer(20, 1, 0.7, 1.3, seed=3, antisymmetric=False)
    assert np.abs(two_layer_output(X, a2, W2, 2.0, activation)).max() > 1e-3


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_compiled_gradient_matches_finite_differences(activation):
    """The Numba gradient against central differences of the NumPy loss (same generated σ)."""
    X, y = phase_dataset()
    rng = np.random.default_rng(0)
    a, W = rng.standard_normal(6), rng.standard_normal((6, 2))
    alpha = 1.7
    evaluate, _ = _kernels(activation)
    ga, gW = np.empty(6), np.empty((6, 2))
    loss, smooth = evaluate(a, W, np.hstack([X, np.ones((3, 1))]), y, alpha, ga, gW)

    def numpy_loss(a_, W_):
        return np.mean((two_layer_output(X, a_, W_, alpha, activation) - y) ** 2) / 2

    assert loss == pytest.approx(numpy_loss(a, W), rel=1e-12)
    h = 1e-6
    for k in range(6):
        e = np.zeros(6)
        e[k] = h
        assert ga[k] == pytest.approx((numpy_loss(a + e, W) - numpy_loss(a - e, W)) / (2 * h), rel=1e-5, abs=1e-9)
        for j in range(2):
            E = np.zeros((6, 2))
            E[k, j] = h
            fd = (numpy_loss(a, W + E) - numpy_loss(a, W - E)) / (2 * h)
            assert gW[k, j] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    assert smooth > 0


def test_training_decreases_loss_monotonically_and_reaches_tolerance():
    X, y = phase_dataset()
    s = scaling(0.5, 0.0, 64)
    a0, W0 = init_two_layer(64, 1, s.beta1, s.beta2, seed=1)
    run = train_two_layer(X, y, a0, W0, s.alpha, activation="tanh", loss_tol=1e-6, max_steps=20_000)
    assert run.converged and run.final_loss <= 1e-6
    assert np.all(np.diff(run.losses) <= 0), "rejected steps must keep the loss from rising"


def test_relu_rd_is_independent_of_the_scale_convention():
    """ReLU is 1-homogeneous: the normalized GD trajectory depends only on (κ, κ') (module docstring)."""
    rds = [
        phase_point(1.25, -0.25, 40, seed=2, activation="relu", convention=c, max_steps=5000)["rd_w"]
        for c in ("beta2_one", "alpha_one")
    ]
    assert rds[0] == pytest.approx(rds[1], rel=1e-6)


def test_relative_distance_definition():
    theta0 = np.array([3.0, 4.0])
    assert relative_distance(theta0, np.array([3.0, 4.0])) == 0.0
    assert relative_distance(theta0, np.array([6.0, 8.0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="theta0"):
        relative_distance(np.zeros(2), np.ones(2))


def test_theory_regimes_and_boundary():
    assert theoretical_regime(0.5, 0.0) == "linear"
    assert theoretical_regime(1.5, 0.0) == "condensed"
    assert theoretical_regime(1.5, 0.75) == "linear"  # γ' > γ - 1
    assert theoretical_regime(1.0, -0.5) == "critical"
    assert theoretical_regime(1.5, 0.5) == "critical"
    assert boundary_gamma(-0.3) == 1.0 and boundary_gamma(0.4) == pytest.approx(1.4)


@given(st.floats(-1, 1))
def test_heuristic_slope_vanishes_on_the_boundary_and_has_the_theorys_sign(gamma_prime):
    g = boundary_gamma(gamma_prime)
    assert heuristic_slope(g, gamma_prime) == pytest.approx(0.0, abs=1e-12)
    assert heuristic_slope(g + 0.3, gamma_prime) > 0
    assert heuristic_slope(g - 0.3, gamma_prime) < 0


@given(st.floats(-3, 3), st.floats(-5, 5))
def test_fit_slope_recovers_a_power_law(slope, log_c):
    m = np.array([50.0, 100.0, 200.0, 400.0])
    s, c, err = fit_slope(m, np.exp(log_c) * m**slope)
    assert s == pytest.approx(slope, abs=1e-9) and c == pytest.approx(log_c, abs=1e-8)
    assert err == pytest.approx(0.0, abs=1e-7)


def test_classify_slope():
    assert classify_slope(-0.5) == "linear"
    assert classify_slope(0.05) == "critical"
    assert classify_slope(0.3, threshold=0.2) == "condensed"


@pytest.mark.parametrize("activation, gamma_primes", [("relu", [-0.5, 0.25]), ("tanh", [-0.5, 0.0])])
def test_numeric_classification_agrees_with_theory_far_from_the_boundary(tmp_path, activation, gamma_primes):
    """Points ≥ 0.5 away from γ = max(1, 1 + γ'), widths 32…128. (tanh's condensed slopes are
    small at these widths and vary with the seed (0.05…0.3 at (1.75, 0)), hence two seeds: see docs/phase-diagram.md.)"""
    pd = phase_diagram([0.25, 1.75], gamma_primes, [32, 64, 128], seeds=(0, 1), activation=activation,
                       store=tmp_path, workers=1, progress=False)
    assert (pd.label == pd.theory).all(), (pd.slope, pd.label)
    assert pd.converged_fraction == 1.0


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_feature_map_is_the_polar_form_of_w_b(w, b):
    """θ = sign(b)·arccos(w/√(w²+b²)), A = √(w²+b²)  ⇔  (A cos θ, A sin θ) = (w, b)."""
    theta, amp = feature_map(np.array([[w, b]]))
    assert -math.pi <= theta[0] <= math.pi
    assert amp[0] * math.cos(theta[0]) == pytest.approx(w, abs=1e-9 * (1 + abs(w) + abs(b)))
    assert amp[0] * math.sin(theta[0]) == pytest.approx(b, abs=1e-9 * (1 + abs(w) + abs(b)))
    _, weighted = feature_map(np.array([[w, b]]), a=np.array([-2.0]))
    assert weighted[0] == pytest.approx(2 * amp[0])
    radius = math.hypot(w, b)
    if radius > 0 and abs(w) < 0.9 * radius:  # where arccos is well conditioned: the literal definition
        assert theta[0] == pytest.approx(math.copysign(1.0, b if b != 0 else 1.0) * math.acos(w / radius), abs=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="m"):
        scaling(1.0, 0.0, 1)
    with pytest.raises(ValueError, match="convention"):
        scaling(1.0, 0.0, 10, "other")
    with pytest.raises(ValueError, match="gamma"):
        scaling(float("nan"), 0.0, 10)
    with pytest.raises(ValueError, match="m: must be even"):
        init_two_layer(5, 1, 1.0, 1.0, seed=0)
    X, y = phase_dataset()
    a, W = init_two_layer(4, 1, 1.0, 1.0, seed=0)
    with pytest.raises(ValueError, match="y"):
        train_two_layer(X, y[:2], a, W)
    with pytest.raises(ValueError, match="lr_mode"):
        train_two_layer(X, y, a, W, lr_mode="adam")
    with pytest.raises(ValueError, match="activation"):
        train_two_layer(X, y, a, W, activation="swish")
    with pytest.raises(ValueError, match="W"):
        feature_map(np.ones((3, 3)))
    with pytest.raises(ValueError, match="widths"):
        phase_diagram([1.0], [0.0], [10, 10], store="unused", progress=False)


def test_feature_map_figure_shows_condensation_only_in_the_condensed_regime(tmp_path):
    from condense.figures import feature_maps_relu

    result = feature_maps_relu.make(tmp_path, quick=True)
    assert result.passed, result.summary


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: init_two_layer(4, 1, 1.0, 1.0, seed=-1), "seed"),
        (lambda: init_two_layer(4, 1, 1.0, 1.0, seed=1.5), "seed"),
        (lambda: init_two_layer(4, 1, 1.0, 1.0, seed=None), "seed"),  # would not be reproducible
        (lambda: train_two_layer(np.zeros((0, 1)), np.zeros(0), np.ones(2), np.ones((2, 2))), "X"),
        (lambda: train_two_layer(np.ones((3, 1)), np.ones(3), np.ones(0), np.ones((0, 2))), "a0, W0"),
        (lambda: relative_distance(np.array([np.nan, 1.0]), np.ones(2)), "theta"),
        (lambda: relative_distance(np.ones(2), np.array([np.inf, 1.0])), "theta"),
        (lambda: phase_diagram([1.0], [0.0], [10, 20], seeds=(0.5,), store="unused", progress=False), "seeds"),
        (lambda: phase_diagram([1.0], [0.0], [10, 20], seeds=(-1,), store="unused", progress=False), "seeds"),
        (lambda: phase_diagram([1.0], [0.0], [10, 20], threshold=-1.0, store="unused", progress=False), "threshold"),
        (lambda: phase_diagram([1.0], [0.0], [10, 20], seed=5, store="unused", progress=False), "seeds"),
    ],
)
def test_bad_input_names_the_argument(call, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a sweep that wrongly starts writes only here
    with pytest.raises((ValueError, TypeError), match=name):
        call()
    assert not (tmp_path / "unused").exists() or not any((tmp_path / "unused").iterdir())


@pytest.mark.parametrize("record_steps", [[0], [], [0, 3]])
def test_record_steps_always_include_start_and_end(record_steps):
    X, y = phase_dataset()
    a, W = init_two_layer(4, 1, 1.0, 1.0, seed=0)
    run = train_two_layer(X, y, a, W, max_steps=5, record_steps=record_steps)
    steps = list(run.record_steps)
    assert len(steps) == len(run.snapshots)
    assert steps[0] == 0 and steps[-1] == run.steps_done
    W_first, a_first = run.snapshots[0]  # snapshots are [W, a], input to output like weights
    assert np.array_equal(a_first, a) and np.array_equal(W_first, W)
    assert np.array_equal(run.snapshots[-1][1], run.a) and np.array_equal(run.snapshots[-1][0], run.W)
    assert all(s in steps for s in record_steps if s <= run.steps_done)
    # the same history fields as every trainer (numerics.history.TrainingHistory)
    from numerics.history import TrainingHistory
    assert isinstance(run, TrainingHistory) and run.status in ("converged", "max_steps", "stalled")
    assert run.steps == 5 and len(run.loss) == run.steps_done + 1 and run.final_loss == run.loss[-1]
    assert run.wall_time > 0 and run.seconds == run.wall_time and not run.diverged

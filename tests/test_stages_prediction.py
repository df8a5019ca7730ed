"""The initial-plateau law k1 = log(1/ε)/log(1 + η|σ'(0)|‖v'‖) + C holds for activations with
σ'(0) ≠ 1 (issue 9 item 11: sigmoid_shifted, σ'(0) = 1/2, measured 1.90× the old prediction,
which assumed σ'(0) = 1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numerics.stages import plateau_length_law, predicted_plateau_slope
from numerics.two_layer import phase_dataset


@pytest.mark.parametrize("activation", ["sigmoid_shifted", "tanh"])
def test_fitted_plateau_slope_matches_the_prediction(activation):
    """Independent of the formula: the slope fitted to the detected plateau lengths of real GD
    runs over ε = 1e-2, 1e-4, 1e-6 is within 10 % of the prediction."""
    result = plateau_length_law([1e-2, 1e-4, 1e-6], lr=0.2, m=50, steps=4000, activation=activation, seed=0)
    assert abs(result.ratio - 1.0) < 0.1, (result.fitted_slope, result.predicted_slope)


def test_prediction_scales_with_the_derivative_at_zero():
    """The per-step growth factor of the small mode is 1 + η|σ'(0)|‖v'‖: σ'(0) = 1 for tanh,
    1/2 for sigmoid_shifted = tanh(z/2) and softplus_shifted (σ' = sigmoid), -3 for -tanh(3z)."""
    X, y = phase_dataset("staircase")
    rate = 0.2 * float(np.linalg.norm(np.c_[X, np.ones(len(X))].T @ y / len(y)))
    assert predicted_plateau_slope(X, y, 0.2, "tanh") == pytest.approx(1 / math.log1p(rate), rel=1e-12)
    for text in ("sigmoid_shifted", "tanh(z/2)", "softplus_shifted"):  # σ'(0) = 1/2 for all three
        assert predicted_plateau_slope(X, y, 0.2, text) == pytest.approx(1 / math.log1p(rate / 2), rel=1e-12)
    assert predicted_plateau_slope(X, y, 0.2, "-tanh(3*z)") == pytest.approx(1 / math.log1p(3 * rate), rel=1e-12)


@pytest.mark.parametrize("activation, reason", [("relu", "not smooth"), ("xtanh", "sigma'\\(0\\) = 0")])
def test_activations_without_the_law_are_refused_before_training(activation, reason, monkeypatch):
    import numerics.stages

    monkeypatch.setattr(numerics.stages, "small_init_run", lambda *a, **k: pytest.fail("trained"))
    with pytest.raises(ValueError, match=reason):
        plateau_length_law([1e-2, 1e-4], activation=activation)

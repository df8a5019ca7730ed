"""Stage detection on loss curves, plateau length vs ε, amplitude Wasserstein distances (docs/mathematics.md#stages)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.special import expit

from numerics.stages import (
    detect_stages,
    plateau_length_law,
    predicted_plateau_slope,
    small_init_run,
    wasserstein_series,
)
from numerics.two_layer import phase_dataset


def synthetic(n, drops):
    """log L = -Σ Δ S((k - c)/w) and the analytic rate r(k) = (k+1) Σ (Δ/w) S'(·)."""
    k = np.arange(n, dtype=float)
    log_loss = np.zeros(n)
    for delta, c, w in drops:
        log_loss -= delta * expit((k - c) / w)

    def rate(x):
        return (x + 1) * sum(d / w * expit((x - c) / w) * (1 - expit((x - c) / w)) for d, c, w in drops)

    return np.exp(log_loss), rate


def crossings(rate, level, n):
    """Roots of rate(k) = level on [0, n) by bracketing on a fine grid (independent of the detector)."""
    grid = np.linspace(0, n - 1, 20 * n)
    values = rate(grid) - level
    roots = []
    for i in np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:])):
        roots.append(brentq(lambda x: rate(x) - level, grid[i], grid[i + 1]))
    return roots


@settings(max_examples=15)
@given(
    c1=st.floats(60, 150), w1=st.floats(3, 8), d1=st.floats(1.5, 4),
    ratio=st.floats(8, 20), w2_rel=st.floats(0.03, 0.08), d2=st.floats(1.5, 4),
)
def test_detector_finds_the_analytic_stage_boundaries(c1, w1, d1, ratio, w2_rel, d2):
    c2 = ratio * c1
    w2 = w2_rel * c2
    n = int(2.5 * c2)
    loss, rate = synthetic(n, [(d1, c1, w1), (d2, c2, w2)])
    grid = np.arange(n, dtype=float)
    level = 0.1 * rate(grid).max()
    roots = crossings(rate, level, n)
    assert len(roots) == 4  # two descents, each entered and left once
    stages = detect_stages(loss, rho=0.1)
    s1, e1 = stages.initial_descent
    s2 = stages.secondary_plateau[1]
    for found, exact in ((s1, roots[0]), (e1, roots[1]), (s2, roots[2])):
        assert abs(found - exact) <= 2 + 0.03 * exact, (found, exact)
    assert stages.initial_plateau == (0, s1)
    assert c1 - 6 * w1 < s1 < c1 < e1 < c1 + 6 * w1


def test_secondary_plateau_must_span_the_minimum_log_length():
    loss, _ = synthetic(600, [(3.0, 100.0, 5.0)])
    stages = detect_stages(loss)
    assert stages.secondary_plateau is not None and stages.secondary_plateau[1] == 600  # the flat tail
    end = stages.initial_descent[1]
    short = int(1.3 * (end + 1))  # tail spans a factor 1.3 < 1.5 in log-time
    assert detect_stages(loss[:short]).secondary_plateau is None
    assert detect_stages(loss[:short], min_plateau_ratio=1.2).secondary_plateau == (end, short)


def test_real_small_init_run_has_the_three_stages():
    run = small_init_run(1e-3, steps=2000)
    stages = detect_stages(run.losses)
    (p0, p1), (d0, d1), (q0, q1) = stages.initial_plateau, stages.initial_descent, stages.secondary_plateau
    assert p0 == 0 and p1 == d0 and d1 == q0 and q1 > 5 * q0
    loss = run.losses
    assert loss[p1] > 0.8 * loss[0], "the plateau loses < 20% of the loss"
    assert loss[d1] < 0.3 * loss[d0], "the descent removes most of it"
    assert loss[q1 - 1] > 0.8 * loss[q0], "the secondary plateau barely moves"


def test_plateau_length_scales_like_log_one_over_epsilon():
    """Initial plateau = log(1/ε)/log(1 + η‖v'‖) + C (depth-2 linear escape, stages module docstring)."""
    result = plateau_length_law([1e-2, 1e-4, 1e-6, 1e-8], steps=400)
    assert result.ratio == pytest.approx(1.0, abs=0.08)
    X, y = phase_dataset("staircase")
    assert result.predicted_slope == pytest.approx(predicted_plateau_slope(X, y, 0.2))


@given(st.floats(-5, 5), st.integers(0, 10))
def test_wasserstein_series_closed_forms(shift, seed):
    base = np.random.default_rng(seed).exponential(size=30)
    w1 = wasserstein_series([base, base, base + abs(shift)])
    assert w1[0] == 0.0
    assert w1[1] == pytest.approx(abs(shift), abs=1e-12)  # a translation moves every atom by |shift|


def test_amplitudes_move_more_in_the_descent_than_on_the_plateaus():
    run = small_init_run(1e-3, steps=1500, record_steps=np.unique(np.geomspace(1, 1500, 40).astype(int)))
    stages = detect_stages(run.losses)
    from numerics.stages import amplitude_distributions

    steps, amps = amplitude_distributions(run)
    w1 = wasserstein_series(amps)
    mid = np.sqrt((steps[:-1] + 1) * (steps[1:] + 1)) - 1
    d0, d1 = stages.initial_descent
    q0, q1 = stages.secondary_plateau
    in_descent = w1[(mid >= d0) & (mid < d1)]
    late_plateau = w1[(mid >= 2 * q0) & (mid < q1 / 2)]
    assert in_descent.size and late_plateau.size
    assert in_descent.max() > 10 * late_plateau.max()


def test_bad_input():
    with pytest.raises(ValueError, match="loss"):
        detect_stages([1.0, 0.5, np.nan] * 5)
    with pytest.raises(ValueError, match="loss"):
        detect_stages([1.0, 0.0] * 8)
    with pytest.raises(ValueError, match="loss"):
        detect_stages([1.0, 0.5])
    with pytest.raises(ValueError, match="rho"):
        detect_stages(np.linspace(1, 0.1, 20), rho=1.5)
    with pytest.raises(ValueError, match="epsilon"):
        small_init_run(2.0)
    with pytest.raises(ValueError, match="distributions"):
        wasserstein_series([np.ones(3)])


def test_stages_command_end_to_end(tmp_path):
    """`condense stages --quick`: figure, JSON, and its own pass criterion (three stages, slope ratio)."""
    import json

    from condense.cli import main

    assert main(["stages", "--quick", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "stages.json").read_text())
    assert data["stages"]["secondary_plateau"] is not None
    assert abs(data["plateau_length_law"]["ratio"] - 1) < 0.1
    assert (tmp_path / "stages.png").exists() and (tmp_path / "stages.pdf").exists()


@pytest.mark.parametrize(
    "X, y, lr, name",
    [
        (np.array([[0.1], [np.nan], [0.3]]), np.ones(3), 0.1, "X, y"),  # was a silent nan
        (np.array([[0.1], [0.2], [0.3]]), np.zeros(3), 0.1, "v'"),  # was ZeroDivisionError
        (np.array([[0.1], [0.2], [0.3]]), np.ones(5), 0.1, "y"),  # was a matmul shape error
        (np.array([[0.1], [0.2], [0.3]]), np.ones(3), 0.0, "lr"),
    ],
)
def test_predicted_plateau_slope_bad_input(X, y, lr, name):
    with pytest.raises(ValueError, match=name):
        predicted_plateau_slope(X, y, lr)

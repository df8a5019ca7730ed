"""Each check on small instances (Hypothesis-chosen seeds/states), and each check FAILING when fed
a wrong trajectory, a wrong blow-up time or a wrong prediction (what makes the checks real)."""

import numpy as np
import pytest
from hypothesis import given, settings

import numerics
from verify import strategies as cst
from verify.checks.blowup import (
    blowup_bounds,
    check_blowup_bounds,
    check_blowup_rate,
    evaluate_blowup_bounds,
    evaluate_blowup_rate,
    evaluate_blowup_scalar,
)
from verify.checks.conservation import check_conservation, evaluate_conservation
from verify.checks.effective_direct import (
    check_effective_vs_direct,
    evaluate_effective_vs_direct,
    expansion_correction_order,
)
from verify.checks.final_stage import (
    check_final_stage_direct,
    check_final_stage_effective,
    evaluate_final_stage,
    trajectory_record,
)
from verify.checks.plateau import check_plateau_escape, check_plateau_scaling, evaluate_plateau_escape
from verify.instances import approach_grid, depth3_named, integrate_at, positive_energy_state, split_state
from verify.measures import lift_first_layer

few = settings(max_examples=4, deadline=None)


# --- conservation ------------------------------------------------------------------------------

@few
@given(cst.seeds())
def test_conservation_check_passes_on_integrated_trajectories(seed):
    result = check_conservation(n_states=1, seed=seed % 10_000)
    assert result.passed, result.details


def _integrated(state, fraction=0.99):
    a, W, u = state
    t_star = numerics.blowup_time(a, W, u).t_star
    times = approach_grid(t_star, fraction)
    rows = integrate_at(a, W, u, times, rtol=1e-14, atol=1e-14)
    return t_star, times, [split_state(row, (u.size, a.size)) for row in rows]  # factors [u, W, a]


@few
@given(cst.positive_energy_states(cst.widths(3, min_width=2, max_width=4)))
def test_conservation_check_fails_on_a_perturbed_trajectory(state):
    _, _, states = _integrated(state)
    assert evaluate_conservation([states]).passed
    k = len(states) // 2
    u, W, a = states[k]
    states[k] = [u, W * (1 + 1e-11), a]  # a relative kick of 1e-11 to one layer at one time
    assert not evaluate_conservation([states]).passed


# --- blow-up -----------------------------------------------------------------------------------

@few
@given(cst.positive_energy_states())
def test_blowup_time_inside_bounds(state):
    a, W, u = state
    t_star = numerics.blowup_time(a, W, u).t_star
    assert evaluate_blowup_bounds([t_star], [blowup_bounds(u, W, a)]).passed  # factors input to output


@few
@given(cst.positive_energy_states(cst.widths(3, min_width=2, max_width=4)))
def test_bounds_check_fails_for_times_outside(state):
    a, W, u = state
    lower, upper = blowup_bounds(u, W, a)
    assert not evaluate_blowup_bounds([0.99 * lower], [(lower, upper)]).passed
    assert not evaluate_blowup_bounds([1.01 * upper], [(lower, upper)]).passed


def test_blowup_bounds_check_runs():
    assert check_blowup_bounds(n_states=4).passed


def test_balanced_scalar_blowup_time_is_one_over_x0():
    for x0 in (0.25, 1.0, 4.0):
        t = numerics.blowup_time(np.array([x0]), np.array([[x0]]), np.array([x0])).t_star
        assert evaluate_blowup_scalar([t], [1.0 / x0]).passed
        assert not evaluate_blowup_scalar([t * (1 + 1e-7)], [1.0 / x0]).passed


def test_blowup_scalar_check_agrees_with_closed_form():
    from verify.checks.blowup import check_blowup_scalar

    result = check_blowup_scalar(n_states=2, seed=3)
    assert result.passed, result.details
    # a solver answer off by 1e-9 relative fails the closed-form comparison
    d = result.details
    assert not evaluate_blowup_scalar(d["computed"] * (1 + 1e-9), d["reference"]).passed


def test_blowup_rate_check_passes():
    result = check_blowup_rate(n_states=1, seed=5)
    assert result.passed and result.measured < 1e-6
    assert all(1.8 < q < 2.2 for q in result.details["observed_order_in_gap"])  # deviation ~ gap^2


def test_blowup_rate_check_fails_with_a_wrong_blowup_time():
    a, W, u = positive_energy_state(4, 3, 11)
    t_star = numerics.blowup_time(a, W, u).t_star
    gaps = np.array([1e-1, 1e-2, 1e-3, 1e-4])
    times = t_star * (1 - gaps)
    norms = np.linalg.norm(integrate_at(a, W, u, times, rtol=1e-13), axis=1)
    assert evaluate_blowup_rate(gaps, [norms * (t_star - times)]).passed
    wrong = t_star * (1 + 1e-6)  # a blow-up time off by one part in a million
    assert not evaluate_blowup_rate(gaps, [norms * (wrong - times)]).passed


# --- final stage -------------------------------------------------------------------------------

@few
@given(cst.seeds())
def test_final_stage_effective_check_passes(seed):
    result = check_final_stage_effective(n_states=1, seed=seed % 10_000)
    assert result.passed, result.details["final_gap"]
    assert 0 < result.details["first_time"][0] < 1  # reached before T*


@few
@given(cst.widths(3, max_width=5), cst.seeds())
def test_final_stage_condition_stays_until_blowup(widths, seed):
    """Invariance by simulation: from any state satisfying the condition, it holds up to 0.9999 T*
    and all coordinates only grow in magnitude."""
    from verify.measures import final_stage_holds

    m1, m2 = widths
    rng = np.random.default_rng(seed)
    s_a, s_u = rng.choice([-1.0, 1.0], m2), rng.choice([-1.0, 1.0], m1)
    a = s_a * rng.uniform(0.05, 1.0, m2)
    u = s_u * rng.uniform(0.05, 1.0, m1)
    W = np.outer(s_a, s_u) * rng.uniform(0.05, 1.0, (m2, m1))
    _, _, states = _integrated((a, W, u), fraction=0.9999)
    assert all(final_stage_holds(*depth3_named(s)) for s in states)
    magnitudes = np.abs(np.array([np.concatenate([x.ravel() for x in s]) for s in states]))
    assert np.all(np.diff(magnitudes, axis=0) >= -1e-12)


def _effective_record(seed, reverse=False):
    a, W, u = positive_energy_state(4, 3, seed)
    t_star, times, states = _integrated((a, W, u), fraction=1 - 1e-6)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(3)
    v /= np.linalg.norm(v)
    W1_0 = rng.standard_normal((4, 3))
    W1_0 -= np.outer(W1_0 @ v - u, v)
    first_layers = [lift_first_layer(W1_0, v, s[0]) for s in states]
    if reverse:  # run backwards in time: the condition holds first, then is lost
        states, first_layers = states[::-1], first_layers[::-1]
    return trajectory_record(times / t_star, [depth3_named(s) for s in states], first_layers, v)


def test_final_stage_check_fails_on_a_time_reversed_trajectory():
    assert evaluate_final_stage("x", [_effective_record(2)], 1e-6).passed
    reversed_record = _effective_record(2, reverse=True)
    assert not reversed_record["invariant"]
    assert not evaluate_final_stage("x", [reversed_record], 1e-6).passed


def test_final_stage_check_fails_when_stopped_before_condensation():
    record = _effective_record(4)
    first = record["first_index"]
    truncated = {k: (v[: first] if isinstance(v, np.ndarray) else v) for k, v in record.items()}
    truncated.update(first_index=None, first_time=None, final_gap=float(1 - record["cosine"][first - 1]))
    assert not evaluate_final_stage("x", [truncated], 1e-6).passed


def test_final_stage_direct_check_small():
    result = check_final_stage_direct(epsilons=(1e-2, 1e-3), seed=0)
    assert result.passed, result.details
    # the first iteration where the condition holds matches the effective prediction
    first = result.details["first_step_holding"][-1]
    predicted = result.details["effective_prediction_first_step"][-1]
    assert abs(first / predicted - 1) < 0.02


def test_final_stage_direct_fails_against_a_wrong_prediction():
    from numerics.data import data_direction

    from verify.checks.final_stage import direct_record, evaluate_final_stage_direct
    from verify.instances import blowup_time_of, reduced_from_weights
    from verify.measures import final_stage_holds, first_index_holding

    X, y = numerics.make_dataset(n=40, d=3, seed=0)
    v_prime, v = data_direction(X, y)
    base = numerics.gaussian_init((3, 4, 4), 1.0, 0)
    u, W, a = reduced_from_weights(base, v)
    t_star = blowup_time_of(a, W, u)
    times = approach_grid(t_star, 1 - 1e-6, n_linear=200, n_geometric=200)
    first = first_index_holding([final_stage_holds(*depth3_named(split_state(r, (4, 4))))
                                 for r in integrate_at(a, W, u, times)])
    eps, lr = 1e-3, 0.1
    predicted = times[first] / (eps * np.linalg.norm(v_prime) * lr)
    steps = int(1.5 * t_star / (eps * np.linalg.norm(v_prime) * lr))
    history = numerics.train_network(X, y, [eps * w for w in base], lr=lr, steps=steps, record_every=steps // 400)
    end = int(np.nonzero(history.loss <= 0.9 * history.loss[0])[0][0])
    record = direct_record(history, v, eps, end)
    assert evaluate_final_stage_direct([eps], [record], [end], [predicted]).passed
    assert not evaluate_final_stage_direct([eps], [record], [end], [0.8 * predicted]).passed
    # stopped before the condition holds although the theory says it should: fails
    early = direct_record(history, v, eps, int(0.9 * record["first_time"]))
    assert not evaluate_final_stage_direct([eps], [early], [end], [predicted]).passed
    # the theory does not apply when the plateau ends first: nothing tested, not a pass
    untested = evaluate_final_stage_direct([eps], [early], [int(0.9 * predicted)], [predicted])
    assert not untested.passed and not any(untested.details["applicable"])


# --- plateau -----------------------------------------------------------------------------------

def test_plateau_escape_check_and_its_failure():
    result = check_plateau_escape(epsilons=(1e-2, 3e-3, 1e-3))
    assert result.passed, result.details["table"]
    table = result.details["table"]
    eps = [row["epsilon"] for row in table]
    predicted = [row["predicted"] for row in table]
    observed = [row["observed"] for row in table]
    # a prediction 3% too early fails; so does one whose error grows as eps -> 0
    assert not evaluate_plateau_escape(eps, [1.03 * p for p in predicted], observed).passed
    assert not evaluate_plateau_escape(eps, predicted[:-1] + [0.98 * observed[-1]], observed).passed


def test_plateau_scaling_depth2_log_law():
    result = check_plateau_scaling(depth=2, epsilons=(1e-2, 1e-4, 1e-6))
    assert result.passed, result.details


def test_plateau_scaling_depth4_power_law():
    result = check_plateau_scaling(depth=4, epsilons=(4e-2, 2e-2, 1e-2))
    assert result.passed, result.details


# --- effective vs direct -----------------------------------------------------------------------

def test_expansion_order_from_the_activation():
    from theory.activations import z

    assert expansion_correction_order("tanh") == 2
    assert expansion_correction_order(z + z**2 / 2) == 1


def test_effective_vs_direct_order_two_for_tanh():
    result = check_effective_vs_direct(epsilons=(0.02, 0.01, 0.005))
    assert result.passed, result.details
    # the same errors do NOT pass as first-order (ε¹) or third-order convergence
    d = result.details
    assert not evaluate_effective_vs_direct(d["epsilons"], d["continuous_error"], d["euler_error"], 1).passed
    assert not evaluate_effective_vs_direct(d["epsilons"], d["continuous_error"], d["euler_error"], 3).passed


def test_effective_vs_direct_detects_first_order_activation():
    """Control: with sigma(z) = z + z^2/2 (sigma''(0) != 0) the expansion's first correction is
    O(eps), and the check measures order 1, so the order 2 found for tanh is a measurement."""
    from theory.activations import z

    result = check_effective_vs_direct(epsilons=(0.02, 0.01, 0.005), activation=z + z**2 / 2)
    assert result.details["expected_order"] == 1
    assert abs(result.details["observed_order_euler"] - 1) < 0.25


# --- matrix factorization ----------------------------------------------------------------------

def test_matrix_factorization_check_and_its_failure():
    from verify.checks.matrix_factorization import (
        check_matrix_factorization,
        evaluate_matrix_factorization,
        rank_one_gap,
    )

    result = check_matrix_factorization(epsilons=(1e-2, 1e-3))
    assert result.passed, result.details["table"]
    # stopping at eps = 1e-2 only (gap ~0.14) fails; a gap growing as eps -> 0 fails
    assert not evaluate_matrix_factorization([1e-2], [result.details["gap"][0]]).passed
    assert not evaluate_matrix_factorization([1e-2, 1e-3], [0.01, 0.02]).passed
    rng = np.random.default_rng(0)
    p, q = rng.standard_normal(4), rng.standard_normal(4)
    assert rank_one_gap([np.outer(p, q), np.outer(q, p)], (1.0, 1.0)) < 1e-12
    assert rank_one_gap([rng.standard_normal((4, 4))], (1.0, 1.0)) > 0.05


@pytest.mark.parametrize(
    "call",
    [
        lambda: check_plateau_escape(epsilons=()),  # was an IndexError
        lambda: check_plateau_escape(epsilons=(-1e-2,)),  # trained, then failed in a log
        lambda: check_plateau_scaling(depth=2, epsilons=(1e-2,)),  # one point: no slope
        lambda: check_plateau_scaling(depth=2, epsilons=(1e-2, 1e-2)),
        lambda: evaluate_plateau_escape([1e-2, 1e-3], [1.0], [1.0, 2.0]),
    ],
)
def test_plateau_checks_bad_input_names_the_argument(call):
    with pytest.raises(ValueError, match="epsilons"):
        call()

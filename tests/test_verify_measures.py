"""Pure measures of verify.measures / verify.result: identities and properties that could fail."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from verify import strategies as cst
from verify.instances import flatten_state, split_state
from verify.measures import (
    condensation_cosines,
    balance_matrices,
    conservation_drift,
    final_stage_fraction,
    final_stage_holds,
    final_stage_weighted,
    lift_first_layer,
    observed_order,
    row_abs_cosines,
)
from verify.result import CheckResult


def _scipy_trajectory(factors, widths, t_end, n=8):
    """Independent integration (SciPy, numerical gradient-free field a'=Wu, W'=au^T, u'=W^T a
    checked against theory below) of the depth-3 effective flow."""
    def rhs(_, y):
        u, W, a = split_state(y, widths)  # factors input to output
        return flatten_state([W.T @ a, np.outer(a, u), W @ u])

    sol = solve_ivp(rhs, (0, t_end), flatten_state(factors), method="DOP853", rtol=1e-12, atol=1e-14,
                    t_eval=np.linspace(0, t_end, n))
    return [split_state(row, widths) for row in sol.y.T]


def test_scipy_reference_field_is_the_theory_field():
    from theory import reduced_model

    model = reduced_model((3, 2))
    rng = np.random.default_rng(1)
    y = rng.standard_normal(model.dimension)
    u, W, a = split_state(y, (3, 2))
    assert (u.shape, W.shape, a.shape) == ((3,), (2, 3), (2,))
    symbolic = np.array(model.vector_field.subs(dict(zip(model.state_symbols, y))), dtype=float).ravel()
    np.testing.assert_allclose(flatten_state([W.T @ a, np.outer(a, u), W @ u]), symbolic, rtol=1e-12, atol=1e-12)


@given(cst.reduced_states(cst.widths(st.integers(2, 4), max_width=4)))
def test_flatten_and_unflatten_are_inverse_and_follow_theory_symbols(factors):
    from numerics.state import factors_energy
    from theory import reduced_model

    widths = tuple(f.shape[0] for f in factors[:-1])
    y = flatten_state(factors)
    back = split_state(y, widths)
    assert all(np.array_equal(f, g) for f, g in zip(factors, back))
    # the flattened order is the order of theory's state symbols: E evaluated both ways agrees
    model = reduced_model(widths)
    symbolic = float(model.energy.subs(dict(zip(model.state_symbols, y))))
    assert factors_energy(factors) == pytest.approx(symbolic, rel=1e-10, abs=1e-12)


def test_balance_matrices_are_theory_balancedness_laws():
    from theory import reduced_model
    from theory.conservation import balancedness_laws

    widths = (2, 3, 4)  # distinct widths: each balance matrix has its own shape
    model = reduced_model(widths)
    rng = np.random.default_rng(4)
    y = rng.standard_normal(model.dimension)
    values = dict(zip(model.state_symbols, y))
    symbolic = {law.quantity.shape: np.array(law.quantity.subs(values), dtype=float)
                for law in balancedness_laws(model)}
    numeric = balance_matrices(split_state(y, widths))
    assert [c.shape for c in numeric] == [(2, 2), (3, 3), (4, 4)]  # [C_1, C_2, C_3], input to output
    for c in numeric:
        np.testing.assert_allclose(c, symbolic[c.shape], rtol=1e-12, atol=1e-12)


@given(cst.positive_energy_states(cst.widths(3, max_width=4)))
def test_conservation_laws_constant_along_independent_integration(state):
    a, W, u = state
    widths = (u.size, a.size)
    t_star_upper = (a @ W @ u) ** (-1 / 3)
    trajectory = _scipy_trajectory([u, W, a], widths, 0.5 * t_star_upper)
    assert conservation_drift(trajectory)["relative_drift"] < 1e-9


@given(cst.reduced_states(cst.widths(st.integers(2, 4), max_width=3)))
def test_conservation_drift_detects_a_perturbation(factors):
    # scaling the largest factor by 1 + 1e-3 changes a balance matrix by about 2e-3 |F|^2 >= 2e-3 |y|^2 / L
    largest = int(np.argmax([np.sum(f**2) for f in factors]))
    perturbed = [f * (1 + 1e-3) if k == largest else f for k, f in enumerate(factors)]
    drift = conservation_drift([factors, perturbed])["relative_drift"]
    assert drift > 1e-3 / len(factors)


def test_conservation_laws_shapes_and_diagonal_per_neuron():
    a, W, u = np.array([1.0, 2.0]), np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 0.5])
    bottom, top = balance_matrices([u, W, a])
    assert top.shape == (2, 2) and bottom.shape == (3, 3)
    np.testing.assert_allclose(np.diag(top), a**2 - np.sum(W**2, axis=1))
    np.testing.assert_allclose(np.diag(bottom), np.sum(W**2, axis=0) - u**2)


def _final_stage_state(signs_a, signs_u, rng):
    a = signs_a * rng.uniform(0.1, 2.0, signs_a.size)
    u = signs_u * rng.uniform(0.1, 2.0, signs_u.size)
    W = np.outer(signs_a, signs_u) * rng.uniform(0.1, 2.0, (signs_a.size, signs_u.size))
    return a, W, u


@given(cst.widths(3, max_width=4), cst.seeds())
def test_final_stage_condition_is_forward_invariant(widths, seed):
    m1, m2 = widths
    rng = np.random.default_rng(seed)
    a, W, u = _final_stage_state(rng.choice([-1.0, 1.0], m2), rng.choice([-1.0, 1.0], m1), rng)
    assert final_stage_holds(a, W, u) and final_stage_fraction(a, W, u) == 1.0 and final_stage_weighted(a, W, u) == 1.0
    lower = np.sqrt(3) / np.linalg.norm(flatten_state([u, W, a]))  # T* >= lower (blow-up bounds)
    for u_t, W_t, a_t in _scipy_trajectory([u, W, a], (m1, m2), 0.9 * lower):
        assert final_stage_holds(a_t, W_t, u_t)
        # every magnitude grew (the mechanism of invariance)
        assert np.all(np.abs(a_t) >= np.abs(a) - 1e-12) and np.all(np.abs(u_t) >= np.abs(u) - 1e-12)
        assert np.all(np.abs(W_t) >= np.abs(W) - 1e-12)


@given(cst.reduced_states(cst.widths(3, max_width=5)))
def test_closeness_measures_are_consistent(state):
    u, W, a = state
    rho, frac = final_stage_weighted(a, W, u), final_stage_fraction(a, W, u)
    assert 0.0 <= rho <= 1.0 and 0.0 <= frac <= 1.0
    energy = a @ W @ u
    if abs(energy) > 1e-9:
        assert (rho > 0.5) == (energy > 0)
    assert final_stage_holds(a, W, u) == (frac == 1.0)
    assert final_stage_weighted(2.0 * a, 3.0 * W, 0.5 * u) == pytest.approx(rho, abs=1e-12)


def test_single_wrong_sign_breaks_the_condition():
    rng = np.random.default_rng(0)
    a, W, u = _final_stage_state(np.ones(3), -np.ones(2), rng)
    W[1, 0] *= -1
    assert not final_stage_holds(a, W, u)
    assert final_stage_fraction(a, W, u) == pytest.approx(5 / 6)
    assert final_stage_weighted(a, W, u) < 1.0


@given(cst.reduced_states(cst.widths(3, max_width=4)), st.integers(1, 4), cst.seeds())
def test_lift_first_layer_keeps_orthogonal_part(state, d, seed):
    u, _, _ = state
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(d)
    W1_0 = rng.standard_normal((u.size, d))
    lifted = lift_first_layer(W1_0, v, u)
    v = v / np.linalg.norm(v)
    np.testing.assert_allclose(lifted @ v, u, atol=1e-12)
    projector = np.eye(d) - np.outer(v, v)
    np.testing.assert_allclose(lifted @ projector, W1_0 @ projector, atol=1e-12)


def test_cosines_tend_to_one_only_when_u_grows():
    rng = np.random.default_rng(3)
    v = np.array([1.0, 0.0, 0.0])
    W1_0 = rng.standard_normal((4, 3))
    u = rng.standard_normal(4)
    b, noise = rng.uniform(0.5, 1.0, 5), rng.standard_normal((5, 4))
    small = condensation_cosines(lift_first_layer(W1_0, v, u), np.outer(b, u) + noise, v, u)["measure"]
    grown = lift_first_layer(W1_0, v, 1e4 * u)
    large = condensation_cosines(grown, 1e4 * np.outer(b, u) + noise, v, 1e4 * u)["measure"]
    assert small < 0.99 and large > 1 - 1e-6
    assert np.all(row_abs_cosines(W1_0, v) <= 1.0)
    with pytest.raises(ValueError, match="direction"):
        row_abs_cosines(W1_0, np.zeros(3))


@given(st.floats(0.5, 4.0), st.floats(0.1, 10.0))
def test_observed_order_recovers_power(p, c):
    h = np.geomspace(1e-3, 1e-1, 5)
    assert observed_order(h, c * h**p) == pytest.approx(p, rel=1e-9)


def test_check_result_json_round_trip_with_numpy_and_nonfinite():
    result = CheckResult("x", np.bool_(True), np.float64(1.5), float("nan"),
                         {"array": np.arange(3.0), "inf": float("inf"), "nested": [{"k": np.int64(2)}]})
    text = json.dumps(result.to_dict(), allow_nan=False)
    back = json.loads(text)
    assert back["passed"] is True and back["measured"] == 1.5 and back["tolerance"] == "nan"
    assert back["details"]["array"] == [0.0, 1.0, 2.0] and back["details"]["inf"] == "inf"
    assert back["details"]["nested"][0]["k"] == 2
    assert not CheckResult("y", False, 0.0, 1.0)


def test_bad_inputs_name_the_argument():
    from verify.instances import approach_grid, reduced_from_weights, split_state

    with pytest.raises(ValueError, match="fraction"):
        approach_grid(1.0, 1.5)
    with pytest.raises(ValueError, match="y:"):
        split_state(np.zeros(5), (2, 2))
    with pytest.raises(ValueError, match="v:"):
        reduced_from_weights([np.zeros((2, 3)), np.zeros((2, 2)), np.zeros(2)], np.ones(4))
    with pytest.raises(ValueError, match="W:"):
        final_stage_holds(np.ones(2), np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="factors"):
        balance_matrices([np.ones(2), np.ones((3, 3)), np.ones(3)])
    with pytest.raises(ValueError, match="h, errors"):
        observed_order([1.0, 0.1], [0.0, 1.0])

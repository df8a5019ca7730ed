"""The public Hypothesis strategies produce valid objects (checked against theory's shapes)."""

import numpy as np
import sympy as sp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import reduced_model
from theory.activations import multiplicity
from verify import strategies as cst
from verify.instances import MAX_ENERGY_RATIO, energy_ratio


@given(cst.depths(2, 5).flatmap(lambda L: st.tuples(st.just(L), cst.widths(L, max_width=4))))
def test_widths_match_depth(pair):
    depth, widths = pair
    assert len(widths) == depth - 1 and all(1 <= m <= 4 for m in widths)


@given(cst.epsilons(1e-5, 1e-2))
def test_epsilons_in_range(eps):
    assert 1e-5 * (1 - 1e-12) <= eps <= 1e-2 * (1 + 1e-12)


@given(cst.activations())
def test_activations_are_smooth_with_a_multiplicity(name):
    """The strategy draws only smooth activations with sigma(0) = 0, and theory's multiplicity p is the
    local power law sigma(z) ~ c z^p, measured independently: log|sigma(2h)/sigma(h)| / log 2 -> p."""
    import mpmath

    from theory.activations import NON_SMOOTH, activation_expr, check_smooth_activation

    assert name not in NON_SMOOTH
    check_smooth_activation(name)  # raises for relu or sigma(0) != 0
    sigma = sp.lambdify(sp.Symbol("z"), activation_expr(name), modules="mpmath")
    with mpmath.workdps(60):
        h = mpmath.mpf("1e-12")
        power = mpmath.log(abs(sigma(2 * h) / sigma(h))) / mpmath.log(2)
    assert abs(float(power) - multiplicity(name)) < 1e-6


@given(cst.datasets(n=st.integers(3, 20), d=st.integers(1, 4)))
def test_datasets_have_a_target_direction(data):
    X, y = data
    assert X.ndim == 2 and y.shape == (X.shape[0],)
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(y))
    assert np.linalg.norm(X.T @ y / y.size) >= 0.1


@given(cst.reduced_states(cst.widths(cst.depths(2, 4), max_width=3)))
def test_reduced_states_have_the_theory_shapes(factors):
    widths = tuple(f.shape[0] for f in factors[:-1])  # [u, W2, ..., a]: m1, m2, ..., m_(L-1)
    model = reduced_model(widths)
    assert tuple(f.shape for f in factors) == model.factor_shapes
    assert factors[-1].shape == (widths[-1],)


@given(cst.positive_energy_states(min_energy_ratio=1e-2))
def test_positive_energy_states(state):
    a, W, u = state
    assert W.shape == (a.size, u.size)
    assert a @ W @ u > 0
    assert 1e-2 <= energy_ratio(a, W, u) <= MAX_ENERGY_RATIO + 1e-12
    # the blow-up bounds of docs/mathematics.md#blow-up are then within a factor (3 sqrt 3 * 1e-2)^(-1/3)
    lower = np.sqrt(3) / np.sqrt(np.sum(a**2) + np.sum(W**2) + np.sum(u**2))
    assert (a @ W @ u) ** (-1 / 3) / lower <= (3 * np.sqrt(3) * 1e-2) ** (-1 / 3) + 1e-9


@given(cst.networks(depth=cst.depths(2, 4), input_dim=st.integers(1, 4), epsilon=cst.epsilons(1e-3, 1e-1)))
def test_networks_chain_input_to_output(weights):
    assert weights[-1].ndim == 1
    for lower, upper in zip(weights[:-2], weights[1:-1]):
        assert upper.shape[1] == lower.shape[0]
    assert weights[-1].shape[0] == weights[-2].shape[0]


@settings(max_examples=5)
@given(cst.networks(depth=3, hidden_widths=(50, 50), epsilon=1e-3))
def test_networks_scale_is_epsilon(weights):
    flat = np.concatenate([w.ravel() for w in weights])
    assert 0.8e-3 < np.sqrt(np.mean(flat**2)) < 1.2e-3


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="min_depth"):
        cst.depths(1, 3)
    with pytest.raises(ValueError, match="min_eps"):
        cst.epsilons(0.0, 1.0)
    with pytest.raises(ValueError, match="min_energy_ratio"):
        cst.positive_energy_states(min_energy_ratio=0.5)
    with pytest.raises(ValueError, match="min_width"):
        cst.widths(3, min_width=0)

"""theory.conservation: the laws of docs/mathematics.md#conservation-laws are proved; the prover can also fail."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import derive_effective_model, reduced_model
from theory.conservation import (balancedness_laws, conservation_laws, energy_identity, euler_identity,
                                 norm_growth_identities)
from theory.identities import time_derivative

widths_strategy = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


@settings(max_examples=15)
@given(widths=widths_strategy)
def test_all_reduced_laws_and_identities_proved(widths):
    model = reduced_model(widths)
    proofs = conservation_laws(model) + [energy_identity(model), euler_identity(model)]
    proofs += norm_growth_identities(model)
    assert proofs and all(p.proved for p in proofs), [p.name for p in proofs if not p.proved]
    # one balancedness law per pair of consecutive factors
    assert len(balancedness_laws(model)) == model.depth - 1


@pytest.mark.parametrize("depth", [2, 3, 4])
@pytest.mark.parametrize("activation", ["tanh", "softplus_shifted"])
def test_unreduced_laws_proved_on_the_derived_field(depth, activation):
    model = derive_effective_model(depth, activation)
    proofs = conservation_laws(model) + [energy_identity(model), euler_identity(model)]
    assert all(p.proved for p in proofs), [p.name for p in proofs if not p.proved]


def test_depth3_laws_are_the_notes_matrices():
    model = reduced_model((2, 3))
    a, W, u = model.factors
    first, second = balancedness_laws(model)
    assert (first.quantity - (a * a.T - W * W.T)).is_zero_matrix
    assert (second.quantity - (W.T * W - u * u.T)).is_zero_matrix


def test_prover_rejects_a_non_conserved_quantity():
    model = reduced_model((2, 2))
    a, W, u = model.factors
    wrong = a * a.T + W * W.T  # sum instead of difference: grows along the flow
    rate = time_derivative(wrong, model.state_symbols, model.vector_field)
    assert not rate.is_zero_matrix
    # and E is not conserved (E' = |grad E|^2)
    assert time_derivative(model.energy, model.state_symbols, model.vector_field) != 0


def test_energy_identity_explicit_depth3_terms():
    model = reduced_model((2, 2))
    a, W, u = model.factors
    rate = time_derivative(model.energy, model.state_symbols, model.vector_field)
    rhs = (W * u).norm() ** 2 + a.norm() ** 2 * u.norm() ** 2 + (W.T * a).norm() ** 2
    assert sp.expand(rate - rhs) == 0


@settings(max_examples=15)
@given(widths=widths_strategy, seed=st.integers(0, 2**16))
def test_laws_have_zero_directional_derivative_numerically(widths, seed):
    """Finite-difference derivative of each lambdified law along the field is ~0."""
    model = reduced_model(widths)
    field = sp.lambdify(model.state_symbols, list(model.vector_field), "numpy")
    rng = np.random.default_rng(seed)
    y = rng.normal(size=model.dimension)
    F = np.array(field(*y), dtype=float)
    h = 1e-5
    for law in balancedness_laws(model):
        Q = sp.lambdify(model.state_symbols, law.quantity, "numpy")
        rate = (np.array(Q(*(y + h * F))) - np.array(Q(*(y - h * F)))) / (2 * h)
        assert np.max(np.abs(rate)) <= 1e-6 * (1 + np.linalg.norm(y) ** 2 * np.linalg.norm(F))


def test_conservation_refuses_higher_multiplicity():
    with pytest.raises(ValueError, match="model"):
        conservation_laws(derive_effective_model(2, "xtanh"))
    with pytest.raises(TypeError, match="model"):
        conservation_laws("tanh")


def test_latex_of_a_law():
    law = conservation_laws(reduced_model((2, 2)))[0]
    assert sp.latex(law) == law.latex()
    assert r"\equiv 0" in law.latex()

"""theory.final_stage: the final-stage condition's statement and proofs, tied to verify's measure."""

import numpy as np
import pytest
import sympy as sp

from theory.final_stage import (ProvedPositivity, energy_terms, final_stage_theorem, magnitude_growth,
                                sign_symmetries)


@pytest.mark.parametrize("widths", [(1, 1), (2, 3), (3, 2)])
def test_final_stage_theorem_is_proved(widths):
    theorem = final_stage_theorem(widths)
    assert theorem.proved, [p.name for p in theorem.parts if not p.proved]
    assert len(sign_symmetries(widths)) == sum(widths)  # one flip per hidden neuron
    assert "a_i W_{ij} u_j" in theorem.latex()


def test_positivity_proof_can_fail():
    # gradient *descent* on E (rates -F) shrinks the magnitudes: the same claim must not be proved
    growth = magnitude_growth((2, 2))
    assert growth.proved
    assert not ProvedPositivity("descent", "", tuple(-r for r in growth.rates)).proved
    # a rate with a negative term (not a sum of positive products) is not decided positive
    x, y = sp.symbols("x y", positive=True)
    assert not ProvedPositivity("mixed", "", (x * y - x,)).proved


def test_symbolic_terms_agree_with_verify_measure():
    from theory import reduced_model
    from verify.measures import energy_terms as numeric_terms
    from verify.measures import final_stage_holds
    from verify.instances import depth3_named, split_state

    widths = (3, 2)
    model = reduced_model(widths)
    rng = np.random.default_rng(7)
    for _ in range(5):
        y = rng.standard_normal(model.dimension)
        a, W, u = depth3_named(split_state(y, widths))
        symbolic = np.array(energy_terms(widths).subs(dict(zip(model.state_symbols, y))), dtype=float)
        np.testing.assert_allclose(numeric_terms(a, W, u), symbolic, rtol=1e-12)
        assert final_stage_holds(a, W, u) == bool(np.all(symbolic > 0))


def test_depth_other_than_three_is_refused():
    with pytest.raises(ValueError, match="widths"):
        final_stage_theorem((2, 2, 2))

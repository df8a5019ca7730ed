"""Generated and hand-optimized compiled fields against the symbolic field of theory.reduced_model
at random points (the rule: no second copy of a formula without a test tying it to the symbolic one)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import theory
from numerics.blowup import chain_field_numpy
from numerics.codegen import compile_model, generate_source
from numerics.integrate import integrate_model
from numerics.kernels import chain_energy, chain_field, projected_field, state_dimension, state_shapes

widths_strategy = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


def symbolic(widths):
    model = theory.reduced_model(widths)
    field = sp.lambdify(model.state_symbols, list(model.vector_field), "numpy")
    energy = sp.lambdify(model.state_symbols, model.energy, "numpy")
    return model, (lambda y: np.array(field(*y), dtype=float)), (lambda y: float(energy(*y)))


@given(widths_strategy, st.integers(0, 2**32 - 1))
def test_kernels_match_symbolic_field(widths, seed):
    model, field, energy = symbolic(widths)
    assert state_dimension(widths) == len(model.state_symbols)
    assert state_shapes(widths) == tuple(model.state_shapes)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        y = rng.standard_normal(len(model.state_symbols)) * rng.uniform(0.1, 10)
        ref = field(y)
        tol = 1e-13 * max(1.0, np.abs(ref).max())
        assert np.allclose(chain_field(y, widths), ref, rtol=0, atol=tol)
        assert np.allclose(chain_field_numpy(y, widths), ref, rtol=0, atol=tol)
        assert abs(chain_energy(y, widths) - energy(y)) <= tol * max(1.0, np.abs(y).max())


@given(widths_strategy, st.integers(0, 2**32 - 1))
def test_projected_field_identities(widths, seed):
    """On the sphere: dθ/ds ⟂ θ, d log r/ds = L E(θ) = θ·F(θ) (Euler), dτ/ds = e^{-(L-2) log r}."""
    depth = len(widths) + 1
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(state_dimension(widths))
    theta /= np.linalg.norm(theta)
    rho = rng.uniform(-3, 3)
    out = projected_field(np.concatenate([theta, [rho, 0.0]]), widths)
    grad = chain_field(theta, widths)
    assert abs(out[:-2] @ theta) < 1e-13
    assert abs(out[-2] - theta @ grad) < 1e-13
    assert abs(out[-2] - depth * chain_energy(theta, widths)) < 1e-13
    assert out[-1] == pytest.approx(np.exp(-(depth - 2) * rho), rel=1e-15)


@pytest.mark.parametrize("widths", [(1, 1), (2, 3), (2, 2, 2)])
def test_generated_code_matches_symbolic(widths):
    model, field, energy = symbolic(widths)
    compiled = compile_model(model)
    assert compiled.dimension == len(model.state_symbols)
    assert set(compiled.timings) >= {"generate", "first_call_field"}
    rng = np.random.default_rng(len(widths))
    for _ in range(5):
        y = rng.standard_normal(compiled.dimension)
        assert np.allclose(compiled.field(y), field(y), rtol=1e-14, atol=1e-14)
        assert compiled.energy(y) == pytest.approx(energy(y), rel=1e-13, abs=1e-14)
        assert np.allclose(compiled.field(y), chain_field(y, widths), rtol=1e-14, atol=1e-14)


def test_symbolic_and_kernel_integration_agree():
    model = theory.reduced_model((2, 3))
    y0 = np.random.default_rng(4).standard_normal(len(model.state_symbols)) * 0.3
    kernel = integrate_model(model, y0, 0.5, field="kernel", t_eval=[0.25, 0.5])
    generated = integrate_model(model, y0, 0.5, field="symbolic", t_eval=[0.25, 0.5])
    assert np.allclose(kernel.y, generated.y, rtol=1e-13, atol=1e-14)


def test_generated_source_is_deterministic_and_cse_applied():
    model = theory.reduced_model((3, 3, 3))
    src = generate_source(model)
    assert src == generate_source(model)
    assert "x_0 =" in src  # common subexpressions of the depth-4 field were factored out


def test_codegen_bad_model():
    with pytest.raises(TypeError, match="model"):
        compile_model(object())

    class Dependent:
        state_symbols = sp.symbols("p q")
        vector_field = sp.Matrix([sp.Symbol("c") * state_symbols[1], state_symbols[0]])

    with pytest.raises(ValueError, match="subs"):
        generate_source(Dependent())


def test_codegen_substitutes_parameters_and_integrates():
    """p' = c q, q' = p with c = 4: p = cosh(2t), q = sinh(2t)/2 from (1, 0)."""
    p, q, c = sp.symbols("p q c")

    class Oscillator:
        state_symbols = (p, q)
        vector_field = sp.Matrix([c * q, p])
        energy = (p**2 - c * q**2) / 2

    traj = integrate_model(Oscillator(), np.array([1.0, 0.0]), 1.0, subs={c: 4}, rtol=1e-12, atol=1e-14,
                           t_eval=[0.5, 1.0])
    assert traj.status == 0
    assert np.allclose(traj.y[:, 0], np.cosh(2 * traj.t), rtol=1e-10)
    assert np.allclose(traj.y[:, 1], np.sinh(2 * traj.t) / 2, rtol=1e-10)


def test_float_parameters_are_printed_exactly():
    """A float in ``subs`` (or in the model) reaches the compiled code bit for bit: SymPy's own
    printer keeps 15 digits, which turns sqrt(2) into 1.4142135623731 (3e-15 off)."""
    p, q, c = sp.symbols("p q c")

    class Scaled:
        state_symbols = (p, q)
        vector_field = sp.Matrix([c * q, sp.Float(0.12345678901234566) * p])

    compiled = compile_model(Scaled(), subs={c: np.sqrt(2.0)})
    out = compiled.field(np.array([1.0, 1.0]))
    assert out[0] == np.sqrt(2.0)
    assert out[1] == 0.12345678901234566


@pytest.mark.slow
def test_kernel_blas_branch_matches_symbolic_field():
    """Blocks with >= 1024 entries take the np.dot branch of the kernels (never reached by the fast
    tests at widths <= 3): tie it to the symbolic field too (widths (32, 33): W has 1056 entries)."""
    widths = (32, 33)
    model, field, energy = symbolic(widths)
    y = np.random.default_rng(7).standard_normal(len(model.state_symbols))
    ref = field(y)
    assert np.allclose(chain_field(y, widths), ref, rtol=0, atol=1e-13 * np.abs(ref).max())
    assert chain_energy(y, widths) == pytest.approx(energy(y), rel=1e-12)

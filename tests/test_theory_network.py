"""General networks in the expansion: theory.Network, derive_effective_model(network=...), the
leading order of biases / vector outputs / per-layer activations against direct evaluation of the
network, the deep-matrix-factorization energy, balancedness proofs, printing and size limits."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
import sympy as sp

from theory.activations import activation_expr, z
from theory.effective import derive_effective_model
from theory.latexing import tex
from theory.network import Network, network_conservation_laws


@pytest.mark.parametrize(("kwargs", "argument"), [
    (dict(input_dim=2, widths=(2, 0)), "widths"),
    (dict(input_dim=0, widths=(2, 2)), "input_dim"),
    (dict(input_dim=2, widths=(2, 2), output_dim=0), "output_dim"),
    (dict(input_dim=2, widths=(2, 2), activation=("tanh",)), "activation"),
    (dict(input_dim=2, widths=(2, 2), activation=("tanh", "cos")), "activation"),
    (dict(input_dim=2, widths=(2, 2), activation=sp.cos(z)), "activation"),
    (dict(input_dim=2, widths=(2, 2), bias=(True, False)), "bias"),
    (dict(input_dim=2, widths=(2, 2), bias=(1, 0, 0)), "bias"),
])
def test_bad_network_names_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        Network(**kwargs)


def test_keyword_form_means_the_same_network():
    old = derive_effective_model(3, "tanh", (2, 3), 2)
    new = derive_effective_model(network=Network(2, (2, 3)))
    assert old.leading_order == new.leading_order == 3
    assert sp.expand(old.energy - new.energy) == 0
    assert old.state_symbols == new.state_symbols
    assert old.reduction is not None and old.reduction.proved
    with pytest.raises(ValueError, match="network"):
        derive_effective_model(depth=3, network=Network(2, (2, 2)))


def _forward(network: Network, params: dict, x: np.ndarray, eps: float) -> np.ndarray:
    """Direct evaluation of the network at theta = eps * params (NumPy, independent of the expansion)."""
    weights = network.weight_matrices()
    biases = network.bias_vectors()
    h = x
    sigmas = [sp.lambdify(z, s, "numpy") for s in network.sigmas]
    for k, W in enumerate(weights):
        Wn = eps * np.array(W.subs(params), dtype=float)
        if k == len(weights) - 1 and network.output_dim == 1:
            Wn = Wn.T
        pre = Wn @ h
        if biases[k] is not None:
            pre = pre + eps * np.array(biases[k].subs(params), dtype=float).ravel()
        h = sigmas[k](pre) if k < len(weights) - 1 else pre
    return h


FAMILIES = [
    (Network(2, (2, 2), output_dim=3), 3),
    (Network(2, (2, 2), bias=(True, False, False)), 3),
    (Network(2, (2, 2), bias=(False, True, False)), 2),
    (Network(2, (2, 2), bias=(False, False, True)), 1),
    (Network(2, (2, 2), activation=("tanh", "sin")), 3),
    (Network(1, (1, 1), activation=("tanh", "xtanh")), 5),
    (Network(2, (2, 2, 2), bias=(False, True, False, False)), 3),
]


@pytest.mark.parametrize(("network", "order"), FAMILIES)
def test_leading_order_matches_direct_evaluation(network, order):
    r"""f(eps theta, x) / eps^p -> f_p(theta, x) (error O(eps)) with f computed directly; the order
    p is what a path count through the layers gives (input: L, bias of layer k: L - k + 1, a
    multiplicity-2 layer doubles the order of what enters it)."""
    model = derive_effective_model(network=network)
    assert model.leading_order == order
    rng = np.random.default_rng(3)
    params = {s: float(rng.uniform(-1, 1)) for s in model.state_symbols}
    x = rng.uniform(-1, 1, size=network.input_dim)
    subs = {**params, **{model.x[i]: float(x[i]) for i in range(network.input_dim)}}
    errors = []
    for eps in (1e-2, 1e-3):
        f = _forward(network, params, x, eps)
        for j in range(network.output_dim):
            coeff = model.leading_coefficient
            if model.duals is not None:
                coeff = coeff.subs({d: int(i == j) for i, d in enumerate(model.duals)})
            f_p = float(coeff.subs(subs))
            errors.append(abs(f[j] / eps**order - f_p) / max(abs(f_p), 1e-300))
    assert max(errors[network.output_dim:]) < 0.05  # at eps = 1e-3
    assert max(errors[network.output_dim:]) < max(errors[:network.output_dim]) + 1e-12


def test_vector_output_energy_is_the_factorization_energy():
    """E = <M_bar, A W2 W1> with M' = (1/n) sum y_i x_i^T, M_bar = M'/||M'||_2 (NumPy formula)."""
    network = Network(3, (2, 2), output_dim=2)
    model = derive_effective_model(network=network)
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))
    E = model.energy_for_data(X, Y)
    params = {s: float(rng.standard_normal()) for s in model.state_symbols}
    W1, W2, A = (np.array(m.subs(params), dtype=float) for m in model.weights)
    M = Y.T @ X / 7
    expected = float(np.sum(M / np.linalg.norm(M, 2) * (A @ W2 @ W1)))
    assert float(E.subs(params)) == pytest.approx(expected, rel=1e-12)
    _, norm = model.data_moments(X, Y)
    assert norm == pytest.approx(np.linalg.norm(M, 2), rel=1e-12)


def test_bias_in_second_layer_pairs_with_the_mean():
    model = derive_effective_model(network=Network(2, (2, 2), bias=(False, True, False)))
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 2.0]])
    y = np.array([1.0, 2.0, 0.5])
    E = model.energy_for_data(X, y)
    b = model.biases[1]
    a = model.weights[-1]
    assert sp.expand(E - sum(a[i] * b[i] for i in range(2))) == 0  # ybar / |ybar| = 1
    assert model.centred_order == 3
    assert [g["x_degree"] for g in model.leading_terms] == [0]


def test_balancedness_of_the_new_flows_is_proved_and_the_proof_can_fail():
    for network, _ in FAMILIES[:5]:
        model = derive_effective_model(network=network)
        laws = network_conservation_laws(model)
        assert laws and all(law.proved for law in laws)
    # negative control: the sum instead of the difference is not conserved
    from theory.identities import time_derivative

    model = derive_effective_model(network=Network(2, (2, 2), output_dim=2))
    W2, A = model.weights[1], model.weights[2]
    wrong = A.T * A + W2 * W2.T
    assert not time_derivative(wrong, model.state_symbols, model.vector_field).is_zero_matrix


def test_xtanh_series_prints_its_rational_coefficients_whole():
    text = tex(sp.series(activation_expr("xtanh"), z, 0, 8))
    assert r"\frac{2}{15} z^{6}" in text and r"\frac{1}{15} 2" not in text
    assert r"\frac{17}{315} z^{7}" in tex(sp.series(sp.tanh(z), z, 0, 8))


def test_depth_limit_refuses_quickly_with_the_estimate():
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"depth:.*terms"):
        derive_effective_model(depth=100)
    assert time.perf_counter() - start < 5.0


def test_derive_cli_general_network(tmp_path):
    out = tmp_path / "d.md"
    done = subprocess.run([sys.executable, "-m", "condense", "derive", "--output-dim", "3", "--bias", "2",
                           "--activation", "tanh,sin", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "Which term leads" in text and "NOT PROVED" not in text and "bias $b^{(2)}$" in text
    for bad in (["--bias", "7"], ["--activation", "tanh,sin,sin"], ["--output-dim", "0"], ["--depth", "12"]):
        done = subprocess.run([sys.executable, "-m", "condense", "derive", *bad, "--out", str(tmp_path / "x.md")],
                              capture_output=True, text=True)
        assert done.returncode == 2 and not (tmp_path / "x.md").exists(), (bad, done.stderr)
